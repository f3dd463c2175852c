"""A shape's edges and box tree are made as they were made one level at a time, to the bit.

`Edges.of_arrays` works out both bounds of each edge from one set of
differences, converts both ends to Earth-centred metres in one call, and
`BoxTree` makes a level's boxes from the leaves the first time a walk reaches
it. Each must give exactly what the earlier way gave (written out here as it
was): every search and every decision is made from these numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from deconflict.geo.edges import Edges, Floats
from deconflict.geo.ellipsoid import MAX_CURVATURE_RADIUS_M, ecef_array_m
from deconflict.geo.hierarchy import BoxTree

_SECOND_DERIVATIVE_M = MAX_CURVATURE_RADIUS_M * 1.001


def _nearest_equator_deg(a: Floats, b: Floats) -> Floats:
    crosses_equator = np.sign(a[:, 1]) != np.sign(b[:, 1])
    nearest: Floats = np.where(crosses_equator, 0.0, np.minimum(np.abs(a[:, 1]), np.abs(b[:, 1])))
    return nearest


def _speed_before(a: Floats, b: Floats) -> Floats:
    d_lon = np.radians(b[:, 0] - a[:, 0])
    d_lat = np.radians(b[:, 1] - a[:, 1])
    cos_max = np.cos(np.radians(_nearest_equator_deg(a, b)))
    speed = MAX_CURVATURE_RADIUS_M * np.hypot(d_lat, cos_max * d_lon)
    result: Floats = speed * (1 + 1e-9) + 1e-6
    return result


def _sag_before(a: Floats, b: Floats) -> Floats:
    d_lon = np.abs(np.radians(b[:, 0] - a[:, 0]))
    d_lat = np.abs(np.radians(b[:, 1] - a[:, 1]))
    cos_max = np.cos(np.radians(_nearest_equator_deg(a, b)))
    second = _SECOND_DERIVATIVE_M * (d_lat**2 + 2 * d_lat * d_lon + cos_max * d_lon**2)
    sag: Floats = second / 8
    return sag


def _pieces_before(a: Floats, b: Floats, speed: Floats, sag: Floats) -> tuple[Floats, Floats]:
    count = np.maximum(np.ceil(speed / 1000.0), np.ceil(np.sqrt(sag / 1.0)))
    count = np.maximum(count, 1).astype(np.intp)
    if int(count.max(initial=1)) == 1:
        return a, b
    edge = np.repeat(np.arange(len(a)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    step = np.arange(edge.size) - first
    t0 = (step / count[edge])[:, None]
    t1 = ((step + 1) / count[edge])[:, None]
    span = b[edge] - a[edge]
    ends = a[edge] + t1 * span
    last = step + 1 == count[edge]
    ends[last] = b[edge[last]]
    return a[edge] + t0 * span, ends


def _edges_before(xy: list[Floats]) -> tuple[Floats, ...]:
    """(a_lon, a_lat, b_lon, b_lat, speed_m, sag_m) as `Edges.of_arrays` made them."""
    a = np.concatenate([p[:-1] for p in xy])
    b = np.concatenate([p[1:] for p in xy])
    speed, sag = _speed_before(a, b), _sag_before(a, b)
    cut_a, cut_b = _pieces_before(a, b, speed, sag)
    if cut_a is not a:
        a, b = cut_a, cut_b
        speed, sag = _speed_before(a, b), _sag_before(a, b)
    return a[:, 0], a[:, 1], b[:, 0], b[:, 1], speed, sag


def _levels_before(low: Floats, high: Floats) -> list[Floats]:
    """Every level of a box tree as `BoxTree.of_boxes` made them, two by two upwards."""
    levels = [np.hstack((low, high))]
    while len(levels[-1]) > 1:
        below = levels[-1]
        pairs = len(below) // 2
        up = np.empty((pairs + len(below) % 2, 6))
        left, right = below[0 : 2 * pairs : 2], below[1 : 2 * pairs : 2]
        np.minimum(left[:, :3], right[:, :3], out=up[:pairs, :3])
        np.maximum(left[:, 3:], right[:, 3:], out=up[:pairs, 3:])
        if len(below) % 2:
            up[-1] = below[-1]
        levels.append(up)
    return levels


def _tree_before(edges: Edges) -> tuple[list[Floats], Floats]:
    """The levels of an edge tree as made before, and the joins between edges."""
    a_xyz = ecef_array_m(edges.a_lon, edges.a_lat)
    b_xyz = ecef_array_m(edges.b_lon, edges.b_lat)
    grow = (edges.sag_m + 1e-3)[:, None]
    low = np.minimum(a_xyz, b_xyz) - grow
    high = np.maximum(a_xyz, b_xyz) + grow
    joined = (edges.b_lon[:-1] == edges.a_lon[1:]) & (edges.b_lat[:-1] == edges.a_lat[1:])
    return _levels_before(low, high), np.append(joined, False)


_LON = st.one_of(st.floats(-180.0, 180.0), st.sampled_from([-180.0, -0.0, 0.0, 180.0]))
_LAT = st.one_of(st.floats(-90.0, 90.0), st.sampled_from([-90.0, -0.0, 0.0, 90.0]))
# Steps of metres to a few kilometres (as a sector's edges), or of up to ten degrees
# (edges cut into up to a thousand pieces).
_NEAR = st.tuples(st.floats(-0.05, 0.05), st.floats(-0.05, 0.05))
_FAR = st.tuples(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0))


@st.composite
def _paths(draw: st.DrawFn) -> Floats:
    """A path of 2 to 13 positions, closed or not, its steps short or long."""
    start = (draw(_LON), draw(_LAT))
    positions = [start]
    for _ in range(draw(st.integers(1, 11))):
        d_lon, d_lat = draw(_NEAR if draw(st.integers(0, 3)) else _FAR)
        lon, lat = positions[-1]
        positions.append((min(max(lon + d_lon, -180.0), 180.0), min(max(lat + d_lat, -90.0), 90.0)))
    if draw(st.booleans()):
        positions.append(start)
    return np.array(positions, dtype=np.float64).reshape(-1, 2)


def _same(new: NDArray[Any], old: NDArray[Any]) -> bool:
    """Equal to the last bit, the sign of zero included."""
    return new.shape == old.shape and new.tobytes() == old.tobytes()


@given(st.lists(_paths(), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_edges_and_every_tree_level_are_made_as_before_to_the_bit(paths: list[Floats]) -> None:
    edges = Edges.of_arrays(paths)
    fields = (edges.a_lon, edges.a_lat, edges.b_lon, edges.b_lat, edges.speed_m, edges.sag_m)
    assert all(_same(new, old) for new, old in zip(fields, _edges_before(paths), strict=True))
    assert _same(edges.a_xyz, ecef_array_m(edges.a_lon, edges.a_lat))
    assert _same(edges.b_xyz, ecef_array_m(edges.b_lon, edges.b_lat))
    levels, joined = _tree_before(edges)
    tree = edges.tree
    assert tree.top == len(levels) - 1
    # Deepest first, then from the root down, as a walk asks for them.
    for level in (0, *range(tree.top, 0, -1)):
        assert tree.nodes(level) == len(levels[level])
        assert _same(tree.boxes(level), levels[level]), level
    assert tree.joined is not None and _same(tree.joined, joined)


@given(st.integers(1, 300), st.data())
@settings(max_examples=200, deadline=None)
def test_a_level_reached_first_from_any_side_is_the_same(count: int, data: st.DataObject) -> None:
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    low = rng.uniform(-7e6, 7e6, (count, 3))
    high = low + rng.uniform(0.0, 1e4, (count, 3))
    levels = _levels_before(low, high)
    tree = BoxTree.of_boxes(low, high)
    order = data.draw(st.permutations(range(len(levels))))
    assert tree.top == math.ceil(math.log2(count)) if count > 1 else tree.top == 0
    for level in order:
        assert _same(tree.boxes(level), levels[level]), level
