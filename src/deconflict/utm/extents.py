"""Volume4D of ASTM F3548-21 read into the line's shapes, and decided by the line's engine.

An extent is an outline (a circle, or a polygon whose edges are straight in lon/lat as
everywhere on the line; the standard draws them as geodesics, which bow away from a
lon/lat segment by up to about 0.5 m on a 1 km edge at mid latitudes), an altitude band
in metres above the WGS84 ellipsoid, and a time window.

An entity's extents bound it, and the standard lets one bounding extent stand for them:
so two entities meet when their whole windows and whole bands overlap (ends included)
and some outline of one is at geodesic distance zero from some outline of the other. The
outlines are decided exactly, where the reference DSS compares coverings by S2 cells (a
circle as its inscribed 20-gon, about 660 m short on a 55 km radius, and cells that reach
beyond the outline); the windows and bands are merged as the reference merges them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shapely
from pyproj import Geod

from deconflict.geo.boxes import reach_box
from deconflict.geo.distance import distance_within_m, geodesic_distance_m
from deconflict.geo.shapes import Area, Circle
from deconflict.utm.refusals import BadRequest

Outline = Circle | Area

MAX_AREA_KM2 = 2500.0
"""The largest outline a request may carry (the reference DSS's limit, so USSs meet one)."""

_ALTITUDE_RANGE_M = (-8000.0, 100000.0)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_GEOD = Geod(ellps="WGS84")
_CIRCLE_SIDES = 72
# Stand-ins for an open window or band in the index's boxes.
FAR_S = 1.0e12
FAR_M = 1.0e9

Box = tuple[float, float, float, float, float, float, float, float, float, float]
"""(t0, t1, alt0, alt1, x0, x1, y0, y1, z0, z1): the window in epoch seconds, the band in
metres and the outline's ECEF box, for the stores' candidate search."""


@dataclass(frozen=True)
class Extent:
    """One Volume4D: an outline, an altitude band (None: open) and a window (None: open)."""

    outline: Outline
    lower_m: float | None
    upper_m: float | None
    start: datetime | None
    end: datetime | None

    def document(self) -> dict[str, Any]:
        """The Volume4D as the standard writes it."""
        volume: dict[str, Any] = {_outline_key(self.outline): _outline_document(self.outline)}
        if self.lower_m is not None:
            volume["altitude_lower"] = _altitude(self.lower_m)
        if self.upper_m is not None:
            volume["altitude_upper"] = _altitude(self.upper_m)
        found: dict[str, Any] = {"volume": volume}
        if self.start is not None:
            found["time_start"] = time_document(self.start)
        if self.end is not None:
            found["time_end"] = time_document(self.end)
        return found


def time_document(moment: datetime) -> dict[str, str]:
    """A Time of the standard: RFC 3339 in UTC with a 'Z'."""
    return {"value": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "format": "RFC3339"}


def read_extents(value: Any, field: str, *, bounded: bool) -> tuple[Extent, ...]:
    """A non-empty list of Volume4D; `bounded`: each must give both times and both altitudes."""
    if not isinstance(value, list) or not value:
        raise BadRequest(f"{field} must be a non-empty list of Volume4D", field=field)
    return tuple(
        read_extent(item, f"{field}[{i}]", bounded=bounded) for i, item in enumerate(value)
    )


def read_extent(value: Any, field: str, *, bounded: bool = False) -> Extent:
    """One Volume4D, checked as the standard and the line's limits ask (BadRequest if not)."""
    given = _object(value, field)
    volume = _object(given.get("volume"), f"{field}.volume")
    outline = _read_outline(volume, f"{field}.volume")
    lower = _read_altitude(volume.get("altitude_lower"), f"{field}.volume.altitude_lower")
    upper = _read_altitude(volume.get("altitude_upper"), f"{field}.volume.altitude_upper")
    start = _read_time(given.get("time_start"), f"{field}.time_start")
    end = _read_time(given.get("time_end"), f"{field}.time_end")
    if bounded and None in (lower, upper, start, end):
        raise BadRequest("each volume needs time_start, time_end and both altitudes", field=field)
    if lower is not None and upper is not None and lower > upper:
        raise BadRequest("altitude_lower is above altitude_upper", field=field)
    if start is not None and end is not None and start > end:
        raise BadRequest("time_start is after time_end", field=field, code="end_not_after_start")
    return Extent(outline, lower, upper, start, end)


def window(extents: Sequence[Extent]) -> tuple[datetime | None, datetime | None]:
    """The earliest start and the latest end of all the extents (None where one is open)."""
    starts = [e.start for e in extents]
    ends = [e.end for e in extents]
    start = None if None in starts else min(s for s in starts if s is not None)
    end = None if None in ends else max(e for e in ends if e is not None)
    return start, end


def meet(these: Sequence[Extent], those: Sequence[Extent]) -> bool:
    """Whether two entities (or an entity and an area of interest) meet: their whole
    windows and bands overlap, and an outline of one touches an outline of the other."""
    return (
        _overlap(*window(these), *window(those))
        and _overlap(*_band(these), *_band(those))
        and any(
            distance_within_m(a.outline, b.outline, 0.0) is not None for a in these for b in those
        )
    )


def _band(extents: Sequence[Extent]) -> tuple[float | None, float | None]:
    """The lowest lower and the highest upper altitude (None where one is open)."""
    lowers = [e.lower_m for e in extents]
    uppers = [e.upper_m for e in extents]
    lower = None if None in lowers else min(x for x in lowers if x is not None)
    upper = None if None in uppers else max(x for x in uppers if x is not None)
    return lower, upper


def outline_covers(outer: Outline, inner: Outline) -> bool:
    """Whether `inner` lies wholly inside `outer`.

    Two circles are compared exactly (geodesic distance of the centres plus the inner
    radius); otherwise a circle is drawn as a polygon on the safe side (outside an inner
    circle, inside an outer one), so a cover is never granted that does not hold.
    """
    if isinstance(outer, Circle) and isinstance(inner, Circle):
        apart_m = geodesic_distance_m(Circle(outer.centre), Circle(inner.centre))
        return apart_m + inner.radius_m <= outer.radius_m + 1e-6
    return bool(_planar(outer, outward=False).covers(_planar(inner, outward=True)))


def box(extents: Sequence[Extent]) -> Box:
    """The box around every extent: the stores find candidates by it, the engine decides."""
    starts = [e.start.timestamp() if e.start else -FAR_S for e in extents]
    ends = [e.end.timestamp() if e.end else FAR_S for e in extents]
    lowers = [e.lower_m if e.lower_m is not None else -FAR_M for e in extents]
    uppers = [e.upper_m if e.upper_m is not None else FAR_M for e in extents]
    boxes = [reach_box(e.outline) for e in extents]
    low = [min(b.low[axis] for b in boxes) for axis in range(3)]
    high = [max(b.high[axis] for b in boxes) for axis in range(3)]
    return (
        min(starts),
        max(ends),
        math.floor(min(lowers)),
        math.ceil(max(uppers)),
        low[0],
        high[0],
        low[1],
        high[1],
        low[2],
        high[2],
    )


def _overlap(
    a0: float | datetime | None,
    a1: float | datetime | None,
    b0: float | datetime | None,
    b1: float | datetime | None,
) -> bool:
    """Closed intervals (None: open on that side) share a point."""
    before = a1 is not None and b0 is not None and a1 < b0  # type: ignore[operator]
    after = b1 is not None and a0 is not None and b1 < a0  # type: ignore[operator]
    return not (before or after)


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{field} must be an object", field=field, value=value)
    return value


def _number(value: Any, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{field} must be a number", field=field, value=value)
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise BadRequest(f"{field} must be from {low} to {high}", field=field, value=value)
    return number


def _read_outline(volume: dict[str, Any], field: str) -> Outline:
    circle, polygon = volume.get("outline_circle"), volume.get("outline_polygon")
    if (circle is None) == (polygon is None):
        raise BadRequest(
            "a volume needs exactly one of outline_circle, outline_polygon", field=field
        )
    if circle is not None:
        return _read_circle(_object(circle, f"{field}.outline_circle"), f"{field}.outline_circle")
    return _read_polygon(_object(polygon, f"{field}.outline_polygon"), f"{field}.outline_polygon")


def _read_point(value: Any, field: str) -> tuple[float, float]:
    point = _object(value, field)
    return (
        _number(point.get("lng"), f"{field}.lng", -180.0, 180.0),
        _number(point.get("lat"), f"{field}.lat", -90.0, 90.0),
    )


def _read_circle(circle: dict[str, Any], field: str) -> Circle:
    centre = _read_point(circle.get("center"), f"{field}.center")
    radius = _object(circle.get("radius"), f"{field}.radius")
    if radius.get("units") != "M":
        raise BadRequest("radius units must be M", field=f"{field}.radius.units")
    metres = _number(radius.get("value"), f"{field}.radius.value", 0.0, 1.0e7)
    if metres <= 0.0:
        raise BadRequest("a radius must be above 0", field=f"{field}.radius.value", value=metres)
    if math.pi * metres**2 / 1e6 > MAX_AREA_KM2:
        raise BadRequest(f"the area is over {MAX_AREA_KM2:g} km²", field=field, code="too_large")
    return Circle(centre, metres)


def _read_polygon(polygon: dict[str, Any], field: str) -> Area:
    vertices = polygon.get("vertices")
    if not isinstance(vertices, list):
        raise BadRequest("a polygon needs a list of vertices", field=f"{field}.vertices")
    ring = [_read_point(v, f"{field}.vertices[{i}]") for i, v in enumerate(vertices)]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()  # a closing vertex, as GeoJSON writes one
    if len(ring) < 3 or len(set(ring)) != len(ring):
        raise BadRequest("a polygon needs 3 or more distinct vertices", field=f"{field}.vertices")
    area = Area((((*ring, ring[0]),),))
    if not area.planar.is_valid or area.planar.area == 0.0:
        raise BadRequest("the polygon's edges cross or enclose nothing", field=field)
    lons, lats = zip(*ring, strict=True)
    square_m, _ = _GEOD.polygon_area_perimeter(lons, lats)
    if abs(square_m) / 1e6 > MAX_AREA_KM2:
        raise BadRequest(f"the area is over {MAX_AREA_KM2:g} km²", field=field, code="too_large")
    return area


def _read_altitude(value: Any, field: str) -> float | None:
    if value is None:
        return None
    altitude = _object(value, field)
    if altitude.get("reference") != "W84" or altitude.get("units") != "M":
        raise BadRequest("an altitude must be in M above W84", field=field)
    return _number(altitude.get("value"), f"{field}.value", *_ALTITUDE_RANGE_M)


def read_time(value: Any, field: str) -> datetime:
    """A Time of the standard that must be given."""
    found = _read_time(value, field)
    if found is None:
        raise BadRequest(f"{field} is missing", field=field)
    return found


def _read_time(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    given = _object(value, field)
    text = given.get("value")
    if given.get("format") != "RFC3339" or not isinstance(text, str) or not _RFC3339.match(text):
        raise BadRequest("a time must be an RFC 3339 value", field=field, value=text)
    try:
        return datetime.fromisoformat(text.upper()).astimezone(UTC)
    except ValueError:
        raise BadRequest("a time must be an RFC 3339 value", field=field, value=text) from None


def _altitude(metres: float) -> dict[str, Any]:
    return {"value": metres, "reference": "W84", "units": "M"}


def _outline_key(outline: Outline) -> str:
    return "outline_circle" if isinstance(outline, Circle) else "outline_polygon"


def _outline_document(outline: Outline) -> dict[str, Any]:
    if isinstance(outline, Circle):
        lng, lat = outline.centre
        return {
            "center": {"lng": lng, "lat": lat},
            "radius": {"value": outline.radius_m, "units": "M"},
        }
    exterior = outline.polygons[0][0][:-1]
    return {"vertices": [{"lng": lng, "lat": lat} for lng, lat in exterior]}


def _planar(outline: Outline, *, outward: bool) -> shapely.Geometry:
    """The outline as a lon/lat polygon; a circle as a polygon drawn outside or inside it."""
    if isinstance(outline, Area):
        return outline.planar
    lng, lat = outline.centre
    reach = outline.radius_m / math.cos(math.pi / _CIRCLE_SIDES) if outward else outline.radius_m
    bearings = [360.0 * k / _CIRCLE_SIDES for k in range(_CIRCLE_SIDES)]
    lons, lats, _ = _GEOD.fwd(
        [lng] * _CIRCLE_SIDES, [lat] * _CIRCLE_SIDES, bearings, [reach] * _CIRCLE_SIDES
    )
    return shapely.Polygon(zip(lons, lats, strict=True))
