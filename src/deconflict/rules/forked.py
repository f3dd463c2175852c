"""Pure work on data already in memory, spread over every core by forking.

Workers are forked from the process that holds the data, so they read it
without a copy; only each chunk's description goes to a worker and only its
result comes back. An exception in a worker is raised again in the caller, as
if the work had run there.

Forking is safe only from a process with a single thread: a lock another
thread held at the fork would stay held in the child for ever. Callers ask
`can_fork` first and do the work in their own process otherwise.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any, TypeVar

Shared = TypeVar("Shared")
Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

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


def map_forked(
    work: Callable[[Shared, Chunk], Result],
    shared: Shared,
    chunks: Sequence[Chunk],
    workers: int,
) -> list[Result]:
    """[work(shared, chunk) for chunk in chunks], on `workers` forked processes, in order."""
    global _job
    _job = (work, shared)
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            return list(pool.map(_run, chunks))
    finally:
        _job = None


def _run(chunk: Any) -> Any:
    assert _job is not None, "a worker runs only in a process forked by map_forked"
    work, shared = _job
    return work(shared, chunk)
