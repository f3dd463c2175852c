"""Sectors, orbits and tracks bounded from their definitions, before (and without) building them.

Building an airspace shape (`geo/construct.py`) solves the geodesic problem at
a vertex every hundred metres or so; a plan of thousands of them spends most
of its reading time there, though only the shapes whose boxes meet another's
ever reach the exact rule. A sketch bounds a shape from a few samples of its
definition instead, so a plan can pair its features first and build only the
shapes a pair needs:

- samples are taken along every curve of the outline (arcs at even bearings,
  radials and legs at even distances), at most `spacing_m` apart along the
  curve, so every point of a curve lies within half of that of a sample;
- a track's or an orbit's outline lies within its side widths of its centre
  line, which is what is sampled;
- `spread_m` says how far from a sample any vertex of the built shape may lie,
  and `reach_m` how far the built shape may reach beyond its vertices (an
  orbit's half width, and the construction margin, which is checked when the
  shape is built: `SKETCH_MARGIN_M`).

The arc between two samples at bearings `d` radians apart is no longer than the
radius times `d`: on a surface curved like the ellipsoid (positively
everywhere) a geodesic circle is never longer than in the plane.

Only shapes whose build can be foretold are sketched: well away from the poles
and the antimeridian (so neither refusal nor a cut applies) and neither
needle-thin nor a few metres long (so the build cannot come out empty). Any
other shape has no sketch and is built as it is read, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.geo.ellipsoid import ECCENTRICITY_SQUARED, SEMI_MAJOR_AXIS_M, WGS84
from deconflict.geo.shapes import Orbit, Sector, Shape, Side, Track

Floats = NDArray[np.float64]

# The most a built shape may reach beyond its vertices for its construction (its
# measured margin, 5 to 13 cm where sketches are drawn); a build beyond this fails.
SKETCH_MARGIN_M = 0.5
# Sketched only within this latitude and this far (in degrees) from the antimeridian.
_LATITUDE_LIMIT_DEG = 80.0
_ANTIMERIDIAN_CLEARANCE_DEG = 0.5
# Shapes smaller than this (depth, sweep or leg) are built as read.
_SMALLEST_M = 10.0
_LARGEST_M = 2_000_000.0
# Samples at most this far apart, or closer: a fraction of the shape's size.
_FINEST_SPACING_M = 100.0
_SAMPLES_PER_SIZE = 64
# The meridian's least radius of curvature (at the equator): a degree of latitude is
# never shorter than this many metres over 180 / pi.
_MERIDIAN_RADIUS_MIN_M = SEMI_MAJOR_AXIS_M * (1.0 - ECCENTRICITY_SQUARED)
# Rounding in the direct problem's answers, far below a box's own margin.
_SOLVER_SLACK_M = 0.01


@dataclass(frozen=True)
class Sketch:
    """Samples of a shape's outline (or centre line), n x 2 lon/lat: every vertex of the built
    shape lies within `spread_m` of one, and the built shape reaches at most `reach_m`
    beyond its vertices."""

    points: Floats
    spread_m: float
    reach_m: float

    def rectangle(self) -> tuple[float, float, float, float]:
        """West, east, south, north (degrees) holding every vertex of the built shape.

        Worked out once (the sketch is vetted by it, the shape boxed by it and its build
        held to it) and kept, as a cached property keeps its value.
        """
        kept = vars(self)  # a frozen dataclass refuses new attributes, not its __dict__
        if "rectangle_deg" not in kept:
            kept["rectangle_deg"] = self._rectangle()
        rectangle: tuple[float, float, float, float] = kept["rectangle_deg"]
        return rectangle

    def _rectangle(self) -> tuple[float, float, float, float]:
        lon, lat = self.points[:, 0], self.points[:, 1]
        across_lat = math.degrees(self.spread_m / _MERIDIAN_RADIUS_MIN_M)
        south, north = float(lat.min()) - across_lat, float(lat.max()) + across_lat
        widest = math.radians(max(abs(south), abs(north)))
        across_lon = math.degrees(self.spread_m / (SEMI_MAJOR_AXIS_M * math.cos(widest)))
        return float(lon.min()) - across_lon, float(lon.max()) + across_lon, south, north


def sketch(shape: Shape) -> Sketch | None:
    """The shape's sketch, or None when it must be built as read (see the module's notes).

    Kept on the shape once drawn, as `construct.resolve` keeps the build.
    """
    if not isinstance(shape, (Sector, Orbit, Track)):
        return None
    kept = vars(shape)  # a frozen dataclass refuses new attributes, not its __dict__
    if "sketch" not in kept:
        kept["sketch"] = _drawn(shape)
    drawn: Sketch | None = kept["sketch"]
    return drawn


def _drawn(shape: Sector | Orbit | Track) -> Sketch | None:
    if isinstance(shape, Sector):
        found = _sector(shape)
    elif isinstance(shape, Orbit):
        found = _orbit(shape)
    else:
        found = _track(shape)
    if found is None or not np.all(np.isfinite(found.points)):
        return None
    west, east, south, north = found.rectangle()
    reaches_m = found.reach_m + SKETCH_MARGIN_M
    beyond = math.degrees(reaches_m / _MERIDIAN_RADIUS_MIN_M)
    clear = 180.0 - _ANTIMERIDIAN_CLEARANCE_DEG
    if max(abs(south), abs(north)) + beyond > _LATITUDE_LIMIT_DEG or west < -clear or east > clear:
        return None
    return found


def _sector(sector: Sector) -> Sketch | None:
    span = math.radians(sector.span_deg)
    depth = sector.outer_m - sector.inner_m
    whole_disc = sector.inner_m == 0.0 and sector.span_deg == 360.0
    if (
        whole_disc  # built as a circle, at no cost
        or depth < _SMALLEST_M
        or sector.outer_m * span < _SMALLEST_M
        or sector.outer_m > _LARGEST_M
    ):
        return None
    if _pole_distance_m(sector.origin) <= sector.outer_m + _SMALLEST_M:
        return None  # refused when built, whatever its bearings: left to the build to say so
    spacing = max(_FINEST_SPACING_M, sector.outer_m / _SAMPLES_PER_SIZE)
    bearings: list[Floats] = []
    distances: list[Floats] = []

    def arc(radius_m: float) -> None:
        steps = max(1, math.ceil(radius_m * span / spacing))
        bearings.append(sector.from_deg + evenly(0.0, sector.span_deg, steps))
        distances.append(np.full(steps + 1, radius_m))

    def radial(bearing_deg: float) -> None:
        steps = max(1, math.ceil(depth / spacing))
        distances.append(evenly(sector.inner_m, sector.outer_m, steps))
        bearings.append(np.full(steps + 1, bearing_deg))

    arc(sector.outer_m)
    if sector.inner_m > 0.0:
        arc(sector.inner_m)
    if sector.span_deg < 360.0:
        radial(sector.from_deg)
        radial(sector.from_deg + sector.span_deg)
    points = _solved([sector.origin] * len(bearings), bearings, distances)
    if sector.inner_m == 0.0:
        points = np.vstack([points, np.array([sector.origin], dtype=np.float64)])
    # Along an arc, samples at bearings `spacing / radius` apart are at most `spacing` apart.
    return Sketch(points, spacing / 2.0 + _SOLVER_SLACK_M, 0.0)


def _orbit(orbit: Orbit) -> Sketch | None:
    half = orbit.width_m / 2.0
    first, second = orbit.first, orbit.second
    if orbit.side is not Side.CENTRE:  # the centre line stands off the given line, as built
        turn = -90.0 if orbit.side is Side.LEFT else 90.0
        forward, back, _ = WGS84.inv(first[0], first[1], second[0], second[1])
        first = _moved(first, forward + turn, half)
        second = _moved(second, back + 180.0 + turn, half)
    azimuth, _, length = WGS84.inv(first[0], first[1], second[0], second[1])
    if not _SMALLEST_M <= length <= _LARGEST_M or half > _LARGEST_M:
        return None
    spacing = max(_FINEST_SPACING_M, length / _SAMPLES_PER_SIZE)
    steps = max(1, math.ceil(length / spacing))
    along = evenly(0.0, length, steps)
    points = _solved([first], [np.full(steps + 1, azimuth)], [along])
    points = np.vstack([points, np.array([second], dtype=np.float64)])
    return Sketch(points, spacing / 2.0 + _SOLVER_SLACK_M, half)


def _track(track: Track) -> Sketch | None:
    positions = [track.path[0]]
    positions.extend(b for a, b in zip(track.path, track.path[1:], strict=False) if a != b)
    side_m = max(track.left_m, track.right_m)
    if len(positions) < 2 or track.left_m + track.right_m < _SMALLEST_M or side_m > _LARGEST_M:
        return None
    starts = np.array(positions[:-1], dtype=np.float64)
    ends = np.array(positions[1:], dtype=np.float64)
    azimuths, _, lengths = WGS84.inv(starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1])
    total = float(np.sum(lengths))
    if float(np.min(lengths)) < _SMALLEST_M or total > _LARGEST_M:
        return None
    spacing = max(_FINEST_SPACING_M, total / _SAMPLES_PER_SIZE)
    leg_starts, bearings, distances = [], [], []
    for start, azimuth, length in zip(positions[:-1], azimuths, lengths, strict=True):
        steps = max(1, math.ceil(float(length) / spacing))
        leg_starts.append(start)
        bearings.append(np.full(steps + 1, float(azimuth)))
        distances.append(evenly(0.0, float(length), steps))
    points = _solved(leg_starts, bearings, distances)
    points = np.vstack([points, np.array(positions, dtype=np.float64)])
    # Every vertex of the built track (its sides, square ends and turn arcs) lies within
    # a side's width of the centre line.
    return Sketch(points, side_m + spacing / 2.0 + _SOLVER_SLACK_M, 0.0)


def _solved(
    starts: list[tuple[float, float]], bearings: list[Floats], distances: list[Floats]
) -> Floats:
    """The points `distances` along the geodesics leaving each start at `bearings`: one call."""
    counts = [len(d) for d in distances]
    lon = np.repeat(np.array([s[0] for s in starts], dtype=np.float64), counts)
    lat = np.repeat(np.array([s[1] for s in starts], dtype=np.float64), counts)
    azimuth = np.concatenate(bearings).astype(np.float64)
    distance = np.concatenate(distances).astype(np.float64)
    lon, lat, _ = WGS84.fwd(lon, lat, azimuth, distance, inplace=True)
    return np.column_stack([lon, lat])


def evenly(start: float, stop: float, steps: int) -> Floats:
    """`steps + 1` values spread evenly from `start` to `stop` (both exact): `np.linspace` to
    the last bit, without its cost per call (10 µs; tens of thousands of calls for a large
    plan)."""
    values: Floats = np.arange(steps + 1, dtype=np.float64) * ((stop - start) / steps) + start
    values[-1] = stop
    return values


def _pole_distance_m(point: tuple[float, float]) -> float:
    pole = 90.0 if point[1] >= 0 else -90.0
    return float(WGS84.inv(point[0], point[1], point[0], pole)[2])


def _moved(
    point: tuple[float, float], azimuth_deg: float, distance_m: float
) -> tuple[float, float]:
    lon, lat, _ = WGS84.fwd(point[0], point[1], azimuth_deg, distance_m)
    return (float(lon), float(lat))
