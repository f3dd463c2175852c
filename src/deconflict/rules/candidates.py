"""A plan's candidate pairs, found in memory: every two features whose volume boxes meet.

A plan is checked as a whole, so its index is built in bulk rather than one
feature at a time: each feature's volume box is computed once, an STRtree over
the boxes' ECEF (x, y) rectangles proposes the pairs whose rectangles meet, and
numpy keeps those whose boxes also meet in z, time and altitude. Every interval
is closed, as in the store's R*Tree, so boxes that only touch are kept: the
index is a superset filter and the exact rule decides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.rules.conflicts import Candidates
from deconflict.rules.feature import Feature
from deconflict.rules.volume import volume_box

# One row per feature, as `volume_box` gives it: x0, x1, y0, y1, z0, z1, t0, t1, alt0, alt1.
Boxes = NDArray[np.float64]
_COLUMNS = 10
# One row per pair of positions (i, j), i < j.
Pairs = NDArray[np.intp]


def volume_boxes(features: Sequence[Feature]) -> Boxes:
    """The volume box of every feature, one row each, in the order given."""
    rows = [volume_box(feature) for feature in features]
    return np.array(rows, dtype=np.float64).reshape(len(rows), _COLUMNS)


def meeting_pairs(boxes: Boxes) -> Pairs:
    """Every pair of rows whose boxes meet in all five dimensions (closed), sorted.

    Touching counts as meeting: a box that ends where another starts is kept.
    """
    rectangles = shapely.box(boxes[:, 0], boxes[:, 2], boxes[:, 1], boxes[:, 3])
    # Without a predicate the tree compares envelopes, closed on every side: for these
    # rectangles that is exactly "they meet in x and y", with no polygon test behind it.
    first, second = shapely.STRtree(rectangles).query(rectangles)
    later = first < second
    first, second = first[later], second[later]
    low, high = boxes[:, 4::2], boxes[:, 5::2]  # z, time and altitude
    meet = np.all((low[first] <= high[second]) & (low[second] <= high[first]), axis=1)
    pairs = np.column_stack((first[meet], second[meet])).astype(np.intp)
    # In the order a check of every pair takes them, whatever order the tree found them in.
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def plan_candidates(features: Sequence[Feature]) -> Candidates:
    """For `find_conflicts`: each feature's candidates, the features whose boxes meet its own."""
    others: dict[str, list[Feature]] = {feature.id: [] for feature in features}
    for i, j in meeting_pairs(volume_boxes(features)).tolist():
        others[features[i].id].append(features[j])
        others[features[j].id].append(features[i])
    return lambda feature: others[feature.id]
