"""Geodesic distance between shapes on the WGS84 ellipsoid, in metres.

Circles and corridors are decided on their centre and centre line: the
distance between two shapes is the distance between their cores less both
reaches, never a polygon that approximates them. Distances between points
come from the geodesic inverse problem (Karney's algorithm in PROJ, exact to
nanometres). Edges are straight in lon/lat, so the distance to an edge is a
one-dimensional minimum: the edge is sampled every kilometre, the Lipschitz
bound of each stretch proves which stretches cannot hold the minimum, and
the search zooms in on the rest. All work is vectorised over (point, edge)
pairs.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.geo.edges import Edges, Floats
from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.shapes import Area, Circle, Corridor, Shape

Indices = NDArray[np.intp]

_SAMPLE_STEP_M = 1000.0
_MAX_SAMPLES_PER_EDGE = 20_000
_ZOOM_POINTS = 9
# A stretch narrower than this (in metres along the edge) is done: the distance
# near a minimum is flat, so its error is far below a millimetre.
_ZOOM_DONE_M = 1e-3


def geodesic_distance_m(a: Shape, b: Shape) -> float:
    """Geodesic distance in metres between two shapes; 0 when they touch or overlap.

    Across the pole and across the antimeridian like anywhere else:

    >>> round(geodesic_distance_m(Circle((0.0, 89.0), 1000.0), Circle((180.0, 89.0))))
    222388
    >>> round(geodesic_distance_m(Circle((179.9, 0.0), 5000.0), Circle((-179.9, 0.0), 5000.0)))
    12264
    """
    return max(0.0, _core_distance_m(a, b, math.inf) - a.reach_m - b.reach_m)


def distance_within_m(a: Shape, b: Shape, limit_m: float) -> float | None:
    """The distance between `a` and `b` if it is at most `limit_m` metres, else None.

    Cheaper than `geodesic_distance_m` for shapes far apart: the search stops
    as soon as it proves the distance exceeds the limit.
    """
    core_limit = limit_m + a.reach_m + b.reach_m
    core = _core_distance_m(a, b, core_limit)
    if core > core_limit:
        return None
    return max(0.0, core - a.reach_m - b.reach_m)


def _core_distance_m(a: Shape, b: Shape, cutoff_m: float) -> float:
    """Distance between the cores; a value above `cutoff_m` means only "beyond it"."""
    if isinstance(b, Circle):
        a, b = b, a
    if isinstance(a, Circle):
        return _point_to_shape_m(a.centre, b, cutoff_m)
    assert isinstance(b, (Corridor, Area))
    if a.planar.intersects(b.planar):
        return 0.0
    return edges_to_edges_m(a.edges, b.edges, cutoff_m)


def _point_to_shape_m(point: tuple[float, float], shape: Shape, cutoff_m: float) -> float:
    lon, lat = np.array([point[0]]), np.array([point[1]])
    if isinstance(shape, Circle):
        return float(
            _inverse_m(lon, lat, np.array([shape.centre[0]]), np.array([shape.centre[1]]))[0]
        )
    if isinstance(shape, Area) and shape.planar.covers(shapely.Point(point)):
        return 0.0
    return float(points_to_edges_m(lon, lat, shape.edges, cutoff_m)[0])


def _inverse_m(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> Floats:
    distance: Floats = np.asarray(WGS84.inv(lon1, lat1, lon2, lat2)[2], dtype=np.float64)
    return distance


def points_to_edges_m(lon: Floats, lat: Floats, edges: Edges, cutoff_m: float = math.inf) -> Floats:
    """Least geodesic distance in metres from each point to any of `edges`.

    A result above `cutoff_m` only says that point's distance exceeds it.
    """
    n_points, n_edges = lon.size, len(edges)
    point = np.repeat(np.arange(n_points), n_edges)
    edge = np.tile(np.arange(n_edges), n_points)
    to_a = _inverse_m(lon[point], lat[point], edges.a_lon[edge], edges.a_lat[edge])
    to_b = _inverse_m(lon[point], lat[point], edges.b_lon[edge], edges.b_lat[edge])
    best: Floats = np.minimum(to_a, to_b).reshape(n_points, n_edges).min(axis=1)
    # No point of an edge is nearer than (d(P, A) + d(P, B) - its length) / 2.
    bound = (to_a + to_b - edges.speed_m[edge]) / 2
    hopeful = bound < np.minimum(best, cutoff_m)[point]
    return _search_edges(lon, lat, edges, point[hopeful], edge[hopeful], best, cutoff_m)


def _search_edges(
    lon: Floats,
    lat: Floats,
    edges: Edges,
    point: Indices,
    edge: Indices,
    best: Floats,
    cutoff_m: float,
) -> Floats:
    """Sample each (point, edge) pair along the edge, then zoom in on its basins."""
    if point.size == 0:
        return best
    samples = np.clip(np.ceil(edges.speed_m[edge] / _SAMPLE_STEP_M), 1, _MAX_SAMPLES_PER_EDGE)
    counts = samples.astype(np.intp) + 1
    pair = np.repeat(np.arange(point.size), counts)
    step = np.repeat(1.0 / samples, counts)
    t = (np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)) * step
    sample_point, sample_edge = point[pair], edge[pair]
    f = _distance_to_edge_points(lon, lat, sample_point, edges, sample_edge, t)
    np.minimum.at(best, sample_point, f)
    travel = edges.speed_m[sample_edge] * step
    centre = _basins(f, pair, travel, np.minimum(best, cutoff_m)[sample_point])
    low = np.maximum(t[centre] - step[centre], 0.0)
    high = np.minimum(t[centre] + step[centre], 1.0)
    rows = sample_point[centre], sample_edge[centre]
    found = _zoom_on_edges(lon, lat, rows[0], edges, rows[1], low, high)
    np.minimum.at(best, rows[0], found)
    return best


def _basins(f: Floats, group: Indices, travel_m: Floats, limit_m: Floats) -> Indices:
    """Samples that are a local least of `f` within their group and may still beat the limit.

    `travel_m` is how far the curve moves from a sample to the next, so no
    point of the stretch on either side of a sample is nearer than
    f - travel_m (Lipschitz). Among stretches that may beat the limit, the
    minimum lies beside a sample that is a local least: the curves are smooth
    on the scale of one sampling step.
    """
    prev_same = np.concatenate(([False], group[1:] == group[:-1]))
    next_same = np.concatenate((group[:-1] == group[1:], [False]))
    f_prev = np.where(prev_same, np.roll(f, 1), np.inf)
    f_next = np.where(next_same, np.roll(f, -1), np.inf)
    local = (f <= f_prev) & (f <= f_next)
    return np.flatnonzero(local & (f - travel_m < limit_m))


def _zoom_on_edges(
    lon: Floats,
    lat: Floats,
    point: Indices,
    edges: Edges,
    edge: Indices,
    t0: Floats,
    t1: Floats,
) -> Floats:
    """Least distance from each point to its edge within [t0, t1], by repeated narrowing."""
    fractions = np.linspace(0.0, 1.0, _ZOOM_POINTS)
    speed = edges.speed_m[edge]
    best = np.full(point.size, np.inf)
    while point.size:
        ts = t0[:, None] + (t1 - t0)[:, None] * fractions[None, :]
        f = _distance_to_edge_points(
            lon,
            lat,
            np.repeat(point, _ZOOM_POINTS),
            edges,
            np.repeat(edge, _ZOOM_POINTS),
            ts.ravel(),
        ).reshape(ts.shape)
        best = np.minimum(best, f.min(axis=1))
        if float(((t1 - t0) * speed).max()) < _ZOOM_DONE_M:
            break
        t0, t1 = _narrow(ts, f)
    return best


def _narrow(ts: Floats, f: Floats) -> tuple[Floats, Floats]:
    """Each row's interval shrunk to the neighbours of its least sample."""
    j = np.argmin(f, axis=1)
    rows = np.arange(j.size)
    last = ts.shape[1] - 1
    return ts[rows, np.maximum(j - 1, 0)], ts[rows, np.minimum(j + 1, last)]


def _distance_to_edge_points(
    lon: Floats, lat: Floats, point: Indices, edges: Edges, edge: Indices, t: Floats
) -> Floats:
    q_lon, q_lat = edges.at(edge, t)
    return _inverse_m(lon[point], lat[point], q_lon, q_lat)


def edges_to_edges_m(first: Edges, second: Edges, cutoff_m: float = math.inf) -> float:
    """Least geodesic distance in metres between two sets of edges that do not cross.

    A result above `cutoff_m` only says the distance exceeds it.
    """
    if float(first.speed_m.sum()) > float(second.speed_m.sum()):
        # Each sample of the outer set costs an inner search: walk the shorter set.
        first, second = second, first
    best, hopeful = _prune_edge_pairs(first, second, cutoff_m)
    if hopeful.size == 0:
        return best
    samples = np.clip(np.ceil(first.speed_m[hopeful] / _SAMPLE_STEP_M), 1, _MAX_SAMPLES_PER_EDGE)
    counts = samples.astype(np.intp) + 1
    edge = np.repeat(hopeful, counts)
    step = np.repeat(1.0 / samples, counts)
    s = (np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts)) * step
    g = _along_first(first, edge, s, second, cutoff_m)
    best = min(best, float(g.min()))
    # Values beyond the cutoff are only known to exceed it: bound with the cutoff.
    known = np.minimum(g, cutoff_m)
    limit = np.full(g.size, min(best, cutoff_m))
    centre = _basins(known, edge, first.speed_m[edge] * step, limit)
    if centre.size == 0:
        return best
    low = np.maximum(s[centre] - step[centre], 0.0)
    high = np.minimum(s[centre] + step[centre], 1.0)
    return min(best, _zoom_along_first(first, edge[centre], low, high, second))


def _along_first(first: Edges, edge: Indices, s: Floats, second: Edges, cutoff_m: float) -> Floats:
    lon, lat = first.at(edge, s)
    return points_to_edges_m(lon, lat, second, cutoff_m)


def _zoom_along_first(first: Edges, edge: Indices, s0: Floats, s1: Floats, second: Edges) -> float:
    fractions = np.linspace(0.0, 1.0, _ZOOM_POINTS)
    speed = first.speed_m[edge]
    best = math.inf
    while True:
        ss = s0[:, None] + (s1 - s0)[:, None] * fractions[None, :]
        g = _along_first(first, np.repeat(edge, _ZOOM_POINTS), ss.ravel(), second, math.inf)
        g = g.reshape(ss.shape)
        best = min(best, float(g.min()))
        if float(((s1 - s0) * speed).max()) < _ZOOM_DONE_M:
            return best
        s0, s1 = _narrow(ss, g)


def _prune_edge_pairs(first: Edges, second: Edges, cutoff_m: float) -> tuple[float, Indices]:
    """Best end-to-end distance, and the edges of `first` that may still beat it."""
    n, m = len(first), len(second)
    total = np.zeros((n, m))
    best = math.inf
    for lon1, lat1 in ((first.a_lon, first.a_lat), (first.b_lon, first.b_lat)):
        for lon2, lat2 in ((second.a_lon, second.a_lat), (second.b_lon, second.b_lat)):
            d = _inverse_m(
                np.repeat(lon1, m), np.repeat(lat1, m), np.tile(lon2, n), np.tile(lat2, n)
            ).reshape(n, m)
            total += d
            best = min(best, float(d.min()))
    # For X on edge i and Y on edge j: d(X, Y) >= (sum of the four end-to-end
    # distances - 2 len_i - 2 len_j) / 4, by the triangle inequality.
    bound = (total - 2 * first.speed_m[:, None] - 2 * second.speed_m[None, :]) / 4
    return best, np.flatnonzero((bound < min(best, cutoff_m)).any(axis=1))
