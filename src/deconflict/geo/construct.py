"""Sectors, orbits and tracks, built geodesically into circles, corridors and areas.

The distance engine measures three kinds of core: points, lon/lat-straight
paths and lon/lat-straight polygon boundaries. The airspace shapes are built
into those from geodesic positions (`Geod.fwd` on WGS84): arcs are true
geodesic circles around their origin, radials and legs are geodesics, and a
track's sides are the geodesic parallels of its legs. Vertices are placed
densely enough that the chords between them stay within centimetres of the
true boundary; that gap is then *measured* at the middle of every chord
(where it is largest) and added to the result as reach, so the built shape
always holds the true one and a conflict is never missed for want of a
vertex. A shape's vertices and its chords' true middles are solved in one
call of the direct geodesic problem (a track's centre lines in one more),
and its gaps bounded in one pass (the lon/lat-straight path from each chord's
middle to the true one, never shorter than the geodesic). Near the poles a chord
straight in lon/lat bends away from the geodesic it stands for (by a metre
over a kilometre at 89 degrees), so a shape whose measured gap is too wide
is built again with denser vertices, up to 16 times as dense (and so are
the largest arcs, whose vertices are capped). Margins: 5 to 13 cm, from 10 m
to 2,000 km, at the equator or a degree from the pole.

A sector narrower than 5 cm across its outer arc is built as a 10 cm band
along its first radial (a lon/lat polygon that thin would collapse).

Shapes that reach a pole are refused (a lon/lat polygon cannot go round
one); sectors and tracks that cross the antimeridian are split there, as
RFC 7946 asks; an orbit that crosses it is refused, like a LineString.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray

from deconflict.geo.edges import path_length_bound_m
from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.shapes import (
    Area,
    BasicShape,
    Circle,
    Corridor,
    LonLat,
    Orbit,
    Sector,
    Shape,
    Side,
    Track,
)
from deconflict.geo.sketch import SKETCH_MARGIN_M, evenly, sketch

Floats = NDArray[np.float64]

# The wanted gap between an arc and its chords; a cap on vertices per arc (before
# densifying, below) bounds the work for very large arcs.
_ARC_SAG_M = 0.05
_MIN_ARC_STEPS = 8
_MAX_ARC_STEPS = 4096
_MAX_OUTLINE_STEPS = 720
# Geodesics and parallels are sampled at least this often, up to a cap per leg (before
# densifying).
_PATH_STEP_M = 1000.0
_MAX_PATH_STEPS = 2000
# A shape whose measured gap exceeds this is built again, twice as dense, up to 16 times
# (caps included). The worst case, a 2,000 km annulus reaching 89 degrees, takes 131,000
# vertices and 1.2 s to build (measured).
_GAP_TARGET_M = 0.1
_DENSITIES = (1, 2, 4, 8, 16)
# Floating-point slack on top of the measured gap.
_MARGIN_SLACK_M = 0.001
_MARGIN_FACTOR = 1.25
_POLAR_LIMIT_DEG = 89.5


class ShapeError(ValueError):
    """A sector, orbit or track that cannot be built; the message says why and what to do."""


def resolve(shape: Shape) -> BasicShape:
    """The shape as the distance engine measures it: a circle, corridor or area.

    Sectors, orbits and tracks are built geodesically into one of those, their
    construction tolerance (centimetres) added as reach so the result holds
    the true shape (`docs/engine.md`). Each is built once: the result is kept
    on the shape, as a cached property keeps its value.
    """
    if isinstance(shape, (Circle, Corridor, Area)):
        return shape
    kept = vars(shape)  # a frozen dataclass refuses new attributes, not its __dict__
    if "resolved" not in kept:
        if isinstance(shape, Sector):
            built = sector_shape(shape)
        elif isinstance(shape, Orbit):
            built = orbit_shape(shape)
        else:
            built = track_shape(shape)
        _hold_to_sketch(shape, built)
        kept["resolved"] = built
    resolved: BasicShape = kept["resolved"]
    return resolved


def is_built(shape: Shape) -> bool:
    """Whether `resolve` has nothing left to build for the shape."""
    return isinstance(shape, (Circle, Corridor, Area)) or "resolved" in vars(shape)


def _hold_to_sketch(shape: Sector | Orbit | Track, built: BasicShape) -> None:
    """Fail if the build reaches beyond the sketch the shape may have been boxed by.

    Its margin must be within the sketch's allowance and its vertices within the
    sketch's rectangle. Never seen (`tests/geo/test_sketch.py`); should it
    happen, a box drawn from the sketch might have missed a pair, so the build
    fails (and the check with it) rather than answer from it.
    """
    drawn = sketch(shape)  # drawn again here if it was drawn in another process
    if drawn is None or isinstance(built, Circle):
        return
    if built.reach_m > drawn.reach_m + SKETCH_MARGIN_M:
        raise RuntimeError(
            f"the built shape reaches {built.reach_m:.3f} m beyond its vertices, more than "
            f"the {drawn.reach_m + SKETCH_MARGIN_M:.3f} m its sketch allowed"
        )
    if isinstance(built, Area):
        vertices = np.concatenate(built.ring_arrays)
    else:
        vertices = np.array(built.path, dtype=np.float64)
    west, east, south, north = drawn.rectangle()
    lon, lat = vertices[:, 0], vertices[:, 1]
    if lon.min() < west or lon.max() > east or lat.min() < south or lat.max() > north:
        raise RuntimeError("the built shape has vertices outside the rectangle of its sketch")


def outline(shape: Shape, sag_m: float = 1.0) -> Area:
    """The shape as polygons for maps and for formats that know only polygons (KML, CoT).

    Arcs keep within about `sag_m` of the true curve (up to 720 vertices a
    circle); the engine never decides on this, only on the shapes themselves.
    """
    shape = resolve(shape)
    if isinstance(shape, Area):
        return shape
    if isinstance(shape, Circle):
        if shape.radius_m == 0.0:
            return Area(())
        _refuse_polar_reach(Sector(shape.centre, shape.radius_m))
        disc, _ = _built_rings([[_disc(shape.centre, shape.radius_m, sag_m)]], shape.centre[0])
        return _split_area(shapely.Polygon(_closed(disc[0])), 0.0)
    origin_lon = shape.path[0][0]
    half = shape.half_width_m
    if half <= 0.0:
        return Area(())
    legs = _Legs.of([(a, b) for a, b in itertools.pairwise(shape.path) if a != b])
    rings: list[list[_Curve]] = _band_rings(legs, half, half, 1) if len(legs) else []
    rings.extend([_disc(point, half, sag_m)] for point in shape.path)
    built, _ = _built_rings(rings, origin_lon)
    united = shapely.make_valid(shapely.union_all([shapely.Polygon(_closed(r)) for r in built]))
    _refuse_polar(np.asarray(shapely.get_coordinates(united)))
    return _split_area(united, 0.0)


def sector_shape(sector: Sector) -> BasicShape:
    """The sector as a circle (a whole disc) or an area with its measured margin."""
    if sector.inner_m == 0.0 and sector.span_deg == 360.0:
        return Circle(sector.origin, sector.outer_m)
    _refuse_polar_reach(sector)
    if sector.outer_m * math.radians(sector.span_deg) <= _ARC_SAG_M:
        return _needle(sector)
    for density in _DENSITIES:
        rings, gap = _built_rings(_sector_rings(sector, density), sector.origin[0])
        if gap <= _GAP_TARGET_M:
            break
    polygon = shapely.Polygon(_closed(rings[0]), [_closed(r) for r in rings[1:]])
    area = _split_area(shapely.make_valid(polygon), _margin(gap))
    return _with_extent(area, "has no area between its radii and bearings")


def _sector_rings(sector: Sector, density: int) -> list[list[_Curve]]:
    """The sector's rings as curves (an annulus has two), vertices `density` times as dense."""
    origin, outer_m, inner_m = sector.origin, sector.outer_m, sector.inner_m
    span = sector.span_deg
    if span == 360.0:
        rings = [[_arc(origin, outer_m, sector.from_deg, span, density=density)]]
        if inner_m > 0.0:
            backwards = _arc(origin, inner_m, sector.from_deg + span, -span, density=density)
            rings.append([backwards])
        return rings
    return [_wedge(origin, outer_m, inner_m, sector.from_deg, span, density)]


def _wedge(
    origin: LonLat, outer_m: float, inner_m: float, from_deg: float, span: float, density: int
) -> list[_Curve]:
    """One ring round a wedge: the outer arc clockwise, in along the last radial, the inner
    arc back (or the origin), out along the first radial."""
    to_deg = from_deg + span
    curves = [
        _arc(origin, outer_m, from_deg, span, density=density),
        _radial(origin, to_deg, outer_m, inner_m, density),
    ]
    if inner_m > 0.0:
        curves.append(_arc(origin, inner_m, to_deg, -span, density=density))
    curves.append(_radial(origin, from_deg, inner_m, outer_m, density))
    return curves


def _needle(sector: Sector) -> Area:
    """A sweep under _ARC_SAG_M across at the outer arc: a band that wide each side of its first
    radial holds it (a point d from the origin is within d times the sweep of that radial)."""
    start = _moved(sector.origin, sector.from_deg, sector.inner_m)
    end = _moved(sector.origin, sector.from_deg, sector.outer_m)
    radial = _Legs.of([(start, end)])
    for density in _DENSITIES:
        rings, gap = _built_rings(
            _band_rings(radial, _ARC_SAG_M, _ARC_SAG_M, density), sector.origin[0]
        )
        if gap <= _GAP_TARGET_M:
            break
    band = shapely.Polygon(_closed(rings[0]))
    return _with_extent(_split_area(band, _margin(gap)), "has no area along its radial")


def orbit_shape(orbit: Orbit) -> Corridor:
    """The racetrack as a corridor: its centre line sampled along the geodesic, half its width."""
    half = orbit.width_m / 2.0
    first, second = orbit.first, orbit.second
    if orbit.side is not Side.CENTRE:
        turn = -90.0 if orbit.side is Side.LEFT else 90.0
        forward, back, _ = WGS84.inv(first[0], first[1], second[0], second[1])
        first = _moved(first, forward + turn, half)
        second = _moved(second, back + 180.0 + turn, half)
    azimuth, _, length = WGS84.inv(first[0], first[1], second[0], second[1])
    for density in _DENSITIES:
        line = _radial(first, azimuth, 0.0, length, density)
        (path, middles), _ = _solved([line.points, line.middles])
        path[-1] = second  # the end as given, not one rounded by the direct problem
        gap = _largest_gap_m(_chord_middles(path), middles)
        if gap <= _GAP_TARGET_M:
            break
    if np.any(np.abs(np.diff(path[:, 0])) > 180.0):
        raise ShapeError(
            "crosses the antimeridian; describe it as two orbits or as a track split at 180"
        )
    if np.any(np.abs(path[:, 1]) + np.degrees(half / 6_356_752.0) >= _POLAR_LIMIT_DEG):
        raise ShapeError("reaches the pole; describe it as a polygon that stops short of it")
    return Corridor(tuple((float(lon), float(lat)) for lon, lat in path), half + _margin(gap))


def track_shape(track: Track) -> Area:
    """The track as an area: a band per leg between its parallels, arcs on the outside of turns."""
    legs = _Legs.of([(a, b) for a, b in itertools.pairwise(track.path) if a != b])
    if not len(legs):
        raise ShapeError("needs two different positions")
    for density in _DENSITIES:
        rings = _band_rings(legs, track.left_m, track.right_m, density)
        rings.extend(_turn_wedges(legs, track.left_m, track.right_m, density))
        built, gap = _built_rings(rings, track.path[0][0])
        if gap <= _GAP_TARGET_M:
            break
    united = shapely.make_valid(shapely.union_all([shapely.Polygon(_closed(r)) for r in built]))
    _refuse_polar(np.asarray(shapely.get_coordinates(united)))
    area = _split_area(united, _margin(gap))
    return _with_extent(area, "has no area: its legs are too short; give positions further apart")


# Building a boundary ------------------------------------------------------------------------
#
# A boundary is a run of curves (arcs, radials, parallels, geodesics across a line), each
# given as direct geodesic problems: its vertices, and the true point halfway along each
# chord between them, where a chord strays furthest from its curve. All the problems of a
# shape are solved in one call, and every gap is measured in one more.


@dataclass(frozen=True)
class _Direct:
    """`size` points `distance_m` from (lon, lat) along `azimuth_deg`: each an array of that
    length or one number for all of them."""

    lon: Floats | float
    lat: Floats | float
    azimuth_deg: Floats | float
    distance_m: Floats | float
    size: int

    @classmethod
    def of(
        cls, start: LonLat | Floats, azimuth_deg: Floats | float, distance_m: Floats | float
    ) -> _Direct:
        """From one start (a position, or an array of them) along arrays of azimuths and
        distances (either may be a scalar)."""
        if isinstance(start, tuple):
            lon: Floats | float = start[0]
            lat: Floats | float = start[1]
        else:
            lon, lat = start[:, 0], start[:, 1]
        arrays = [v for v in (lon, azimuth_deg, distance_m) if isinstance(v, np.ndarray)]
        return cls(lon, lat, azimuth_deg, distance_m, len(arrays[0]) if arrays else 1)


@dataclass(frozen=True)
class _Curve:
    """A stretch of the true boundary: its vertices, first and last included, and the true
    point halfway along each chord between them."""

    points: _Direct
    middles: _Direct


def _solved(problems: list[_Direct]) -> tuple[list[Floats], list[Floats]]:
    """The positions (n x 2) and the azimuths at them, onward, of every problem: one call.

    Each problem's values are written into one array per argument, a number spread over
    its run as it is written: half the time of making an array per problem and joining
    them (tens of thousands of problems for a large plan).
    """
    bounds = [0, *itertools.accumulate(p.size for p in problems)]
    runs = [slice(a, b) for a, b in itertools.pairwise(bounds)]
    lon, lat, azimuth, distance = (np.empty(bounds[-1]) for _ in range(4))
    for problem, run in zip(problems, runs, strict=True):
        lon[run], lat[run] = problem.lon, problem.lat
        azimuth[run], distance[run] = problem.azimuth_deg, problem.distance_m
    lon, lat, back = WGS84.fwd(lon, lat, azimuth, distance, inplace=True)
    positions = np.column_stack([lon, lat])
    onward = back + 180.0
    return [positions[run] for run in runs], [onward[run] for run in runs]


def _built_rings(rings: list[list[_Curve]], origin_lon: float) -> tuple[list[Floats], float]:
    """Each ring's vertices (unclosed, unwrapped around `origin_lon`) and the largest gap
    between any chord and the true boundary.

    Each curve of a ring ends where the next begins (the last where the first
    begins); that shared vertex is kept once, from the next curve.
    """
    curves = [curve for ring in rings for curve in ring]
    solved, _ = _solved([part for curve in curves for part in (curve.points, curve.middles)])
    built: list[Floats] = []
    chord_middles: list[Floats] = []
    true_middles: list[Floats] = []
    position = 0
    for ring in rings:
        parts = solved[position : position + 2 * len(ring)]
        position += 2 * len(ring)
        vertices = _unwrapped(np.concatenate([p[:-1] for p in parts[0::2]]), origin_lon)
        built.append(vertices)
        chord_middles.append(_chord_middles(_closed(vertices)))
        true_middles.append(np.concatenate(parts[1::2]))
    return built, _largest_gap_m(np.concatenate(chord_middles), np.concatenate(true_middles))


def _arc(
    origin: LonLat,
    radius_m: float,
    from_deg: float,
    sweep_deg: float,
    sag_m: float = _ARC_SAG_M,
    density: int = 1,
) -> _Curve:
    """The geodesic circle of `radius_m` around `origin`, `sweep_deg` on from `from_deg`
    (negative: anticlockwise)."""
    span = abs(sweep_deg)
    step = 2.0 * math.degrees(math.acos(max(-1.0, 1.0 - sag_m / radius_m)))
    most = _MAX_ARC_STEPS if sag_m <= _ARC_SAG_M else _MAX_OUTLINE_STEPS
    steps = min(most, max(_MIN_ARC_STEPS, math.ceil(span / step))) * density
    bearings = from_deg + evenly(0.0, sweep_deg, steps)
    middles = _middles(bearings)
    return _Curve(_Direct.of(origin, bearings, radius_m), _Direct.of(origin, middles, radius_m))


def _middles(values: Floats) -> Floats:
    """The values halfway between consecutive `values`."""
    middles: Floats = values[:-1] + (values[1:] - values[:-1]) / 2.0
    return middles


def _disc(centre: LonLat, radius_m: float, sag_m: float) -> _Curve:
    """A whole geodesic circle, for outlines."""
    return _arc(centre, radius_m, 0.0, 360.0, sag_m)


def _radial(
    origin: LonLat, bearing_deg: float, from_m: float, to_m: float, density: int = 1
) -> _Curve:
    """The geodesic leaving `origin` at `bearing_deg`, between two distances along it."""
    steps = _path_steps(abs(to_m - from_m), density)
    distances = evenly(from_m, to_m, steps)
    middles = _middles(distances)
    return _Curve(
        _Direct.of(origin, bearing_deg, distances), _Direct.of(origin, bearing_deg, middles)
    )


@dataclass(frozen=True)
class _Legs:
    """Legs between positions, and from one inverse call the heading leaving each start, the
    heading arriving at each end, and each length."""

    starts: Floats
    ends: Floats
    leaving_deg: Floats
    arriving_deg: Floats
    length_m: Floats

    @classmethod
    def of(cls, legs: list[tuple[LonLat, LonLat]]) -> _Legs:
        starts = np.array([a for a, _ in legs], dtype=np.float64).reshape(-1, 2)
        ends = np.array([b for _, b in legs], dtype=np.float64).reshape(-1, 2)
        leaving, back, length = WGS84.inv(starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1])
        arriving = np.asarray(back, dtype=np.float64) + 180.0
        return cls(starts, ends, np.asarray(leaving), arriving, np.asarray(length))

    def __len__(self) -> int:
        return len(self.starts)


def _band_rings(legs: _Legs, left_m: float, right_m: float, density: int) -> list[list[_Curve]]:
    """Per leg, one ring: the left parallel, the square end, the right parallel back, the start.

    The centre line of every leg is sampled first (one call); the parallels
    stand off its samples and its chords' middles, square to the heading there.
    """
    lines = [
        _radial((float(a[0]), float(a[1])), float(az), 0.0, float(d), density)
        for a, az, d in zip(legs.starts, legs.leaving_deg, legs.length_m, strict=True)
    ]
    positions, onward = _solved([part for line in lines for part in (line.points, line.middles)])
    rings = []
    for k in range(len(legs)):
        centre, heading = positions[2 * k], onward[2 * k]
        centre[-1] = legs.ends[k]  # the leg's own end, not one rounded by the direct problem
        middles, middle_heading = positions[2 * k + 1], onward[2 * k + 1]
        rings.append(
            [
                _Curve(
                    _Direct.of(centre, heading - 90.0, left_m),
                    _Direct.of(middles, middle_heading - 90.0, left_m),
                ),
                _across(centre[-1], heading[-1], -left_m, right_m, density),
                _Curve(
                    _Direct.of(centre[::-1], heading[::-1] + 90.0, right_m),
                    _Direct.of(middles[::-1], middle_heading[::-1] + 90.0, right_m),
                ),
                _across(centre[0], heading[0], right_m, -left_m, density),
            ]
        )
    return rings


def _across(point: Floats, heading_deg: float, from_m: float, to_m: float, density: int) -> _Curve:
    """The geodesic square to the line at `point`, from `from_m` to `to_m` on its right
    (negative: on its left): a square end."""
    return _radial((float(point[0]), float(point[1])), heading_deg + 90.0, from_m, to_m, density)


def _turn_wedges(legs: _Legs, left_m: float, right_m: float, density: int) -> list[list[_Curve]]:
    """At every turn, the wedge of the circle around the turning point that closes the
    outside of the turn; none on a straight line or on a side of width 0."""
    wedges = []
    for k in range(len(legs) - 1):
        b = (float(legs.ends[k, 0]), float(legs.ends[k, 1]))
        heading_in, heading_out = float(legs.arriving_deg[k]), float(legs.leaving_deg[k + 1])
        turn = (heading_out - heading_in + 180.0) % 360.0 - 180.0
        if abs(turn) < 1e-9:
            continue
        if turn > 0:  # turning right: the left side is outside, swept clockwise
            radius, start = left_m, heading_in - 90.0
        else:  # turning left: the right side is outside
            radius, start = right_m, heading_out + 90.0
        if radius > 0.0:
            wedges.append(_wedge(b, radius, 0.0, start % 360.0, abs(turn), density))
    return wedges


def _path_steps(length_m: float, density: int) -> int:
    """How many pieces to sample a geodesic `length_m` long in: one a kilometre, times `density`."""
    return min(_MAX_PATH_STEPS, max(1, math.ceil(length_m / _PATH_STEP_M))) * density


def _chord_middles(points: Floats) -> Floats:
    """The lon/lat midpoint of each chord between consecutive points (the short way round)."""
    a, b = points[:-1], points[1:]
    delta = (b[:, 0] - a[:, 0] + 180.0) % 360.0 - 180.0
    return np.column_stack([a[:, 0] + delta / 2.0, (a[:, 1] + b[:, 1]) / 2.0])


def _largest_gap_m(chord_middles: Floats, true_middles: Floats) -> float:
    """A bound of the largest geodesic distance from a chord's lon/lat midpoint to its true
    middle point: the length of the lon/lat-straight path between them (centimetres, where
    that bound stands within 1% of the geodesic): a build takes a tenth (a track) to a fifth
    (a ring) less time than solving the inverse problem for each."""
    if len(true_middles) == 0:
        return 0.0
    across = (true_middles[:, 0] - chord_middles[:, 0] + 180.0) % 360.0 - 180.0
    near = np.column_stack([chord_middles[:, 0] + across, true_middles[:, 1]])
    return float(np.max(path_length_bound_m(chord_middles, near)))


def _with_extent(area: Area, why_empty: str) -> Area:
    """The area, unless building it left nothing (ShapeError saying why)."""
    if not area.ring_lengths:
        raise ShapeError(why_empty)
    return area


def _margin(gap_m: float) -> float:
    return gap_m * _MARGIN_FACTOR + _MARGIN_SLACK_M


def _moved(point: LonLat, azimuth_deg: float, distance_m: float) -> LonLat:
    lon, lat, _ = WGS84.fwd(point[0], point[1], azimuth_deg, distance_m)
    return (float(lon), float(lat))


def _refuse_polar_reach(sector: Sector) -> None:
    pole_m = _distance_to_nearer_pole_m(sector.origin)
    if pole_m <= sector.outer_m:
        raise ShapeError(
            f"reaches the pole ({pole_m / 1000:.1f} km from the origin); "
            "describe it as a polygon that stops short of the pole, or as a circle"
        )


def _distance_to_nearer_pole_m(point: LonLat) -> float:
    pole = 90.0 if point[1] >= 0 else -90.0
    return float(WGS84.inv(point[0], point[1], point[0], pole)[2])


def _refuse_polar(points: Floats) -> None:
    if len(points) and float(np.max(np.abs(points[:, 1]))) >= _POLAR_LIMIT_DEG:
        raise ShapeError("reaches the pole; describe it as a polygon that stops short of it")


def _unwrapped(points: Floats, origin_lon: float) -> Floats:
    """Longitudes made continuous around `origin_lon`, so nothing jumps at the antimeridian."""
    lon = origin_lon + (points[:, 0] - origin_lon + 180.0) % 360.0 - 180.0
    return np.column_stack([lon, points[:, 1]])


def _closed(points: Floats) -> Floats:
    return np.concatenate([points, points[:1]])


def _split_area(geometry: shapely.Geometry, margin_m: float) -> Area:
    """The unwrapped geometry cut at the antimeridian into polygons within -180..180."""
    west, _, east, _ = geometry.bounds
    if west >= -180.0 and east <= 180.0:  # the usual case: nothing to cut
        return _area_of(_polygons_of(geometry), margin_m)
    polygons: list[shapely.Polygon] = []
    for shift in (-360.0, 0.0, 360.0):
        window = shapely.box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        piece = geometry.intersection(window)
        if piece.is_empty:
            continue
        piece = shapely.affinity.translate(piece, xoff=shift)
        polygons.extend(_polygons_of(piece))
    return _area_of(polygons, margin_m)


def _polygons_of(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    if isinstance(geometry, shapely.Polygon):
        return [] if geometry.is_empty else [geometry]
    if hasattr(geometry, "geoms"):
        return [p for part in geometry.geoms for p in _polygons_of(part)]
    return []  # lines and points where a piece only touches the cut


def _area_of(polygons: list[shapely.Polygon], margin_m: float) -> Area:
    """The polygons as an area held as one array of positions (`Area.of_arrays`), longitudes
    clipped to -180..180 (a cut at the antimeridian may leave a hair beyond)."""
    rings, owner = shapely.get_rings(np.asarray(polygons, dtype=object), return_index=True)
    positions = shapely.get_coordinates(rings)
    positions[:, 0] = np.clip(positions[:, 0], -180.0, 180.0)
    counts = shapely.get_num_coordinates(rings).tolist()
    lengths: list[list[int]] = [[] for _ in polygons]
    for polygon, count in zip(owner.tolist(), counts, strict=True):
        lengths[polygon].append(count)
    return Area.of_arrays(positions, tuple(tuple(ring) for ring in lengths), margin_m)
