"""Boxes over runs of edges, level by level: the few edge pairs that may hold a least distance.

A chord is never longer than the geodesic between its ends, so the straight
gap between two Earth-centred boxes is a lower bound of the geodesic distance
between anything they hold (and, far apart, `geodesic_floor_m` of it). Edges
come in runs (a ring, a path) whose neighbours lie side by side, so boxing
consecutive edges two by two, then those boxes two by two, gives a tree whose
boxes stay tight. Two trees are walked together from the deepest levels
whose nodes make a few dozen pairs (the levels above cost a call each): a pair of
boxes farther apart than a distance already attained (or than the cut-off)
cannot hold the least distance and is dropped with everything below it; the
rest are opened one level down (two while so few remain that numpy's cost per
call, not per pair, dominates). What is left at the bottom is a short list of
(edge, edge) or (point, edge) pairs for the exact geodesic search.

Thousands of kilometres apart a chord falls short of the geodesic by
kilometres, too much to drop anything; there every pair is also bounded by
the geodesic between a point of each less how far each run reaches along
itself from that point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from deconflict.geo.ellipsoid import geodesic_floor_m

Floats = NDArray[np.float64]
Indices = NDArray[np.intp]
Bools = NDArray[np.bool_]

# Distances attained between actual points, taken each level from the pairs of boxes
# nearest each other: they tighten the bound that drops the other pairs.
_PROBES_PER_LEVEL = 4
# Rounding in boxes of Earth-centred metres (about 6.4e6): far below a millimetre.
_GAP_SLACK_M = 1e-6
# Beyond this distance attained, pairs are bounded by geodesics too (a chord then falls
# short of the geodesic by a kilometre or more).
_FAR_M = 1_000_000.0
# Up to this many pairs a level is opened twice before its boxes are measured: numpy's
# cost per call dwarfs its cost per pair at this size (128 against 16: the p99 of two rings
# near each other a tenth lower, other pairs unchanged, measured alternately).
_FEW_PAIRS = 128
# The walk starts with every pair of nodes of the deepest levels holding at most this many
# pairs: measuring them all costs one call, as measuring the root pair does.
_START_PAIRS = 64
# Up to this many pairs of leaves below what is left, they are all measured in one step:
# one call over them costs less than walking the levels down to them.
_LEAF_PAIRS = 1024


@dataclass(frozen=True)
class BoxTree:
    """Axis-aligned boxes in Earth-centred metres over runs of consecutive items.

    Level 0 boxes one item each; node i of level k boxes items
    [i * 2**k, (i + 1) * 2**k) (the last node of a level holds what is left),
    so it boxes nodes 2i and 2i + 1 of level k - 1. The last level is one box
    around everything. Only the items' boxes are made up front; a level's are
    made from them the first time a walk reaches it, in two calls: most walks
    visit a few levels near where they start and the bottom, and for a shape
    of a few hundred edges numpy's cost per call, not per box, is what counts.
    """

    # One row per item: the low corner (x, y, z), then the high one.
    leaves: Floats
    # Per edge, a bound of its length, and whether the next edge starts where it ends
    # (None for unconnected points).
    length_m: Floats | None = None
    joined: Bools | None = None
    # The levels above the leaves made so far, by level.
    _made: dict[int, Floats] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of_boxes(
        cls, low: Floats, high: Floats, length_m: Floats | None = None, joined: Bools | None = None
    ) -> BoxTree:
        """The tree over items boxed by rows of `low` and `high` (n x 3, metres).

        For edges, `length_m` bounds each one's length and `joined[k]` says edge
        k + 1 starts where edge k ends; a run is reached along only while its
        edges are joined. Without them the items are unconnected points.
        """
        return cls(np.hstack((low, high)), length_m, joined)

    def boxes(self, level: int) -> Floats:
        """The boxes of `level`, one row per node (low corner, then high corner)."""
        if level == 0:
            return self.leaves
        made = self._made.get(level)
        if made is None:
            # The least and greatest of each node's items: exact, so the same boxes as
            # boxing the level below two by two.
            first = np.arange(0, len(self.leaves), 1 << level)
            made = np.empty((first.size, 6))
            np.minimum.reduceat(self.leaves[:, :3], first, axis=0, out=made[:, :3])
            np.maximum.reduceat(self.leaves[:, 3:], first, axis=0, out=made[:, 3:])
            self._made[level] = made
        return made

    def nodes(self, level: int) -> int:
        """How many nodes `level` has (level 0: one per item)."""
        return -(-len(self.leaves) >> level)

    @cached_property
    def reach_m(self) -> tuple[Floats, ...]:
        """Per level, per node: how far (metres, along the run) its items reach from its
        first item's start. Only walks thousands of kilometres apart need it, so it is
        worked out on first use."""
        reach = [np.zeros(self.nodes(0)) if self.length_m is None else self.length_m]
        for level in range(self.top):
            below = reach[-1]
            pairs = len(below) // 2
            up = _joined_reach(below, pairs, level, self.joined)
            if len(below) % 2:
                carried = below[-1:] if self.joined is not None else np.full(1, np.inf)
                up = np.concatenate((up, carried))
            reach.append(up)
        return tuple(reach)

    @property
    def top(self) -> int:
        """The level of the root."""
        return max(len(self.leaves) - 1, 0).bit_length()

    def children(self, level: int, node: Indices) -> tuple[Indices, Indices]:
        """(parent position, child) for every child of `node` (level >= 1) that exists."""
        child = np.concatenate((2 * node, 2 * node + 1))
        parent = np.concatenate((np.arange(node.size), np.arange(node.size)))
        exists = child < self.nodes(level - 1)
        return parent[exists], child[exists]


def _joined_reach(below: Floats, pairs: int, level: int, joined: Bools | None) -> Floats:
    """Reach of the first `pairs` nodes one level up from level `level`: both halves' when
    the left half's last item joins the right half's first, else unbounded."""
    if joined is None:
        return np.full(pairs, np.inf)
    seam = (np.arange(1, 2 * pairs, 2) << level) - 1  # the left half's last item
    reach: Floats = np.where(
        joined[seam], below[0 : 2 * pairs : 2] + below[1 : 2 * pairs : 2], np.inf
    )
    return reach


@dataclass(frozen=True)
class NearPairs:
    """Leaf pairs that may hold the least distance, and the least distance attained so far."""

    first: Indices
    second: Indices
    attained_m: float


# attained(i, j): geodesic distances between an actual point of leaf i[k] of the first
# tree and one of leaf j[k] of the second.
Attained = Callable[[Indices, Indices], Floats]


def near_pairs(
    first: BoxTree, second: BoxTree, attained: Attained, cutoff_m: float, enough_m: float
) -> NearPairs:
    """The leaf pairs of two trees whose boxes are within the least distance attained.

    Pairs farther apart than `cutoff_m` are dropped too; once a distance at or
    below `enough_m` is attained the walk stops with no pairs (that is enough).
    """
    i, level_i, j, level_j = _start(first, second)
    best = math.inf
    while True:
        gap = _gaps(first, level_i, i, second, level_j, j)
        if best > _FAR_M:  # every pair measured (so no probe needed)
            along = attained(i << level_i, j << level_j)
            best = min(best, float(along.min()))
            if best > _FAR_M:  # far apart: bounded along their runs too
                reach = first.reach_m[level_i][i] + second.reach_m[level_j][j]
                gap = np.maximum(gap, along - reach)
        else:
            best = min(best, _probe(attained, gap, i << level_i, j << level_j))
        if best <= enough_m:
            return NearPairs(i[:0], j[:0], best)
        keep = gap <= min(best, cutoff_m) + _GAP_SLACK_M
        i, j = i[keep], j[keep]
        if i.size == 0 or (level_i == 0 and level_j == 0):
            return NearPairs(i, j, best)
        leaves = _leaves(first, level_i, i, second, level_j, j) if best <= _FAR_M else None
        if leaves is not None:
            # Few enough leaves below: all their pairs in one step, not level by level.
            i, j = leaves
            level_i = level_j = 0
            continue
        i, level_i, j, level_j = _open(first, level_i, i, second, level_j, j)
        if i.size <= _FEW_PAIRS and (level_i > 0 or level_j > 0):
            # Measuring a few pairs costs what measuring many more does: skip a level.
            i, level_i, j, level_j = _open(first, level_i, i, second, level_j, j)


def _start(first: BoxTree, second: BoxTree) -> tuple[Indices, int, Indices, int]:
    """Every pair of nodes of the deepest levels (opened as `_open` opens them) that hold
    at most _START_PAIRS pairs: the levels above would be walked one call each."""
    level_i, level_j = first.top, second.top
    while level_i > 0 or level_j > 0:
        down_i = level_i - 1 if level_i >= level_j and level_i > 0 else level_i
        down_j = level_j - 1 if level_j >= level_i and level_j > 0 else level_j
        if first.nodes(down_i) * second.nodes(down_j) > _START_PAIRS:
            break
        level_i, level_j = down_i, down_j
    count_i, count_j = first.nodes(level_i), second.nodes(level_j)
    i = np.repeat(np.arange(count_i, dtype=np.intp), count_j)
    j = np.tile(np.arange(count_j, dtype=np.intp), count_i)
    return i, level_i, j, level_j


def _leaf_counts(tree: BoxTree, level: int, node: Indices) -> tuple[Indices, Indices]:
    """(first leaf, number of leaves) under each node of `level`."""
    start = node << level
    count: Indices = np.minimum(start + (1 << level), tree.nodes(0)) - start
    return start, count


def _leaves(
    first: BoxTree, level_i: int, i: Indices, second: BoxTree, level_j: int, j: Indices
) -> tuple[Indices, Indices] | None:
    """Every pair of leaves under the node pairs (i[k], j[k]), or None when there are more
    than _LEAF_PAIRS of them."""
    start_i, count_i = _leaf_counts(first, level_i, i)
    start_j, count_j = _leaf_counts(second, level_j, j)
    total = count_i * count_j
    if int(total.sum()) > _LEAF_PAIRS:
        return None
    pair = np.repeat(np.arange(i.size), total)
    offset = np.arange(pair.size) - np.repeat(np.cumsum(total) - total, total)
    width = count_j[pair]
    return start_i[pair] + offset // width, start_j[pair] + offset % width


def _open(
    first: BoxTree, level_i: int, i: Indices, second: BoxTree, level_j: int, j: Indices
) -> tuple[Indices, int, Indices, int]:
    """The pairs one level down: the higher node of each pair opened (both when level),
    so boxes shrink evenly."""
    open_i, open_j = level_i >= level_j and level_i > 0, level_j >= level_i and level_j > 0
    if open_i:
        parent, i = first.children(level_i, i)
        j, level_i = j[parent], level_i - 1
    if open_j:
        parent, j = second.children(level_j, j)
        i, level_j = i[parent], level_j - 1
    return i, level_i, j, level_j


def _gaps(
    first: BoxTree, level_i: int, i: Indices, second: BoxTree, level_j: int, j: Indices
) -> Floats:
    """Geodesic lower bounds from the straight gaps between box first[level_i][i[k]] and
    second[level_j][j[k]]."""
    a, b = first.boxes(level_i).take(i, axis=0), second.boxes(level_j).take(j, axis=0)
    apart = np.maximum(b[:, :3] - a[:, 3:], a[:, :3] - b[:, 3:])
    np.maximum(apart, 0.0, out=apart)
    return geodesic_floor_m(np.sqrt(np.einsum("ij,ij->i", apart, apart)))


def _probe(attained: Attained, gap: Floats, leaf_i: Indices, leaf_j: Indices) -> float:
    """The least distance attained between a few of the pairs whose boxes are nearest."""
    if gap.size > _PROBES_PER_LEVEL:
        nearest = np.argpartition(gap, _PROBES_PER_LEVEL - 1)[:_PROBES_PER_LEVEL]
        leaf_i, leaf_j = leaf_i[nearest], leaf_j[nearest]
    return float(attained(leaf_i, leaf_j).min())


@dataclass(frozen=True)
class Closest:
    """Per row: the straight gap between two segments, and where along each it is (0 to 1)."""

    gap_m: Floats
    along_first: Floats
    along_second: Floats


def segment_gaps_m(p0: Floats, p1: Floats, q0: Floats, q1: Floats) -> Floats:
    """Least straight-line distance between segment p0[k]-p1[k] and q0[k]-q1[k], per row k."""
    return segment_closest(p0, p1, q0, q1).gap_m


def segment_closest(p0: Floats, p1: Floats, q0: Floats, q1: Floats) -> Closest:
    """The closest points of segment p0[k]-p1[k] and q0[k]-q1[k], per row k.

    Rows of Earth-centred metres; a segment may be a point (p0 == p1). The
    closest points are found by clamping in the order that is exact for
    parallel segments too (Eberly, "Distance between two line segments").
    """
    p0, p1, q1 = p0 - q0, p1 - q0, q1 - q0  # about q0: small numbers, little rounding
    d1, d2, r = p1 - p0, q1, p0
    a, e = _dot(d1, d1), _dot(d2, d2)
    b, c, f = _dot(d1, d2), _dot(d1, r), _dot(d2, r)
    denominator = a * e - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(denominator > 1e-12 * a * e, np.clip((b * f - c * e) / denominator, 0, 1), 0)
        t = np.where(e > 0, (b * s + f) / e, 0.0)
        s_at_0 = np.where(a > 0, np.clip(-c / a, 0, 1), 0.0)
        s_at_1 = np.where(a > 0, np.clip((b - c) / a, 0, 1), 0.0)
    s = np.where((t < 0) | (e == 0), s_at_0, np.where(t > 1, s_at_1, s))
    t = np.clip(t, 0, 1)
    apart = r + s[:, None] * d1 - t[:, None] * d2
    return Closest(np.sqrt(_dot(apart, apart)), s, t)


def _dot(u: Floats, v: Floats) -> Floats:
    product: Floats = (u * v).sum(axis=1)
    return product
