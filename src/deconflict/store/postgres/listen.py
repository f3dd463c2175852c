"""Hearing other nodes' commits: LISTEN on a dedicated connection, in a background thread.

A transaction that adds events sends NOTIFY as it commits (see `PostgresTx.add_event`);
this thread calls `on_commit` for each notification, so a console on this node
hears of a notice created through another node at once. Notifications carry
nothing: the streams read the events themselves, from the id they last sent,
so a notification lost while reconnecting costs nothing but latency.
"""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Callable

import psycopg

from deconflict.store.postgres.unit import CHANNEL

log = logging.getLogger("deconflict.store")

RETRY_S = 1.0


class CommitListener:
    """Calls `on_commit` (from its own thread) whenever some node commits new events."""

    def __init__(self, url: str, on_commit: Callable[[], None]) -> None:
        self.url = url
        self.on_commit = on_commit
        self.listening = threading.Event()
        self._stop = threading.Event()
        # The thread waits on the connection and on this pipe: `close` wakes it at once.
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="deconflict-listen", daemon=True)

    def start(self) -> CommitListener:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        os.write(self._wake_write, b"x")
        self._thread.join(RETRY_S + 5.0)
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                self.listening.clear()
                log.warning("listen failed; retrying in %ss error=%s", RETRY_S, error)
                self._stop.wait(RETRY_S)

    def _listen(self) -> None:
        with psycopg.connect(self.url, autocommit=True, application_name="deconflict-listen") as db:
            db.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            # Whatever was committed while this connection was not yet listening.
            self.on_commit()
            while True:
                ready, _, _ = select.select([db.fileno(), self._wake_read], [], [])
                if self._wake_read in ready:
                    return
                # One call for all that arrived together: the streams read every new event.
                if any(True for _ in db.notifies(timeout=0)):
                    self.on_commit()
