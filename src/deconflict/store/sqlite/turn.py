"""The writer's turn: one write transaction at a time on a SQLite file, across processes.

SQLite lets one transaction write at a time; a process that asks while
another writes is told "busy" and sleeps and asks again (1, 2, 5, 10 ms...),
so with several worker processes over one file the turn passed on late, and two
workers wrote less than one (measured: docs/BENCHMARKS.md, notices through the
API). Here a writer first waits for an exclusive flock on a file beside the
store (`<store>-writer`), which the kernel hands to the next waiter the moment
it is let go; SQLite's own lock, taken after it, still decides what is safe, so
a process that does not take the turn (an older one, a tool) is only slower.
"""

from __future__ import annotations

import fcntl
import os
import threading
from types import TracebackType


def turn_path(store_path: str) -> str:
    """The file whose flock is the writer's turn on the store at `store_path`."""
    return f"{store_path}-writer"


class WriterTurn:
    """A re-entrant lock held by one thread of one process at a time (with a `path`: of
    every process that opens a turn on it); `with turn:` waits for it. Within the process
    it is `thread_lock`, which the store may also take alone."""

    def __init__(self, path: str | None, thread_lock: threading.RLock) -> None:
        self._thread_lock = thread_lock
        self._path = path
        self._descriptor: int | None = None
        self._depth = 0

    def __enter__(self) -> WriterTurn:
        self._thread_lock.acquire()
        try:
            if self._depth == 0 and self._path is not None:
                if self._descriptor is None:
                    self._descriptor = _open_turn(self._path)
                fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        self._depth += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._descriptor is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        """Let go of the file (the turn is not held)."""
        with self._thread_lock:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None


def _open_turn(path: str) -> int:
    """The turn's file, made if need be with the read bits of the store beside it: a flock
    needs the file only open for reading, so whoever may read the store may take turns."""
    store = path.removesuffix("-writer")
    try:
        mode = os.stat(store).st_mode & 0o444
    except OSError:
        mode = 0o400
    return os.open(path, os.O_RDONLY | os.O_CREAT, mode)
