"""A plan's candidate pairs, found in memory: every two features whose volume boxes meet.

A plan is checked as a whole, so its index is built in bulk rather than one
feature at a time: each feature's volume box is computed once, an STRtree over
the boxes' rectangles in two dimensions (those in which fewest boxes meet:
ECEF x and y, mostly) proposes the pairs whose rectangles meet, and numpy keeps
those whose boxes also meet in the other three. Every interval is closed, as in
the store's R*Tree, so boxes that only touch are kept: the index is a superset
filter and the exact rule decides.

Measured on the mixed plan of 20,000 features (`benchmarks.plans`), two cores
shared: about 0.6 s to box every feature (mostly `reach_box`) and 0.2 s to pair
them, where filling and querying an in-memory SQLite R*Tree took 4 to 5 s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.rules.feature import Feature
from deconflict.rules.forked import map_chunks, workers_for
from deconflict.rules.volume import VolumeBox, is_plan_boxed, plan_box

# One row per feature, as `volume_box` gives it: x0, x1, y0, y1, z0, z1, t0, t1, alt0, alt1.
Boxes = NDArray[np.float64]
_COLUMNS = 10
# From this many features on, they are boxed on every core (forking costs more below).
_PARALLEL_FROM_FEATURES = 5_000
# One row per pair of positions (i, j), i < j.
Pairs = NDArray[np.intp]


def volume_boxes(features: Sequence[Feature]) -> Boxes:
    """The volume box of every feature, one row each, in the order given (on every core for
    a large plan).

    Sectors, orbits and tracks are boxed from their sketches, unbuilt: only those
    in a pair that reaches the exact rule are ever built. A feature boxed as it was
    read (`plan_box`) is not boxed again.
    """
    unboxed = sum(1 for feature in features if not is_plan_boxed(feature))
    workers = workers_for(unboxed, _PARALLEL_FROM_FEATURES)
    rows = map_chunks(_boxes_of, features, range(len(features)), workers)
    return np.array(rows, dtype=np.float64).reshape(len(rows), _COLUMNS)


def _boxes_of(features: Sequence[Feature], positions: range) -> list[VolumeBox]:
    return [plan_box(features[position]) for position in positions]


def meeting_pairs(boxes: Boxes) -> Pairs:
    """Every pair of rows whose boxes meet in all five dimensions (closed), sorted.

    Touching counts as meeting: a box that ends where another starts is kept.
    """
    low, high = boxes[:, 0::2], boxes[:, 1::2]
    across, along = _sparsest_dimensions(low, high)
    rectangles = shapely.box(low[:, across], low[:, along], high[:, across], high[:, along])
    # Without a predicate the tree compares envelopes, closed on every side: for these
    # rectangles that is exactly "they meet in both dimensions", with no polygon test.
    first, second = shapely.STRtree(rectangles).query(rectangles)
    later = first < second
    first, second = first[later], second[later]
    for dimension in (d for d in range(_COLUMNS // 2) if d not in (across, along)):
        lo, hi = low[:, dimension], high[:, dimension]
        meet = (lo[first] <= hi[second]) & (lo[second] <= hi[first])
        first, second = first[meet], second[meet]
    pairs = np.column_stack((first, second)).astype(np.intp)
    # In the order a check of every pair takes them, whatever order the tree found them in.
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _sparsest_dimensions(low: Boxes, high: Boxes) -> tuple[int, int]:
    """The two dimensions in which fewest pairs of intervals meet: the tree sorts by them.

    Usually x and y; time for a range booked sortie by sortie over a year at one
    place, where a tree on x and y would propose every pair of the plan.
    """
    meeting = [_meeting_count(low[:, d], high[:, d]) for d in range(low.shape[1])]
    first, second = np.argsort(meeting, kind="stable")[:2]
    return int(first), int(second)


def _meeting_count(low: NDArray[np.float64], high: NDArray[np.float64]) -> int:
    """How many ordered pairs of the closed intervals [low, high] meet, each with itself too."""
    count = len(low)
    # Each interval meets all but those starting after its end and those ending before its start.
    starting_after = count - np.searchsorted(np.sort(low), high, side="right")
    ending_before = np.searchsorted(np.sort(high), low, side="left")
    return count * count - int(starting_after.sum()) - int(ending_before.sum())
