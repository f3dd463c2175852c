"""Group commit: one writer thread runs queued atomic steps, several to a transaction.

Each step runs inside its own SAVEPOINT, so a step that fails is rolled back
alone; the batch then commits once (one fsync for all of them), and only
after COMMIT is each caller answered: a 2xx still means durable. The answers
are handed to `committed`, which gives them once the head file covers the
batch (store/head.py), while this thread goes on to the next batch. Steps that
arrive while a batch is being written wait for the next one, so under load
batches grow by themselves and the disk's commits are shared.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

Step = Callable[[sqlite3.Connection], Any]

_MAX_BATCH = 64


class Outcome:
    """A step's result or error, handed from the writer thread to the caller waiting for it.

    One lock, taken at once by the caller and let go by the writer when the outcome is in:
    a `concurrent.futures.Future` made a condition, its lock and a waiter list for each step
    (about 4% of a notification's CPU time, profiled).
    """

    def __init__(self) -> None:
        self._ready = threading.Lock()
        self._ready.acquire()
        self._result: Any = None
        self._error: BaseException | None = None

    def set_result(self, result: Any) -> None:
        self._result = result
        self._ready.release()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._ready.release()

    def result(self) -> Any:
        """Wait for the outcome: the result, or the step's error raised here."""
        self._ready.acquire()
        if self._error is not None:
            raise self._error
        return self._result


Then = Callable[[Any, BaseException | None], None]


class Handed(Outcome):
    """An outcome handed to a function as it comes, rather than waited for."""

    def __init__(self, then: Then) -> None:  # no lock: nobody waits on this one
        self._then = then

    def set_result(self, result: Any) -> None:
        self._then(result, None)

    def set_exception(self, error: BaseException) -> None:
        self._then(None, error)


class GroupCommit:
    """Runs steps on `db` in batched transactions, on one thread of its own."""

    def __init__(
        self,
        db: sqlite3.Connection,
        lock: AbstractContextManager[Any],
        committed: Callable[[Callable[[], None]], None],
    ) -> None:
        self._db = db
        self._lock = lock
        # called after each batch that committed, with what answers the batch's callers
        self._committed = committed
        self._queue: queue.SimpleQueue[tuple[Step, Outcome] | None] = queue.SimpleQueue()
        self.transactions = 0
        """How many transactions this writer has begun: steps that see the same number run in
        one transaction, one after the other, each seeing what those before it kept."""
        self._thread = threading.Thread(target=self._serve, name="deconflict-writer", daemon=True)
        self._thread.start()

    def run(self, step: Step) -> Any:
        """Run `step` in a transaction; return its result once committed (or raise its error)."""
        done = Outcome()
        self._queue.put((step, done))
        return done.result()

    def submit(self, step: Step, then: Then) -> None:
        """Queue `step` as `run` does, without waiting: once its batch is answered, `then` is
        called on another thread with its result and None, or None and its error."""
        self._queue.put((step, Handed(then)))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[tuple[Step, Outcome]]) -> None:
        outcomes: list[tuple[Outcome, Any, BaseException | None]] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self.transactions += 1
                for step, done in batch:
                    outcomes.append((done, *self._step(step)))
                self._db.execute("COMMIT")
            except BaseException as error:  # the batch could not commit: nothing is kept
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                for _, done in batch:
                    done.set_exception(error)
                return
        self._committed(lambda: _answer(outcomes))

    def _step(self, step: Step) -> tuple[Any, BaseException | None]:
        self._db.execute("SAVEPOINT step")
        try:
            result = step(self._db)
        except Exception as error:
            self._db.execute("ROLLBACK TO step")
            self._db.execute("RELEASE step")
            return None, error
        self._db.execute("RELEASE step")
        return result, None


def _answer(outcomes: list[tuple[Outcome, Any, BaseException | None]]) -> None:
    """Give each caller of a committed batch its step's result or error."""
    for done, result, failure in outcomes:
        if failure is None:
            done.set_result(result)
        else:
            done.set_exception(failure)
