"""KML 2.2, as Google Earth and most GIS tools save it.

Writing: one Folder per party, one styled Placemark per feature, drawn as a
map should show it (a bare point as a Point, a path without width as a
LineString, everything else as the polygons of `outline`), its plan
properties stored in ExtendedData so that `read_kml` gives the same features
back.

Reading: a Placemark carrying those stored properties is read as the feature
they describe, but what the map showed wins: a name, TimeSpan or geometry
edited since (in Google Earth, say) replaces the stored one. Any other
Placemark is built from its KML: a Point is a circle (`radius_m` from its
ExtendedData, else a bare point), a LineString a corridor (`half_width_m`),
a Polygon, LinearRing or MultiGeometry of polygons an area; its time comes
from TimeSpan or TimeStamp, its party and kind from the defaults. The parser
resolves no entities, fetches nothing and refuses any DTD, so XML bombs and
external entities never expand.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from lxml import etree

from deconflict.errors import InvalidFeature
from deconflict.formats import (
    Defaults,
    Reading,
    Rejected,
    checked_window,
    claim_id,
    read_moment,
    slug,
    unreadable,
)
from deconflict.geo.construct import ShapeError, outline
from deconflict.geo.geojson import ProblemList, parse_shape
from deconflict.geo.shapes import Area, Circle, Corridor, Orbit, Sector, Shape, Track
from deconflict.i18n.dtg import format_dtg
from deconflict.rules.altitude import UNBOUNDED, AltitudeBand, Datum, format_level
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.plan import feature_to_geojson, format_time, parse_feature
from deconflict.rules.schedule import WEEKDAYS, Every, Recurrence

__all__ = [
    "KML_NS",
    "STORED_DATA",
    "read_kml",
    "write_kml",
]

KML_NS = "http://www.opengis.net/kml/2.2"
# The ExtendedData entry holding a feature's plan properties (GeoJSON, as `feature_to_geojson`).
STORED_DATA = "deconflict.feature"

# ColorBrewer Set1 (rrggbb): distinct on a satellite image, one per party in sorted order.
_PALETTE = ("e41a1c", "377eb8", "4daf4a", "984ea3", "ff7f00", "a65628", "f781bf", "999999")
# Fill opacity: a zone is outlined over a light fill, an activity stands out.
_FILL_ALPHA = {Kind.ZONE: 0x40, Kind.ACTIVITY: 0x99}
_LINE_WIDTH = {Kind.ZONE: 2, Kind.ACTIVITY: 4}
# Outlines of circles, sectors and tracks are written to 1e-7 degree (about a centimetre).
_OUTLINE_DIGITS = 7
# Coordinates re-saved by another tool compare equal within this (degrees).
_SAME_DEG = 1e-7
_NCNAME = re.compile(r"[^\W\d][\w.-]*")
# Characters XML 1.0 cannot hold (most controls, lone surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A DTD can only come in the prolog: after the declaration, comments, PIs and spaces.
_DOCTYPE = re.compile(r"\ufeff?(?:<\?.*?\?>|<!--.*?-->|\s)*+(?=<!DOCTYPE)", re.DOTALL)
_GEOMETRIES = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry")
_UNSUPPORTED = {
    "Model": "a 3D Model",
    "Track": "a gx:Track (positions in time)",
    "MultiTrack": "a gx:MultiTrack (positions in time)",
}


# --- writing ------------------------------------------------------------------------------


def write_kml(features: Sequence[Feature], names: Mapping[str, str] | None = None) -> str:
    """A KML 2.2 document: a Folder per party (by display name), a styled Placemark per feature.

    `names` maps party ids to display names. Raises InvalidFeature for a
    shape that cannot be drawn as polygons (a circle that reaches a pole).
    """
    names = names or {}
    parties = sorted({feature.party for feature in features})
    kml = etree.Element(_kml("kml"), nsmap={None: KML_NS})
    document = _sub(kml, "Document")
    _sub(document, "name", "deconflict")
    for index in range(len(parties)):
        for kind in Kind:
            document.append(_style(_style_id(index, kind), _PALETTE[index % len(_PALETTE)], kind))
    used_ids = {_style_id(index, kind) for index in range(len(parties)) for kind in Kind}
    for index, party in enumerate(parties):
        folder = _sub(document, "Folder")
        _sub(folder, "name", _displayable(names.get(party, party)))
        for feature in (f for f in features if f.party == party):
            placemark = _placemark(feature, names, _style_id(index, feature.kind))
            if _NCNAME.fullmatch(feature.id) and feature.id not in used_ids:
                placemark.set("id", feature.id)
                used_ids.add(feature.id)
            folder.append(placemark)
    written: bytes = etree.tostring(kml, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return written.decode("utf-8")


def _kml(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _kml(tag))
    if text is not None:
        element.text = text
    return element


def _style_id(party_index: int, kind: Kind) -> str:
    return f"style-{party_index}-{kind.value}"


def _style(style_id: str, rrggbb: str, kind: Kind) -> etree._Element:
    """In the party colour: a zone outlined over a light fill, an activity bolder on both."""
    style = etree.Element(_kml("Style"), id=style_id)
    _sub(_sub(style, "IconStyle"), "color", _abgr(rrggbb, 0xFF))
    line = _sub(style, "LineStyle")
    _sub(line, "color", _abgr(rrggbb, 0xFF))
    _sub(line, "width", str(_LINE_WIDTH[kind]))
    _sub(_sub(style, "PolyStyle"), "color", _abgr(rrggbb, _FILL_ALPHA[kind]))
    return style


def _abgr(rrggbb: str, alpha: int) -> str:
    """A KML colour: alpha, blue, green, red."""
    return f"{alpha:02x}{rrggbb[4:6]}{rrggbb[2:4]}{rrggbb[0:2]}"


def _placemark(feature: Feature, names: Mapping[str, str], style_id: str) -> etree._Element:
    placemark = etree.Element(_kml("Placemark"))
    _sub(placemark, "name", _displayable(_title(feature)))
    # CDATA: the balloon's HTML stays readable (html.escape leaves no "]]>" inside).
    _sub(placemark, "description").text = etree.CDATA(_description(feature, names))
    span = _sub(placemark, "TimeSpan")
    _sub(span, "begin", format_time(feature.span.start))
    if feature.span.end is not None:
        _sub(span, "end", format_time(feature.span.end))
    _sub(placemark, "styleUrl", f"#{style_id}")
    stored = json.dumps(
        feature_to_geojson(feature), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    data = _sub(_sub(placemark, "ExtendedData"), "Data")
    data.set("name", STORED_DATA)
    # Only inside JSON strings can such characters occur, so their JSON escapes stand in.
    _sub(data, "value", _NOT_XML.sub(lambda c: f"\\u{ord(c[0]):04x}", stored))
    placemark.append(_geometry(_drawing(feature), feature.band))
    return placemark


def _title(feature: Feature) -> str:
    return feature.name or feature.id


def _displayable(text: str) -> str:
    """The text with what XML cannot hold shown as U+FFFD (the stored properties keep it)."""
    return _NOT_XML.sub("\ufffd", text)


def _description(feature: Feature, names: Mapping[str, str]) -> str:
    """An HTML table for the balloon: kind, party, time, repeats, levels, buffer, shape."""
    party = names.get(feature.party)
    rows = [
        ("Kind", f"{feature.kind.value}: {feature.activity}" if feature.activity else feature.kind),
        ("Party", f"{party} ({feature.party})" if party else feature.party),
        ("First occurrence" if feature.repeat else "When", _window_text(feature.window)),
    ]
    if feature.repeat is not None:
        rows.append(("Repeats", _repeat_text(feature.repeat)))
    rows.append(("Levels", _levels_text(feature.band)))
    if feature.buffer_m > 0.0:
        rows.append(("Buffer", _metres(feature.buffer_m)))
    rows.append(("Shape", _shape_text(feature.shape)))
    rows.extend(
        (str(key), str(value))
        for key, value in sorted(feature.extra.items())
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
    )
    cells = "".join(
        f"<tr><th align='left'>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>"
        for label, value in rows
    )
    return _displayable(f"<table>{cells}</table>")


def _moment_text(moment: datetime) -> str:
    """A DTG with its ISO form, e.g. 071200ZSEP26 (2026-09-07T12:00:00Z); ISO alone outside 20YY."""
    iso = format_time(moment)
    try:
        return f"{format_dtg(moment)} ({iso})"
    except ValueError:
        return iso


def _window_text(window: TimeWindow) -> str:
    end = _moment_text(window.end) if window.end is not None else "UFN (open-ended)"
    return f"{_moment_text(window.start)} to {end}"


def _repeat_text(repeat: Recurrence) -> str:
    """The schedule in words, e.g. 'every 2 weeks on Mon, Thu until further notice (UFN)'."""
    unit = {Every.DAY: "day", Every.WEEK: "week", Every.HOURS: "hour"}[repeat.every]
    text = f"every {unit}" if repeat.interval == 1 else f"every {repeat.interval} {unit}s"
    if repeat.weekdays:
        text += " on " + ", ".join(WEEKDAYS[day].capitalize() for day in repeat.weekdays)
    if repeat.until is None:
        return f"{text} until further notice (UFN)"
    return f"{text}, the last starting before {_moment_text(repeat.until)}"


def _levels_text(band: AltitudeBand) -> str:
    if band == UNBOUNDED:
        return "all levels (no altitude limits)"
    lower = "no lower limit" if band.lower_m is None else format_level(band.lower_m, band.datum)
    return f"{lower} to {format_level(band.upper_m, band.top_datum)}"


def _metres(value_m: float) -> str:
    return f"{value_m:,.0f} m" if value_m >= 100.0 else f"{value_m:g} m"


def _shape_text(shape: Shape) -> str:
    if isinstance(shape, Circle):
        return "point" if shape.radius_m == 0.0 else f"circle of radius {_metres(shape.radius_m)}"
    if isinstance(shape, Corridor) and shape.half_width_m == 0.0:
        return f"path of {len(shape.path)} points (no width)"
    if isinstance(shape, Corridor):
        return f"corridor {_metres(shape.half_width_m)} each side of a {len(shape.path)}-point path"
    if isinstance(shape, Sector):
        return (
            f"sector from {_metres(shape.inner_m)} to {_metres(shape.outer_m)}, "
            f"clockwise from {shape.from_deg:g}° to {shape.to_deg:g}° true"
        )
    if isinstance(shape, Orbit):
        return f"orbit {_metres(shape.width_m)} wide, {shape.side.value} of its line"
    if isinstance(shape, Track):
        return (
            f"track {_metres(shape.left_m)} left and {_metres(shape.right_m)} right "
            f"of a {len(shape.path)}-point path"
        )
    holes = sum(len(rings) - 1 for rings in shape.polygons)
    parts = f"{len(shape.polygons)} polygon{'s' if len(shape.polygons) != 1 else ''}"
    return f"area of {parts}" + (f" with {holes} hole{'s' if holes != 1 else ''}" if holes else "")


def _drawing(feature: Feature) -> dict[str, Any]:
    """What a map shows of the feature, as a GeoJSON geometry: Point, LineString or polygons.

    An area is drawn exactly as typed; other shapes as their outline, to 1e-7 degree.
    """
    shape = feature.shape
    if isinstance(shape, Area):
        polygons = [[[list(p) for p in ring] for ring in rings] for rings in shape.polygons]
    else:
        try:
            drawn = outline(shape)
        except ShapeError as error:
            raise InvalidFeature(
                f"cannot be drawn in KML: {error}", feature_id=feature.id, field="geometry"
            ) from None
        polygons = [
            [[[round(v, _OUTLINE_DIGITS) for v in p] for p in ring] for ring in rings]
            for rings in drawn.polygons
        ]
    # A bare point or path (or one too thin to have an outline) is drawn as its core.
    if not polygons and isinstance(shape, Circle):
        return {"type": "Point", "coordinates": list(shape.centre)}
    if not polygons and isinstance(shape, Corridor):
        return {"type": "LineString", "coordinates": [list(p) for p in shape.path]}
    if not polygons:
        raise InvalidFeature(
            "cannot be drawn in KML: its outline has no area",
            feature_id=feature.id,
            field="geometry",
        )
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _altitude(band: AltitudeBand) -> tuple[str, float] | None:
    """How to draw the band as a solid from the ground: (altitudeMode, top in metres), or None.

    Only a band from the surface (or unbounded below) to a top above sea level
    or above ground is drawn standing; anything else lies on the ground, its
    levels in the description, so the map never shows a floor that is not there.
    """
    mode = {Datum.MSL: "absolute", Datum.AGL: "relativeToGround"}.get(band.top_datum)
    from_surface = band.lower_m is None or (band.lower_m == 0.0 and band.datum is Datum.AGL)
    if band.upper_m is None or mode is None or not from_surface:
        return None
    return mode, band.upper_m


def _geometry(drawing: dict[str, Any], band: AltitudeBand) -> etree._Element:
    standing = _altitude(band)
    kind, coordinates = drawing["type"], drawing["coordinates"]
    if kind == "Point":
        return _placed("Point", [coordinates], standing)
    if kind == "LineString":
        return _placed("LineString", coordinates, standing)
    polygons = [_polygon(rings, standing) for rings in _polygons(drawing)]
    if len(polygons) == 1:
        return polygons[0]
    multi = etree.Element(_kml("MultiGeometry"))
    multi.extend(polygons)
    return multi


def _polygons(drawing: dict[str, Any]) -> list[Any]:
    coordinates = drawing["coordinates"]
    return [coordinates] if drawing["type"] == "Polygon" else list(coordinates)


def _placed(
    tag: str, positions: Sequence[Sequence[float]], standing: tuple[str, float] | None
) -> etree._Element:
    element = etree.Element(_kml(tag))
    _place(element, standing, tessellate=tag != "Point")
    _sub(element, "coordinates", _coordinates(positions, standing))
    return element


def _place(element: etree._Element, standing: tuple[str, float] | None, tessellate: bool) -> None:
    """extrude, tessellate and altitudeMode, in the order KML 2.2 lists them."""
    if standing is not None:
        _sub(element, "extrude", "1")
        _sub(element, "altitudeMode", standing[0])
        return
    if tessellate:
        _sub(element, "tessellate", "1")
    _sub(element, "altitudeMode", "clampToGround")


def _polygon(
    rings: Sequence[Sequence[Sequence[float]]], standing: tuple[str, float] | None
) -> etree._Element:
    polygon = etree.Element(_kml("Polygon"))
    _place(polygon, standing, tessellate=True)
    for index, ring in enumerate(rings):
        boundary = _sub(polygon, "outerBoundaryIs" if index == 0 else "innerBoundaryIs")
        _sub(_sub(boundary, "LinearRing"), "coordinates", _coordinates(ring, standing))
    return polygon


def _coordinates(positions: Sequence[Sequence[float]], standing: tuple[str, float] | None) -> str:
    height = f",{float(standing[1])!r}" if standing is not None else ""
    return " ".join(f"{float(p[0])!r},{float(p[1])!r}{height}" for p in positions)


# --- reading ------------------------------------------------------------------------------


def read_kml(text: str, defaults: Defaults) -> Reading:
    """Every Placemark of a KML document (Folders and Documents at any depth) as a feature.

    Placemarks that cannot be read are rejected with their line and every
    problem; raises InvalidPlan, naming the line, only when the text is not
    well-formed KML or declares a DTD.
    """
    root = _parse(text)
    placemarks = list(root.iter("{*}Placemark", "{*}NetworkLink"))
    stored = [_stored_document(placemark) for placemark in placemarks]
    taken = {found for document, _ in stored if (found := _item_id(document)) is not None}
    first_line: dict[str, int] = {}
    features: list[Feature] = []
    lines: list[int] = []
    rejected: list[Rejected] = []
    for position, (placemark, (document, data)) in enumerate(zip(placemarks, stored, strict=True)):
        line = placemark.sourceline or 0
        name = _text(placemark, "name")
        if _local(placemark) == "NetworkLink":
            rejected.append(Rejected(line, (_network_link(placemark),), name))
            continue
        if document is None:
            feature_id = claim_id(_placemark_id(placemark, name), taken)
            feature, problems = _foreign(placemark, data, defaults, feature_id)
        else:
            feature, problems = _stored(placemark, document, position, defaults)
        if feature is not None and feature.id in first_line:
            problems = [_duplicate(feature.id, first_line[feature.id])]
        if feature is None or problems:
            rejected.append(Rejected(line, tuple(problems), name or _item_id(document)))
            continue
        first_line[feature.id] = line
        features.append(feature)
        lines.append(line)
    return Reading(tuple(features), tuple(lines), tuple(rejected))


def _parse(text: str) -> etree._Element:
    """The root <kml> element; InvalidPlan naming the line for anything that is not KML."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        encoding="utf-8",  # the text is already decoded, whatever its declaration says
    )
    doctype = _DOCTYPE.match(text)
    if doctype is not None:
        raise unreadable(
            text.count("\n", 0, doctype.end()) + 1,
            "the file declares a DTD (<!DOCTYPE>); KML needs none and its entities are "
            "never expanded here: remove the declaration",
        )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        raise unreadable(error.lineno or 1, f"not well-formed XML: {error.msg}") from None
    if _local(root) != "kml":
        raise unreadable(
            root.sourceline or 1, f"the root element is <{_local(root)}>, not <kml>: not a KML file"
        )
    return root


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(element: etree._Element, tag: str) -> str | None:
    """The stripped text of the child `tag`, or None when it is missing or blank."""
    child = element.find(f"{{*}}{tag}")
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _extended_data(placemark: etree._Element) -> dict[str, str]:
    """ExtendedData as name -> text, from Data/value and SchemaData/SimpleData alike."""
    data: dict[str, str] = {}
    for entry in placemark.iterfind("{*}ExtendedData/{*}Data"):
        data[entry.get("name", "")] = _text(entry, "value") or ""
    for entry in placemark.iterfind("{*}ExtendedData/{*}SchemaData/{*}SimpleData"):
        data[entry.get("name", "")] = (entry.text or "").strip()
    return data


def _stored_document(placemark: etree._Element) -> tuple[Any, dict[str, str]]:
    """The stored plan properties (parsed JSON, or the raw text if it is not JSON) and the data."""
    data = _extended_data(placemark)
    if STORED_DATA not in data:
        return None, data
    try:
        document = json.loads(data[STORED_DATA])
    except json.JSONDecodeError:
        return data[STORED_DATA], data
    return (document if isinstance(document, dict) else data[STORED_DATA]), data


def _item_id(document: Any) -> str | None:
    found = document.get("id") if isinstance(document, dict) else None
    return found if isinstance(found, str) else None


def _placemark_id(placemark: etree._Element, name: str | None) -> str:
    given = (placemark.get("id") or "").strip()
    return given or slug(name or "") or "placemark"


def _duplicate(feature_id: str, line: int) -> InvalidFeature:
    return InvalidFeature(
        f"id is already used by the Placemark at line {line}",
        feature_id=feature_id,
        field="id",
        value=feature_id,
    )


def _network_link(link: etree._Element) -> InvalidFeature:
    href = _text(link, "Link/{*}href") or _text(link, "Url/{*}href")
    return InvalidFeature(
        "a NetworkLink loads its places from elsewhere, which is never fetched; "
        "open it in Google Earth and save the linked places as KML",
        field="NetworkLink",
        value=href,
    )


def _stored(
    placemark: etree._Element, document: Any, position: int, defaults: Defaults
) -> tuple[Feature | None, list[InvalidFeature]]:
    """The feature the stored properties describe, with any edit made to the drawing since."""
    if not isinstance(document, dict):
        return None, [
            InvalidFeature(
                f"ExtendedData {STORED_DATA!r} is not a JSON object",
                field=f"ExtendedData.{STORED_DATA}",
                value=str(document)[:200],
            )
        ]
    feature, found = parse_feature(document, position)
    if feature is None:
        return None, found
    problems = ProblemList(feature.id)
    name = _text(placemark, "name")
    if (name or "") != _displayable(_title(feature)).strip():
        feature = replace(feature, name=name)
    drawing = _read_geometry(placemark, problems)
    if drawing is not None and not _same(drawing, _expected_drawing(feature, problems)):
        shape, shape_problems = parse_shape(drawing, {}, feature.id)
        problems.found.extend(shape_problems)
        feature = replace(feature, shape=shape) if shape is not None else feature
    window = _edited_window(placemark, feature, defaults, problems)
    if window is not None:
        feature = replace(feature, window=window)
    return (None, problems.found) if problems.found else (feature, [])


def _expected_drawing(feature: Feature, problems: ProblemList) -> dict[str, Any] | None:
    try:
        return _drawing(feature)
    except InvalidFeature as error:
        problems.add("geometry", None, error.message)
        return None


def _edited_window(
    placemark: etree._Element, feature: Feature, defaults: Defaults, problems: ProblemList
) -> TimeWindow | None:
    """The window the Placemark's time now says, when it no longer matches the stored one."""
    if placemark.find("{*}TimeSpan") is None and placemark.find("{*}TimeStamp") is None:
        return None
    window = _read_window(placemark, defaults, problems)
    if window is None or window == feature.span:
        return None
    if feature.repeat is not None:
        problems.add(
            "TimeSpan",
            _window_text(window),
            "the TimeSpan of a repeating feature cannot be edited in KML (it spans every "
            f"occurrence, {_window_text(feature.span)}); change the schedule in the plan instead",
        )
        return None
    return window


def _same(drawn: Any, expected: Any) -> bool:
    """Equal GeoJSON geometries, coordinates within 1e-7 degree."""
    if isinstance(drawn, dict) and isinstance(expected, dict):
        return drawn["type"] == expected["type"] and _same(
            drawn["coordinates"], expected["coordinates"]
        )
    if isinstance(drawn, list) and isinstance(expected, list):
        return len(drawn) == len(expected) and all(map(_same, drawn, expected))
    if isinstance(drawn, float) and isinstance(expected, (int, float)):
        return abs(drawn - expected) <= _SAME_DEG
    return False


def _foreign(
    placemark: etree._Element, data: Mapping[str, str], defaults: Defaults, feature_id: str
) -> tuple[Feature | None, list[InvalidFeature]]:
    """A feature built from the Placemark's own KML, the defaults filling the rest."""
    problems = ProblemList(feature_id)
    drawing = _read_geometry(placemark, problems)
    window = _read_window(placemark, defaults, problems)
    extents = {
        field: _read_metres(data[field], f"ExtendedData.{field}", problems)
        for field in ("radius_m", "half_width_m")
        if field in data
    }
    shape = None
    if drawing is not None and not problems.found:
        shape, shape_problems = parse_shape(drawing, extents, feature_id)
        problems.found.extend(shape_problems)
    if problems.found or shape is None or window is None:
        return None, problems.found
    name = _text(placemark, "name")
    return Feature(feature_id, defaults.kind, defaults.party, shape, window, name=name), []


def _read_metres(text: str, field: str, problems: ProblemList) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0.0:
        problems.add(field, text, "must be a number of metres, 0 or more")
        return 0.0
    return value


# --- geometry -----------------------------------------------------------------------------


def _read_geometry(placemark: etree._Element, problems: ProblemList) -> dict[str, Any] | None:
    """The Placemark's geometry as GeoJSON (Point, LineString, Polygon, MultiPolygon)."""
    found = [child for child in placemark if _local(child) in (*_GEOMETRIES, *_UNSUPPORTED)]
    if not found:
        problems.add(
            "geometry", None, "the Placemark has no Point, LineString, Polygon or MultiGeometry"
        )
        return None
    if len(found) > 1:
        problems.add(
            "geometry",
            [_local(child) for child in found],
            "the Placemark holds several geometries; put them in one MultiGeometry",
        )
        return None
    return _geometry_of(found[0], _local(found[0]), problems)


def _geometry_of(
    element: etree._Element, path: str, problems: ProblemList
) -> dict[str, Any] | None:
    kind = _local(element)
    if kind in _UNSUPPORTED:
        problems.add(
            "geometry",
            _qualified(element),
            f"{_UNSUPPORTED[kind]} cannot be read; draw the place as a Point, "
            "a LineString or a Polygon",
        )
        return None
    if kind == "MultiGeometry":
        return _multi_geometry(element, path, problems)
    if kind == "Point":
        positions = _positions(element, path, problems)
        if positions is not None and len(positions) != 1:
            problems.add(
                f"{path}.coordinates", _excerpt(element), "a Point has exactly one position"
            )
            return None
        return None if positions is None else {"type": "Point", "coordinates": positions[0]}
    if kind == "LineString":
        positions = _positions(element, path, problems)
        if positions is not None and len(positions) < 2:
            problems.add(
                f"{path}.coordinates", _excerpt(element), "a LineString needs at least 2 positions"
            )
            return None
        return None if positions is None else {"type": "LineString", "coordinates": positions}
    if kind == "LinearRing":
        ring = _ring(element, path, problems)
        return None if ring is None else {"type": "Polygon", "coordinates": [ring]}
    return _polygon_of(element, path, problems)


def _qualified(element: etree._Element) -> str:
    namespace = etree.QName(element).namespace or ""
    return f"gx:{_local(element)}" if "google.com/kml/ext" in namespace else _local(element)


def _polygon_of(polygon: etree._Element, path: str, problems: ProblemList) -> dict[str, Any] | None:
    outer = polygon.find("{*}outerBoundaryIs/{*}LinearRing")
    if outer is None:
        problems.add(path, None, "a Polygon needs an outerBoundaryIs with a LinearRing")
        return None
    rings = [_ring(outer, f"{path}.outerBoundaryIs", problems)]
    inners = polygon.findall("{*}innerBoundaryIs/{*}LinearRing")
    rings.extend(
        _ring(inner, f"{path}.innerBoundaryIs[{index}]", problems)
        for index, inner in enumerate(inners)
    )
    if any(ring is None for ring in rings):
        return None
    return {"type": "Polygon", "coordinates": rings}


def _multi_geometry(
    multi: etree._Element, path: str, problems: ProblemList
) -> dict[str, Any] | None:
    members = [child for child in multi if _local(child) in (*_GEOMETRIES, *_UNSUPPORTED)]
    before = len(problems.found)
    parts = [
        _geometry_of(child, f"{path}.{_local(child)}[{index}]", problems)
        for index, child in enumerate(members)
    ]
    if len(problems.found) > before:
        return None
    if not parts:
        problems.add(path, None, "the MultiGeometry is empty")
        return None
    if len(parts) == 1:
        return parts[0]
    kinds = sorted({part["type"] for part in parts if part is not None})
    if set(kinds) - {"Polygon", "MultiPolygon"}:
        problems.add(
            path,
            kinds,
            "only polygons can be read together as one area; "
            "put each point or line in a Placemark of its own",
        )
        return None
    polygons = [rings for part in parts if part is not None for rings in _polygons(part)]
    return {"type": "MultiPolygon", "coordinates": polygons}


def _ring(ring: etree._Element, path: str, problems: ProblemList) -> list[list[float]] | None:
    positions = _positions(ring, path, problems)
    if positions is None:
        return None
    if len(positions) < 4:
        problems.add(
            f"{path}.coordinates",
            _excerpt(ring),
            f"a ring needs at least 4 positions (the last repeating the first), "
            f"not {len(positions)}",
        )
        return None
    if positions[0] != positions[-1]:
        first, last = (",".join(f"{v:g}" for v in p) for p in (positions[0], positions[-1]))
        problems.add(
            f"{path}.coordinates",
            _excerpt(ring),
            f"the ring is not closed: it starts at {first} and ends at {last}; "
            "repeat the first position at the end",
        )
        return None
    return positions


def _positions(
    element: etree._Element, path: str, problems: ProblemList
) -> list[list[float]] | None:
    """The element's `coordinates` as [lon, lat] pairs (a height is dropped); None if unreadable."""
    field = f"{path}.coordinates"
    text = _text(element, "coordinates")
    if text is None:
        problems.add(field, None, "no coordinates")
        return None
    before = len(problems.found)
    positions = []
    for token in re.sub(r"\s*,\s*", ",", text).split():
        position = _position(token, field, problems)
        if position is not None:
            positions.append(position)
    return positions if len(problems.found) == before else None


def _position(token: str, field: str, problems: ProblemList) -> list[float] | None:
    values = token.split(",")
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        numbers = []
    if len(numbers) not in (2, 3) or not all(math.isfinite(v) for v in numbers):
        problems.add(field, token, f"{token!r} is not a position lon,lat[,height]")
        return None
    lon, lat = numbers[0], numbers[1]
    if not -180.0 <= lon <= 180.0:
        problems.add(field, token, f"longitude {lon:g} is outside -180..180")
        return None
    if not -90.0 <= lat <= 90.0:
        swapped = " (KML gives longitude first: is it lat,lon?)" if abs(lon) <= 90.0 else ""
        problems.add(field, token, f"latitude {lat:g} is outside -90..90{swapped}")
        return None
    return [lon, lat]


def _excerpt(element: etree._Element) -> str | None:
    text = _text(element, "coordinates")
    if text is None or len(text) <= 120:
        return text
    return f"{text[:56]} ... {text[-56:]}"


# --- time ---------------------------------------------------------------------------------


def _read_window(
    placemark: etree._Element, defaults: Defaults, problems: ProblemList
) -> TimeWindow | None:
    """TimeSpan (a missing begin is the default start, a missing end open-ended), a
    TimeStamp (from then to the default end), or the defaults."""
    span, stamp = placemark.find("{*}TimeSpan"), placemark.find("{*}TimeStamp")
    before = len(problems.found)
    if span is not None:
        begin = _moment(span, "begin", "TimeSpan.begin", problems)
        start, end = begin or defaults.start, _moment(span, "end", "TimeSpan.end", problems)
        field = "TimeSpan.end"
    elif stamp is not None:
        when = _moment(stamp, "when", "TimeStamp.when", problems)
        if when is None and len(problems.found) == before:
            problems.add("TimeStamp.when", None, "a TimeStamp needs a <when>")
        start, end, field = when or defaults.start, defaults.end, "TimeStamp.when"
    else:
        start, end, field = defaults.start, defaults.end, "end"
    if len(problems.found) > before:
        return None
    return checked_window(start, end, field, problems)


def _moment(
    element: etree._Element, tag: str, field: str, problems: ProblemList
) -> datetime | None:
    text = _text(element, tag)
    if text is None:
        return None
    try:
        return read_moment(text)
    except ValueError as error:
        problems.add(field, text, str(error))
        return None
