"""Cursor on Target (CoT) for TAK clients (ATAK, WinTAK, iTAK): features as drawn shapes.

Every feature is a CoT event (version 2.0) with the uid `deconflict.<party>.<feature id>`
(ids are per party; a party id has no dot), the same for every version, so a TAK client
redraws a feature in place when it is amended. `how` is
`h-g-i-g-o` (placed by a person on a map). The drawing is what TAK knows how to show:

- a circle is a `u-d-c-c` with `<shape><ellipse major minor angle/>`, both semi-axes its
  radius in metres; a bare point (radius 0) is a spot marker `b-m-p-s-m`;
- every other shape is a `u-d-f` drawing through `<link point="lat,lon"/>` vertices of
  `outline(shape)`, closed (the first vertex repeated last) like an ATAK polygon; a corridor
  of no width is an open polyline. An area of several polygons is drawn as one event per
  polygon (`deconflict.<party>.<id>#2`, ...). TAK cannot draw holes, so they are left out and
  the drawing covers at least the whole feature.

`point` is the circle's centre or the drawing's first vertex; `hae` is the band's lower
bound when that is a height above the ellipsoid, otherwise unknown (9999999.0), as are `ce`
and `le`. Remarks give the kind, party, window (DTG), levels and schedule.

Times: `time` is when the document was written (`now`), `start` the first occurrence's start
and `stale` the end of the last occurrence. A TAK client forgets an event once it is stale, so
a feature without an end (open-ended, or repeating until further notice) gets `stale` 24 hours
after `now` (or after its start, when that is later): a client polling the feed
(`GET /v1/cot`) keeps it as long as the line does, and drops it within a day once the feed no
longer lists it.

The whole feature, in the plan format, rides as JSON in a private detail element
`<__deconflict>`; TAK ignores detail elements it does not know, and `read_cot` reads the
feature back from it exactly (an edit made to the drawing in TAK is therefore not read back).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.formats import Defaults, Reading, Rejected
from deconflict.formats.notam import schedule_text
from deconflict.geo.construct import ShapeError, outline
from deconflict.geo.shapes import Area, Circle, Corridor, LonLat, Orbit, Sector, Shape, Track
from deconflict.i18n.dtg import format_dtg
from deconflict.rules.altitude import Datum, format_level
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.plan import feature_to_geojson, format_time, parse_feature, parse_time

__all__ = ["OPEN_ENDED_STALE", "UID_PREFIX", "cot_events", "cot_uid", "read_cot", "write_cot"]

UID_PREFIX = "deconflict."
OPEN_ENDED_STALE = timedelta(hours=24)
"""How long after `now` an event of a feature without an end stays fresh in a TAK client."""

PRIVATE = "__deconflict"
_UNKNOWN = "9999999.0"
_HOW = "h-g-i-g-o"
_CIRCLE, _DRAWING, _RECTANGLE, _MARKER = "u-d-c-c", "u-d-f", "u-d-r", "b-m-p-s-m"
# Signed 32-bit ARGB, as TAK writes colours: zones blue, activities red; fills at 25 %.
_STROKE = {Kind.ZONE: -16776961, Kind.ACTIVITY: -65536}
_FILL = {Kind.ZONE: 1073742079, Kind.ACTIVITY: 1090453504}
_STROKE_WEIGHT = "3.0"
# Characters XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF); names keep them in JSON.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class _Drawing:
    """What TAK draws for a shape: the event type, its anchor and its vertex lists."""

    type: str
    point: LonLat
    parts: tuple[tuple[LonLat, ...], ...] = ()
    radius_m: float = 0.0
    note: str | None = None


def write_cot(
    features: Sequence[Feature],
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """An `<events>` document, the events of every feature in order (`now`: the wall clock)."""
    moment = now or datetime.now(UTC)
    root = etree.Element("events")
    for feature in features:
        root.extend(cot_events(feature, names, moment))
    return str(
        etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"),
        "utf-8",
    )


def cot_uid(feature: Feature) -> str:
    """The uid of a feature's (first) event: unique across parties, the same for every version."""
    return f"{UID_PREFIX}{feature.party}.{feature.id}"


def cot_events(
    feature: Feature, names: Mapping[str, str] | None = None, now: datetime | None = None
) -> list[etree._Element]:
    """The feature's CoT events: one, or one per polygon of an area of several."""
    moment = now or datetime.now(UTC)
    drawing = _drawing(feature.shape)
    remarks = _remarks(feature, names or {}, drawing.note)
    events = []
    for index, part in enumerate(drawing.parts or ((),)):
        uid = _xml_text(cot_uid(feature) + (f"#{index + 1}" if index else ""))
        event = _event(feature, drawing, part, uid, moment)
        detail = event.find("detail")
        etree.SubElement(detail, "remarks").text = _xml_text(remarks)
        etree.SubElement(detail, "archive")
        private = etree.SubElement(detail, PRIVATE, version="1")
        if index == 0:
            private.text = json.dumps(feature_to_geojson(feature), sort_keys=True)
        else:
            private.set("part", str(index + 1))
            private.set("of", _xml_text(feature.id))
        events.append(event)
    return events


def _event(
    feature: Feature, drawing: _Drawing, part: tuple[LonLat, ...], uid: str, now: datetime
) -> etree._Element:
    span = feature.span
    stale = span.end or max(now, span.start) + OPEN_ENDED_STALE
    event = etree.Element(
        "event",
        version="2.0",
        uid=uid,
        type=drawing.type,
        how=_HOW,
        time=_cot_time(now),
        start=_cot_time(span.start),
        stale=_cot_time(stale),
    )
    anchor = part[0] if part else drawing.point
    band = feature.band
    hae = band.lower_m if band.lower_m is not None and band.datum is Datum.WGS84 else None
    etree.SubElement(
        event,
        "point",
        lat=_decimal(anchor[1], 7),
        lon=_decimal(anchor[0], 7),
        hae=_UNKNOWN if hae is None else _decimal(hae, 3),
        ce=_UNKNOWN,
        le=_UNKNOWN,
    )
    detail = etree.SubElement(event, "detail")
    etree.SubElement(detail, "contact", callsign=_xml_text(feature.name or feature.id))
    if drawing.type == _CIRCLE:
        shape = etree.SubElement(detail, "shape")
        radius = _decimal(drawing.radius_m, 3)
        etree.SubElement(shape, "ellipse", major=radius, minor=radius, angle="360")
    for lon, lat in part:
        etree.SubElement(detail, "link", point=f"{_decimal(lat, 7)},{_decimal(lon, 7)}")
    if drawing.type != _MARKER:
        etree.SubElement(detail, "strokeColor", value=str(_STROKE[feature.kind]))
        etree.SubElement(detail, "strokeWeight", value=_STROKE_WEIGHT)
        etree.SubElement(detail, "fillColor", value=str(_FILL[feature.kind]))
    etree.SubElement(detail, "labels_on", value="true")
    return event


def _drawing(shape: Shape) -> _Drawing:
    if isinstance(shape, Circle):
        if shape.radius_m == 0.0:
            return _Drawing(_MARKER, shape.centre)
        return _Drawing(_CIRCLE, shape.centre, radius_m=shape.radius_m)
    if isinstance(shape, Corridor) and shape.half_width_m == 0.0:
        return _Drawing(_DRAWING, shape.path[0], (shape.path,))
    try:
        area = outline(shape)
    except ShapeError as error:
        return _centre_drawing(shape, f"drawn as its centre line: {error}")
    if not area.polygons:
        return _centre_drawing(shape, None)  # too thin to outline
    parts = tuple(rings[0] for rings in area.polygons)
    holes = any(len(rings) > 1 for rings in area.polygons)
    return _Drawing(_DRAWING, parts[0][0], parts, note="holes not drawn" if holes else None)


def _centre_drawing(shape: Shape, note: str | None) -> _Drawing:
    line = _centre_line(shape)
    if len(line) == 1:
        return _Drawing(_MARKER, line[0], note=note)
    return _Drawing(_DRAWING, line[0], (line,), note=note)


def _centre_line(shape: Shape) -> tuple[LonLat, ...]:
    """The line a shape is built around, for one that cannot be outlined (near a pole, too thin)."""
    if isinstance(shape, (Corridor, Track)):
        return shape.path
    if isinstance(shape, Orbit):
        return (shape.first, shape.second)
    if isinstance(shape, Sector):
        return (shape.origin,)
    assert isinstance(shape, Area)
    return shape.polygons[0][0]


def _remarks(feature: Feature, names: Mapping[str, str], note: str | None) -> str:
    band, span = feature.band, feature.span
    kind = "Zone" if feature.kind is Kind.ZONE else (feature.activity or "activity").capitalize()
    lower = "SFC" if band.lower_m is None else format_level(band.lower_m, band.datum)
    parts = [
        f"{kind}: {feature.name or feature.id}",
        f"party: {names.get(feature.party, feature.party)}",
        f"window: {_dtg(feature.window.start)} to {_dtg(feature.window.end)}",
        f"levels: {lower} to {format_level(band.upper_m, band.top_datum)}",
    ]
    schedule = schedule_text(feature.window, feature.repeat)
    if schedule is not None:
        parts.append(f"schedule: {schedule} until {_dtg(span.end)}")
    if feature.buffer_m > 0.0:
        parts.append(f"buffer: {feature.buffer_m:,.0f} m")
    if note is not None:
        parts.append(note)
    return "; ".join(parts)


def _xml_text(text: str) -> str:
    """The text with what XML cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _dtg(moment: datetime | None) -> str:
    return "UFN" if moment is None else format_dtg(moment)


def _cot_time(moment: datetime) -> str:
    """ISO 8601 UTC to the millisecond, as TAK writes it: 2026-12-01T06:00:00.000Z."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _decimal(value: float, places: int) -> str:
    """A number to `places` decimals without trailing zeros: 33.5, 38.6401234, 0."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# -- reading ---------------------------------------------------------------------------------

_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "encoding": "utf-8",
}


def read_cot(text: str, defaults: Defaults) -> Reading:
    """The features of a CoT `<events>` document or a single `<event>`.

    Our own events are read exactly from their `<__deconflict>` element. Any other event
    is read from its drawing, `defaults` giving kind and party: a `u-d-c-c` circle
    (an ellipse whose axes differ is refused, naming the uid: it is not a circle, and a
    larger circle in its place would move the feature's edge without anyone seeing it), a
    closed `u-d-f` or a `u-d-r` as an area, an open `u-d-f` as a corridor of no width, a
    tasking or delete event (`t-...`) refused, any other event as a bare point. Its id is
    the uid (without our `deconflict.<party>.` prefix), its name the contact callsign, its window
    `start` to `stale` (`defaults` where missing).
    Raises InvalidPlan, naming the line, only when the document is not CoT XML at all.
    """
    root = _parse(text)
    events = _events_of(root)
    features: list[Feature] = []
    lines: list[int] = []
    rejected: list[Rejected] = []
    seen: set[tuple[str, str]] = set()  # (party, id): ids are per party
    for event in events:
        line = event.sourceline or 0
        if event.tag != "event":
            problem = InvalidFeature(
                f"line {line}: expected <event>, found <{event.tag}>", field="event"
            )
            rejected.append(Rejected(line, (problem,)))
            continue
        if _part_of(event) is not None:
            continue  # a further polygon of a feature read whole from its first event
        feature, problems = _read_event(event, defaults)
        if feature is not None and (feature.party, feature.id) in seen:
            problems = [
                InvalidFeature(
                    f"line {line}: the id is used by an earlier event",
                    feature_id=feature.id,
                    field="uid",
                    value=event.get("uid"),
                )
            ]
            feature = None
        if feature is None:
            rejected.append(Rejected(line, tuple(problems), event.get("uid")))
            continue
        seen.add((feature.party, feature.id))
        features.append(feature)
        lines.append(line)
    rejected.extend(_orphan_parts(events, {feature_id for _, feature_id in seen}))
    return Reading(tuple(features), tuple(lines), tuple(rejected))


def _parse(text: str) -> etree._Element:
    # No DTD at all: entities could read files or expand without bound.
    doctype = text.find("<!DOCTYPE")
    if doctype >= 0:
        line = text.count("\n", 0, doctype) + 1
        raise InvalidPlan(
            [InvalidFeature(f"line {line}: a DOCTYPE is not allowed in CoT", field="xml")]
        )
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        raise InvalidPlan(
            [InvalidFeature(f"line {line}: not well-formed XML: {error.msg}", field="xml")]
        ) from None
    if root.tag not in ("events", "event"):
        raise InvalidPlan(
            [
                InvalidFeature(
                    f"line {root.sourceline}: the document is <{root.tag}>; "
                    "expected <events> or <event>",
                    field="xml",
                    value=str(root.tag),
                )
            ]
        )
    return root


def _events_of(root: etree._Element) -> list[etree._Element]:
    if root.tag == "event":
        return [root]
    return [child for child in root if isinstance(child.tag, str)]


def _part_of(event: etree._Element) -> str | None:
    private = event.find(f"detail/{PRIVATE}")
    return None if private is None else private.get("of")


def _orphan_parts(events: Iterable[etree._Element], read: set[str]) -> list[Rejected]:
    """Further polygons whose feature was not read: their first event is missing or bad."""
    orphans = []
    read_ids = {_xml_text(feature_id) for feature_id in read}
    for event in events:
        parent = _part_of(event) if event.tag == "event" else None
        if parent is not None and parent not in read_ids:
            line = event.sourceline or 0
            problem = InvalidFeature(
                f"line {line}: a further polygon of feature {parent!r}, "
                "whose first event is missing or could not be read",
                feature_id=parent,
                field="uid",
                value=event.get("uid"),
            )
            orphans.append(Rejected(line, (problem,), event.get("uid")))
    return orphans


def _id_of_uid(uid: str) -> str:
    """The feature id in a uid: ours (`deconflict.<party>.<id>`) without prefix and party,
    any other uid as it is."""
    rest = uid.removeprefix(UID_PREFIX)
    if rest == uid or not rest:
        return uid
    _, dot, feature_id = rest.partition(".")
    return feature_id if dot and feature_id else rest


def _read_event(
    event: etree._Element, defaults: Defaults
) -> tuple[Feature | None, list[InvalidFeature]]:
    line = event.sourceline or 0
    private = event.find(f"detail/{PRIVATE}")
    if private is not None:
        return _read_private(private, line, event.get("uid"))
    found = _Problems(line, event.get("uid"))
    uid = (event.get("uid") or "").strip()
    if not uid:
        found.add("uid", event.get("uid"), "every event needs a uid")
    event_type = event.get("type") or ""
    if event_type.startswith("t-"):
        found.add("type", event_type, "a tasking or delete event, not a place")
    geometry, reach = _read_geometry(event, event_type, found)
    start = _read_time(event, "start", defaults.start, found)
    stale = _read_time(event, "stale", defaults.end, found)
    if start is not None and stale is not None and stale <= start:
        found.add("stale", event.get("stale"), "must be after start")
    if found.problems:
        return None, found.problems
    contact = event.find("detail/contact")
    name = contact.get("callsign") if contact is not None else None
    item = {
        "type": "Feature",
        "id": _id_of_uid(uid),
        "geometry": geometry,
        "properties": {
            "kind": defaults.kind.value,
            "party": defaults.party,
            "start": format_time(start) if start else None,
            "end": format_time(stale) if stale else None,
            **({"name": name} if name and name.strip() else {}),
            **reach,
        },
    }
    feature, problems = parse_feature(item)
    return feature, [found.located(p) for p in problems]


def _read_private(
    private: etree._Element, line: int, uid: str | None
) -> tuple[Feature | None, list[InvalidFeature]]:
    try:
        document = json.loads(private.text or "")
    except ValueError as error:
        return None, [
            InvalidFeature(
                f"line {line}: the {PRIVATE} element is not JSON: {error}",
                feature_id=uid,
                field=PRIVATE,
            )
        ]
    feature, problems = parse_feature(document)
    return feature, [_Problems(line, uid).located(p) for p in problems]


def _read_geometry(
    event: etree._Element, event_type: str, found: _Problems
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The event's drawing as a GeoJSON geometry plus its reach (radius or half-width)."""
    links = [
        _read_link(link, index, found)
        for index, link in enumerate(event.findall("detail/link"), start=1)
        if link.get("point") is not None
    ]
    vertices = [v for v in links if v is not None]
    if len(vertices) != len(links):
        return None, {}
    if event_type == _CIRCLE:
        return _read_circle(event, found)
    if event_type in (_DRAWING, _RECTANGLE):
        return _read_vertices(event_type, vertices, found)
    centre = _read_point(event, found)
    return ({"type": "Point", "coordinates": list(centre)} if centre else None), {}


def _read_circle(
    event: etree._Element, found: _Problems
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    centre = _read_point(event, found)
    ellipse = event.find("detail/shape/ellipse")
    if ellipse is None:
        found.add("shape.ellipse", None, "a u-d-c-c circle needs <shape><ellipse major minor/>")
        return None, {}
    major = _read_number(ellipse, "major", "shape.ellipse.major", found)
    minor = _read_number(ellipse, "minor", "shape.ellipse.minor", found)
    if centre is None or major is None or minor is None:
        return None, {}
    if not math.isclose(major, minor, rel_tol=1e-9, abs_tol=0.001):
        found.add(
            "shape.ellipse",
            {"major": major, "minor": minor},
            f"an ellipse is not a circle (major {major:g} m, minor {minor:g} m); "
            "redraw it as a circle or a polygon",
        )
        return None, {}
    return {"type": "Point", "coordinates": list(centre)}, {"radius_m": max(major, minor)}


def _read_vertices(
    event_type: str, vertices: list[LonLat], found: _Problems
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    closed = len(vertices) >= 4 and vertices[0] == vertices[-1]
    if event_type == _RECTANGLE and len(vertices) == 4:
        vertices, closed = [*vertices, vertices[0]], True
    if closed:
        ring = [list(v) for v in vertices]
        return {"type": "Polygon", "coordinates": [ring]}, {}
    if event_type == _RECTANGLE:
        found.add("link", len(vertices), "a u-d-r rectangle needs its 4 corners")
        return None, {}
    if len(set(vertices)) < 2:
        found.add("link", len(vertices), "a drawing needs at least 2 different vertices")
        return None, {}
    return {"type": "LineString", "coordinates": [list(v) for v in vertices]}, {"half_width_m": 0.0}


def _read_link(link: etree._Element, index: int, found: _Problems) -> LonLat | None:
    text = link.get("point") or ""
    values = text.split(",")
    try:
        lat, lon = float(values[0]), float(values[1])
    except (ValueError, IndexError):
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon)):
        found.add(f"link[{index}].point", text, "must be 'lat,lon' (optionally ',hae')")
        return None
    return lon, lat


def _read_point(event: etree._Element, found: _Problems) -> LonLat | None:
    point = event.find("point")
    if point is None:
        found.add("point", None, "every event needs a <point lat lon/>")
        return None
    lat = _read_number(point, "lat", "point.lat", found)
    lon = _read_number(point, "lon", "point.lon", found)
    return None if lat is None or lon is None else (lon, lat)


def _read_number(
    element: etree._Element, attribute: str, field: str, found: _Problems
) -> float | None:
    text = element.get(attribute)
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        found.add(field, text, "must be a number")
        return None
    return value


def _read_time(
    event: etree._Element, attribute: str, default: datetime | None, found: _Problems
) -> datetime | None:
    text = event.get(attribute)
    if text is None:
        return default
    try:
        return parse_time(text)
    except ValueError as error:
        found.add(attribute, text, str(error))
        return None


class _Problems:
    """Problems of one event, each message starting with its line."""

    def __init__(self, line: int, uid: str | None) -> None:
        self.line = line
        self.uid = uid
        self.problems: list[InvalidFeature] = []

    def add(self, field: str, value: Any, message: str) -> None:
        self.problems.append(
            InvalidFeature(
                f"line {self.line}: {message}", feature_id=self.uid, field=field, value=value
            )
        )

    def located(self, problem: InvalidFeature) -> InvalidFeature:
        return InvalidFeature(
            f"line {self.line}: {problem.message}",
            feature_id=problem.feature_id or self.uid,
            field=problem.field,
            value=problem.value,
        )
