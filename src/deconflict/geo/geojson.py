"""Reading GeoJSON geometries (RFC 7946) into shapes, with every problem named.

A `Point` with `radius_m` is a circle (no radius: a bare point) and with a
`sector` object a sector; a `LineString` with `half_width_m` is a corridor,
with an `orbit` object (two positions) a racetrack and with a `track` object
a track; a `Polygon` or `MultiPolygon` is an area (`docs/reference.md` lists
every property). Positions are [lon, lat] (a third value, elevation, is ignored);
longitudes lie in [-180, 180], so a shape that crosses the antimeridian
arrives split in two, as RFC 7946 asks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from shapely.validation import explain_validity

from deconflict.errors import InvalidFeature
from deconflict.geo.construct import ShapeError, resolve
from deconflict.geo.shapes import (
    Area,
    Circle,
    Corridor,
    LonLat,
    Orbit,
    PolygonRings,
    Ring,
    Sector,
    Shape,
    Side,
    Track,
)
from deconflict.geo.sketch import sketch


class ProblemList:
    """Collects every problem of one feature, so a planner sees them all at once."""

    def __init__(self, feature_id: str | None) -> None:
        self.feature_id = feature_id
        self.found: list[InvalidFeature] = []

    def add(
        self, field: str, value: Any, message: str, code: str | None = None, **params: Any
    ) -> None:
        """One more problem: `code` names it for every language when it is one a person
        commonly meets (else InvalidFeature's own), `params` what its sentence needs."""
        self.found.append(
            InvalidFeature(
                message,
                feature_id=self.feature_id,
                field=field,
                value=value,
                code=code,
                params=params,
            )
        )


def parse_shape(
    geometry: Any, properties: Mapping[str, Any], feature_id: str | None = None
) -> tuple[Shape | None, list[InvalidFeature]]:
    """The shape of a feature, or None and the list of everything wrong with it.

    `properties` supplies `radius_m` (Point) and `half_width_m` (LineString).

    >>> parse_shape({"type": "Point", "coordinates": [180.0, 90.0]}, {"radius_m": 5})[0]
    Circle(centre=(180.0, 90.0), radius_m=5.0)
    """
    problems = ProblemList(feature_id)
    if not isinstance(geometry, Mapping):
        problems.add("geometry", geometry, "must be a GeoJSON geometry object")
        return None, problems.found
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    readers = {
        "Point": _read_circle,
        "LineString": _read_corridor,
        "Polygon": _read_polygon_area,
        "MultiPolygon": _read_multipolygon_area,
    }
    if not isinstance(kind, str) or kind not in readers:
        problems.add("geometry.type", kind, f"must be one of {', '.join(readers)}")
        return None, problems.found
    _refuse_foreign_extent(kind, properties, problems)
    if problems.found:
        return None, problems.found
    shape = readers[kind](coordinates, properties, problems)
    if not problems.found and isinstance(shape, (Sector, Orbit, Track)) and sketch(shape) is None:
        try:
            resolve(shape)  # built now, so a shape that cannot be is refused now
        except ShapeError as error:
            problems.add(_AIRSPACE_FIELD[type(shape)], _extent_value(shape), str(error))
    return (shape if not problems.found else None), problems.found


_AIRSPACE_FIELD = {Sector: "sector", Orbit: "orbit", Track: "track"}
# Beyond these an airspace shape is better drawn as an area: arcs and parallels
# this large no longer read as what a planner means by a sector or a track.
_MAX_SECTOR_M = 2_000_000.0
_MAX_WIDTH_M = 1_000_000.0


def _refuse_foreign_extent(kind: str, properties: Mapping[str, Any], problems: ProblemList) -> None:
    # A radius on a polygon or a half-width on a point is a planner's slip that
    # would silently shrink the protected space; say so instead of ignoring it.
    if "radius_m" in properties and kind != "Point":
        problems.add("radius_m", properties["radius_m"], f"applies to a Point, not a {kind}")
    for field, applies_to in _EXTENT_OF.items():
        if field in properties and properties[field] is not None and kind != applies_to:
            problems.add(field, properties[field], f"applies to a {applies_to}, not a {kind}")
    for rivals in (("radius_m", "sector"), ("half_width_m", "orbit", "track")):
        given = [f for f in rivals if properties.get(f) is not None]
        if len(given) > 1:
            problems.add(
                given[1], properties[given[1]], f"give one of {', '.join(given)}, not both"
            )


_EXTENT_OF = {
    "radius_m": "Point",
    "sector": "Point",
    "half_width_m": "LineString",
    "orbit": "LineString",
    "track": "LineString",
}


def count_positions(geometry: Any) -> int:
    """How many positions a GeoJSON geometry holds, counted without reading any of them.

    A Point is 1; a LineString its positions; a Polygon those of every ring; a
    MultiPolygon those of every polygon. Anything malformed counts as 0 here (reading it
    refuses it). Cheap enough to run before a shape is built: a list length per ring.

    >>> count_positions({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
    4
    >>> count_positions({"type": "Point", "coordinates": [180, -90]}), count_positions(None)
    (1, 0)
    """
    if not isinstance(geometry, Mapping):
        return 0
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    depth = _POSITION_DEPTH.get(kind) if isinstance(kind, str) else None
    if depth is None or not isinstance(coordinates, list):
        return 0
    if depth == 0:
        return 1
    return _count_at(coordinates, depth)


# How deep in `coordinates` the positions lie: a Point is one, a LineString a list of them...
_POSITION_DEPTH = {"Point": 0, "LineString": 1, "Polygon": 2, "MultiPolygon": 3}


def _count_at(items: list[Any], depth: int) -> int:
    if depth == 1:
        return len(items)
    return sum(_count_at(item, depth - 1) for item in items if isinstance(item, list))


def read_length_m(value: Any, field: str, problems: ProblemList) -> float:
    """A non-negative, finite number of metres (absent or null reads as 0)."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.add(field, value, "must be a number of metres")
        return 0.0
    if value < 0:
        problems.add(field, value, "must not be negative")
        return 0.0
    return float(value)


def _read_circle(coordinates: Any, properties: Mapping[str, Any], problems: ProblemList) -> Shape:
    centre = _read_position(coordinates, "geometry.coordinates", problems)
    if properties.get("sector") is not None:
        return _read_sector(centre or (0.0, 0.0), properties["sector"], problems)
    radius = read_length_m(properties.get("radius_m"), "radius_m", problems)
    return Circle(centre or (0.0, 0.0), radius)


def _read_sector(centre: LonLat, value: Any, problems: ProblemList) -> Shape:
    fields = _object(value, "sector", ("outer_m", "inner_m", "from_deg", "to_deg"), problems)
    outer = read_length_m(fields.get("outer_m"), "sector.outer_m", problems)
    inner = read_length_m(fields.get("inner_m"), "sector.inner_m", problems)
    if fields and fields.get("outer_m") is None:
        problems.add("sector.outer_m", None, "a sector needs its outer radius in metres")
    elif outer > _MAX_SECTOR_M:
        problems.add("sector.outer_m", outer, "over 2,000 km; describe it as a polygon")
    elif fields and inner >= outer:
        problems.add("sector.inner_m", inner, f"must be less than outer_m ({outer:g})")
    bearings = [
        _read_bearing(fields.get(name), f"sector.{name}", default, problems)
        for name, default in (("from_deg", 0.0), ("to_deg", 360.0))
    ]
    return Sector(centre, outer, inner, bearings[0], bearings[1])


def _read_bearing(value: Any, field: str, default: float, problems: ProblemList) -> float:
    if value is None:
        return default
    if not _is_number(value) or not 0.0 <= value <= 360.0:
        problems.add(field, value, "must be a bearing in degrees from true north, 0 to 360")
        return default
    return float(value)


def _object(
    value: Any, field: str, known: tuple[str, ...], problems: ProblemList
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        problems.add(field, value, f"must be an object with {', '.join(known)}")
        return {}
    for name in value:
        if name not in known:
            problems.add(f"{field}.{name}", value[name], f"unknown; expected {', '.join(known)}")
    return value


def _read_orbit(path: tuple[LonLat, ...], value: Any, problems: ProblemList) -> Shape:
    fields = _object(value, "orbit", ("width_m", "side"), problems)
    width = read_length_m(fields.get("width_m"), "orbit.width_m", problems)
    if fields and width == 0.0 and not any(p.field == "orbit.width_m" for p in problems.found):
        problems.add("orbit.width_m", fields.get("width_m"), "an orbit needs a width in metres")
    elif width > _MAX_WIDTH_M:
        problems.add("orbit.width_m", width, "over 1,000 km; describe it as a polygon")
    side = Side.CENTRE
    if fields.get("side") is not None:
        try:
            side = Side(fields["side"])
        except ValueError:
            problems.add("orbit.side", fields["side"], "must be 'centre', 'left' or 'right'")
    if len(path) != 2:
        problems.add(
            "geometry.coordinates", [list(p) for p in path], "an orbit is exactly 2 positions"
        )
    elif path[0] == path[1]:
        problems.add(
            "geometry.coordinates", [list(p) for p in path], "an orbit needs 2 different positions"
        )
    ends = path if len(path) == 2 else ((0.0, 0.0), (0.0, 0.0))
    return Orbit(ends[0], ends[1], width, side)


def _read_track(path: tuple[LonLat, ...], value: Any, problems: ProblemList) -> Shape:
    fields = _object(value, "track", ("left_m", "right_m"), problems)
    left = read_length_m(fields.get("left_m"), "track.left_m", problems)
    right = read_length_m(fields.get("right_m"), "track.right_m", problems)
    for name, width in (("left_m", left), ("right_m", right)):
        if width > _MAX_WIDTH_M:
            problems.add(f"track.{name}", width, "over 1,000 km; describe it as a polygon")
    if fields and left == 0.0 and right == 0.0 and not problems.found:
        problems.add("track", dict(fields), "a track needs a width on at least one side")
    return Track(path, left, right)


def _read_corridor(coordinates: Any, properties: Mapping[str, Any], problems: ProblemList) -> Shape:
    path = _read_positions(coordinates, "geometry.coordinates", problems)
    if path is not None and len(path) < 2:
        problems.add("geometry.coordinates", coordinates, "a LineString needs at least 2 positions")
    for i, (a, b) in enumerate(itertools.pairwise(path or ())):
        if abs(b[0] - a[0]) > 180.0:
            # RFC 7946 reads such an edge the long way round the globe: almost always
            # a route meant to cross the antimeridian, which must be split there.
            problems.add(
                f"geometry.coordinates[{i + 1}]",
                list(b),
                f"the edge from longitude {a[0]} to {b[0]} goes the long way round "
                f"({abs(b[0] - a[0]):.1f} degrees); to cross the antimeridian, split the "
                "route at 180 into a second feature",
            )
    if properties.get("orbit") is not None:
        return _read_orbit(path or (), properties["orbit"], problems)
    if properties.get("track") is not None:
        return _read_track(path or ((0.0, 0.0), (0.0, 0.0)), properties["track"], problems)
    half_width = read_length_m(properties.get("half_width_m"), "half_width_m", problems)
    return Corridor(path or ((0.0, 0.0), (0.0, 0.0)), half_width)


def _read_polygon_area(
    coordinates: Any, properties: Mapping[str, Any], problems: ProblemList
) -> Shape:
    polygon = _read_polygon(coordinates, "geometry.coordinates", problems)
    return _valid_area((polygon,) if polygon else (), problems)


def _read_multipolygon_area(
    coordinates: Any, properties: Mapping[str, Any], problems: ProblemList
) -> Shape:
    if not isinstance(coordinates, list) or not coordinates:
        problems.add("geometry.coordinates", coordinates, "a MultiPolygon needs a list of polygons")
        return Area(())
    polygons = [
        _read_polygon(polygon, f"geometry.coordinates[{i}]", problems)
        for i, polygon in enumerate(coordinates)
    ]
    return _valid_area(tuple(p for p in polygons if p), problems)


def _valid_area(polygons: tuple[PolygonRings, ...], problems: ProblemList) -> Area:
    area = Area(polygons)
    if problems.found or not polygons:
        return area
    if not area.planar.is_valid:
        problems.add("geometry", None, f"invalid polygon: {explain_validity(area.planar)}")
    return area


def _read_polygon(coordinates: Any, field: str, problems: ProblemList) -> PolygonRings | None:
    if not isinstance(coordinates, list) or not coordinates:
        problems.add(field, coordinates, "a Polygon needs a list of linear rings")
        return None
    rings = []
    for i, ring_coordinates in enumerate(coordinates):
        ring = _read_ring(ring_coordinates, f"{field}[{i}]", problems)
        if ring is not None:
            rings.append(ring)
    return tuple(rings) if len(rings) == len(coordinates) else None


def _read_ring(coordinates: Any, field: str, problems: ProblemList) -> Ring | None:
    ring = _read_positions(coordinates, field, problems)
    if ring is None:
        return None
    if len(ring) < 4:
        problems.add(field, coordinates, "a linear ring needs at least 4 positions")
        return None
    if ring[0] != ring[-1]:
        problems.add(field, coordinates, "a linear ring must end where it starts")
        return None
    return ring


def _read_positions(
    coordinates: Any, field: str, problems: ProblemList
) -> tuple[LonLat, ...] | None:
    if not isinstance(coordinates, list):
        problems.add(field, coordinates, "must be a list of [lon, lat] positions")
        return None
    before = len(problems.found)
    positions = [
        _read_position(position, f"{field}[{i}]", problems)
        for i, position in enumerate(coordinates)
    ]
    if len(problems.found) > before:
        return None
    return tuple(p for p in positions if p is not None)


def _read_position(value: Any, field: str, problems: ProblemList) -> LonLat | None:
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or not all(_is_number(v) for v in value)
    ):
        problems.add(field, value, "must be a position [lon, lat]")
        return None
    lon, lat = float(value[0]), float(value[1])
    if not -180.0 <= lon <= 180.0:
        problems.add(field, value, f"longitude {lon} is outside -180..180")
        return None
    if not -90.0 <= lat <= 90.0:
        problems.add(field, value, f"latitude {lat} is outside -90..90")
        return None
    return (lon, lat)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _extent_value(shape: Sector | Orbit | Track) -> dict[str, Any]:
    extent: dict[str, Any] = shape_to_geojson(shape)[1][_AIRSPACE_FIELD[type(shape)]]
    return extent


def shape_to_geojson(shape: Shape) -> tuple[dict[str, Any], dict[str, Any]]:
    """A GeoJSON geometry for `shape`, and the properties that carry its extent."""
    if isinstance(shape, Sector):
        sector = {
            "outer_m": shape.outer_m,
            "inner_m": shape.inner_m,
            "from_deg": shape.from_deg,
            "to_deg": shape.to_deg,
        }
        return {"type": "Point", "coordinates": list(shape.origin)}, {"sector": sector}
    if isinstance(shape, Orbit):
        line = {"type": "LineString", "coordinates": [list(shape.first), list(shape.second)]}
        return line, {"orbit": {"width_m": shape.width_m, "side": shape.side.value}}
    if isinstance(shape, Track):
        line = {"type": "LineString", "coordinates": [list(p) for p in shape.path]}
        return line, {"track": {"left_m": shape.left_m, "right_m": shape.right_m}}
    if isinstance(shape, Circle):
        return {"type": "Point", "coordinates": list(shape.centre)}, {"radius_m": shape.radius_m}
    if isinstance(shape, Corridor):
        path = [list(p) for p in shape.path]
        return {"type": "LineString", "coordinates": path}, {"half_width_m": shape.half_width_m}
    polygons = [[[list(p) for p in ring] for ring in rings] for rings in shape.polygons]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}, {}
    return {"type": "MultiPolygon", "coordinates": polygons}, {}
