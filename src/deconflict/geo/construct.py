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
vertex. Near the poles a chord straight in lon/lat bends away from the
geodesic it stands for (by a metre over a kilometre at 89 degrees), so a
shape whose measured gap is too wide is built again with denser vertices,
up to 16 times as dense (and so are the largest arcs, whose vertices are
capped). Margins: 5 to 13 cm, from 10 m to 2,000 km, at the equator or a
degree from the pole.

A sector narrower than 5 cm across its outer arc is built as a 10 cm band
along its first radial (a lon/lat polygon that thin would collapse).

Shapes that reach a pole are refused (a lon/lat polygon cannot go round
one); sectors and tracks that cross the antimeridian are split there, as
RFC 7946 asks; an orbit that crosses it is refused, like a LineString.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray

from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.shapes import (
    Area,
    BasicShape,
    Circle,
    Corridor,
    LonLat,
    Orbit,
    PolygonRings,
    Sector,
    Shape,
    Side,
    Track,
    resolve,
)

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
        sector = Sector(shape.centre, shape.radius_m)
        _refuse_polar_reach(sector)
        ring = _unwrapped(_arc(sector, shape.radius_m, sag_m)[0], shape.centre[0])
        return _split_area(shapely.Polygon(_closed(ring)), 0.0)
    origin_lon = shape.path[0][0]
    half = shape.half_width_m
    pieces = []
    for a, b in itertools.pairwise(shape.path):
        if a != b and half > 0.0:
            pieces.append(_leg_band(a, b, half, half, origin_lon)[0])
    for point in shape.path if half > 0.0 else ():
        disc = Sector(point, half)
        ring = _unwrapped(_arc(disc, half, sag_m)[0], origin_lon)
        pieces.append(shapely.Polygon(_closed(ring)))
    if not pieces:
        return Area(())
    united = shapely.make_valid(shapely.union_all(pieces))
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
        rings, gap = _sector_rings(sector, density)
        if gap <= _GAP_TARGET_M:
            break
    polygon = shapely.Polygon(_closed(rings[0]), [_closed(r) for r in rings[1:]])
    area = _split_area(shapely.make_valid(polygon), _margin(gap))
    return _with_extent(area, "has no area between its radii and bearings")


def _sector_rings(sector: Sector, density: int) -> tuple[list[Floats], float]:
    """The sector's rings (an annulus has two), vertices `density` times as dense; the gap."""
    outer, outer_gap = _arc(sector, sector.outer_m, density=density)
    rings: list[Floats]
    inner_gap = 0.0
    if sector.span_deg == 360.0:
        inner, inner_gap = _arc(sector, sector.inner_m, density=density)
        rings = [outer, inner[::-1]]
    else:
        origin, outer_m, inner_m = sector.origin, sector.outer_m, sector.inner_m
        if inner_m > 0.0:
            inner, inner_gap = _arc(sector, inner_m, density=density)
            inner = inner[::-1]
        else:
            inner = np.array([[origin[0], origin[1]]])
        rings = [
            np.concatenate(
                [
                    outer,
                    _radial(origin, sector.to_deg, outer_m, inner_m, density),
                    inner,
                    _radial(origin, sector.from_deg, inner_m, outer_m, density),
                ]
            )
        ]
    rings = [_unwrapped(ring, sector.origin[0]) for ring in rings]
    return rings, max(outer_gap, inner_gap, *(_chord_gap_m(ring) for ring in rings))


def _needle(sector: Sector) -> Area:
    """A sweep under _ARC_SAG_M across at the outer arc: a band that wide each side of its first
    radial holds it (a point d from the origin is within d times the sweep of that radial)."""
    start = _moved(sector.origin, sector.from_deg, sector.inner_m)
    end = _moved(sector.origin, sector.from_deg, sector.outer_m)
    for density in _DENSITIES:
        band, gap = _leg_band(start, end, _ARC_SAG_M, _ARC_SAG_M, sector.origin[0], density)
        if gap <= _GAP_TARGET_M:
            break
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
    for density in _DENSITIES:
        path = _geodesic_samples(first, second, density)
        gap = _chord_gap_m(path, closed=False)
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
    legs = [(a, b) for a, b in itertools.pairwise(track.path) if a != b]
    if not legs:
        raise ShapeError("needs two different positions")
    for density in _DENSITIES:
        pieces, gap = _track_pieces(track, legs, density)
        if gap <= _GAP_TARGET_M:
            break
    united = shapely.make_valid(shapely.union_all(pieces))
    _refuse_polar(np.asarray(shapely.get_coordinates(united)))
    area = _split_area(united, _margin(gap))
    return _with_extent(area, "has no area: its legs are too short; give positions further apart")


def _track_pieces(
    track: Track, legs: list[tuple[LonLat, LonLat]], density: int
) -> tuple[list[shapely.Polygon], float]:
    """The band of every leg and the wedge of every turn, and the largest gap among them."""
    origin_lon = track.path[0][0]
    pieces: list[shapely.Polygon] = []
    gap = 0.0
    for a, b in legs:
        band, band_gap = _leg_band(a, b, track.left_m, track.right_m, origin_lon, density)
        pieces.append(band)
        gap = max(gap, band_gap)
    for (a, b), (_, c) in itertools.pairwise(legs):
        wedge = _turn_wedge(a, b, c, track.left_m, track.right_m, origin_lon, density)
        if wedge is not None:
            pieces.append(wedge[0])
            gap = max(gap, wedge[1])
    return pieces, gap


def _leg_band(
    a: LonLat, b: LonLat, left_m: float, right_m: float, origin_lon: float, density: int = 1
) -> tuple[shapely.Polygon, float]:
    centre = _geodesic_samples(a, b, density)
    forward = _forward_azimuths(centre)
    left = _offset(centre, forward - 90.0, left_m)
    right = _offset(centre, forward + 90.0, right_m)
    # Square ends: the geodesic across the line at each end, from one side to the other.
    end_cap = _cap(centre[-1], forward[-1], left_m, right_m, density)
    start_cap = _cap(centre[0], forward[0], left_m, right_m, density)[::-1]
    ring = _unwrapped(np.concatenate([left, end_cap, right[::-1], start_cap]), origin_lon)
    gap = max(
        _parallel_gap_m(centre, -90.0, left_m, left),
        _parallel_gap_m(centre, 90.0, right_m, right),
        _chord_gap_m(ring),
    )
    return shapely.Polygon(_closed(ring)), gap


def _turn_wedge(
    a: LonLat,
    b: LonLat,
    c: LonLat,
    left_m: float,
    right_m: float,
    origin_lon: float,
    density: int = 1,
) -> tuple[shapely.Polygon, float] | None:
    """The arc that closes the outside of the turn at `b`, or None on a straight line."""
    _, back_in, _ = WGS84.inv(a[0], a[1], b[0], b[1])
    heading_in = back_in + 180.0
    heading_out, _, _ = WGS84.inv(b[0], b[1], c[0], c[1])
    turn = (heading_out - heading_in + 180.0) % 360.0 - 180.0
    if abs(turn) < 1e-9:
        return None
    if turn > 0:  # turning right: the left side is outside, swept clockwise
        radius, start, end = left_m, heading_in - 90.0, heading_out - 90.0
    else:  # turning left: the right side is outside
        radius, start, end = right_m, heading_out + 90.0, heading_in + 90.0
    if radius == 0.0:
        return None
    wedge = Sector(b, radius, 0.0, start % 360.0, end % 360.0)
    arc, arc_gap = _arc(wedge, radius, density=density)
    ring = _unwrapped(
        np.concatenate(
            [
                arc,
                _radial(b, end, radius, 0.0, density),
                np.array([[b[0], b[1]]]),
                _radial(b, start, 0.0, radius, density),
            ]
        ),
        origin_lon,
    )
    return shapely.Polygon(_closed(ring)), max(arc_gap, _chord_gap_m(ring))


def _arc(
    sector: Sector, radius_m: float, sag_m: float = _ARC_SAG_M, density: int = 1
) -> tuple[Floats, float]:
    """Vertices on the geodesic circle of `radius_m` over the sector's bearings, and the gap."""
    span = sector.span_deg
    step = 2.0 * math.degrees(math.acos(max(-1.0, 1.0 - sag_m / radius_m)))
    most = _MAX_ARC_STEPS if sag_m <= _ARC_SAG_M else _MAX_OUTLINE_STEPS
    steps = min(most, max(_MIN_ARC_STEPS, math.ceil(span / step))) * density
    bearings = sector.from_deg + np.linspace(0.0, span, steps + 1)
    if span == 360.0:
        bearings = bearings[:-1]
    points = _fan(sector.origin, bearings, radius_m)
    middles = _fan(sector.origin, bearings[:-1] + np.diff(bearings) / 2.0, radius_m)
    gap = _gap_to_chords_m(points, middles)
    return points, gap


def _radial(
    origin: LonLat, bearing_deg: float, from_m: float, to_m: float, density: int = 1
) -> Floats:
    """Samples along the geodesic from `origin` at `bearing_deg`, strictly between two distances."""
    steps = _path_steps(abs(to_m - from_m), density)
    distances = np.linspace(from_m, to_m, steps + 1)[1:-1]
    return _along(origin, np.full(len(distances), bearing_deg), distances)


def _along(origin: LonLat, bearings: Floats, distances: Floats) -> Floats:
    lon, lat, _ = WGS84.fwd(
        np.full(len(bearings), origin[0]), np.full(len(bearings), origin[1]), bearings, distances
    )
    return np.column_stack([np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)])


def _fan(origin: LonLat, bearings: Floats, radius_m: float) -> Floats:
    lon, lat, _ = WGS84.fwd(
        np.full(len(bearings), origin[0]),
        np.full(len(bearings), origin[1]),
        bearings,
        np.full(len(bearings), radius_m),
    )
    return np.column_stack([lon, lat])


def _path_steps(length_m: float, density: int) -> int:
    """How many pieces to sample a geodesic `length_m` long in: one a kilometre, times `density`."""
    return min(_MAX_PATH_STEPS, max(1, math.ceil(length_m / _PATH_STEP_M))) * density


def _geodesic_samples(a: LonLat, b: LonLat, density: int = 1) -> Floats:
    length = WGS84.inv(a[0], a[1], b[0], b[1])[2]
    inner = _path_steps(length, density) - 1
    between = WGS84.npts(a[0], a[1], b[0], b[1], inner) if inner else []
    return np.array([a, *between, b], dtype=np.float64)


def _forward_azimuths(points: Floats) -> Floats:
    """The heading along the line at each sample (the last one from the edge before it)."""
    forward, back, _ = WGS84.inv(points[:-1, 0], points[:-1, 1], points[1:, 0], points[1:, 1])
    return np.append(np.asarray(forward, dtype=np.float64), float(np.asarray(back)[-1]) + 180.0)


def _offset(points: Floats, azimuths: Floats, distance_m: float) -> Floats:
    if distance_m == 0.0:
        return points.copy()
    lon, lat, _ = WGS84.fwd(points[:, 0], points[:, 1], azimuths, np.full(len(points), distance_m))
    return np.column_stack([lon, lat])


def _cap(
    point: Floats, heading_deg: float, left_m: float, right_m: float, density: int = 1
) -> Floats:
    """Samples across the line at `point`, from `left_m` on its left to `right_m` on its right,
    both ends excluded (they are the sides' own samples)."""
    steps = _path_steps(left_m + right_m, density)
    distances = np.linspace(-left_m, right_m, steps + 1)[1:-1]
    origin = (float(point[0]), float(point[1]))
    return _along(origin, np.full(len(distances), heading_deg + 90.0), distances)


def _parallel_gap_m(centre: Floats, turn_deg: float, distance_m: float, side: Floats) -> float:
    """Gap between the sampled parallel and the true one, at the middle of each chord.

    The true parallel's middle point lies `distance_m` across the line from the
    middle of the centre line's chord, at `turn_deg` from the heading there.
    """
    if distance_m == 0.0 or len(centre) < 2:
        return 0.0
    forward, _, length = WGS84.inv(centre[:-1, 0], centre[:-1, 1], centre[1:, 0], centre[1:, 1])
    mid_lon, mid_lat, back = WGS84.fwd(
        centre[:-1, 0], centre[:-1, 1], forward, np.asarray(length) / 2.0
    )
    heading = np.asarray(back, dtype=np.float64) + 180.0
    middles = _offset(np.column_stack([mid_lon, mid_lat]), heading + turn_deg, distance_m)
    return _gap_to_chords_m(side, middles)


def _chord_gap_m(points: Floats, closed: bool = True) -> float:
    """Largest gap between a lon/lat-straight chord and the geodesic between its ends."""
    ring = np.concatenate([points, points[:1]]) if closed else points
    a, b = ring[:-1], ring[1:]
    forward, _, length = WGS84.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    lon, lat, _ = WGS84.fwd(a[:, 0], a[:, 1], forward, np.asarray(length) / 2.0)
    return _gap_to_chords_m(ring, np.column_stack([lon, lat]))


def _gap_to_chords_m(points: Floats, middles: Floats) -> float:
    """Largest geodesic distance from each chord's lon/lat midpoint to the true middle point."""
    if len(middles) == 0:
        return 0.0
    a, b = points[: len(middles)], points[1 : len(middles) + 1]
    delta = (b[:, 0] - a[:, 0] + 180.0) % 360.0 - 180.0
    chord_lon = a[:, 0] + delta / 2.0
    chord_lat = (a[:, 1] + b[:, 1]) / 2.0
    _, _, gap = WGS84.inv(chord_lon, chord_lat, middles[:, 0], middles[:, 1])
    return float(np.max(gap))


def _with_extent(area: Area, why_empty: str) -> Area:
    """The area, unless building it left nothing (ShapeError saying why)."""
    if not area.polygons:
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
    polygons: list[PolygonRings] = []
    west, _, east, _ = geometry.bounds
    if west >= -180.0 and east <= 180.0:  # the usual case: nothing to cut
        return Area(tuple(_rings(polygon) for polygon in _polygons_of(geometry)), margin_m)
    for shift in (-360.0, 0.0, 360.0):
        window = shapely.box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        piece = geometry.intersection(window)
        if piece.is_empty:
            continue
        piece = shapely.affinity.translate(piece, xoff=shift)
        polygons.extend(_rings(polygon) for polygon in _polygons_of(piece))
    return Area(tuple(polygons), margin_m)


def _polygons_of(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    if isinstance(geometry, shapely.Polygon):
        return [] if geometry.is_empty else [geometry]
    if hasattr(geometry, "geoms"):
        return [p for part in geometry.geoms for p in _polygons_of(part)]
    return []  # lines and points where a piece only touches the cut


def _rings(polygon: shapely.Polygon) -> PolygonRings:
    def ring(coords: shapely.LinearRing) -> tuple[LonLat, ...]:
        xy = shapely.get_coordinates(coords)
        xy[:, 0] = np.clip(xy[:, 0], -180.0, 180.0)
        return tuple(map(tuple, xy.tolist()))

    return (ring(polygon.exterior), *(ring(hole) for hole in polygon.interiors))
