"""Checking a draft plan: every conflict among its zones and activities.

The pairs whose volume boxes meet (`rules/candidates.py`) are decided by the
exact rule. A large plan is decided on every core: worker processes forked
from this one (so they hold the parsed and built plan without copying it)
each take chunks of the pairs and send back only the conflicts they found. A
failure in any worker fails the whole check with the worker's own error, as
it would in one process.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from deconflict.rules.candidates import Boxes, Pairs, meeting_pairs, volume_boxes
from deconflict.rules.conflicts import Conflict, conflict_between
from deconflict.rules.feature import Feature
from deconflict.rules.forked import map_chunks, workers_for

# Below this many candidate pairs one process decides them sooner than forking takes.
_PARALLEL_FROM_PAIRS = 4_000


def check_plan(features: Sequence[Feature], workers: int | None = None) -> list[Conflict]:
    """Every conflict among `features`, sorted by ids: the pairs whose volume boxes meet,
    decided by the rule, on `workers` processes (default: every core, for a large plan)."""
    boxes = volume_boxes(features)
    pairs = meeting_pairs(boxes)
    if workers is None:
        workers = workers_for(len(pairs), _PARALLEL_FROM_PAIRS)
    if workers > 1:
        pairs = _by_place(pairs, boxes)
    found = map_chunks(_decided, features, pairs, workers)
    return sorted(found, key=lambda c: c.ids)


def _by_place(pairs: Pairs, boxes: Boxes) -> Pairs:
    """The pairs in the order of their first feature along a curve through space.

    Each worker takes runs of pairs; in this order a run's features lie close
    together, so most shapes are built and prepared for the exact rule in one
    worker, not in every one (in plan order each worker would touch nearly all).
    """
    centre = (boxes[:, 0:6:2] + boxes[:, 1:6:2]) / 2.0
    low, high = centre.min(axis=0), centre.max(axis=0)
    cells = ((centre - low) / np.maximum(high - low, 1.0) * 1023.0).astype(np.int64)
    order = _morton(cells)
    return pairs[np.argsort(order[pairs[:, 0]], kind="stable")]


def _morton(cells: NDArray[np.int64]) -> NDArray[np.int64]:
    """The Z-order code of each row's three 10-bit cell numbers: near codes, near cells."""
    code = np.zeros(len(cells), dtype=np.int64)
    for bit in range(10):
        for axis in range(3):
            code |= ((cells[:, axis] >> bit) & 1) << (3 * bit + axis)
    return code


def _decided(features: Sequence[Feature], pairs: Pairs) -> list[Conflict]:
    decided = (conflict_between(features[i], features[j]) for i, j in pairs.tolist())
    return [conflict for conflict in decided if conflict is not None]
