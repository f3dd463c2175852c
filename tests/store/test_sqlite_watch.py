"""A process hears another's commits to a SQLite file from one watcher, and only then."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from deconflict.line.parties import Party, register_party
from deconflict.store.sqlite import SqliteStore

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class Heard:
    """Counts the watcher's calls, and when the last came."""

    def __init__(self) -> None:
        self.calls = 0
        self.at = 0.0
        self.changed = threading.Event()

    def __call__(self) -> None:
        self.calls += 1
        self.at = time.monotonic()
        self.changed.set()


def test_a_commit_by_another_connection_is_heard_within_milliseconds_and_quiet_is_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "line.db"
    listener, writer = SqliteStore(path), SqliteStore(path)
    heard = Heard()
    try:
        with listener.listening(heard):
            assert heard.changed.wait(1), "the watcher calls once as it starts"
            time.sleep(0.3)  # thirty looks at a file nobody writes
            assert heard.calls == 1, "nothing committed, nobody woken"
            delays = []
            for index in range(5):
                heard.changed.clear()
                committed = time.monotonic()
                register_party(writer, Party(f"p{index}", f"P{index}", "en", "duty"), NOW)
                assert heard.changed.wait(1)
                delays.append(heard.at - committed)
            assert heard.calls >= 6, "each commit heard"
            assert sorted(delays)[2] < 0.1, delays  # looks every 10 ms; the old way: 1 s
    finally:
        listener.close()
        writer.close()


def test_an_in_memory_store_has_no_one_else_to_hear() -> None:
    store = SqliteStore(":memory:")
    heard = Heard()
    try:
        with store.listening(heard):
            time.sleep(0.05)
        assert heard.calls == 0
    finally:
        store.close()
