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
and shapes that hug others within metres.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from hypothesis import strategies as st
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.geo.shapes import Area, Circle, Corridor, Shape

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
    reach = a.reach_m + b.reach_m
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
    paths = (shape.path,) if isinstance(shape, Corridor) else shape_rings(shape)
    return [edge for path in paths for edge in itertools.pairwise(path)]


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
    size = draw(sizes_km(max_km))
    kind = draw(st.sampled_from(["rectangle", "triangle", "holed"]))
    if kind == "rectangle":
        # Stacked lon/lat rectangles are equidistant all along a parallel, which costs
        # the oracle its work cap (about a second) once they are degrees wide: keep them small.
        size = min(size, 100.0)
        (lon0, lat0), (lon1, lat1) = _points(draw, anchor, size, 2)
        polygon = shapely.box(min(lon0, lon1), min(lat0, lat1), max(lon0, lon1), max(lat0, lat1))
    elif kind == "triangle":
        polygon = shapely.Polygon(_points(draw, anchor, size, 3))
    else:
        polygon = _star_with_hole(draw, anchor, size)
    return split_at_antimeridian(polygon) or _small_square(anchor)


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


def split_at_antimeridian(polygon: shapely.Polygon) -> Area | None:
    """An area from a polygon in unwrapped longitudes, split at +-180 as RFC 7946 asks.

    None when the polygon is invalid or degenerate.
    """
    if not polygon.is_valid or polygon.area <= 1e-12:
        return None
    parts = []
    for west, east, shift in _WORLD_COPIES:
        piece = polygon.intersection(shapely.box(west, -90.0, east, 90.0))
        piece = shapely.affinity.translate(piece, xoff=shift) if shift else piece
        parts.extend(_polygons_of(piece))
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
    return draw(kind(anchor, max_km))


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
