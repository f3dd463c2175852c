"""Site lists as aid agencies keep them: one row per hospital, camp, school or warehouse.

A header row names the columns, in any case and by common synonyms
(`Latitude`, `Lng`, `Grid ref`, `Radius (km)`...); the delimiter is a comma,
semicolon or tab, whichever the header uses; a UTF-8 byte-order mark and
blank lines are skipped. A site stands at its lat and lon (decimal, decimal
comma or DMS), at an MGRS reference, or at a position in any form
`parse_position` reads; both lat/lon and MGRS may be given when they name the
same place. Its radius is metres unless the cell or the column says km or NM.
Category, contact, notes and any column the line does not know are kept as
the site's properties; a column that would carry a buffer, an altitude or a
schedule is refused, because a site file cannot hold one (use GeoJSON).
Every site becomes a feature of the importing party.

Text cells that a spreadsheet would run as a formula (starting with = + - @)
are written behind a ' and read back without it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deconflict.errors import InvalidCoordinate, InvalidFeature
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
from deconflict.geo.coords import Position, format_mgrs, parse_position
from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.geojson import ProblemList
from deconflict.geo.shapes import Circle, LonLat
from deconflict.rules.altitude import FEET_M, UNBOUNDED
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.plan import format_time

__all__ = ["SITE_COLUMNS", "read_sites_csv", "write_sites_csv"]

SITE_COLUMNS = (
    "id",
    "name",
    "lat",
    "lon",
    "mgrs",
    "radius_m",
    "category",
    "contact",
    "kind",
    "party",
    "start",
    "end",
    "notes",
)

# Header names as they are normalised (`_key`): case folded, punctuation as single spaces.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "site id", "site code", "code", "pcode", "p code"),
    "name": ("name", "site", "site name", "facility", "facility name"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "long", "lng", "longitude", "x"),
    "mgrs": ("mgrs", "grid", "grid ref", "grid reference"),
    "position": ("position", "location", "coordinates", "coords"),
    "radius": ("radius", "radius m", "radius km", "radius nm"),
    "category": ("category", "type", "site type", "facility type"),
    "contact": ("contact", "phone", "focal point"),
    "kind": ("kind",),
    "party": ("party",),
    "start": ("start", "from", "valid from"),
    "end": ("end", "to", "until", "valid to", "valid until"),
    "notes": ("notes", "note", "remarks", "comments"),
}
_FIELD_OF = {key: field for field, keys in _SYNONYMS.items() for key in keys}
_RADIUS_UNIT_M = {"radius": 1.0, "radius m": 1.0, "radius km": 1000.0, "radius nm": 1852.0}
# Plan properties a site file cannot carry: read silently, they would protect less than meant.
_REFUSED = {
    "altitude",
    "lower",
    "upper",
    "floor",
    "ceiling",
    "buffer",
    "buffer m",
    "repeat",
    "activity",
    "half width m",
    "sector",
    "orbit",
    "track",
    "outline",
    "geometry",
}
_PROPERTIES = ("category", "contact", "notes")
_FORMULA_START = ("=", "+", "-", "@")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_LENGTH = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[^\d\s]*)"
)
_THOUSANDS = re.compile(r"[+-]?\d{1,3},\d{3}")
_UNIT_M = {
    "m": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "km": 1000.0,
    "kilometre": 1000.0,
    "kilometres": 1000.0,
    "kilometer": 1000.0,
    "kilometers": 1000.0,
    "nm": 1852.0,
    "nmi": 1852.0,
    "ft": FEET_M,
    "feet": FEET_M,
}
_MILES = {"mi", "mile", "miles"}
_MGRS_SHAPE = re.compile(r"(?:\d{1,2}[C-X][A-Z]{2}|[ABYZ][A-Z]{2})(?P<digits>\d*)")


@dataclass(frozen=True)
class _Columns:
    """The header: which column holds each known field, as written, and the unknown columns."""

    line: int
    header: tuple[str, ...]
    index: Mapping[str, int]
    unknown: tuple[int, ...]
    radius_unit_m: float

    def cell(self, cells: Sequence[str], field: str) -> str:
        """The stripped cell of `field` in this row ("" when the column or cell is missing)."""
        index = self.index.get(field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def name(self, field: str) -> str:
        """The field's column as the header writes it (the field itself when there is none)."""
        index = self.index.get(field)
        return self.header[index] if index is not None else field


# --- reading ------------------------------------------------------------------------------


def read_sites_csv(text: str, defaults: Defaults) -> Reading:
    """Every row of a site list as a circle of the importing party (`defaults.party`).

    Bad rows are rejected with their line (where the row starts, multi-line
    cells counted), the site's name and every problem; raises InvalidPlan,
    naming the line, when the header cannot be read.
    """
    text = text.removeprefix("\ufeff")
    rows = _rows(text, _delimiter(text))
    if not rows:
        raise unreadable(1, "the file is empty; a site list starts with a header row")
    columns = _columns(*rows[0])
    sites = rows[1:]
    first_line: dict[str, int] = {}
    for line, cells in sites:
        first_line.setdefault(_unescaped(columns.cell(cells, "id")), line)
    taken = set(first_line) - {""}
    names_seen: dict[str, int] = {}
    features: list[Feature] = []
    lines: list[int] = []
    rejected: list[Rejected] = []
    for line, cells in sites:
        given_id = _unescaped(columns.cell(cells, "id"))
        name = _unescaped(columns.cell(cells, "name")) or None
        problems = ProblemList(given_id or name)
        _check_identity(line, given_id, name, columns, first_line, names_seen, problems)
        if name is not None:
            names_seen.setdefault(name.casefold(), line)
        feature_id = given_id or claim_id(slug(name or "") or "site", taken)
        feature = _site(cells, columns, defaults, feature_id, name, problems)
        if feature is None:
            rejected.append(Rejected(line, tuple(problems.found), name or given_id or None))
            continue
        features.append(feature)
        lines.append(line)
    return Reading(tuple(features), tuple(lines), tuple(rejected))


def _check_identity(
    line: int,
    given_id: str,
    name: str | None,
    columns: _Columns,
    first_line: Mapping[str, int],
    names_seen: Mapping[str, int],
    problems: ProblemList,
) -> None:
    """A site needs a name or an id; an id used by an earlier row, or (without an id)
    an earlier row's name, leaves it ambiguous which site is meant."""
    if given_id and first_line[given_id] != line:
        problems.add(
            columns.name("id"),
            given_id,
            f"id {given_id!r} is already used by the row at line {first_line[given_id]}",
        )
    if name is not None and not given_id and name.casefold() in names_seen:
        problems.add(
            columns.name("name"),
            name,
            f"name {name!r} is already used by the row at line {names_seen[name.casefold()]}; "
            "give the sites distinct names, or ids",
        )
    if not given_id and name is None:
        problems.add(columns.name("name"), None, "give the site a name or an id")


def _delimiter(text: str) -> str:
    """The delimiter the header row uses most: comma, semicolon or tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max((",", ";", "\t"), key=header.count)


def _rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows, each with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = []
    previous = 0
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((previous + 1, cells))
            previous = reader.line_num
    except csv.Error as error:
        raise unreadable(reader.line_num, f"not readable as CSV: {error}") from None
    return rows


def _key(header: str) -> str:
    return re.sub(r"[\W_]+", " ", header.casefold()).strip()


def _columns(line: int, cells: list[str]) -> _Columns:
    """The header row's columns; InvalidPlan when it names no site or no position."""
    header = tuple(cell.strip() for cell in cells)
    index: dict[str, int] = {}
    unknown: list[int] = []
    seen: dict[str, str] = {}
    for position, written in enumerate(header):
        key = _key(written) or f"column {position + 1}"
        if key in _REFUSED:
            raise unreadable(
                line,
                f"column {written!r} cannot be read from a site list (sites carry no buffer, "
                "altitude, schedule or activity); remove it, or import these features as GeoJSON",
            )
        field = _FIELD_OF.get(key, key)
        if field in seen:
            raise unreadable(line, f"columns {seen[field]!r} and {written!r} say the same thing")
        seen[field] = written
        if field in _SYNONYMS:
            index[field] = position
        else:
            unknown.append(position)
    _require_columns(line, header, index)
    radius = header[index["radius"]] if "radius" in index else ""
    unit_m = _RADIUS_UNIT_M.get(_key(radius), 1.0)
    return _Columns(line, header, index, tuple(unknown), unit_m)


def _require_columns(line: int, header: tuple[str, ...], index: Mapping[str, int]) -> None:
    for one, other in (("lat", "lon"), ("lon", "lat")):
        if one in index and other not in index:
            raise unreadable(
                line, f"column {header[index[one]]!r} needs a {other} column beside it"
            )
    placed = "lat" in index or "mgrs" in index or "position" in index
    named = "name" in index or "id" in index
    if not placed or not named:
        missing = " and ".join(
            what
            for what, absent in (("a name (or id)", not named), ("a position", not placed))
            if absent
        )
        raise unreadable(
            line,
            f"the header row names no column for {missing}: the first row must name the "
            "columns (name, lat and lon or mgrs or position, radius_m...); it reads "
            + ", ".join(repr(cell) for cell in header[:6]),
        )


def _site(
    cells: Sequence[str],
    columns: _Columns,
    defaults: Defaults,
    feature_id: str,
    name: str | None,
    problems: ProblemList,
) -> Feature | None:
    if len(cells) > len(columns.header) and any(c.strip() for c in cells[len(columns.header) :]):
        problems.add(
            "row",
            cells[len(columns.header) :],
            f"the row has {len(cells)} cells but the header names {len(columns.header)} columns",
        )
    centre = _read_centre(cells, columns, problems)
    radius_m = _read_radius(cells, columns, problems)
    kind = _read_kind(cells, columns, defaults.kind, problems)
    window = _read_window(cells, columns, defaults, problems)
    party = columns.cell(cells, "party")
    if party and party != defaults.party:
        problems.add(
            columns.name("party"),
            party,
            f"party {party!r} is not the importing party {defaults.party!r}; "
            "remove the party column to import these sites as yours",
        )
    if problems.found or centre is None or window is None:
        return None
    return Feature(
        feature_id,
        kind,
        defaults.party,
        Circle(centre, radius_m),
        window,
        name=name,
        extra=_properties(cells, columns),
    )


def _properties(cells: Sequence[str], columns: _Columns) -> dict[str, Any]:
    """Category, contact, notes and the unknown columns, where the row fills them."""
    found = {field: _unescaped(columns.cell(cells, field)) for field in _PROPERTIES}
    for index in columns.unknown:
        found[columns.header[index] or f"column {index + 1}"] = (
            cells[index].strip() if index < len(cells) else ""
        )
    return {name: value for name, value in found.items() if value}


def _read_centre(cells: Sequence[str], columns: _Columns, problems: ProblemList) -> LonLat | None:
    """Where the site stands: lat/lon, mgrs or position (lat/lon and mgrs must agree)."""
    lat, lon = columns.cell(cells, "lat"), columns.cell(cells, "lon")
    grid, position = columns.cell(cells, "mgrs"), columns.cell(cells, "position")
    if not (lat or lon or grid or position):
        first = next(f for f in ("lat", "mgrs", "position") if f in columns.index)
        problems.add(columns.name(first), None, f"no position: give {_choices(columns)}")
        return None
    if position and (lat or lon or grid):
        problems.add(
            columns.name("position"), position, f"give {_choices(columns)}, only one of them"
        )
        return None
    if position:
        return _typed(position, columns.name("position"), problems)
    from_grid = _typed(grid, columns.name("mgrs"), problems) if grid else None
    if not (lat or lon):
        return from_grid
    from_lat_lon = _lat_lon(lat, lon, columns, problems)
    if from_lat_lon is not None and from_grid is not None:
        apart_m = float(WGS84.inv(*from_lat_lon, *from_grid)[2])
        if apart_m > _square_m(grid):
            problems.add(
                columns.name("mgrs"),
                grid,
                f"{grid!r} is {apart_m:,.0f} m from {columns.name('lat')} {lat}, "
                f"{columns.name('lon')} {lon}: give {columns.name('lat')} and "
                f"{columns.name('lon')}, or {columns.name('mgrs')}, not both",
            )
            return None
    return from_lat_lon


def _choices(columns: _Columns) -> str:
    """The file's position columns, as an operator would be told to fill them."""
    ways = []
    if "lat" in columns.index:
        ways.append(f"{columns.name('lat')} and {columns.name('lon')}")
    ways.extend(columns.name(f) for f in ("mgrs", "position") if f in columns.index)
    return ", ".join(ways[:-1]) + " or " + ways[-1] if len(ways) > 1 else ways[0]


def _typed(text: str, column: str, problems: ProblemList) -> LonLat | None:
    try:
        position = parse_position(text)
    except InvalidCoordinate as error:
        problems.add(column, text, f"cannot read {text!r}: {error.problem}")
        return None
    return position.lon_deg, position.lat_deg


def _square_m(grid: str) -> float:
    """The side of the square an MGRS reference names (1 m for anything else)."""
    shape = _MGRS_SHAPE.fullmatch(re.sub(r"\s+", "", grid.upper()))
    return 10.0 ** (5 - len(shape["digits"]) // 2) if shape else 1.0


def _lat_lon(lat: str, lon: str, columns: _Columns, problems: ProblemList) -> LonLat | None:
    lat_column, lon_column = columns.name("lat"), columns.name("lon")
    if not (lat and lon):
        missing = lon_column if lat else lat_column
        problems.add(missing, None, f"give both {lat_column} and {lon_column}")
        return None
    lat_deg, lon_deg = _decimal(lat), _decimal(lon)
    if lat_deg is None or lon_deg is None:
        # Degrees, minutes and seconds, or hemisphere letters: read as one position.
        blamed, text = (lon_column, lon) if lat_deg is not None else (lat_column, lat)
        try:
            position = parse_position(f"{lat}, {lon}")
        except InvalidCoordinate as error:
            problems.add(
                blamed,
                text,
                f"cannot read {lat_column} {lat!r}, {lon_column} {lon!r}: {error.problem}",
            )
            return None
        return position.lon_deg, position.lat_deg
    before = len(problems.found)
    if not -90.0 <= lat_deg <= 90.0:
        problems.add(lat_column, lat, f"{lat_column} {lat} is outside -90..90")
    if not -180.0 <= lon_deg <= 180.0:
        problems.add(lon_column, lon, f"{lon_column} {lon} is outside -180..180")
    return (lon_deg, lat_deg) if len(problems.found) == before else None


def _decimal(text: str) -> float | None:
    """A decimal number, with a point or a decimal comma; None for anything else."""
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text.replace(",", "."))
    return value if math.isfinite(value) else None


def _read_radius(cells: Sequence[str], columns: _Columns, problems: ProblemList) -> float:
    text, column = columns.cell(cells, "radius"), columns.name("radius")
    if not text:
        return 0.0
    found = _LENGTH.fullmatch(text)
    unit = found["unit"].casefold() if found else ""
    if found is None or (unit and unit not in _UNIT_M and unit not in _MILES):
        problems.add(
            column,
            text,
            f"{column} {text!r} is not a length; write metres (500) or a number with "
            "m, km or NM ('2 km')",
        )
        return 0.0
    if unit in _MILES:
        problems.add(
            column,
            text,
            f"{column} {text!r} is ambiguous: statute or nautical miles? write it in m, km or NM",
        )
        return 0.0
    if _THOUSANDS.fullmatch(found["number"]):
        problems.add(
            column,
            text,
            f"{column} {text!r} is ambiguous: a thousands separator or a "
            "decimal comma? write it without the comma, or with a decimal point",
        )
        return 0.0
    radius_m = float(found["number"].replace(",", ".")) * (
        _UNIT_M[unit] if unit else columns.radius_unit_m
    )
    if radius_m < 0.0:
        problems.add(column, text, f"{column} {text!r} must not be negative")
        return 0.0
    if not math.isfinite(radius_m):
        problems.add(column, text, f"{column} {text!r} is too large")
        return 0.0
    return radius_m


def _read_kind(
    cells: Sequence[str], columns: _Columns, default: Kind, problems: ProblemList
) -> Kind:
    text = columns.cell(cells, "kind")
    if not text:
        return default
    try:
        return Kind(text.casefold())
    except ValueError:
        column = columns.name("kind")
        problems.add(column, text, f"{column} {text!r} must be zone or activity")
        return default


def _read_window(
    cells: Sequence[str], columns: _Columns, defaults: Defaults, problems: ProblemList
) -> TimeWindow | None:
    """start (default: the defaults' start) to end (default: theirs; UFN: open-ended)."""
    before = len(problems.found)
    start_text, end_text = columns.cell(cells, "start"), columns.cell(cells, "end")
    start = _moment(start_text, columns.name("start"), problems) if start_text else None
    end = defaults.end
    if end_text.upper() == "UFN":
        end = None
    elif end_text:
        end = _moment(end_text, columns.name("end"), problems)
    if len(problems.found) > before:
        return None
    return checked_window(start or defaults.start, end, columns.name("end"), problems)


def _moment(text: str, column: str, problems: ProblemList) -> datetime | None:
    try:
        return read_moment(text)
    except ValueError as error:
        problems.add(column, text, f"{column}: {error}")
        return None


def _unescaped(text: str) -> str:
    """A text cell as meant: without the ' written before a formula-like start."""
    if text.startswith("'") and text[1:2] in (*_FORMULA_START, "'"):
        return text[1:]
    return text


# --- writing ------------------------------------------------------------------------------


def write_sites_csv(features: Sequence[Feature], names: Mapping[str, str] | None = None) -> str:
    """One row per site, under the header `SITE_COLUMNS`: lat/lon to 7 decimals, MGRS to 1 m.

    Only circles without buffer, altitude, schedule or activity fit a site
    list; any other feature raises InvalidFeature naming it and the field.
    The party column holds party ids (not `names`), so the file reads back.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SITE_COLUMNS)
    writer.writerows(_site_row(feature) for feature in features)
    return out.getvalue()


def _site_row(feature: Feature) -> list[str]:
    shape = _site_circle(feature)
    lon, lat = shape.centre
    end = feature.window.end
    return [
        _escaped(feature.id),
        _escaped(feature.name or ""),
        f"{lat:.7f}",
        f"{lon:.7f}",
        format_mgrs(Position(lon, lat)),
        _number(shape.radius_m),
        *(_escaped(str(feature.extra.get(field) or "")) for field in ("category", "contact")),
        feature.kind.value,
        feature.party,
        format_time(feature.window.start),
        format_time(end) if end is not None else "UFN",
        _escaped(str(feature.extra.get("notes") or "")),
    ]


def _site_circle(feature: Feature) -> Circle:
    """The feature's circle; InvalidFeature for anything a site row cannot hold."""
    hint = "export it as GeoJSON or KML"
    if not isinstance(feature.shape, Circle):
        kind = type(feature.shape).__name__.lower()
        raise InvalidFeature(
            f"a {kind} cannot be a site row (a site is a point with a radius); {hint}",
            feature_id=feature.id,
            field="geometry",
            value=kind,
        )
    unwritable = (
        ("repeat", feature.repeat is not None, "a schedule"),
        ("altitude", feature.band != UNBOUNDED, "an altitude band"),
        ("buffer_m", feature.buffer_m != 0.0, "a buffer"),
        ("activity", feature.activity is not None, "an activity"),
    )
    for field, present, what in unwritable:
        if present:
            raise InvalidFeature(
                f"a site list has no column for {what}; {hint}",
                feature_id=feature.id,
                field=field,
                value=getattr(feature, "band" if field == "altitude" else field),
            )
    return feature.shape


def _number(value: float) -> str:
    """The shortest text that reads back as the same float (500, not 500.0)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _escaped(text: str) -> str:
    if text.startswith((*_FORMULA_START, "'")):
        return f"'{text}"
    return text
