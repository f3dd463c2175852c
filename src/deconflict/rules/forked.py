"""Pure work on data already in memory, spread over every core by forking.

Workers are forked from the process that holds the data, so they read it
without a copy; only each chunk's description goes to a worker and only its
result comes back. The caller works too, on one core of its own: it takes the
chunks from the first on while the workers take them from the last back, until
they meet, so what the caller does is never pickled and sent back, and the
work is split in two runs (one seam) however small the chunks are. An exception
in a worker is raised again in the caller, as if the work had run there.

Forking is safe only from a process with a single thread: a lock another
thread held at the fork would stay held in the child for ever; from any other
process, and on one core, the work runs in the caller's own process.
"""

from __future__ import annotations

import gc
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Protocol, Self, TypeVar


class Runs(Protocol):
    """Items that come in runs: a list, a range, an array."""

    def __len__(self) -> int: ...

    def __getitem__(self, where: slice, /) -> Self: ...


Shared = TypeVar("Shared")
Chunk = TypeVar("Chunk")
Items = TypeVar("Items", bound=Runs)
Result = TypeVar("Result")

# Chunks per process: small enough that the two runs meet within a small piece of the
# work (the last chunk a worker took, and the one queued behind it, cannot be taken back).
_CHUNKS_PER_WORKER = 32

# The work and its data, set in the parent just before it forks (the children inherit them).
_job: tuple[Callable[[Any, Any], Any], Any] | None = None


def cores() -> int:
    """How many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether workers may be forked from here: the platform forks and this process has
    one thread."""
    return "fork" in get_all_start_methods() and threading.active_count() == 1


def workers_for(items: int, from_items: int) -> int:
    """Every core for `items` of work from `from_items` on (below, forking costs more than
    it saves), else one."""
    return cores() if items >= from_items else 1


def map_chunks(
    work: Callable[[Shared, Items], list[Result]],
    shared: Shared,
    items: Items,
    workers: int,
) -> list[Result]:
    """work(shared, items), spread over `workers` processes (this one and `workers - 1`
    forked ones) in runs of the items (anything sliced like a list, a range or an array)
    and joined in order; in this process alone when `workers` is 1 or forking is not
    safe here."""
    if workers <= 1 or not can_fork():
        return work(shared, items)
    count = workers * _CHUNKS_PER_WORKER
    bounds = [len(items) * k // count for k in range(count + 1)]
    chunks = [items[a:b] for a, b in itertools.pairwise(bounds)]
    return [result for part in map_forked(work, shared, chunks, workers) for result in part]


def map_forked(
    work: Callable[[Shared, Chunk], Result],
    shared: Shared,
    chunks: Sequence[Chunk],
    workers: int,
) -> list[Result]:
    """[work(shared, chunk) for chunk in chunks], in order: on this process and `workers - 1`
    forked ones.

    The workers are given the chunks from the last back; this process takes them
    from the first on, each one a worker has not started yet (a future not yet
    handed to a worker can still be cancelled), and stops at the first it cannot
    take: every later one was handed out before it. Results and failures are
    then taken in order, so the first chunk that fails, in order, is the one
    raised, as in one process.
    """
    global _job
    _job = (work, shared)
    try:
        with (
            _collector_paused(),
            ProcessPoolExecutor(workers - 1, mp_context=get_context("fork")) as pool,
        ):
            futures = [pool.submit(_run, chunk) for chunk in reversed(chunks)][::-1]
            try:
                return _taken_in_turn(work, shared, chunks, futures)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        _job = None


def _taken_in_turn(
    work: Callable[[Shared, Chunk], Result],
    shared: Shared,
    chunks: Sequence[Chunk],
    futures: list[Future[Result]],
) -> list[Result]:
    """The chunks' results in order: those this process takes back from the workers done
    here, the others as the workers send them."""
    results: list[Result] = []
    for chunk, future in zip(chunks, futures, strict=True):
        if not future.cancel():
            break
        results.append(work(shared, chunk))
    results.extend(future.result() for future in futures[len(results) :])
    return results


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused here, and so in the workers forked meanwhile.

    The data shared and the results are plain values by the million (a plan's
    positions), free of cycles: each collection would walk all of them, in the
    workers writing to every page they share with this process. Reading back a
    plan's built features took two to three times as long with it running
    (measured); reference counting still frees everything. The chunks this
    process takes run paused too: they make the same values.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(chunk: Any) -> Any:
    assert _job is not None, "a worker runs only in a process forked by map_forked"
    work, shared = _job
    return work(shared, chunk)
