"""Checking a draft plan: every conflict among its zones and activities.

The pairs whose volume boxes meet (`rules/candidates.py`) are decided by the
exact rule. A large plan is decided on every core: worker processes forked
from this one (so they hold the parsed and built plan without copying it)
each take chunks of the pairs and send back only the conflicts they found. A
failure in any worker fails the whole check with the worker's own error, as
it would in one process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context

from deconflict.rules.candidates import Pairs, meeting_pairs, volume_boxes
from deconflict.rules.conflicts import Conflict, conflict_between
from deconflict.rules.feature import Feature

# Below this many candidate pairs one process decides them sooner than forking takes.
_PARALLEL_FROM_PAIRS = 4_000
# Chunks per worker: small enough that a worker that drew the slow pairs is helped out.
_CHUNKS_PER_WORKER = 8

# The plan a forked worker decides pairs of (set in the parent just before it forks).
_forked_plan: Sequence[Feature] = ()


def check_plan(features: Sequence[Feature], workers: int | None = None) -> list[Conflict]:
    """Every conflict among `features`, sorted by ids: the pairs whose volume boxes meet,
    decided by the rule, on `workers` processes (default: every core, for a large plan)."""
    pairs = meeting_pairs(volume_boxes(features))
    count = _worker_count(len(pairs)) if workers is None else workers
    if count <= 1 or not _can_fork():
        found = _decided(features, pairs)
    else:
        found = _decided_in_workers(features, pairs, count)
    return sorted(found, key=lambda c: c.ids)


def _decided(features: Sequence[Feature], pairs: Pairs) -> list[Conflict]:
    decided = (conflict_between(features[i], features[j]) for i, j in pairs.tolist())
    return [conflict for conflict in decided if conflict is not None]


def _decided_in_workers(features: Sequence[Feature], pairs: Pairs, workers: int) -> list[Conflict]:
    global _forked_plan
    chunks = [pairs[k :: workers * _CHUNKS_PER_WORKER] for k in range(workers * _CHUNKS_PER_WORKER)]
    _forked_plan = features
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            return [c for found in pool.map(_decided_in_worker, chunks) for c in found]
    finally:
        _forked_plan = ()


def _decided_in_worker(pairs: Pairs) -> list[Conflict]:
    return _decided(_forked_plan, pairs)


def _worker_count(pairs: int) -> int:
    if pairs < _PARALLEL_FROM_PAIRS:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _can_fork() -> bool:
    """Forking is safe only from a process with one thread (a lock held by another thread
    would stay held in the child for ever), and only where the platform forks."""
    return "fork" in get_all_start_methods() and threading.active_count() == 1
