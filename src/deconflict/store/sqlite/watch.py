"""Hearing other processes' commits on a SQLite file: one cheap look every few milliseconds.

SQLite has no NOTIFY. Several processes may serve one file (see `turn.py`), and a
console's stream may be on another process than the write that concerns it. One
thread a process reads `PRAGMA data_version` on a connection of its own: a number
that changes when any other connection commits to the file, read from the WAL's
shared memory without touching a table. When it has changed, `on_commit` wakes the
process's streams, which read the new events themselves (one query for all of them,
see `api/push.py`); when nothing changed, nothing else happens. A commit elsewhere
reaches this process's consoles within `POLL_S`, not at the streams' own
once-a-second look.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger("deconflict.store")

POLL_S = 0.01
"""How often the watcher looks: the most a commit elsewhere waits before it is heard."""
RETRY_S = 1.0


class CommitWatcher:
    """Calls `on_commit` (from its own thread) whenever some connection commits to `path`."""

    def __init__(self, path: str, on_commit: Callable[[], None], poll_s: float = POLL_S) -> None:
        self.path = path
        self.on_commit = on_commit
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deconflict-watch", daemon=True)

    def start(self) -> CommitWatcher:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(RETRY_S + 5.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._watch()
            except sqlite3.Error as error:
                log.warning("watching for commits failed; retrying in %ss error=%s", RETRY_S, error)
                self._stop.wait(RETRY_S)

    def _watch(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            seen = _data_version(db)
            # Whatever was committed before this connection first looked.
            self.on_commit()
            while not self._stop.wait(self.poll_s):
                version = _data_version(db)
                if version != seen:
                    seen = version
                    self.on_commit()
        finally:
            db.close()


def _data_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA data_version").fetchone()[0])
