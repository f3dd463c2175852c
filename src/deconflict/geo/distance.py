"""Geodesic distance between shapes on the WGS84 ellipsoid, in metres.

Circles and corridors are decided on their centre and centre line: the
distance between two shapes is the distance between their cores less both
reaches, never a polygon that approximates them. Distances between points
come from the geodesic inverse problem (Karney's algorithm in PROJ, exact to
nanometres).

Edges are straight in lon/lat, so the distance to an edge is a minimum over
one parameter. First, trees of boxes in Earth-centred metres over both sets
(`geo/hierarchy.py`) leave only the few (point, edge) or (edge, edge) pairs
that may hold the minimum; edges come cut into pieces of at most a kilometre
(`geo/edges.py`). Each piece is sampled every kilometre; a Lipschitz bound
proves which stretches between samples cannot hold the minimum; in the others
the minimum is where the geodesic to the edge meets it at a right angle,
found by a bracketed root search on that angle (the azimuths come free with
every geodesic). Distances between two sets of edges run the same search one
level up. All work is vectorised over pairs.

A full ring (a sector over the whole circle with an inner radius) against
another ring or a circle needs none of that: the distance follows from the
distance between their centres and their radii (`_beside_a_ring_m`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from deconflict.geo.construct import resolve
from deconflict.geo.edges import Edges, Floats
from deconflict.geo.ellipsoid import WGS84, ecef_array_m, geodesic_floor_m, inverse
from deconflict.geo.hierarchy import BoxTree, near_pairs, segment_closest
from deconflict.geo.shapes import Area, BasicShape, Circle, Corridor, LonLat, Sector, Shape

Indices = NDArray[np.intp]

_SAMPLE_STEP_M = 1000.0
_MAX_SAMPLES_PER_EDGE = 20_000
_MAX_SAMPLES_PER_BATCH = 500_000
# A bracket narrower than this (metres along the edge) is done: the distance is
# flat at its minimum, so the error left is far below a millimetre.
_ROOT_DONE_M = 1e-3
# A bracket whose floor is within this of the distance attained at its ends is done.
_ROOT_SETTLED_M = 1e-4
# Within this distance the distance from a point is convex on the surface (the
# geodesic's M21 stays near 1, far from its first zero a quarter of the way round).
_CONVEX_WITHIN_M = 1_000_000.0
_ROOT_MAX_STEPS = 60
# Half-widths (metres along the edge) of the brackets first tried around a guess.
_CLOSE_IN_M = (4e-4, 0.04, 4.0)
# Rounding in a straight gap between chords in Earth-centred metres (about 6.4e6, where a
# double resolves a nanometre): a thousand times what it can be.
_CHORD_SLACK_M = 1e-6
# Two rounds decided from their centres (`_rounds_apart_m`) this close are touching: a
# thousand times the nanometres the inverse problem is exact to.
_TOUCHING_M = 1e-6
# Once a distance attained is within this of the proven floors of every pair of pieces that
# may hold the least distance, the lowest floor is the answer: never more than the least
# distance, and at most a millimetre less, so no conflict is missed for taking it.
_SETTLED_BY_CHORDS_M = 1e-3
# Beside a shape built with a construction margin (a sector or a track: 5 to 13 cm, which
# it already stands beyond the true shape, so its distances are known no closer), a floor
# is taken once within that margin more: a pair of a ring and a kilometre-long edge then
# skips the root searches that would narrow it to a millimetre (their floors lie some
# centimetres below the distance attained, for the pieces' bows). Still never more than
# the least distance.
_SETTLED_BY_MARGIN = 1.0
# Pairs of edges, those whose chords come nearest, measured between the chords' closest
# points before the exact search: one of them holds the least distance far more often
# than not.
_LIFTED_PAIRS = 8
# A geodesic on WGS84 is the shortest path between its ends until near the antipode of its
# start (its cut locus lies on the antipodal parallel, some 19,900 km along at the least):
# the distances beside a full ring are worked out from geodesics out of its centre, taken
# only while each is at most this long.
_SHORTEST_WITHIN_M = 5_000_000.0


def geodesic_distance_m(a: Shape, b: Shape) -> float:
    """Geodesic distance in metres between two shapes; 0 when they touch or overlap.

    Across the pole and across the antimeridian like anywhere else:

    >>> round(geodesic_distance_m(Circle((0.0, 89.0), 1000.0), Circle((180.0, 89.0))))
    222388
    >>> round(geodesic_distance_m(Circle((179.9, 0.0), 5000.0), Circle((-179.9, 0.0), 5000.0)))
    12264
    """
    built_a, built_b = resolve(a), resolve(b)
    beside = _beside_a_ring_m(a, b)
    if beside is not None:
        return beside
    reaches = built_a.reach_m + built_b.reach_m
    core = _core_distance_m(
        built_a, built_b, math.inf, reaches, _settled_beside_m(built_a, built_b)
    )
    return max(0.0, core - reaches)


def distance_within_m(a: Shape, b: Shape, limit_m: float) -> float | None:
    """The distance between `a` and `b` if it is at most `limit_m` metres, else None.

    Cheaper than `geodesic_distance_m` for shapes far apart: the search stops
    as soon as it proves the distance exceeds the limit.
    """
    built_a, built_b = resolve(a), resolve(b)
    beside = _beside_a_ring_m(a, b)
    if beside is not None:
        return None if beside > limit_m else beside
    # No shortcut on boxes of the boundaries here: an area may hold the other shape
    # far from its boundary. Once the planar test has found them apart, the box trees
    # prove far pairs apart at their roots.
    reaches = built_a.reach_m + built_b.reach_m
    core_limit = limit_m + reaches
    settled_m = _settled_beside_m(built_a, built_b)
    core = _core_distance_m(built_a, built_b, core_limit, reaches, settled_m)
    if core > core_limit:
        return None
    return max(0.0, core - reaches)


@dataclass(frozen=True)
class _Round:
    """A full ring (a sector over the whole circle) or a circle: every point whose geodesic
    distance from `centre` lies between the two radii."""

    centre: LonLat
    inner_m: float
    outer_m: float


def _round(shape: Shape) -> _Round | None:
    if isinstance(shape, Circle):
        return _Round(shape.centre, 0.0, shape.radius_m)
    if isinstance(shape, Sector) and shape.span_deg == 360.0:
        return _Round(shape.origin, shape.inner_m, shape.outer_m)
    return None


def _is_ring(shape: Shape) -> bool:
    """A sector over the whole circle with an inner radius (one without is a circle)."""
    return isinstance(shape, Sector) and shape.span_deg == 360.0 and shape.inner_m > 0.0


def _beside_a_ring_m(a: Shape, b: Shape) -> float | None:
    """The distance between a full ring and another ring or a circle, from their centres
    alone; None for any other pair, or rings too large for it.

    For a ring A (centre c, radii r to R), a point p in its hole (d(c, p) < r) is
    exactly r - d(c, p) from A, and a point beyond its outer circle exactly
    d(c, p) - R: the triangle inequality bounds each from below, and the
    geodesic from c through p, stopped at r or at R, attains it. A ring or a
    circle B (centre e metres from c, radii r' to R', r' = 0 for a circle) holds
    points from r' - e (or 0, or e - R') to R' + e from c, every value between
    attained along the geodesic through both centres or on the way round. So B
    lies in A's hole, 0 from A (it meets A), or wholly beyond A's outer circle;
    the same from B's side; and the distance is the largest of r - R' - e,
    r' - R - e, e - R - R' and 0. Each of those is a lower bound by the
    triangle inequality alone; the geodesics that attain them are the shortest
    paths while within _SHORTEST_WITHIN_M. Exact to the nanometres of the
    inverse problem, where the edges of two built rings nearly concentric keep
    thousands of pairs of pieces within a few metres of the least distance.
    """
    if not (_is_ring(a) or _is_ring(b)):
        return None
    round_a, round_b = _round(a), _round(b)
    if round_a is None or round_b is None:
        return None
    return _rounds_apart_m(round_a, round_b)


def _rounds_apart_m(a: _Round, b: _Round) -> float | None:
    """The distance between two rounds (`_beside_a_ring_m`); None where a geodesic it rests
    on would be longer than _SHORTEST_WITHIN_M."""
    lon1, lat1 = a.centre
    lon2, lat2 = b.centre
    apart = float(WGS84.inv(lon1, lat1, lon2, lat2)[2])
    if apart + max(a.outer_m, b.outer_m) > _SHORTEST_WITHIN_M:
        return None
    in_a_hole = a.inner_m - b.outer_m - apart
    in_b_hole = b.inner_m - a.outer_m - apart
    outside = apart - a.outer_m - b.outer_m
    gap = max(in_a_hole, in_b_hole, outside)
    # Rounds that touch (a point on a ring's inner edge) give the inverse problem's rounding,
    # some 1e-13 m either way: a gap within _TOUCHING_M is touching, never a miss.
    return 0.0 if gap <= _TOUCHING_M else gap


def _settled_beside_m(a: BasicShape, b: BasicShape) -> float:
    """How much further than _SETTLED_BY_CHORDS_M a floor may lie below the distance
    attained and be taken: the larger construction margin of the two (0 for shapes as
    typed), times _SETTLED_BY_MARGIN."""
    margins = [shape.margin_m for shape in (a, b) if isinstance(shape, Area)]
    return _SETTLED_BY_MARGIN * max(margins, default=0.0)


def _core_distance_m(
    a: BasicShape, b: BasicShape, cutoff_m: float, enough_m: float, settled_m: float = 0.0
) -> float:
    """Distance between the cores.

    A value above `cutoff_m` means only "beyond it"; a value at or below
    `enough_m` means only "within it" (the reaches make the rest moot).
    `settled_m` as for `edges_to_edges_m`.
    """
    if isinstance(b, Circle):
        a, b = b, a
    if isinstance(a, Circle):
        return _point_to_shape_m(a.centre, b, cutoff_m, enough_m, settled_m)
    assert isinstance(b, (Corridor, Area))
    if a.planar.intersects(b.planar):
        return 0.0
    return edges_to_edges_m(a.edges, b.edges, cutoff_m, enough_m, settled_m)


def _point_to_shape_m(
    point: tuple[float, float],
    shape: BasicShape,
    cutoff_m: float,
    enough_m: float,
    settled_m: float = 0.0,
) -> float:
    if isinstance(shape, Circle):
        # Scalar call: 1.6 µs against 10 µs through one-element arrays (measured).
        return float(WGS84.inv(point[0], point[1], shape.centre[0], shape.centre[1])[2])
    lon, lat = np.array([point[0]]), np.array([point[1]])
    if isinstance(shape, Area) and shape.planar.covers(shapely.Point(point)):
        return 0.0
    return points_to_edges_m(lon, lat, shape.edges, cutoff_m, enough_m, settled_m)


@dataclass(frozen=True)
class Nearest:
    """Per point: the least distance found, and the azimuth at the point towards it."""

    distance_m: Floats
    azimuth_deg: Floats


@dataclass(frozen=True)
class _Geodesics:
    distance_m: Floats
    forward_deg: Floats  # azimuth at the first point, towards the second
    back_deg: Floats  # azimuth at the second point, towards the first

    def only(self, chosen: NDArray[np.bool_]) -> _Geodesics:
        return _Geodesics(self.distance_m[chosen], self.forward_deg[chosen], self.back_deg[chosen])


def _geodesics(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> _Geodesics:
    forward, back, distance = inverse(lon1, lat1, lon2, lat2)
    return _Geodesics(distance, forward, back)


def _keep_nearest(nearest: Nearest, point: Indices, found: _Geodesics) -> None:
    """Fold new distances into `nearest` (in place), keeping the azimuth of the winner."""
    if point.size == 0:
        return  # every pair was proven beyond the cut-off: nothing to fold in
    if point.size == 1 or bool((point[1:] > point[:-1]).all()):
        # Each point at most once (the common case of one edge per point): no sort.
        better = found.distance_m < nearest.distance_m[point]
        nearest.distance_m[point[better]] = found.distance_m[better]
        nearest.azimuth_deg[point[better]] = found.forward_deg[better]
        return
    order = np.lexsort((found.distance_m, point))
    point, distance = point[order], found.distance_m[order]
    first = np.concatenate(([True], point[1:] != point[:-1]))
    point, distance, azimuth = point[first], distance[first], found.forward_deg[order][first]
    better = distance < nearest.distance_m[point]
    nearest.distance_m[point[better]] = distance[better]
    nearest.azimuth_deg[point[better]] = azimuth[better]


def points_to_edges_m(
    lon: Floats,
    lat: Floats,
    edges: Edges,
    cutoff_m: float = math.inf,
    enough_m: float = 0.0,
    settled_m: float = 0.0,
) -> float:
    """Least geodesic distance in metres from any of the points to any of `edges`.

    A distance above `cutoff_m` only says it exceeds it; one at or below
    `enough_m` only that it is within it (the search stops there). The answer
    may lie up to _SETTLED_BY_CHORDS_M + `settled_m` below the least distance,
    never above it.
    """
    xyz = ecef_array_m(lon, lat)
    points = BoxTree.of_boxes(xyz, xyz)

    def attained(point: Indices, edge: Indices) -> Floats:
        return _geodesics(lon[point], lat[point], edges.a_lon[edge], edges.a_lat[edge]).distance_m

    near = near_pairs(points, edges.tree, attained, cutoff_m, enough_m)
    point, edge = near.first, near.second
    if point.size == 0:
        return near.attained_m
    # As between two sets of edges: the chords first, the point against each piece's chord.
    close = segment_closest(xyz[point], xyz[point], edges.a_xyz[edge], edges.b_xyz[edge])
    floors = _chord_floor_m(close.gap_m, edges.sag_m[edge])
    lowest = _lowest(floors)
    foot_lon, foot_lat = edges.at(edge[lowest], close.along_second[lowest])
    lifted = _geodesics(lon[point[lowest]], lat[point[lowest]], foot_lon, foot_lat)
    best = min(near.attained_m, float(lifted.distance_m.min()))
    if best <= enough_m:
        return best
    if best - float(floors.min()) <= _SETTLED_BY_CHORDS_M + settled_m:
        return float(floors.min())
    hopeful = floors <= min(best, cutoff_m)
    if not hopeful.any():
        return best
    point, edge = point[hopeful], edge[hopeful]
    found = _nearest_over_pairs(lon, lat, edges, point, edge, cutoff_m, enough_m)
    return min(best, float(found.distance_m.min()))


def _chord_floor_m(gap_m: Floats, bows_m: Floats) -> Floats:
    """A lower bound of the geodesic distance between surface points that lie within `bows_m`
    of chords `gap_m` apart (both bows together), rounding allowed for."""
    floor: Floats = geodesic_floor_m(gap_m - bows_m - _CHORD_SLACK_M)
    return floor


def _lowest(floors: Floats) -> Indices:
    """The (at most _LIFTED_PAIRS) pairs with the lowest floors."""
    if floors.size <= _LIFTED_PAIRS:
        return np.arange(floors.size)
    lowest: Indices = np.argpartition(floors, _LIFTED_PAIRS - 1)[:_LIFTED_PAIRS]
    return lowest


def _nearest_over_pairs(
    lon: Floats,
    lat: Floats,
    edges: Edges,
    point: Indices,
    edge: Indices,
    cutoff_m: float,
    enough_m: float,
) -> Nearest:
    """Per point, the least distance to the edges it is paired with in (point, edge)."""
    to_a = _geodesics(lon[point], lat[point], edges.a_lon[edge], edges.a_lat[edge])
    to_b = _geodesics(lon[point], lat[point], edges.b_lon[edge], edges.b_lat[edge])
    nearest = Nearest(np.full(lon.size, np.inf), np.zeros(lon.size))
    _keep_nearest(nearest, point, to_a)
    _keep_nearest(nearest, point, to_b)
    if float(nearest.distance_m.min()) <= enough_m:
        return nearest
    # No point of an edge is nearer than (d(P, A) + d(P, B) - its length) / 2.
    bound = (to_a.distance_m + to_b.distance_m - edges.speed_m[edge]) / 2
    hopeful = bound < np.minimum(nearest.distance_m, cutoff_m)[point]
    ends = _EndGeodesics(to_a.only(hopeful), to_b.only(hopeful))
    _search_edges(lon, lat, edges, point[hopeful], edge[hopeful], ends, nearest, cutoff_m, enough_m)
    return nearest


@dataclass(frozen=True)
class _EndGeodesics:
    """Per (point, edge) pair, the geodesics already solved from the point to both ends."""

    to_a: _Geodesics
    to_b: _Geodesics

    def only(self, chosen: NDArray[np.bool_]) -> _EndGeodesics:
        return _EndGeodesics(self.to_a.only(chosen), self.to_b.only(chosen))


def _search_edges(
    lon: Floats,
    lat: Floats,
    edges: Edges,
    point: Indices,
    edge: Indices,
    ends: _EndGeodesics,
    nearest: Nearest,
    cutoff_m: float,
    enough_m: float,
) -> None:
    """Sample each (point, edge) pair along the edge, then find the minima between samples.

    Pairs are taken in batches of at most _MAX_SAMPLES_PER_BATCH samples, so
    memory stays bounded however long the edges are. The samples at both ends
    are the geodesics in `ends`, not solved again.
    """
    if point.size == 0:
        return
    samples = np.clip(np.ceil(edges.speed_m[edge] / _SAMPLE_STEP_M), 1, _MAX_SAMPLES_PER_EDGE)
    batch = np.cumsum(samples + 1) // _MAX_SAMPLES_PER_BATCH
    for number in np.unique(batch):
        chosen = batch == number
        _search_batch(
            lon,
            lat,
            edges,
            point[chosen],
            edge[chosen],
            samples[chosen],
            ends.only(chosen),
            nearest,
            cutoff_m,
            enough_m,
        )
        if float(nearest.distance_m.min()) <= enough_m:
            return


def _search_batch(
    lon: Floats,
    lat: Floats,
    edges: Edges,
    point: Indices,
    edge: Indices,
    samples: Floats,
    ends: _EndGeodesics,
    nearest: Nearest,
    cutoff_m: float,
    enough_m: float,
) -> None:
    counts = samples.astype(np.intp) + 1
    pair = np.repeat(np.arange(point.size), counts)
    step = np.repeat(1.0 / samples, counts)
    position = np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)
    t = position * step
    sample_point, sample_edge = point[pair], edge[pair]
    found = _sampled_from_ends(lon, lat, edges, sample_point, sample_edge, t, position, ends, pair)
    _keep_nearest(nearest, sample_point, found)
    if float(nearest.distance_m.min()) <= enough_m:
        return
    slope = _slope_to_point(found, edges, sample_edge, t)
    travel = edges.speed_m[sample_edge] * step
    limit = np.minimum(nearest.distance_m, cutoff_m)[sample_point]
    left = _brackets(found.distance_m, slope, pair, travel, limit)
    low, high = t[left], t[left + 1]
    rows = sample_point[left], sample_edge[left]

    def slope_at(s: Floats, k: Indices) -> tuple[Floats, Floats]:
        on_edge = _to_edge_points(lon, lat, rows[0][k], edges, rows[1][k], s)
        _keep_nearest(nearest, rows[0][k], on_edge)
        return _slope_to_point(on_edge, edges, rows[1][k], s), on_edge.distance_m

    guess = _foot_on_chord(ecef_array_m(lon[rows[0]], lat[rows[0]]), edges, rows[1])
    distance = found.distance_m
    brackets = _Brackets(
        low, high, slope[left], slope[left + 1], distance[left], distance[left + 1]
    )
    speed, bend = edges.speed_m[rows[1]], edges.bend_m[rows[1]]
    _find_roots(slope_at, brackets, speed, guess, bend)


def _sampled_from_ends(
    lon: Floats,
    lat: Floats,
    edges: Edges,
    point: Indices,
    edge: Indices,
    t: Floats,
    position: Indices,
    ends: _EndGeodesics,
    pair: Indices,
) -> _Geodesics:
    """The geodesics from each sample's point to the edge at t: the ends (t = 0, and the
    last sample of its pair) from `ends`, only the samples between them solved."""
    first = position == 0
    last = np.append(pair[1:] != pair[:-1], True)
    distance, forward, back = np.empty(t.size), np.empty(t.size), np.empty(t.size)
    for rows, known in ((first, ends.to_a), (last, ends.to_b)):
        distance[rows], forward[rows] = known.distance_m, known.forward_deg
        back[rows] = known.back_deg
    inner = ~(first | last)
    if inner.any():
        solved = _to_edge_points(lon, lat, point[inner], edges, edge[inner], t[inner])
        distance[inner], forward[inner], back[inner] = (
            solved.distance_m,
            solved.forward_deg,
            solved.back_deg,
        )
    return _Geodesics(distance, forward, back)


def _foot_on_chord(xyz: Floats, edges: Edges, edge: Indices) -> Floats:
    """Per row, where the point at xyz[k] falls on the chord of edges[edge[k]], as t in [0, 1]:
    within millimetres of the foot of the geodesic on a kilometre piece, a first guess."""
    a, b = edges.a_xyz[edge], edges.b_xyz[edge]
    along, span = b - a, ((b - a) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((xyz - a) * along).sum(axis=1) / span
    foot: Floats = np.clip(np.where(np.isnan(t), 0.0, t), 0.0, 1.0)
    return foot


def _slope_to_point(found: _Geodesics, edges: Edges, edge: Indices, t: Floats) -> Floats:
    """Sign-carrying rate at which the distance to the point grows as t grows along the edge."""
    slope: Floats = -np.cos(np.radians(found.back_deg - edges.heading_deg(edge, t)))
    return slope


def _brackets(
    distance: Floats, slope: Floats, group: Indices, travel_m: Floats, limit_m: Floats
) -> Indices:
    """Left samples of the stretches that hold a minimum that may still beat the limit.

    A minimum lies where the slope turns from falling to rising (the curves are
    smooth on the scale of one sampling step). By the Lipschitz bound no point
    of a stretch is nearer than (d_left + d_right - travel) / 2; stretches
    whose bound is not below the limit are dropped.
    """
    same = group[:-1] == group[1:]
    turns = (slope[:-1] < 0) & (slope[1:] > 0)
    bound = (distance[:-1] + distance[1:] - travel_m[:-1]) / 2
    return np.flatnonzero(same & turns & (bound < limit_m[:-1]))


@dataclass(frozen=True)
class _Brackets:
    """Per search k: [low[k], high[k]] along an edge, the slope < 0 at low and > 0 at high,
    and the distances attained at both ends."""

    low: Floats
    high: Floats
    slope_low: Floats
    slope_high: Floats
    distance_low: Floats
    distance_high: Floats


# slope_at(x, k): the slope and the distance attained at x[m] along the edge of bracket k[m].
SlopeAt = Callable[[Floats, Indices], tuple[Floats, Floats]]


def _find_roots(
    slope_at: SlopeAt,
    brackets: _Brackets,
    speed_m: Floats,
    guess: Floats,
    bend_m: Floats | None,
) -> None:
    """Narrow every bracket onto the zero of the slope until its minimum is settled.

    First the brackets close in around `guess` where the slope turns close
    beside it; then regula falsi with the Illinois step: superlinear, and it
    never leaves a bracket. A bracket is done once it is narrower than a
    millimetre along the edge, or once `_floor_m` proves nothing in it beats
    the distance attained at its ends by more than _ROOT_SETTLED_M (`bend_m`
    bounds the curvature it needs; None where none is known). `slope_at`
    records every distance it measures on the way.
    """
    if brackets.low.size == 0:
        return
    b = _close_in(slope_at, brackets, speed_m, guess)
    # Illinois: the kept end's slope is halved for the secant, so a one-sided approach
    # still converges; the slopes in `b` stay the measured ones, for the floor.
    weight_low, weight_high = np.ones(b.low.size), np.ones(b.low.size)
    for _ in range(_ROOT_MAX_STEPS):
        k = np.flatnonzero(~_settled(b, speed_m, bend_m))
        if k.size == 0:
            return
        secant_low, secant_high = b.slope_low[k] * weight_low[k], b.slope_high[k] * weight_high[k]
        x = b.high[k] - secant_high * (b.high[k] - b.low[k]) / (secant_high - secant_low)
        x = np.clip(x, b.low[k], b.high[k])
        slope, distance = slope_at(x, k)
        rises = slope > 0
        weight_low[k] = np.where(rises, weight_low[k] / 2, 1.0)
        weight_high[k] = np.where(rises, 1.0, weight_high[k] / 2)
        _replace_ends(b, k, x, slope, distance)


def _replace_ends(b: _Brackets, k: Indices, x: Floats, slope: Floats, distance: Floats) -> None:
    """x[m] becomes the high end of bracket k[m] where the slope rises there, else its low end."""
    rises = slope > 0
    falls = ~rises
    up, down = k[rises], k[falls]
    b.high[up], b.slope_high[up], b.distance_high[up] = x[rises], slope[rises], distance[rises]
    b.low[down], b.slope_low[down], b.distance_low[down] = x[falls], slope[falls], distance[falls]


def _settled(b: _Brackets, speed_m: Floats, bend_m: Floats | None) -> NDArray[np.bool_]:
    """Per bracket, whether its minimum is known well enough to stop."""
    narrow: NDArray[np.bool_] = (b.high - b.low) * speed_m < _ROOT_DONE_M
    if bend_m is None:
        return narrow
    attained = np.minimum(b.distance_low, b.distance_high)
    return narrow | (_floor_m(b, speed_m, bend_m) >= attained - _ROOT_SETTLED_M)


def _floor_m(b: _Brackets, speed_m: Floats, bend_m: Floats) -> Floats:
    """Per bracket, a lower bound of the distance anywhere inside it.

    For a fixed point P, the distance from P is convex on the surface where
    the geodesic to P is short (its Hessian is 0 along the geodesic and
    M21 / m12 > 0 across it, under _CONVEX_WITHIN_M). Along the edge it then
    bends down by at most the edge's own curvature: its second derivative in
    t is at least -bend_m, the bound on the Earth-centred position's. So each
    end's tangent less bend_m * w^2 / 2 lies below the distance across the
    bracket (w its width in t), and so does the lower of the two where they
    cross. The slopes are per metre; speed_m (at least the true metres per
    unit t) only makes the tangents steeper, so lower. Where the bracket may
    hold a distance beyond _CONVEX_WITHIN_M the bound is -inf.
    """
    width = b.high - b.low
    falling, rising = b.slope_low * speed_m, b.slope_high * speed_m
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = (b.distance_high - b.distance_low - rising * width) / (falling - rising)
    cross = np.clip(np.where(np.isnan(cross), 0.0, cross), 0.0, width)
    tangents = np.maximum(
        b.distance_low + falling * cross, b.distance_high - rising * (width - cross)
    )
    floor = tangents - bend_m * width**2 / 2
    reach = np.maximum(b.distance_low, b.distance_high) + speed_m * width
    result: Floats = np.where(reach < _CONVEX_WITHIN_M, floor, -np.inf)
    return result


def _close_in(
    slope_at: SlopeAt,
    brackets: _Brackets,
    speed_m: Floats,
    guess: Floats,
) -> _Brackets:
    """Brackets narrowed to the least of [guess - d, guess + d] (d = 0.4 mm, 4 cm, 4 m along)
    across which the slope turns; unchanged where none does. One measurement for all."""
    low, high = brackets.low, brackets.high
    count = low.size
    offsets = np.array(_CLOSE_IN_M)[:, None] / np.maximum(speed_m, 1e-12)[None, :]
    guess = np.clip(guess, low, high)
    left = np.clip(guess[None, :] - offsets, low, high)
    right = np.clip(guess[None, :] + offsets, low, high)
    k = np.tile(np.arange(count), 2 * len(_CLOSE_IN_M))
    slopes, distances = slope_at(np.concatenate([left.ravel(), right.ravel()]), k)
    slope_left, slope_right = slopes.reshape(2, len(_CLOSE_IN_M), count)
    distance_left, distance_right = distances.reshape(2, len(_CLOSE_IN_M), count)
    turns = (slope_left < 0) & (slope_right > 0)
    first = np.argmax(turns, axis=0)  # the narrowest bracket that turns
    some = turns.any(axis=0)
    columns = np.arange(count)

    def pick(inner: Floats, outer: Floats) -> Floats:
        chosen: Floats = np.where(some, inner[first, columns], outer)
        return chosen

    return _Brackets(
        pick(left, low),
        pick(right, high),
        pick(slope_left, brackets.slope_low),
        pick(slope_right, brackets.slope_high),
        pick(distance_left, brackets.distance_low),
        pick(distance_right, brackets.distance_high),
    )


def _to_edge_points(
    lon: Floats, lat: Floats, point: Indices, edges: Edges, edge: Indices, t: Floats
) -> _Geodesics:
    q_lon, q_lat = edges.at(edge, t)
    return _geodesics(lon[point], lat[point], q_lon, q_lat)


def edges_to_edges_m(
    first: Edges,
    second: Edges,
    cutoff_m: float = math.inf,
    enough_m: float = 0.0,
    settled_m: float = 0.0,
) -> float:
    """Least geodesic distance in metres between two sets of edges that do not cross.

    The box trees of both sets leave the few edge pairs that may hold the
    minimum. Per pair, it lies at a vertex of one edge against the other
    (found exactly by the point search), or inside both edges at once, where
    one edge's curvature meets the other's: that is searched pair by pair, so
    the distance walked along is to one smooth edge, never to a whole set
    (whose distance has a kink at every vertex). A result above `cutoff_m`
    only says the distance exceeds it; one at or below `enough_m` only that
    it is within it. The answer may lie up to _SETTLED_BY_CHORDS_M + `settled_m`
    below the least distance (taking a proven floor), never above it.
    """
    settled_m += _SETTLED_BY_CHORDS_M

    def attained(i: Indices, j: Indices) -> Floats:
        return _geodesics(
            first.a_lon[i], first.a_lat[i], second.a_lon[j], second.a_lat[j]
        ).distance_m

    near = near_pairs(first.tree, second.tree, attained, cutoff_m, enough_m)
    i, j = near.first, near.second
    if i.size == 0:
        return near.attained_m
    chords = _chords_apart(first, i, second, j)
    best = min(near.attained_m, _lifted_m(first, i, second, j, chords))
    if best <= enough_m:
        return best
    if best - float(chords.floor_m.min()) <= settled_m:
        return float(chords.floor_m.min())
    keep = chords.floor_m <= min(best, cutoff_m)
    i, j, chords = i[keep], j[keep], chords.only(keep)
    if i.size == 0:
        return best
    # Each stage tightens the distance attained, so the next searches fewer pairs: the
    # ends against each other (four geodesics a pair), the ends against the other edge
    # (a root search a pair), then inside both edges (a root search within a root search).
    ends = _ends_apart(first, i, second, j)
    best = min(best, float(ends.nearest_m.min()))
    if best <= enough_m:
        return best
    limit = min(best, cutoff_m)
    keep = (ends.bound_m < limit) & (chords.floor_m <= limit)
    i, j, bound, chords = i[keep], j[keep], ends.bound_m[keep], chords.only(keep)
    if i.size == 0:
        return best
    from_first, from_second = _ends_to_paired_edges(first, i, second, j, cutoff_m, enough_m)
    best = min(best, from_first.least_m, from_second.least_m)
    if best <= enough_m:
        return best
    limit = min(best, cutoff_m)
    keep = (bound < limit) & (chords.floor_m <= limit)
    if not keep.any():
        return best
    if best - float(chords.floor_m[keep].min()) <= settled_m:
        return float(chords.floor_m[keep].min())
    # Each pair is walked along one of its edges; where a vertex of the second faces the
    # first's side, along the second: the least distance then lies at the walk's end, so
    # no minimum turns up inside it and no root search is needed.
    along_second = keep & chords.at_vertex_of_second()
    along_first = keep & ~along_second
    inside = min(
        _inside_edge_pairs_m(
            first, i[along_first], second, j[along_first], limit, from_first.only(along_first)
        ),
        _inside_edge_pairs_m(
            second, j[along_second], first, i[along_second], limit, from_second.only(along_second)
        ),
    )
    return min(best, inside)


@dataclass(frozen=True)
class _Chords:
    """Per pair k of edges: a lower bound of their distance, and where along each chord the
    chords come closest (0 to 1)."""

    floor_m: Floats
    along_first: Floats
    along_second: Floats

    def only(self, keep: NDArray[np.bool_]) -> _Chords:
        """The pairs where `keep` holds, in order."""
        return _Chords(self.floor_m[keep], self.along_first[keep], self.along_second[keep])

    def at_vertex_of_second(self) -> NDArray[np.bool_]:
        """Per pair, whether the chords come closest at an end of the second's chord and
        inside the first's: where an edge's vertex faces the other edge's side."""
        end: NDArray[np.bool_] = (self.along_second == 0.0) | (self.along_second == 1.0)
        return end & (self.along_first > 0.0) & (self.along_first < 1.0)


def _chords_apart(first: Edges, i: Indices, second: Edges, j: Indices) -> _Chords:
    """Per pair, the gap between the chords of edge first[i[k]] and second[j[k]] less how
    far each edge strays from its chord (a lower bound of their distance), and where it is.

    Far tighter than boxes where two edges run side by side (a box grows with
    an edge's length in every direction; a chord only with its bow).
    """
    close = segment_closest(first.a_xyz[i], first.b_xyz[i], second.a_xyz[j], second.b_xyz[j])
    bows = first.sag_m[i] + second.sag_m[j]
    floor = _chord_floor_m(close.gap_m, bows)
    return _Chords(floor, close.along_first, close.along_second)


def _lifted_m(first: Edges, i: Indices, second: Edges, j: Indices, chords: _Chords) -> float:
    """A distance attained: the least geodesic between the points of both edges at the
    closest points of their chords, over the few pairs whose chords come nearest.

    On edges a kilometre long or less those points are within millimetres of where the
    edges come closest, so this is within millimetres of the least distance: every pair
    whose floor lies above it is dropped before a single root search.
    """
    nearest = _lowest(chords.floor_m)
    lon1, lat1 = first.at(i[nearest], chords.along_first[nearest])
    lon2, lat2 = second.at(j[nearest], chords.along_second[nearest])
    return float(_geodesics(lon1, lat1, lon2, lat2).distance_m.min())


@dataclass(frozen=True)
class _EndsToEdges:
    """Per pair k, from the start and from the end of one edge to the other edge."""

    start: Nearest
    end: Nearest

    @property
    def least_m(self) -> float:
        return float(min(self.start.distance_m.min(), self.end.distance_m.min()))

    def only(self, keep: NDArray[np.bool_]) -> _EndsToEdges:
        """The pairs where `keep` holds, in order."""
        return _EndsToEdges(
            Nearest(self.start.distance_m[keep], self.start.azimuth_deg[keep]),
            Nearest(self.end.distance_m[keep], self.end.azimuth_deg[keep]),
        )


def _ends_to_paired_edges(
    first: Edges, i: Indices, second: Edges, j: Indices, cutoff_m: float, enough_m: float
) -> tuple[_EndsToEdges, _EndsToEdges]:
    """From both ends of edge first[i[k]] to edge second[j[k]], and from both ends of
    second[j[k]] to first[i[k]], per k (`cutoff_m` and `enough_m` as for the whole search).

    One point search over both directions: its cost is per numpy call, not per pair.
    """
    n = i.size
    lon = np.concatenate((first.a_lon[i], first.b_lon[i], second.a_lon[j], second.b_lon[j]))
    lat = np.concatenate((first.a_lat[i], first.b_lat[i], second.a_lat[j], second.b_lat[j]))
    both = _stacked(second, j, first, i)  # rows 0..n-1 second's edges, then first's
    rows = np.arange(n)
    edge = np.concatenate((rows, rows, rows + n, rows + n))
    found = _nearest_over_pairs(lon, lat, both, np.arange(lon.size), edge, cutoff_m, enough_m)

    def part(quarter: int) -> Nearest:
        ends = slice(quarter * n, (quarter + 1) * n)
        return Nearest(found.distance_m[ends], found.azimuth_deg[ends])

    return _EndsToEdges(part(0), part(1)), _EndsToEdges(part(2), part(3))


def _stacked(first: Edges, i: Indices, second: Edges, j: Indices) -> Edges:
    """The edges first[i] followed by second[j], as one set."""

    def joined(field: str) -> Floats:
        stack: Floats = np.concatenate((getattr(first, field)[i], getattr(second, field)[j]))
        return stack

    return Edges(
        joined("a_lon"),
        joined("a_lat"),
        joined("b_lon"),
        joined("b_lat"),
        joined("speed_m"),
        joined("sag_m"),
    )


@dataclass(frozen=True)
class _EndsApart:
    nearest_m: Floats  # per pair, the least of the four end-to-end distances (attained)
    bound_m: Floats  # per pair, a lower bound of the distance between the two edges


def _ends_apart(first: Edges, i: Indices, second: Edges, j: Indices) -> _EndsApart:
    """Per pair k, how far apart the ends of edge first[i[k]] and second[j[k]] are.

    For X on one edge and Y on the other: d(X, Y) >= (sum of the four end-to-end
    distances - 2 len_i - 2 len_j) / 4, by the triangle inequality.
    """
    apart = [
        _geodesics(lon1[i], lat1[i], lon2[j], lat2[j]).distance_m
        for lon1, lat1 in ((first.a_lon, first.a_lat), (first.b_lon, first.b_lat))
        for lon2, lat2 in ((second.a_lon, second.a_lat), (second.b_lon, second.b_lat))
    ]
    total = np.sum(apart, axis=0)
    bound = (total - 2 * first.speed_m[i] - 2 * second.speed_m[j]) / 4
    return _EndsApart(np.min(apart, axis=0), bound)


def _inside_edge_pairs_m(
    first: Edges, i: Indices, second: Edges, j: Indices, limit_m: float, ends: _EndsToEdges
) -> float:
    """Least distance between edge first[i[k]] and second[j[k]] over every pair k.

    Walks first's edge of each pair: sampled every kilometre, minima bracketed
    where the slope turns, then narrowed by the root search. `ends` holds the
    distances from both ends of each edge of `first`, already found.
    """
    if i.size == 0:
        return math.inf
    samples = np.clip(np.ceil(first.speed_m[i] / _SAMPLE_STEP_M), 1, _MAX_SAMPLES_PER_EDGE)
    counts = samples.astype(np.intp) + 1
    pair = np.repeat(np.arange(i.size), counts)
    step = np.repeat(1.0 / samples, counts)
    position = np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)
    s = np.where(position == counts[pair] - 1, 1.0, position * step)
    along = _sampled_along(first, i[pair], s, second, j[pair], limit_m, ends)
    best = float(along.distance_m.min())
    # Values beyond the limit are only known to exceed it: bound with the limit.
    known = np.minimum(along.distance_m, limit_m)
    slope = _slope_from_point(along, first, i[pair], s)
    limits = np.full(s.size, min(best, limit_m))
    left = _brackets(known, slope, pair, first.speed_m[i[pair]] * step, limits)
    rows_first, rows_second = i[pair[left]], j[pair[left]]
    found = [best]

    def slope_at(x: Floats, k: Indices) -> tuple[Floats, Floats]:
        here = _to_paired_edge(first, rows_first[k], x, second, rows_second[k], math.inf)
        found.append(float(here.distance_m.min()))
        return _slope_from_point(here, first, rows_first[k], x), here.distance_m

    guess = segment_closest(
        first.a_xyz[rows_first],
        first.b_xyz[rows_first],
        second.a_xyz[rows_second],
        second.b_xyz[rows_second],
    ).along_first
    speed = first.speed_m[rows_first]
    brackets = _Brackets(
        s[left], s[left + 1], slope[left], slope[left + 1], known[left], known[left + 1]
    )
    measured = _measured_ends(slope_at, brackets, limit_m)
    bend = _walking_bend_m(first, rows_first, second, rows_second, brackets)
    _find_roots(slope_at, brackets, speed, guess, np.where(measured, bend, np.inf))
    return min(found)


def _measured_ends(slope_at: SlopeAt, b: _Brackets, limit_m: float) -> NDArray[np.bool_]:
    """Measure again (in place) the ends of brackets whose sampled distance was only known to
    exceed `limit_m`; per bracket, whether both ends are now exact and the slope still turns.

    Only a bracket measured at both ends may be settled by its floor: a distance
    beyond the cut-off carries no true slope.
    """
    clipped = np.flatnonzero((b.distance_low >= limit_m) | (b.distance_high >= limit_m))
    exact = np.ones(b.low.size, dtype=bool)
    if clipped.size == 0:
        return exact
    slopes, distances = slope_at(
        np.concatenate((b.low[clipped], b.high[clipped])), np.tile(clipped, 2)
    )
    slope_low, slope_high = slopes.reshape(2, -1)
    turns = (slope_low < 0) & (slope_high > 0)
    kept = clipped[turns]
    distance_low, distance_high = distances.reshape(2, -1)
    b.slope_low[kept], b.slope_high[kept] = slope_low[turns], slope_high[turns]
    b.distance_low[kept], b.distance_high[kept] = distance_low[turns], distance_high[turns]
    exact[clipped[~turns]] = False
    return exact


def _walking_bend_m(first: Edges, i: Indices, second: Edges, j: Indices, b: _Brackets) -> Floats:
    """Per bracket along edge first[i[k]], how fast the distance to edge second[j[k]] may bend
    down: a bound below its second derivative in t (metres per unit t squared), for `_floor_m`.

    In Earth-centred metres the distance |X - Y| is convex in both points, and
    each edge bends by at most its `bend_m`, so the distance between a point of
    each, plus bend_first * s^2 / 2 + bend_second * t^2 / 2, is convex in (s, t).
    The least over t, walked along s, then bends down by at most bend_first +
    bend_second * r^2, where r bounds how fast the foot on the other edge moves:
    speed_first / (least speed_second * (1 - its curvature * the distance)),
    the curvature being bend_second / least speed_second^2. Both are doubled,
    for the geodesic standing on a chord; where the other edge bends so much
    that the foot could race away (the factor under a half) no bound is given.
    """
    slowest = second.least_speed_m(j)
    reach = np.maximum(b.distance_low, b.distance_high) + first.speed_m[i] * (b.high - b.low)
    with np.errstate(divide="ignore", invalid="ignore"):
        hold = 1 - second.bend_m[j] / slowest**2 * reach
        rate = first.speed_m[i] / (slowest * hold)
    bend: Floats = 2 * (first.bend_m[i] + second.bend_m[j] * rate**2)
    usable = (slowest > 0) & (hold > 0.5)
    result: Floats = np.where(usable, bend, np.inf)
    return result


def _sampled_along(
    first: Edges,
    edge: Indices,
    s: Floats,
    second: Edges,
    other: Indices,
    cutoff_m: float,
    ends: _EndsToEdges,
) -> Nearest:
    """As `_to_paired_edge` at samples s (each pair's run from 0 to 1), taking the
    distances at s = 0 and s = 1 from `ends` rather than measuring them again."""
    start, end = s == 0.0, s == 1.0
    inner = ~(start | end)
    distance, azimuth = np.empty(s.size), np.empty(s.size)
    for rows, found in ((start, ends.start), (end, ends.end)):
        distance[rows], azimuth[rows] = found.distance_m, found.azimuth_deg
    if inner.any():
        here = _to_paired_edge(first, edge[inner], s[inner], second, other[inner], cutoff_m)
        distance[inner], azimuth[inner] = here.distance_m, here.azimuth_deg
    return Nearest(distance, azimuth)


def _to_paired_edge(
    first: Edges, edge: Indices, s: Floats, second: Edges, other: Indices, cutoff_m: float
) -> Nearest:
    """From the point at s along first[edge[k]] to the one edge second[other[k]], per k."""
    lon, lat = first.at(edge, s)
    point = np.arange(lon.size)
    return _nearest_over_pairs(lon, lat, second, point, other, cutoff_m, 0.0)


def _slope_from_point(nearest: Nearest, first: Edges, edge: Indices, s: Floats) -> Floats:
    """Rate at which the distance to the other edge grows as s grows along `first`."""
    slope: Floats = -np.cos(np.radians(nearest.azimuth_deg - first.heading_deg(edge, s)))
    return slope
