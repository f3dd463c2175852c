"""A brute-force geodesic oracle for the distance between shapes, and random shapes to feed it.

Independent of the engine: it uses only pyproj's geodesic solver
(`Geod(ellps="WGS84").inv`, Karney's algorithm) and shapely, nothing from
`deconflict.geo.distance` or `deconflict.geo.edges` (the shape value types
are shared, nothing else).

How it measures. A circle's core is its centre, a corridor's its path, an
area's its boundary rings (exteriors and holes). Paths and rings are cut into
pieces by linear interpolation in lon/lat with the literal longitudes (the
RFC 7946 reading of an edge). Shapes whose planar lon/lat geometries meet
(shapely) are at distance 0. Otherwise the distance between cores is the
least `Geod.inv` distance between sample points (piece ends), found by branch
and bound:

- every point of a piece lies within half the piece's arc length of one of
  its ends, so two pieces hold no pair of points nearer than their least
  end-to-end distance less half of both lengths;
- pairs of pieces that cannot beat the best sampled distance by more than
  the wanted resolution are dropped; the rest are halved, so the samples get
  dense (down to centimetres) only where the minimum can be.

Resolution. The answer is the distance between two actual points of the
cores, so it never underestimates; `resolution_m` bounds the overestimate
(the true distance is at least `distance_m - resolution_m`). As with any
sampling, the worst case is half the sample spacing on each side; here the
spacing is refined until that is at most max(1 cm, 1e-5 of the distance
between the cores), unless the search reaches its work cap (`_MAX_PAIRS`,
hit only on long stretches that are equidistant to within centimetres, such
as two stacked lon/lat rectangles: parallels of latitude are a constant
meridian arc apart), where it reports the larger bound it could prove (tens
of metres for hundreds of kilometres of such a stretch). Arc lengths of
pieces are bounded with the ellipsoid's largest radius of curvature, so the
bound holds near the poles too. Reaches (radius, half-width) are subtracted
at the end and the result floored at 0. It is slow (milliseconds to a second
a pair): keep test sizes modest.

The second half of the module draws random and adversarial shapes for the
property tests: near the poles (|lat| > 85), at the antimeridian (|lon| > 178,
areas split there into MultiPolygons), from tens of metres to about 1,000 km,
and shapes that hug others within metres; then the airspace shapes (sectors,
orbits, tracks), each placed where a strategy says and sized as one says.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import shapely
import shapely.affinity
from hypothesis import assume
from hypothesis import strategies as st
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.geo.construct import resolve
from deconflict.geo.shapes import Area, Circle, Corridor, Orbit, Sector, Shape, Side, Track

Floats = NDArray[np.float64]

GEOD = Geod(ellps="WGS84")

_SEMI_MAJOR_AXIS_M = 6378137.0
_FLATTENING = 1 / 298.257223563
_E2 = _FLATTENING * (2 - _FLATTENING)
# Meridian and prime-vertical radii of curvature both peak at the poles at a / sqrt(1 - e^2).
_MAX_CURVATURE_RADIUS_M = _SEMI_MAJOR_AXIS_M / math.sqrt(1 - _E2)

ABS_RESOLUTION_M = 0.01
REL_RESOLUTION = 1e-5
_MAX_PAIRS = 30_000


@dataclass(frozen=True)
class OracleDistance:
    """An attained distance (an upper bound) and how much it may overestimate the truth."""

    distance_m: float
    resolution_m: float

    @property
    def lower_m(self) -> float:
        """A proven lower bound of the true distance."""
        return max(0.0, self.distance_m - self.resolution_m)


def oracle_distance_m(a: Shape, b: Shape) -> float:
    """Geodesic distance in metres between two shapes (see the module docstring)."""
    return oracle_bounds(a, b).distance_m


def geodesic_m(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Geodesic distance in metres between two (lon, lat) points."""
    return float(GEOD.inv(p[0], p[1], q[0], q[1])[2])


def moved(point: tuple[float, float], azimuth_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` metres from `point` along the geodesic leaving at `azimuth_deg`."""
    lon, lat, _ = GEOD.fwd(point[0], point[1], azimuth_deg, distance_m)
    return float(lon), float(lat)


def rectangle(
    lon0: float, lat0: float, lon1: float, lat1: float
) -> tuple[tuple[float, float], ...]:
    """The closed ring of a lon/lat rectangle."""
    return ((lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1), (lon0, lat0))


def oracle_bounds(
    a: Shape, b: Shape, stop_below_m: float = -math.inf, stop_above_m: float = math.inf
) -> OracleDistance:
    """The oracle distance with its resolution.

    The search may stop early once the distance is proven at most `stop_below_m`
    or more than `stop_above_m`: enough to decide a comparison with a limit.
    """
    reach = resolve(a).reach_m + resolve(b).reach_m
    if not (isinstance(a, Circle) and isinstance(b, Circle)) and _planar(a).intersects(_planar(b)):
        return OracleDistance(0.0, 0.0)
    upper, lower = _branch_and_bound(
        _segments(a), _segments(b), stop_below_m + reach, stop_above_m + reach
    )
    distance = max(0.0, upper - reach)
    return OracleDistance(distance, distance - max(0.0, lower - reach))


def _planar(shape: Shape) -> shapely.Geometry:
    if isinstance(shape, Circle):
        return shapely.Point(shape.centre)
    if isinstance(shape, Corridor):
        return shapely.LineString(shape.path)
    assert isinstance(shape, Area), shape
    return shapely.MultiPolygon([shapely.Polygon(rings[0], rings[1:]) for rings in shape.polygons])


def _segments(shape: Shape) -> Floats:
    """Rows (lon0, lat0, lon1, lat1, arc length bound) of the core's straight lon/lat pieces."""
    rows = [(*p, *q) for p, q in core_edges(shape)]
    ends = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return np.column_stack([ends, _arc_bound_m(ends)])


def core_edges(shape: Shape) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The core's straight lon/lat edges as (start, end); a circle's is its centre twice."""
    if isinstance(shape, Circle):
        return [(shape.centre, shape.centre)]
    if isinstance(shape, Corridor):
        return list(itertools.pairwise(shape.path))
    assert isinstance(shape, Area), shape
    return [edge for path in shape_rings(shape) for edge in itertools.pairwise(path)]


def shape_rings(area: Area) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Every ring of an area, exteriors and holes."""
    return tuple(ring for rings in area.polygons for ring in rings)


def _arc_bound_m(ends: Floats) -> Floats:
    # ds^2 = M^2 dlat^2 + N^2 cos^2(lat) dlon^2; M, N are at most the polar radius of
    # curvature and cos(lat) peaks at the latitude of the piece nearest the equator.
    lat0, lat1 = ends[:, 1], ends[:, 3]
    d_lon = np.radians(ends[:, 2] - ends[:, 0])
    d_lat = np.radians(lat1 - lat0)
    nearest = np.where(lat0 * lat1 <= 0, 0.0, np.minimum(np.abs(lat0), np.abs(lat1)))
    arc = _MAX_CURVATURE_RADIUS_M * np.hypot(d_lat, np.cos(np.radians(nearest)) * d_lon)
    bound: Floats = arc * (1 + 1e-9) + 1e-9
    return bound


def _inverse_m(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> Floats:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2], dtype=np.float64)


def _branch_and_bound(
    first: Floats, second: Floats, stop_below_m: float, stop_above_m: float
) -> tuple[float, float]:
    """(attained distance, proven lower bound) between two sets of pieces."""
    i, j = np.meshgrid(np.arange(len(first)), np.arange(len(second)), indexing="ij")
    pa, pb = first[i.ravel()], second[j.ravel()]
    upper = math.inf
    dropped_lower = math.inf
    while True:
        ends = np.stack(
            [
                _inverse_m(pa[:, ea], pa[:, ea + 1], pb[:, eb], pb[:, eb + 1])
                for ea in (0, 2)
                for eb in (0, 2)
            ]
        )
        nearest = ends.min(axis=0)
        upper = min(upper, float(nearest.min()))
        bound = nearest - (pa[:, 4] + pb[:, 4]) / 2
        lower = min(dropped_lower, float(bound.min()), upper)
        resolution = max(ABS_RESOLUTION_M, REL_RESOLUTION * upper)
        keep = bound < upper - resolution
        if upper <= stop_below_m or lower > stop_above_m or not keep.any():
            return upper, lower
        if keep.sum() > _MAX_PAIRS:
            return upper, lower
        dropped_lower = min(dropped_lower, float(bound[~keep].min(initial=math.inf)))
        pa, pb = _split(pa[keep], pb[keep])


def _split(pa: Floats, pb: Floats) -> tuple[Floats, Floats]:
    """Halve the longer piece of each pair (both when they are of similar length)."""
    split_a = (pa[:, 4] > 0) & (2 * pa[:, 4] >= pb[:, 4])
    split_b = (pb[:, 4] > 0) & (2 * pb[:, 4] >= pa[:, 4])
    out_a, out_b = [], []
    for halves_a, halves_b in (
        (_halves(pa[split_a & split_b]), _halves(pb[split_a & split_b])),
        (_halves(pa[split_a & ~split_b]), [pb[split_a & ~split_b]]),
        ([pa[~split_a & split_b]], _halves(pb[~split_a & split_b])),
    ):
        for half_a in halves_a:
            for half_b in halves_b:
                out_a.append(half_a)
                out_b.append(half_b)
    return np.concatenate(out_a), np.concatenate(out_b)


def _halves(pieces: Floats) -> list[Floats]:
    mid_lon = (pieces[:, 0] + pieces[:, 2]) / 2
    mid_lat = (pieces[:, 1] + pieces[:, 3]) / 2
    first = np.column_stack([pieces[:, 0], pieces[:, 1], mid_lon, mid_lat])
    second = np.column_stack([mid_lon, mid_lat, pieces[:, 2], pieces[:, 3]])
    return [np.column_stack([half, _arc_bound_m(half)]) for half in (first, second)]


# Random and adversarial shapes for the property tests ------------------------------------------

KM_PER_DEG_LAT = 111.0


@st.composite
def anchors(draw: st.DrawFn) -> tuple[float, float]:
    """A place to put shapes: anywhere, near a pole (|lat| > 85) or near the antimeridian."""
    lon_any = st.floats(-180.0, 180.0)
    lat_any = st.floats(-89.0, 89.0)
    polar = st.floats(85.0, 90.0) | st.sampled_from([90.0, 89.999])
    seam = st.floats(178.0, 180.0) | st.sampled_from([180.0, 179.9999])
    sign = st.sampled_from([1.0, -1.0])
    where = draw(st.sampled_from(["anywhere", "pole", "antimeridian", "both"]))
    if where == "anywhere":
        return draw(lon_any), draw(lat_any)
    if where == "pole":
        return draw(lon_any), draw(sign) * draw(polar)
    if where == "antimeridian":
        return draw(sign) * draw(seam), draw(lat_any)
    return draw(sign) * draw(seam), draw(sign) * draw(polar)


def sizes_km(max_km: float) -> st.SearchStrategy[float]:
    """Shape sizes from tens of metres to `max_km`, with the small ones common."""
    return st.one_of(
        st.floats(0.01, min(2.0, max_km)),
        st.floats(min(2.0, max_km), min(50.0, max_km)),
        st.floats(min(50.0, max_km), max_km),
    )


def offset(anchor: tuple[float, float], east_km: float, north_km: float) -> tuple[float, float]:
    """`anchor` moved by roughly east/north km in lon/lat degrees; lat clipped, lon not wrapped."""
    lat = min(90.0, max(-90.0, anchor[1] + north_km / KM_PER_DEG_LAT))
    cos_lat = max(math.cos(math.radians(anchor[1])), 1e-3)
    lon = anchor[0] + min(max(east_km / (KM_PER_DEG_LAT * cos_lat), -60.0), 60.0)
    return lon, lat


def wrap_lon(lon: float) -> float:
    """A longitude brought into [-180, 180]."""
    return lon if -180.0 <= lon <= 180.0 else (lon + 180.0) % 360.0 - 180.0


def _clip_lon(lon: float) -> float:
    return min(180.0, max(-180.0, lon))


def _points(
    draw: st.DrawFn, anchor: tuple[float, float], size_km: float, n: int
) -> list[tuple[float, float]]:
    unit = st.floats(-1.0, 1.0)
    return [offset(anchor, draw(unit) * size_km, draw(unit) * size_km) for _ in range(n)]


def _on_one_side(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points moved as a block across the antimeridian when beyond it, clipped to the seam."""
    mean = sum(p[0] for p in points) / len(points)
    shift = 360.0 if mean < -180.0 else -360.0 if mean > 180.0 else 0.0
    return [(_clip_lon(lon + shift), lat) for lon, lat in points]


@st.composite
def circles(draw: st.DrawFn, anchor: tuple[float, float], max_km: float) -> Circle:
    size = draw(sizes_km(max_km))
    unit = st.floats(-1.0, 1.0)
    lon, lat = offset(anchor, draw(unit) * size, draw(unit) * size)
    radius = draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, size * 1000.0))
    return Circle((wrap_lon(lon), lat), radius)


@st.composite
def corridors(draw: st.DrawFn, anchor: tuple[float, float], max_km: float) -> Corridor:
    size = draw(sizes_km(max_km))
    n = draw(st.integers(2, 5))
    path = _on_one_side(_points(draw, anchor, size, n))
    half_width = draw(st.sampled_from([0.0, 5.0]) | st.floats(0.0, size * 300.0))
    return Corridor(tuple(path), half_width)


@st.composite
def areas(draw: st.DrawFn, anchor: tuple[float, float], max_km: float) -> Area:
    """Rectangles (some split at the antimeridian), triangles, star polygons with a hole.

    A draw that comes out degenerate (clipped at a pole, say) becomes a small square.
    """
    polygon = _polygon(draw, anchor, draw(sizes_km(max_km)))
    return split_at_antimeridian(polygon) or _small_square(anchor)


@st.composite
def multipolygons(draw: st.DrawFn, anchor: tuple[float, float], max_km: float) -> Area:
    """Two or three polygons side by side, or one across the antimeridian split in two there.

    A draw that comes out as fewer than two polygons becomes two small squares.
    """
    size = draw(sizes_km(max_km))
    first = _polygon(draw, anchor, size)
    if draw(st.booleans()):
        west, _, east, _ = first.bounds
        seam = 180.0 if anchor[0] >= 0.0 else -180.0
        across = seam - west - draw(st.floats(0.01, 0.99)) * (east - west)
        geometry = shapely.affinity.translate(first, xoff=across)
    else:
        parts = [first]
        for _ in range(draw(st.integers(1, 2))):
            part = _polygon(draw, anchor, size)
            # East of the one before, in longitude only: apart, whatever their shapes.
            west = parts[-1].bounds[2] + draw(st.floats(1e-5, 0.5))
            parts.append(shapely.affinity.translate(part, xoff=west - part.bounds[0]))
        geometry = shapely.MultiPolygon(parts)
    area = split_at_antimeridian(geometry)
    if area is None or len(area.polygons) < 2:
        beside = (wrap_lon(anchor[0] - 0.02), anchor[1])
        return Area(_small_square(anchor).polygons + _small_square(beside).polygons)
    return area


def _polygon(draw: st.DrawFn, anchor: tuple[float, float], size_km: float) -> shapely.Polygon:
    """A rectangle, a triangle or a star polygon with a hole, about `size_km` across."""
    kind = draw(st.sampled_from(["rectangle", "triangle", "holed"]))
    if kind == "rectangle":
        # Stacked lon/lat rectangles are equidistant all along a parallel, which costs
        # the oracle its work cap (about a second) once they are degrees wide: keep them small.
        size_km = min(size_km, 100.0)
        (lon0, lat0), (lon1, lat1) = _points(draw, anchor, size_km, 2)
        return shapely.box(min(lon0, lon1), min(lat0, lat1), max(lon0, lon1), max(lat0, lat1))
    if kind == "triangle":
        return shapely.Polygon(_points(draw, anchor, size_km, 3))
    return _star_with_hole(draw, anchor, size_km)


def _small_square(anchor: tuple[float, float]) -> Area:
    """A square of about a kilometre at `anchor`: the fallback for a degenerate draw."""
    lon, lat = min(anchor[0], 179.99), min(max(anchor[1], -89.99), 89.99)
    return Area(((_ring(shapely.box(lon, lat, lon + 0.01, lat + 0.01).exterior.coords),),))


def _star_with_hole(
    draw: st.DrawFn, anchor: tuple[float, float], size_km: float
) -> shapely.Polygon:
    n = draw(st.integers(3, 8))
    angles = sorted(draw(st.lists(st.floats(0.0, 2 * math.pi), min_size=n, max_size=n)))
    radii = draw(st.lists(st.floats(0.3, 1.0), min_size=n, max_size=n))
    outer = [
        offset(anchor, r * size_km * math.cos(t), r * size_km * math.sin(t))
        for r, t in zip(radii, angles, strict=True)
    ]
    # A star polygon shrunk about its centre lies inside it: a hole that is always valid.
    scale = draw(st.floats(0.05, 0.25))
    hole = [
        offset(anchor, scale * r * size_km * math.cos(t), scale * r * size_km * math.sin(t))
        for r, t in zip(radii, angles, strict=True)
    ]
    return shapely.Polygon(outer, [hole])


_WORLD_COPIES = ((-540.0, -180.0, 360.0), (-180.0, 180.0, 0.0), (180.0, 540.0, -360.0))


def split_at_antimeridian(geometry: shapely.Geometry) -> Area | None:
    """An area from polygons in unwrapped longitudes, split at +-180 as RFC 7946 asks.

    Pieces that meet once brought within -180..180 become one. None when the
    geometry is invalid or degenerate.
    """
    if not geometry.is_valid or geometry.area <= 1e-12:
        return None
    parts = []
    for west, east, shift in _WORLD_COPIES:
        piece = geometry.intersection(shapely.box(west, -90.0, east, 90.0))
        piece = shapely.affinity.translate(piece, xoff=shift) if shift else piece
        parts.extend(_polygons_of(piece))
    if len(parts) > 1:
        parts = _polygons_of(shapely.union_all(parts))
    if not parts:
        return None
    rings = tuple(
        (_ring(p.exterior.coords), *(_ring(h.coords) for h in p.interiors)) for p in parts
    )
    area = Area(rings)
    if not area.planar.is_valid:
        return None
    return area


def _polygons_of(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    if isinstance(geometry, shapely.Polygon):
        return [geometry] if geometry.area > 1e-12 else []
    return [p for g in getattr(geometry, "geoms", []) for p in _polygons_of(g)]


def _ring(coords: Iterable[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y, *_ in coords)


@st.composite
def shapes(draw: st.DrawFn, anchor: tuple[float, float], max_km: float = 1000.0) -> Shape:
    """A circle, corridor or area near `anchor`, up to about `max_km` across."""
    kind = draw(st.sampled_from([circles, corridors, areas]))
    return cast(Shape, draw(kind(anchor, max_km)))


@st.composite
def nearby(draw: st.DrawFn, anchor: tuple[float, float], max_km: float) -> tuple[float, float]:
    """An anchor within about `max_km` of `anchor`, wrapped across the antimeridian."""
    unit = st.floats(-1.0, 1.0)
    lon, lat = offset(anchor, draw(unit) * max_km, draw(unit) * max_km)
    return wrap_lon(lon), lat


@st.composite
def points_near(
    draw: st.DrawFn, shape: Shape, max_offset_m: float, azimuth_deg: float | None = None
) -> tuple[float, float]:
    """A point within `max_offset_m` of a random point of `shape`'s core (towards `azimuth_deg`)."""
    p, q = draw(st.sampled_from(core_edges(shape)))
    # Along the edge, and a little beyond either end of it.
    t = draw(st.sampled_from([0.0, 0.5, 1.0]) | st.floats(-0.2, 1.2))
    lon, lat = p[0] + t * (q[0] - p[0]), min(90.0, max(-90.0, p[1] + t * (q[1] - p[1])))
    azimuth = draw(st.floats(-180.0, 180.0)) if azimuth_deg is None else azimuth_deg
    # Mostly very near, sometimes anywhere up to the limit: zigzags in and out.
    distance = draw(st.floats(0.0, max_offset_m / 50) | st.floats(0.0, max_offset_m))
    lon, lat, _ = GEOD.fwd(lon, lat, azimuth, distance)
    return float(lon), float(lat)


@st.composite
def hugging(draw: st.DrawFn, shape: Shape, max_offset_m: float) -> Shape:
    """A corridor or triangle whose vertices lie within `max_offset_m` of points of `shape`.

    Often all on one side (one azimuth), so that it runs beside `shape`, zigzagging
    nearer and farther, without touching it. A degenerate triangle stays a corridor.
    """
    kind = draw(st.sampled_from(["corridor", "triangle"]))
    n = draw(st.integers(2, 6)) if kind == "corridor" else 3
    azimuth = draw(st.none() | st.floats(-180.0, 180.0))
    near = points_near(shape, max_offset_m, azimuth)
    points = _unwrapped(draw(st.lists(near, min_size=n, max_size=n)))
    reach = draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 50.0))
    area = None if kind == "corridor" else split_at_antimeridian(shapely.Polygon(points))
    return Corridor(tuple(_on_one_side(points)), reach) if area is None else area


def _unwrapped(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Longitudes moved by 360 degrees to lie within 180 of the first point's."""
    first = points[0][0]
    return [(first + (lon - first + 180.0) % 360.0 - 180.0, lat) for lon, lat in points]


# Sectors, orbits and tracks, decided from their definitions ------------------------------------
#
# Nothing here comes from `deconflict.geo.construct`: a sector is every point whose geodesic
# distance from the origin lies in [inner, outer] and whose azimuth from it lies in the
# clockwise sweep; an orbit every point within half its width of the geodesic between its two
# ends (both moved half a width to the side for LEFT and RIGHT); a track every point whose
# signed cross-track distance to one of its legs lies in [-right, left] with its foot on that
# leg, or within the wedge that fills the outside of a turn. Containment is decided on those
# definitions; distances are least distances to boundary curves placed with `Geod.fwd`, found
# by the branch and bound above, run on curves instead of straight pieces.
#
# Speed bounds: on a surface of positive curvature (the ellipsoid) a geodesic circle of radius
# r is at most r long per radian of azimuth, and a geodesic parallel at any distance is at most
# as long as the geodesic it runs beside (Jacobi fields grow no faster than on the plane).

Positions = tuple[Floats, Floats]
_SPEED_SLACK = 1 + 1e-6
# Resolution of the curve search: absolute, and relative to the distance (finer against a point).
CURVE_ABS_RESOLUTION_M = 0.001
_POINT_REL_RESOLUTION = 1e-6
_PAIR_REL_RESOLUTION = 1e-5
_INITIAL_PIECES = 8


@dataclass(frozen=True)
class Curve:
    """A curve `at(t)` for t in [0, 1], and a bound on how far it moves per unit of t (metres).

    `exact_m(p)`, when given, is the exact least distance from p to the curve, or None
    where it is not known in closed form.
    """

    at: Callable[[Floats], Positions]
    speed_m: float
    exact_m: Callable[[tuple[float, float]], float | None] | None = None


@dataclass(frozen=True)
class Region:
    """A two-dimensional piece of a shape: which points it holds, and curves round its boundary.

    The curves may also run through the inside (a wedge's radials, a band's shared cap):
    a curve inside the shape is never nearer to an outside point than the boundary is.
    """

    contains: Callable[[Floats, Floats], NDArray[np.bool_]]
    boundary: tuple[Curve, ...]


@dataclass(frozen=True)
class OracleShape:
    """A shape as regions, plus one-dimensional cores (points, paths) grown by `reach_m`."""

    regions: tuple[Region, ...] = ()
    cores: tuple[Curve, ...] = ()
    reach_m: float = 0.0

    @property
    def curves(self) -> tuple[Curve, ...]:
        return (*self.cores, *(c for region in self.regions for c in region.boundary))


def _full(value: float, like: Floats) -> Floats:
    return np.full(np.shape(like), value, dtype=np.float64)


def _fwd(lon: Floats, lat: Floats, azimuth: Floats, distance: Floats) -> tuple[Floats, ...]:
    out = GEOD.fwd(lon, lat, azimuth, distance)
    return tuple(np.asarray(v, dtype=np.float64) for v in out)


def _inv(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> tuple[Floats, ...]:
    out = GEOD.inv(lon1, lat1, lon2, lat2)
    return tuple(np.asarray(v, dtype=np.float64) for v in out)


def point_curve(point: tuple[float, float]) -> Curve:
    """A single position as a curve that does not move."""

    def at(t: Floats) -> Positions:
        return _full(point[0], t), _full(point[1], t)

    return Curve(at, 0.0, lambda p: geodesic_m(p, point))


def lonlat_edge(p: tuple[float, float], q: tuple[float, float]) -> Curve:
    """An edge straight in lon/lat (the RFC 7946 reading), with its literal longitudes."""
    speed = float(_arc_bound_m(np.array([[p[0], p[1], q[0], q[1]]]))[0])

    def at(t: Floats) -> Positions:
        return p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])

    return Curve(at, speed)


def geodesic_arc(
    centre: tuple[float, float], radius_m: float, from_deg: float, span_deg: float
) -> Curve:
    """The geodesic circle of `radius_m` round `centre`, clockwise `span_deg` from `from_deg`."""

    def at(t: Floats) -> Positions:
        lon, lat, _ = _fwd(
            _full(centre[0], t), _full(centre[1], t), from_deg + t * span_deg, _full(radius_m, t)
        )
        return lon, lat

    def exact_m(p: tuple[float, float]) -> float | None:
        # By the triangle inequality no point of the circle is nearer than |d - r|, and the
        # point of the circle on the geodesic from the centre through p is that near.
        azimuth, _, d = GEOD.inv(centre[0], centre[1], p[0], p[1])
        if d == 0.0 or not _in_sweep(azimuth, from_deg, span_deg):
            return None
        return abs(float(d) - radius_m)

    return Curve(at, radius_m * math.radians(span_deg) * _SPEED_SLACK, exact_m)


def geodesic_from(
    start: tuple[float, float], azimuth_deg: float, from_m: float, to_m: float
) -> Curve:
    """The stretch of the geodesic leaving `start` at `azimuth_deg` from `from_m` to `to_m`."""

    def at(t: Floats) -> Positions:
        distance = from_m + t * (to_m - from_m)
        lon, lat, _ = _fwd(_full(start[0], t), _full(start[1], t), _full(azimuth_deg, t), distance)
        return lon, lat

    return Curve(at, abs(to_m - from_m) * _SPEED_SLACK)


def _in_sweep(azimuth: float | Floats, from_deg: float, span_deg: float) -> Any:
    return (np.asarray(azimuth) - from_deg) % 360.0 <= span_deg


def _span_deg(from_deg: float, to_deg: float) -> float:
    span = (to_deg - from_deg) % 360.0
    return 360.0 if span == 0.0 else span


def sector_region(
    origin: tuple[float, float], outer_m: float, inner_m: float, from_deg: float, to_deg: float
) -> Region:
    """Distance from the origin in [inner, outer], azimuth within the clockwise sweep."""
    span = _span_deg(from_deg, to_deg)

    def contains(lon: Floats, lat: Floats) -> NDArray[np.bool_]:
        azimuth, _, d = _inv(_full(origin[0], lon), _full(origin[1], lat), lon, lat)
        swept = _in_sweep(azimuth, from_deg, span) | (d == 0.0)
        result: NDArray[np.bool_] = (inner_m <= d) & (d <= outer_m) & swept
        return result

    boundary = [geodesic_arc(origin, outer_m, from_deg, span)]
    if inner_m > 0.0:
        boundary.append(geodesic_arc(origin, inner_m, from_deg, span))
    if span < 360.0:
        boundary.append(geodesic_from(origin, from_deg, inner_m, outer_m))
        boundary.append(geodesic_from(origin, to_deg, inner_m, outer_m))
    return Region(contains, tuple(boundary))


def orbit_ends(orbit: Orbit) -> tuple[tuple[float, float], tuple[float, float]]:
    """The ends of the orbit's centre line: its two points, moved half a width to its side."""
    if orbit.side is Side.CENTRE:
        return orbit.first, orbit.second
    half = orbit.width_m / 2.0
    turn = -90.0 if orbit.side is Side.LEFT else 90.0
    # The heading on arrival at the second point is the one from it towards the first, reversed.
    leaving, _, _ = GEOD.inv(*orbit.first, *orbit.second)
    towards_first, _, _ = GEOD.inv(*orbit.second, *orbit.first)
    return (
        moved(orbit.first, leaving + turn, half),
        moved(orbit.second, towards_first + 180.0 + turn, half),
    )


def _between(a: tuple[float, float], b: tuple[float, float]) -> Curve:
    azimuth, _, length = GEOD.inv(a[0], a[1], b[0], b[1])
    return geodesic_from(a, float(azimuth), 0.0, float(length))


@dataclass(frozen=True)
class Leg:
    """One leg of a track: the geodesic from `a` towards `b`, `length_m` long."""

    a: tuple[float, float]
    azimuth_deg: float
    length_m: float

    def along(self, s: Floats) -> tuple[Floats, Floats, Floats]:
        """Positions and headings `s` metres along the geodesic (negative: behind `a`)."""
        lon, lat, back = _fwd(
            _full(self.a[0], s), _full(self.a[1], s), _full(self.azimuth_deg, s), s
        )
        return lon, lat, back + 180.0

    def across(self, s: Floats, c: Floats) -> Positions:
        """The point `c` metres across the leg (positive: left) from the point `s` along it."""
        lon, lat, heading = self.along(s)
        azimuth = np.where(c >= 0.0, heading - 90.0, heading + 90.0)
        out_lon, out_lat, _ = _fwd(lon, lat, azimuth, np.abs(c))
        return out_lon, out_lat

    def foot(self, lon: Floats, lat: Floats, reach_m: float) -> tuple[Floats, Floats]:
        """Per point: where along the leg's geodesic (extended by `reach_m` and half its
        length each way) it is nearest, and its signed distance across (positive: left)."""
        low, high = -self.length_m / 2 - reach_m, self.length_m * 1.5 + reach_m
        grid = np.linspace(low, high, 129)
        s = np.repeat(grid[None, :], lon.size, axis=0)
        _, _, d = _inv(
            np.repeat(lon[:, None], grid.size, 1).ravel(),
            np.repeat(lat[:, None], grid.size, 1).ravel(),
            *self.along(s.ravel())[:2],
        )
        best = np.argmin(d.reshape(lon.size, grid.size), axis=1)
        left = grid[np.maximum(best - 1, 0)]
        right = grid[np.minimum(best + 1, grid.size - 1)]
        along = _golden_minimum(lambda x: self._distance(x, lon, lat), left, right)
        f_lon, f_lat, heading = self.along(along)
        azimuth, _, c = _inv(f_lon, f_lat, lon, lat)
        turn = (azimuth - heading + 540.0) % 360.0 - 180.0
        return along, np.where(turn < 0.0, c, -c)

    def _distance(self, s: Floats, lon: Floats, lat: Floats) -> Floats:
        f_lon, f_lat, _ = self.along(s)
        return _inv(f_lon, f_lat, lon, lat)[2]


def _golden_minimum(
    f: Callable[[Floats], Floats], low: Floats, high: Floats, steps: int = 80
) -> Floats:
    """Where f is least in [low, high], per element (f unimodal there)."""
    ratio = (math.sqrt(5) - 1) / 2
    a, b = low.astype(np.float64), high.astype(np.float64)
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(steps):
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new, d_new = b - ratio * (b - a), a + ratio * (b - a)
        c, d = np.where(left, c_new, d), np.where(left, c, d_new)
        fc, fd = np.where(left, f(c), fd), np.where(left, fc, f(d))
    result: Floats = (a + b) / 2
    return result


def leg_region(leg: Leg, left_m: float, right_m: float) -> Region:
    """The band from `right_m` right to `left_m` left of the leg, its foot on the leg."""

    def contains(lon: Floats, lat: Floats) -> NDArray[np.bool_]:
        along, across = leg.foot(lon, lat, 2 * max(left_m, right_m))
        result: NDArray[np.bool_] = (
            (along >= 0.0) & (along <= leg.length_m) & (across <= left_m) & (across >= -right_m)
        )
        return result

    def side(c: float) -> Curve:
        def at(t: Floats) -> Positions:
            return leg.across(t * leg.length_m, _full(c, t))

        return Curve(at, leg.length_m * _SPEED_SLACK)

    def cap(s: float) -> Curve:
        def at(t: Floats) -> Positions:
            return leg.across(_full(s, t), left_m - t * (left_m + right_m))

        return Curve(at, (left_m + right_m) * _SPEED_SLACK)

    return Region(contains, (side(left_m), side(-right_m), cap(0.0), cap(leg.length_m)))


def track_regions(track: Track) -> tuple[Region, ...]:
    """A band per leg, and a wedge on the outside of each turn."""
    points = [p for i, p in enumerate(track.path) if i == 0 or p != track.path[i - 1]]
    legs = []
    for a, b in itertools.pairwise(points):
        azimuth, _, length = GEOD.inv(a[0], a[1], b[0], b[1])
        legs.append(Leg(a, float(azimuth), float(length)))
    regions = [leg_region(leg, track.left_m, track.right_m) for leg in legs]
    for a, b, c in zip(points, points[1:], points[2:], strict=False):
        towards_a, _, _ = GEOD.inv(b[0], b[1], a[0], a[1])
        heading_in = towards_a + 180.0
        heading_out, _, _ = GEOD.inv(b[0], b[1], c[0], c[1])
        turn = (heading_out - heading_in + 180.0) % 360.0 - 180.0
        if turn > 0.0 and track.left_m > 0.0:  # a right turn: the left side is outside
            regions.append(
                sector_region(b, track.left_m, 0.0, heading_in - 90.0, heading_out - 90.0)
            )
        elif turn < 0.0 and track.right_m > 0.0:
            regions.append(
                sector_region(b, track.right_m, 0.0, heading_out + 90.0, heading_in + 90.0)
            )
    return tuple(regions)


def oracle_shape(shape: Shape) -> OracleShape:
    """Any shape as regions and cores, from its definition."""
    if isinstance(shape, Sector):
        region = sector_region(
            shape.origin, shape.outer_m, shape.inner_m, shape.from_deg, shape.to_deg
        )
        return OracleShape(regions=(region,))
    if isinstance(shape, Orbit):
        return OracleShape(cores=(_between(*orbit_ends(shape)),), reach_m=shape.width_m / 2)
    if isinstance(shape, Track):
        return OracleShape(regions=track_regions(shape))
    if isinstance(shape, Circle):
        return OracleShape(cores=(point_curve(shape.centre),), reach_m=shape.radius_m)
    if isinstance(shape, Corridor):
        edges = tuple(lonlat_edge(p, q) for p, q in itertools.pairwise(shape.path))
        return OracleShape(cores=edges, reach_m=shape.half_width_m)
    planar = _planar(shape)

    def contains(lon: Floats, lat: Floats) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = shapely.covers(planar, shapely.points(lon, lat))
        return result

    edges = tuple(lonlat_edge(p, q) for p, q in core_edges(shape))
    return OracleShape(regions=(Region(contains, edges),), reach_m=shape.reach_m)


def oracle_contains(shape: Shape, lon: Floats, lat: Floats) -> NDArray[np.bool_]:
    """Which points lie in a shape made of regions (a sector, a track or an area)."""
    regions = oracle_shape(shape).regions
    inside = np.zeros(np.shape(lon), dtype=bool)
    for region in regions:
        inside |= region.contains(lon, lat)
    return inside


def curve_samples(curves: Sequence[Curve], per_curve: int) -> Positions:
    """Every curve at `per_curve` evenly spaced parameters, ends included."""
    t = np.linspace(0.0, 1.0, per_curve)
    lons, lats = zip(*(curve.at(t) for curve in curves), strict=True)
    return np.concatenate(lons), np.concatenate(lats)


def airspace_bounds(a: Shape, b: Shape) -> OracleDistance:
    """The oracle distance between any two shapes, airspace shapes included, with its resolution."""
    first, second = oracle_shape(a), oracle_shape(b)
    reach = first.reach_m + second.reach_m
    if _cores_meet(first, second):
        return OracleDistance(0.0, 0.0)
    if isinstance(b, Circle):
        upper, lower = _to_point(first.curves, b.centre)
    elif isinstance(a, Circle):
        upper, lower = _to_point(second.curves, a.centre)
    else:
        upper, lower = _curves_branch_and_bound(first.curves, second.curves, _PAIR_REL_RESOLUTION)
    distance = max(0.0, upper - reach)
    return OracleDistance(distance, distance - max(0.0, lower - reach))


def _cores_meet(first: OracleShape, second: OracleShape) -> bool:
    """True when a region of one holds a point of the other's curves.

    With the boundaries crossing (found by the distance search, at 0) that is every way
    two shapes can meet.
    """
    for one, other in ((first, second), (second, first)):
        if not one.regions:
            continue
        lon, lat = curve_samples(other.curves, 3)
        for region in one.regions:
            if region.contains(lon, lat).any():
                return True
    return False


def _to_point(curves: Sequence[Curve], point: tuple[float, float]) -> tuple[float, float]:
    """(attained, proven lower bound) of the least distance from `point` to the curves."""
    exact = [c.exact_m(point) if c.exact_m is not None else None for c in curves]
    known = [d for d in exact if d is not None]
    rest = [c for c, d in zip(curves, exact, strict=True) if d is None]
    upper = lower = min(known, default=math.inf)
    if rest:
        found, bound = _curves_branch_and_bound(
            rest, (point_curve(point),), _POINT_REL_RESOLUTION, polish=True
        )
        upper, lower = min(upper, found), min(lower, bound)
    return upper, lower


# Piece rows: curve, t0, t1, lon0, lat0, lon1, lat1, arc length bound.
def _curve_pieces(curves: Sequence[Curve]) -> Floats:
    rows = []
    for k, curve in enumerate(curves):
        n = 1 if curve.speed_m == 0.0 else _INITIAL_PIECES
        t = np.linspace(0.0, 1.0, n + 1)
        lon, lat = curve.at(t)
        rows.append(
            np.column_stack(
                [
                    np.full(n, k),
                    t[:-1],
                    t[1:],
                    lon[:-1],
                    lat[:-1],
                    lon[1:],
                    lat[1:],
                    np.full(n, curve.speed_m / n),
                ]
            )
        )
    return np.concatenate(rows)


def _curves_at(curves: Sequence[Curve], k: Floats, t: Floats) -> Positions:
    lon, lat = np.empty_like(t), np.empty_like(t)
    for index in np.unique(k):
        rows = k == index
        lon[rows], lat[rows] = curves[int(index)].at(t[rows])
    return lon, lat


def _curve_halves(curves: Sequence[Curve], pieces: Floats) -> list[Floats]:
    middle = (pieces[:, 1] + pieces[:, 2]) / 2
    lon, lat = _curves_at(curves, pieces[:, 0], middle)
    first, second = pieces.copy(), pieces.copy()
    first[:, 2], first[:, 5], first[:, 6] = middle, lon, lat
    second[:, 1], second[:, 3], second[:, 4] = middle, lon, lat
    first[:, 7] = second[:, 7] = pieces[:, 7] / 2
    return [first, second]


def _curves_branch_and_bound(
    first: Sequence[Curve], second: Sequence[Curve], relative: float, polish: bool = False
) -> tuple[float, float]:
    """(attained distance, proven lower bound) between two sets of curves.

    With `polish`, the best stretch of the first set (against a point) is narrowed by a
    golden-section search at the end, so the attained distance is exact to micrometres.
    """
    a, b = _curve_pieces(first), _curve_pieces(second)
    i, j = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    pa, pb = a[i.ravel()], b[j.ravel()]
    upper, dropped_lower = math.inf, math.inf
    best_piece = pa[0]
    while True:
        ends = np.stack(
            [
                _inverse_m(pa[:, ea], pa[:, ea + 1], pb[:, eb], pb[:, eb + 1])
                for ea in (3, 5)
                for eb in (3, 5)
            ]
        )
        nearest = ends.min(axis=0)
        if float(nearest.min()) < upper:
            upper = float(nearest.min())
            best_piece = pa[int(np.argmin(nearest))]
        bound = nearest - (pa[:, 7] + pb[:, 7]) / 2
        lower = min(dropped_lower, float(bound.min()), upper)
        resolution = max(CURVE_ABS_RESOLUTION_M, relative * upper)
        keep = bound < upper - resolution
        if not keep.any() or keep.sum() > _MAX_PAIRS:
            break
        dropped_lower = min(dropped_lower, float(bound[~keep].min(initial=math.inf)))
        pa, pb = _split_curve_pairs(first, pa[keep], second, pb[keep])
    if polish:
        upper = min(upper, _polished(first[int(best_piece[0])], best_piece, pb[0]))
    return upper, lower


def _polished(curve: Curve, piece: Floats, point: Floats) -> float:
    width = piece[2] - piece[1]
    low = np.array([max(0.0, piece[1] - width)])
    high = np.array([min(1.0, piece[2] + width)])

    def distance(t: Floats) -> Floats:
        lon, lat = curve.at(t)
        return _inverse_m(lon, lat, _full(point[3], t), _full(point[4], t))

    t = _golden_minimum(distance, low, high)
    return float(distance(t)[0])


def _split_curve_pairs(
    first: Sequence[Curve], pa: Floats, second: Sequence[Curve], pb: Floats
) -> tuple[Floats, Floats]:
    """Halve the longer piece of each pair (both when they are of similar length)."""
    split_a = (pa[:, 7] > 0) & (2 * pa[:, 7] >= pb[:, 7])
    split_b = (pb[:, 7] > 0) & (2 * pb[:, 7] >= pa[:, 7])
    out_a, out_b = [], []
    for halves_a, halves_b in (
        (_curve_halves(first, pa[split_a & split_b]), _curve_halves(second, pb[split_a & split_b])),
        (_curve_halves(first, pa[split_a & ~split_b]), [pb[split_a & ~split_b]]),
        ([pa[~split_a & split_b]], _curve_halves(second, pb[~split_a & split_b])),
    ):
        for half_a in halves_a:
            for half_b in halves_b:
                out_a.append(half_a)
                out_b.append(half_b)
    return np.concatenate(out_a), np.concatenate(out_b)


def ring_family(seed: int, count: int) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """(ring zone, strike, conflicts) as GeoJSON Features without a party, `count` of them.

    Rings (annulus sectors over the whole circle) anywhere below 75 degrees, each
    with a strike whose edge stands from 30 cm to 2 km inside or outside one of
    its arcs; each pair on a day of its own, so pairs never meet each other.
    Whether they conflict comes from the definition: a point d from the origin is
    |d - R| from the geodesic circle of radius R around it.
    """
    rng = random.Random(seed)
    family = []
    for k in range(count):
        origin = (rng.uniform(-180.0, 180.0), rng.uniform(-75.0, 75.0))
        outer = rng.uniform(1_000.0, 200_000.0)
        inner = rng.choice([0.0, rng.uniform(0.05, 0.9) * outer])
        radius = rng.choice([0.0, rng.uniform(1.0, 5_000.0)])
        arc, side = rng.choice([(outer, 1.0), (inner, -1.0)] if inner else [(outer, 1.0)])
        gap = rng.choice([1.0, -1.0]) * rng.uniform(0.3, 2_000.0)
        centre_m = max(0.0, arc + side * (gap + radius))  # the strike's edge `gap` off the arc
        where = moved(origin, rng.uniform(0.0, 360.0), centre_m)
        day = f"2027-{1 + k // 28:02d}-{1 + k % 28:02d}"
        ring = _plan_feature(
            f"ring-{seed}-{k}",
            "zone",
            origin,
            f"{day}T00:00:00Z",
            f"{day}T23:00:00Z",
            sector={"outer_m": outer, "inner_m": inner, "from_deg": 0, "to_deg": 0},
        )
        strike = _plan_feature(
            f"strike-{seed}-{k}",
            "activity",
            where,
            f"{day}T01:00:00Z",
            f"{day}T02:00:00Z",
            radius_m=radius,
        )
        from_origin = geodesic_m(origin, where)
        apart = max(from_origin - outer, inner - from_origin, 0.0) - radius
        family.append((ring, strike, apart <= 0.0))
    return family


def _plan_feature(
    fid: str, kind: str, where: tuple[float, float], start: str, end: str, **shape: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": list(where)},
        "properties": {"kind": kind, "start": start, "end": end, **shape},
    }


# Random sectors, orbits and tracks ---------------------------------------------------------------

SIGN = st.sampled_from([1.0, -1.0])
RADII_M = (
    st.sampled_from([10.0, 1_000_000.0])
    | st.floats(10.0, 2_000.0)
    | st.floats(2_000.0, 100_000.0)
    | st.floats(100_000.0, 1_000_000.0)
)


def pole_distance_m(point: tuple[float, float]) -> float:
    """Geodesic distance in metres from `point` to the nearer pole."""
    return geodesic_m(point, (point[0], 90.0 if point[1] >= 0 else -90.0))


@st.composite
def places(draw: st.DrawFn) -> tuple[float, float]:
    """Anywhere, at the antimeridian, at high latitude (80-89), or both."""
    where = draw(st.sampled_from(["anywhere", "antimeridian", "high", "high antimeridian"]))
    lon = draw(st.floats(-180.0, 180.0))
    lat = draw(st.floats(-75.0, 75.0))
    if "antimeridian" in where:
        lon = draw(SIGN) * draw(st.floats(179.9, 180.0))
    if "high" in where:
        lat = draw(SIGN) * draw(st.floats(80.0, 89.0))
    return lon, lat


PLACES = places()


# A sweep this narrow across its outer arc is built as a band along its first radial.
NEEDLE_M = 0.05


@st.composite
def sweeps(draw: st.DrawFn, outer_m: float) -> tuple[float, float]:
    """(from_deg, to_deg): across north, whole rings, narrow (0.1 to 5 degrees), thin (under
    a degree), needles (under NEEDLE_M across the outer arc), or anything."""
    kind = draw(st.sampled_from(["across north", "whole", "narrow", "thin", "needle", "any"]))
    bearing = st.floats(0.0, 360.0)
    if kind == "across north":
        return 350.0, 10.0
    if kind == "whole":
        start = draw(st.sampled_from([0.0]) | bearing)
        return start, draw(st.sampled_from([start, 360.0 if start == 0.0 else start]))
    widest = {
        "narrow": 5.0,
        "thin": 1.0,
        "needle": min(360.0, math.degrees(NEEDLE_M / max(outer_m, 1e-9))),
        "any": 360.0,
    }[kind]
    start = draw(bearing)
    span = draw(st.floats(0.1 if kind == "narrow" else 0.0, widest, exclude_min=kind != "narrow"))
    return start, (start + span) % 360.0


@st.composite
def sectors(
    draw: st.DrawFn,
    place: st.SearchStrategy[tuple[float, float]] = PLACES,
    radii_m: st.SearchStrategy[float] = RADII_M,
) -> Sector:
    """Sectors, pie slices, annuli and whole discs at `place`, short of the pole."""
    origin = draw(place)
    outer = min(draw(radii_m), 0.9 * pole_distance_m(origin))
    inner = draw(st.sampled_from([0.0]) | st.floats(0.0, 0.95).map(lambda f: f * outer))
    from_deg, to_deg = draw(sweeps(outer))
    return Sector(origin, outer, inner, from_deg, to_deg)


def _geodesic_line(
    a: tuple[float, float], b: tuple[float, float], n: int = 200
) -> NDArray[np.float64]:
    inner = GEOD.npts(a[0], a[1], b[0], b[1], n)
    return np.array([a, *inner, b])


def _clear_of_pole(line: NDArray[np.float64], reach_m: float) -> bool:
    """Its reach well short of the pole (89.4 degrees)."""
    return not np.any(np.abs(line[:, 1]) + math.degrees(reach_m / 6_356_752.0) >= 89.4)


def _clear_of_seam(line: NDArray[np.float64]) -> bool:
    """Not across the antimeridian."""
    return not np.any(np.abs(np.diff(line[:, 0])) > 180.0)


ORBIT_LENGTHS_M = st.floats(100.0, 300_000.0)
ORBIT_WIDTHS_M = st.floats(20.0, 40_000.0)


@st.composite
def orbits(
    draw: st.DrawFn,
    place: st.SearchStrategy[tuple[float, float]] = PLACES,
    lengths_m: st.SearchStrategy[float] = ORBIT_LENGTHS_M,
    widths_m: st.SearchStrategy[float] = ORBIT_WIDTHS_M,
) -> Orbit:
    """Racetracks from `place`, on either side of their line or centred on it."""
    first = draw(place)
    second = moved(first, draw(st.floats(0.0, 360.0)), draw(lengths_m))
    orbit = Orbit(first, second, draw(widths_m), draw(st.sampled_from(Side)))
    line = _geodesic_line(*orbit_ends(orbit))
    assume(_clear_of_seam(line) and _clear_of_pole(line, orbit.width_m / 2))
    return orbit


TURNS = st.sampled_from([170.0, -170.0, 90.0, -90.0, 0.0]) | st.floats(-175.0, 175.0)
LEG_LENGTHS_M = st.floats(200.0, 200_000.0)
WIDTHS = st.floats(10.0, 20_000.0)


@st.composite
def tracks(
    draw: st.DrawFn,
    place: st.SearchStrategy[tuple[float, float]] = PLACES,
    legs_m: st.SearchStrategy[float] = LEG_LENGTHS_M,
    widths_m: st.SearchStrategy[float] = WIDTHS,
) -> Track:
    """One to three legs from `place`, sharp turns among them, one side's width 0 at times,
    across the antimeridian at times (short of the pole: a track reaching it is refused)."""
    path = [draw(place)]
    heading = draw(st.floats(0.0, 360.0))
    for leg in range(draw(st.integers(1, 3))):
        if leg:
            heading += draw(TURNS)
        lon, lat, back = GEOD.fwd(*path[-1], heading, draw(legs_m))
        path.append((float(lon), float(lat)))
        heading = float(back) + 180.0  # the heading on arrival
    sides = draw(st.sampled_from(["left only", "right only", "both"]))
    left = 0.0 if sides == "right only" else draw(widths_m)
    right = 0.0 if sides == "left only" else draw(widths_m)
    widest = max(left, right)
    assume(all(_clear_of_pole(_geodesic_line(a, b, 50), widest) for a, b in legs(path)))
    return Track(tuple(path), left, right)


def legs(path: Sequence[tuple[float, float]]) -> list[tuple[tuple[float, float], ...]]:
    """A path's legs as (start, end) pairs."""
    return list(itertools.pairwise(path))


def size_m(shape: Sector | Orbit | Track) -> float:
    """How far across an airspace shape is, roughly, in metres."""
    if isinstance(shape, Sector):
        return shape.outer_m
    if isinstance(shape, Orbit):
        return geodesic_m(shape.first, shape.second) + shape.width_m
    return sum(geodesic_m(a, b) for a, b in legs(shape.path)) + shape.left_m + shape.right_m


def boundary_point(
    draw: Callable[[st.SearchStrategy[Any]], Any], shape: Shape
) -> tuple[float, float]:
    """A point of the shape's boundary curves; for a shape with reach, a point of its core
    moved its reach square across the core (or any way from a point core)."""
    described = oracle_shape(shape)
    curve = draw(st.sampled_from(described.curves))
    t = draw(st.floats(0.0, 1.0))
    lon, lat = curve.at(np.array([t, t + 1e-6 if t < 0.5 else t - 1e-6]))
    point = (float(lon[0]), float(lat[0]))
    if described.reach_m:
        heading, _, length = GEOD.inv(lon[0], lat[0], lon[1], lat[1])
        across = draw(SIGN) * 90.0 + float(heading) if length else draw(st.floats(0.0, 360.0))
        point = moved(point, across, described.reach_m)
    return point


# Shapes placed against others --------------------------------------------------------------------


def points(anchor: tuple[float, float], max_km: float) -> st.SearchStrategy[Circle]:
    """A bare point within about `max_km` of `anchor`."""
    return circles(anchor, max_km).map(lambda circle: Circle(circle.centre))


def turned(shape: Shape, east_deg: float) -> Shape | None:
    """The shape turned `east_deg` about the polar axis, longitudes wrapped.

    The turn is an isometry of the ellipsoid that keeps lon/lat-straight edges
    straight, so it is the same shape elsewhere. None for a corridor it would
    carry across the antimeridian (a path cannot be split there).
    """

    def east(point: tuple[float, float]) -> tuple[float, float]:
        return wrap_lon(point[0] + east_deg), point[1]

    if isinstance(shape, Circle):
        return Circle(east(shape.centre), shape.radius_m)
    if isinstance(shape, Sector):
        return replace(shape, origin=east(shape.origin))
    if isinstance(shape, Orbit):
        return replace(shape, first=east(shape.first), second=east(shape.second))
    if isinstance(shape, Track):
        return replace(shape, path=tuple(east(p) for p in shape.path))
    if isinstance(shape, Corridor):
        lons = [lon + east_deg for lon, _ in shape.path]
        shift = 360.0 if min(lons) < -180.0 else -360.0 if max(lons) > 180.0 else 0.0
        path = tuple((lon + shift, lat) for lon, (_, lat) in zip(lons, shape.path, strict=True))
        if any(abs(lon) > 180.0 for lon, _ in path):
            return None
        return Corridor(path, shape.half_width_m)
    moved_east = shapely.affinity.translate(_planar(shape), xoff=east_deg)
    return split_at_antimeridian(moved_east)


def reaching(shape: Shape, point: tuple[float, float], away_deg: float) -> Shape | None:
    """The shape turned about the polar axis so that it reaches `point` and lies, as far
    as a turn can make it, towards `away_deg` from there.

    A circle is centred its radius from the point that way. Any other shape is turned so
    that a point of its core or boundary at the right latitude lands exactly its reach
    from `point` (that way): of all such, the one that brings the middle of the shape
    nearest to `away_deg` as seen from the point. The point is then on the shape's
    boundary, or inside it where another part of it comes nearer. Where nothing crosses
    that latitude, the nearest sample lands at the point's longitude. None as for `turned`.
    """
    if isinstance(shape, Circle):
        return Circle(moved(point, away_deg, shape.radius_m), shape.radius_m)
    described = oracle_shape(shape)
    target = moved(point, away_deg, described.reach_m) if described.reach_m else point
    middle = _middle(described.curves)

    def off_course_deg(crossing: _Crossing) -> float:
        turned_middle = middle[0] + target[0] - crossing.lon, middle[1]
        azimuth, _, _ = GEOD.inv(point[0], point[1], *turned_middle)
        return abs((float(azimuth) - away_deg + 180.0) % 360.0 - 180.0)

    crossings = _crossings(described.curves, target[1])
    if not crossings:
        lons, lats = curve_samples(described.curves, 129)
        return turned(shape, target[0] - float(lons[np.argmin(np.abs(lats - target[1]))]))
    lon = min(crossings, key=off_course_deg).bisected(target[1])
    return turned(shape, target[0] - lon)


@dataclass(frozen=True)
class _Crossing:
    """Where a curve crosses a latitude: between parameters `low` and `high`, near `lon`."""

    curve: Curve
    low: float
    high: float
    lon: float

    def bisected(self, lat: float) -> float:
        """The longitude where the curve is at `lat`, to the last bit of its parameter."""
        low, high = self.low, self.high
        low_is_above = bool(self.curve.at(np.array([low]))[1][0] >= lat)
        for _ in range(60):
            middle = (low + high) / 2
            if bool(self.curve.at(np.array([middle]))[1][0] >= lat) == low_is_above:
                low = middle
            else:
                high = middle
        return float(self.curve.at(np.array([low]))[0][0])


def _crossings(curves: Sequence[Curve], lat: float) -> list[_Crossing]:
    """Every place where one of the curves crosses latitude `lat`, roughly."""
    t = np.linspace(0.0, 1.0, 129)
    found = []
    for curve in curves:
        lons, lats = curve.at(t)
        above = lats >= lat
        for i in np.flatnonzero(above[:-1] != above[1:]):
            found.append(_Crossing(curve, float(t[i]), float(t[i + 1]), float(lons[i])))
    return found


def _middle(curves: Sequence[Curve]) -> tuple[float, float]:
    """The mean position of samples of the curves, taken in three dimensions on a sphere."""
    lon, lat = np.radians(curve_samples(curves, 9))
    x, y = (np.cos(lat) * np.cos(lon)).mean(), (np.cos(lat) * np.sin(lon)).mean()
    z = np.sin(lat).mean()
    return math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))


def outward_deg(shape: Shape, point: tuple[float, float]) -> float:
    """The azimuth at `point` away from the middle of the shape's boundary curves.

    Outward at most points of a shape's outer boundary (for a convex one, all).
    """
    middle = _middle(oracle_shape(shape).curves)
    _, back, _ = GEOD.inv(middle[0], middle[1], point[0], point[1])
    return float(back) + 180.0
