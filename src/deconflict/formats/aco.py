"""USMTF Airspace Control Order (ACO) messages: airspaces in, airspaces out.

An ACO is a USMTF text message made of *sets*, normally one to a line (a long
set may wrap onto the next), each ending with ``//`` and its fields separated
by slants. A header names the message; then every airspace control means
(ACM) is an ``ACMID`` set and the sets that follow it, up to the next
``ACMID``::

    EXER/DESERT LINE 26//
    MSGID/ACO/CJTF-OIR/0012/DEC/CHG/01//
    ACOID/TANF AO/01A//
    GEODATUM/WGE//
    PERIOD/010000ZDEC2026/312359ZDEC2026//
    ACMID/ACM:ROZ/NAME:ROZ ARTY NORTH/RADARC/USE:ARTY//
    RADARC/LATM:3342N03854E/300T/060T/5KM/25KM//
    EFFLEVEL/RAFL:010AGL-FL250//
    APERIOD/DISCRETE/050600ZDEC/051800ZDEC//
    AMPN/GUN LINE NORTH OF THE GARRISON//

What is followed. MIL-STD-6040 itself is not public; the layout below is the
one described by the public ACO field notes of Esri's air-c2-cop tools and
checked by the set validators of the open-source AFSIM USMTF parser. Fields
are numbered from 1 after the set name:

- ``MSGID/ACO/originator/...``; ``GEODATUM`` (``WGE``, ``W84`` or ``WGS 1984``;
  any other datum is refused, positions here are WGS84); ``PERIOD/start/stop``,
  the message's validity.
- ``ACMID/ACM:type/NAME:name/shape/USE:usage//``: shape is CIRCLE, CORRIDOR,
  LINE, POINT, POLYARC, POLYGON, RADARC, TRACK or ORBIT; ``DESIG:`` may stand
  for ``NAME:``; usage may repeat. The older positional form
  (``ACMID/ROZ/ROZ ALPHA/POLYGON/UAV//``) and a form without the shape field
  are read too.
- ``CIRCLE/centre/radius``; ``RADARC/origin/beginning bearing/ending
  bearing/inner radius/outer radius`` (bearings ``NNNT``, degrees from true
  north, swept clockwise from the first to the second); ``AORBIT/first
  point/second point/width/alignment`` (C, L or R, seen from the first point
  towards the second; C when absent; a set named ORBIT is read alike);
  ``CORRIDOR/width/point/point/...``; ``GEOLINE/point/point/...``;
  ``POLYGON/point/point/point/...`` (the closing point may be left off);
  ``APOINT/point``.
- Positions: ``LATM:DDMMHDDDMMH``, ``LATS:DDMMSSHDDDMMSSH`` and, for precise
  points, ``DMPIT:DDMM.mmmmHDDDMM.mmmmH`` (ten-thousandths of a minute) or
  ``DMPIK`` (thousandths); the qualifier may be left off.
- Distances: a number and one of NM, KM, M, FT, SM, YD, HM (hectometres),
  HF (hundreds of feet), KF (thousands of feet), CM, MM, IN.
- ``EFFLEVEL/qualifier:lower-upper``: BRRA, BRFL, RAFL, RARA or FLFL say
  which kind each end is: a base reference (``GL`` ground, ``MSL`` sea level),
  a relative altitude in hundreds of feet (``050AGL``, ``210AMSL``) or a flight
  level (``FL250``).
- ``APERIOD/DISCRETE/start/stop`` and ``APERIOD/INTERVAL/start/stop/
  frequency/duration``; times are date-time groups ``DDHHMMZMMM`` with an
  optional year (``141325ZFEB`` or ``141325ZFEB2027``).
- ``AMPN``, ``NARR``, ``RMKS``: free text. ``CNTRLPT``, ``CONTAUTH`` and
  ``GENTEXT`` add nothing to the volume and are passed over; ``DECL`` closes
  the message. POLYARC, TRACK (``ATRACK``) and CYLINDER, and any set not
  named here, reject their airspace with what to write instead.

Reading: each airspace becomes a feature of the importing party (the party
named in the file is never taken as the owner). Its id is the name made into
a slug (``ROZ ALPHA`` -> ``roz-alpha``), made unique with ``-2``, ``-3``...
when a name repeats. CIRCLE is a circle; APOINT a circle of radius 0; RADARC a
sector; AORBIT an orbit; CORRIDOR a corridor of half its width; GEOLINE a
corridor of width 0; POLYGON an area. The ACM type decides zone or activity
where it says which (below); otherwise `Defaults.kind` does. The type and
usage are kept in ``extra`` (``acm_type``, ``usage``), free text in
``remarks``. Assumptions, where the sources are silent:

- An airspace with several APERIOD sets is active in each of them: it becomes
  one feature per period, each with its own id.
- INTERVAL: start and stop bound the first time block; the frequency says how
  it repeats (DAILY; WEEKLY; BIWEEKLY = every two weeks; WEEKDAYS; WEEKENDS;
  MON WED FRI; TUE THUR) and the duration how long the repetition runs (``7DAY``,
  ``4WK``, ``2BIWK``, ``3MON``, ``1YR`` from the first start, a date-time group,
  or UFN). Monthly and yearly frequencies are refused: the line cannot hold them.
- A date-time group without a year takes the year that puts it nearest the
  message's PERIOD start (or `Defaults.start`); a stop, the year nearest its
  start. PERIOD times may omit the zone letter and are then UTC; APERIOD times
  must carry it.
- A stop of UFN or INDEF is open-ended; UNK and TBD are read as open-ended
  too, so that no conflict is missed for want of an end. Other stop words
  (ASAP, NLT...) are refused.
- No APERIOD: the message's PERIOD, or the `Defaults` window. No EFFLEVEL:
  unbounded in altitude.
- Positions are WGS84 (GEODATUM) and edges are straight in lon/lat, as
  everywhere in the line.
- ``FL999``, the highest level the format can say, and ``UNL`` are read as no
  upper limit.
- Kind by ACM type: NFA (no-fire area), NOFLY, RFA (restricted fire area) and
  BDZ (base defence zone) protect what lies inside them: zones. ROZ, ROA,
  HIDACZ, FFA, KILLBOX, AAR, CAP, AEW, the engagement zones (MEZ, FEZ, JEZ,
  WEZ, HIMEZ, LOMEZ, SHORADEZ), the routes and corridors (MRR, SAAFR, TC, TR,
  LLTR, AIRCOR), ACA and the drop and landing zones (DZ, LZ) reserve airspace
  for something done in it: activities. Since two zones never conflict,
  import with ``Defaults(kind=Kind.ACTIVITY)`` when unsure of other types.

Writing: ``OPER``, ``MSGID/ACO``, ``ACOID``, ``GEODATUM/WGE`` and ``PERIOD``,
then per feature ACMID, the shape set, EFFLEVEL, APERIOD and an AMPN naming
the kind, the party and the id. NAME is the feature's name, or its id when
the name does not fit (over 30 characters, or nothing left in ASCII). A
circle is written CIRCLE (APOINT at radius 0); a sector RADARC; an orbit
AORBIT; a corridor CORRIDOR (GEOLINE at width 0); a track with equal sides
CORRIDOR (its square ends become round: the written airspace holds it); an
area of one polygon without holes POLYGON. Whatever an ACO cannot hold
exactly - holes, several polygons, unequal track sides, WGS84 heights, a
buffer on a shape that cannot absorb it, repeats every N hours - raises
InvalidFeature naming the feature: an airspace declared to another party is
never silently redrawn. A buffer is absorbed where that is exact (a circle's
radius, a corridor's or centred orbit's width). Whole-second positions are
written LATS, others DMPIT (within 0.1 m); distances as whole NM or KM when
exact, else metres rounded outward (radii and widths up, inner radii down);
levels in hundreds of feet and bearings in whole degrees, rounded outward;
times to the minute, rounded outward; a floor at 0 ft AGL (or open, or below
zero) as GL and at 0 ft MSL as MSL; an unbounded top as FL999. Sizes, levels,
bearings and times thus round so that the written airspace holds the feature,
and positions move by under 0.1 m: no conflict is lost on the way.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import TypeVar

from shapely.validation import explain_validity

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.formats import Defaults, Reading, Rejected
from deconflict.geo.construct import ShapeError, resolve
from deconflict.geo.shapes import (
    Area,
    Circle,
    Corridor,
    LonLat,
    Orbit,
    Sector,
    Shape,
    Side,
    Track,
)
from deconflict.i18n.dtg import MONTHS, parse_dtg
from deconflict.rules.altitude import FEET_M, UNBOUNDED, AltitudeBand, Datum, parse_level
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.schedule import WEEKDAYS, Every, Recurrence, TimeWindow

__all__ = ["read_aco", "write_aco"]

_T = TypeVar("_T")

# Shape sets, and the shape word ACMID uses for each.
_SHAPE_SETS = {
    "CIRCLE": "CIRCLE",
    "RADARC": "RADARC",
    "AORBIT": "ORBIT",
    "ORBIT": "ORBIT",
    "CORRIDOR": "CORRIDOR",
    "GEOLINE": "LINE",
    "POLYGON": "POLYGON",
    "APOINT": "POINT",
}
_SHAPE_WORDS = frozenset(
    {"CIRCLE", "CORRIDOR", "LINE", "POINT", "POLYARC", "POLYGON", "RADARC", "TRACK", "ORBIT"}
)
_UNSUPPORTED_SHAPES = {
    "POLYARC": "describe it as POLYGON, its arcs as vertices, or as RADARC",
    "TRACK": "describe it as CORRIDOR (the same width on both sides) or as POLYGON",
    "ATRACK": "describe it as CORRIDOR (the same width on both sides) or as POLYGON",
    "CYLINDER": "describe it as CIRCLE with EFFLEVEL",
    "ACYLINDER": "describe it as CIRCLE with EFFLEVEL",
}
_TEXT_SETS = frozenset({"AMPN", "NARR", "RMKS"})
# Sets about an airspace that add nothing to its volume or its times.
_INFORMATION_SETS = frozenset({"CNTRLPT", "CONTAUTH", "GENTEXT"})
# Sets that close the message: what follows them belongs to no airspace.
_TRAILER_SETS = frozenset({"DECL", "DECLAS"})
_HEADER_SETS = frozenset({"EXER", "OPER", "MSGID", "REF", "ACOID", "GEODATUM", "PERIOD"})
_KNOWN_SETS = (
    _HEADER_SETS
    | _TEXT_SETS
    | _INFORMATION_SETS
    | _TRAILER_SETS
    | set(_SHAPE_SETS)
    | set(_UNSUPPORTED_SHAPES)
    | {"ACMID", "EFFLEVEL", "APERIOD"}
)
_WGS84_DATUMS = frozenset({"WGE", "W84", "WGS84", "WGS 84", "WGS-84", "WGS 1984"})

_PROTECTING = frozenset({"NFA", "NOFLY", "RFA", "BDZ"})
_RESERVING = frozenset(
    {"ROZ", "ROA", "HIDACZ", "FFA", "KILLBOX", "AAR", "CAP", "AEW", "ACA", "DZ", "LZ"}
    | {"MEZ", "FEZ", "JEZ", "WEZ", "HIMEZ", "LOMEZ", "SHORADEZ"}
    | {"MRR", "SAAFR", "TC", "TR", "LLTR", "AIRCOR"}
)
_WRITTEN_TYPE = {Kind.ZONE: "NFA", Kind.ACTIVITY: "ROZ"}

# Metres per unit, as exact decimals so that 5NM reads as exactly 9260 m.
_UNITS_M = {
    "NM": Fraction(1852),
    "KM": Fraction(1000),
    "M": Fraction(1),
    "FT": Fraction("0.3048"),
    "SM": Fraction("1609.344"),
    "YD": Fraction("0.9144"),
    "HM": Fraction(100),
    "HF": Fraction("30.48"),
    "KF": Fraction("304.8"),
    "CM": Fraction("0.01"),
    "MM": Fraction("0.001"),
    "IN": Fraction("0.0254"),
}
_SIDES = {"C": Side.CENTRE, "L": Side.LEFT, "R": Side.RIGHT}
_SIDE_LETTERS = {side: letter for letter, side in _SIDES.items()}
_OPEN_STOPS = frozenset({"UFN", "INDEF", "UNK", "TBD"})
_FREQUENCIES: dict[str, tuple[Every, int, tuple[int, ...]]] = {
    "DAILY": (Every.DAY, 1, ()),
    "WEEKLY": (Every.WEEK, 1, ()),
    "BIWEEKLY": (Every.WEEK, 2, ()),
    "WEEKDAYS": (Every.WEEK, 1, (0, 1, 2, 3, 4)),
    "WEEKENDS": (Every.WEEK, 1, (5, 6)),
    "MON WED FRI": (Every.WEEK, 1, (0, 2, 4)),
    "TUE THUR": (Every.WEEK, 1, (1, 3)),
}
_CALENDAR_FREQUENCIES = frozenset({"MONTHLY BY DATE", "MONTHLY BY WEEKDAY", "YEARLY"})
# Beyond these an airspace shape is better drawn as a polygon (as in the plan format).
_MAX_SECTOR_M = 2_000_000.0
_MAX_WIDTH_M = 1_000_000.0
_LONGEST_SCHEDULE = timedelta(days=3660)
_MAX_NAME = 30
# Floating-point slack when deciding that a value is whole (degrees, metres, feet).
_WHOLE = 1e-6


# --- Sets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Set:
    """One set: its name, fields (after the name), the line it starts on, and its text."""

    name: str
    fields: tuple[str, ...]
    line: int
    text: str
    closed: bool = True


_SET_END = re.compile(r"//(?!/)")
_SET_START = re.compile(r"([A-Z][A-Z0-9]{1,9})/")


def _sets(text: str) -> list[_Set]:
    """The sets of a message, each with the line it starts on; a set may wrap lines."""
    sets: list[_Set] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        rest = raw.strip()
        if pending and _opens_set(rest):
            sets.append(_make_set(pending, start, closed=False))
            pending = []
        while rest:
            if not pending:
                start = number
            end = _SET_END.search(rest)
            if end is None:
                pending.append(rest)
                break
            pending.append(rest[: end.start()])
            sets.append(_make_set(pending, start, closed=True))
            pending = []
            rest = rest[end.end() :].strip()
    if pending:
        sets.append(_make_set(pending, start, closed=False))
    return sets


def _opens_set(line: str) -> bool:
    # A line that starts a known set while the one above lacks its // : a missing terminator.
    found = _SET_START.match(line.upper())
    return found is not None and found[1] in _KNOWN_SETS


def _make_set(pieces: list[str], line: int, closed: bool) -> _Set:
    body = " ".join(piece.strip() for piece in pieces if piece.strip())
    name, _, text = body.partition("/")
    fields = [field.strip() for field in text.split("/")] if text else []
    while fields and not fields[-1]:
        fields.pop()
    return _Set(name.strip().upper(), tuple(fields), line, text.strip(), closed)


# --- Reading: the message ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the header gives every airspace: the message's period and the importer's defaults."""

    defaults: Defaults
    period: TimeWindow | None

    @property
    def reference(self) -> datetime:
        """The moment a date-time group without a year is read near."""
        return self.period.start if self.period is not None else self.defaults.start

    @property
    def window(self) -> TimeWindow:
        """When an airspace without APERIOD is active."""
        if self.period is not None:
            return self.period
        return TimeWindow(self.defaults.start, self.defaults.end)


def read_aco(text: str, defaults: Defaults) -> Reading:
    """The airspaces of an ACO message as features of `defaults.party`.

    An airspace that cannot be read is rejected with its ACMID line and every
    problem, each naming the line, set and field; a message without MSGID/ACO,
    in another datum or with an unreadable PERIOD raises InvalidPlan.
    """
    sets = _sets(text)
    context, first = _read_header(sets, defaults)
    features: list[Feature] = []
    lines: list[int] = []
    rejected: list[Rejected] = []
    taken: set[str] = set()
    for group in _airspaces(sets[first:]):
        outcome = _read_airspace(group, context, taken)
        if isinstance(outcome, Rejected):
            rejected.append(outcome)
            continue
        features.extend(outcome)
        lines.extend(group[0].line for _ in outcome)
    return Reading(tuple(features), tuple(lines), tuple(rejected))


def _read_header(sets: list[_Set], defaults: Defaults) -> tuple[_Context, int]:
    """The message's context and the index of its first airspace; InvalidPlan if unreadable."""
    if not sets:
        raise _unreadable_message(1, "no sets; an ACO begins EXER or OPER, then MSGID/ACO//")
    first = next((i for i, at in enumerate(sets) if at.name == "ACMID"), len(sets))
    header = sets[:first]
    message_id = next((at for at in header if at.name == "MSGID"), None)
    if message_id is None:
        line = sets[first].line if first < len(sets) else sets[0].line
        raise _unreadable_message(
            line, "no MSGID/ACO set before it; an ACO begins EXER or OPER, then MSGID/ACO//"
        )
    kind = message_id.fields[0].upper() if message_id.fields else ""
    if kind != "ACO":
        raise _unreadable_message(
            message_id.line, f"MSGID names a {kind or 'blank'!r} message, not an ACO", kind
        )
    for at in header:
        if not at.closed:
            raise _unreadable_message(at.line, f"set {at.name!r} does not end with //", at.name)
        if at.name == "GEODATUM":
            _check_datum(at)
    period_set = next((at for at in header if at.name == "PERIOD"), None)
    period = _read_message_period(period_set, defaults) if period_set is not None else None
    return _Context(defaults, period), first


def _unreadable_message(line: int, problem: str, value: object = None) -> InvalidPlan:
    return InvalidPlan([InvalidFeature(f"line {line}: {problem}", field="message", value=value)])


def _check_datum(at: _Set) -> None:
    datum = " ".join(at.text.upper().split())
    if datum not in _WGS84_DATUMS:
        raise _unreadable_message(
            at.line,
            f"GEODATUM {datum!r} is not WGS 1984 (WGE); convert the positions to WGS84",
            datum,
        )


def _read_message_period(at: _Set, defaults: Defaults) -> TimeWindow:
    """The message's PERIOD/start/stop; its times may leave out the zone letter (UTC)."""
    try:
        if len(at.fields) < 2:
            raise _Unreadable("PERIOD takes a start and a stop")
        start = _read_dtg(at.fields[0], defaults.start, zone_optional=True)
        end = _read_stop(at.fields[1], start, zone_optional=True)
        if end is not None and end <= start:
            raise _Unreadable(f"the period ends ({at.fields[1]}) before it starts")
    except _Unreadable as error:
        raise _unreadable_message(at.line, f"PERIOD: {error}", at.text) from None
    return TimeWindow(start, end)


def _airspaces(sets: list[_Set]) -> list[list[_Set]]:
    """Each ACMID with the sets after it, up to the next ACMID or the message's end."""
    groups: list[list[_Set]] = []
    open_group = False
    for at in sets:
        if at.name == "ACMID":
            groups.append([at])
            open_group = True
        elif at.name in _TRAILER_SETS:
            open_group = False
        elif open_group:
            groups[-1].append(at)
    return groups


# --- Reading: one airspace --------------------------------------------------------------------


class _Unreadable(Exception):
    """A field that cannot be read; the message says why, the caller adds where."""


class _Problems:
    """Every problem of one airspace, each naming its line, set and field."""

    def __init__(self) -> None:
        self.feature_id: str | None = None
        self.found: list[tuple[int, InvalidFeature]] = []

    def add(self, at: _Set, index: int | None, value: object, problem: str) -> None:
        field = at.name if index is None else f"{at.name} field {index}"
        message = f"line {at.line}: {problem}"
        self.found.append(
            (at.line, InvalidFeature(message, feature_id=self.feature_id, field=field, value=value))
        )

    def in_line_order(self) -> tuple[InvalidFeature, ...]:
        return tuple(problem for _, problem in sorted(self.found, key=lambda pair: pair[0]))


@dataclass(frozen=True)
class _Identity:
    """What ACMID says: the ACM type, the airspace's name, its shape word and its usage."""

    acm_type: str | None
    name: str | None
    shape: str | None
    usage: tuple[str, ...]


@dataclass(frozen=True)
class _Parts:
    """The sets of one airspace, sorted by what they describe."""

    shapes: tuple[_Set, ...]
    levels: tuple[_Set, ...]
    periods: tuple[_Set, ...]
    remarks: tuple[str, ...]


def _read_airspace(
    group: list[_Set], context: _Context, taken: set[str]
) -> list[Feature] | Rejected:
    acmid, body = group[0], group[1:]
    problems = _Problems()
    identity = _identity(acmid)
    base_id = _slug(identity.name or "")
    problems.feature_id = base_id or None
    _check_identity(acmid, identity, problems)
    parts = _sort_sets(body, problems)
    shape = _read_shape(acmid, identity, parts.shapes, problems)
    band = _read_levels(parts.levels, problems)
    periods = _read_periods(parts.periods, context, problems)
    if problems.found or shape is None or periods is None:
        return Rejected(acmid.line, problems.in_line_order(), identity.name)
    kind = _kind_of(identity.acm_type) or context.defaults.kind
    extra = _extra(identity, parts.remarks)
    return [
        Feature(
            _unique(base_id, taken),
            kind,
            context.defaults.party,
            shape,
            window,
            band,
            name=identity.name,
            extra=dict(extra),
            repeat=repeat,
        )
        for window, repeat in periods
    ]


def _identity(at: _Set) -> _Identity:
    """ACMID read by qualifier (ACM:, NAME:, DESIG:, USE:) or else by position."""
    acm_type: str | None = None
    name: str | None = None
    shape: str | None = None
    usage: list[str] = []
    for index, raw in enumerate(at.fields, start=1):
        qualifier, colon, rest = raw.partition(":")
        qualifier = qualifier.strip().upper()
        if colon and qualifier == "ACM":
            acm_type = rest.strip().upper() or None
        elif colon and qualifier in ("NAME", "DESIG"):
            name = rest.strip() or None
        elif colon and qualifier == "USE":
            usage.append(rest.strip().upper())
        elif not raw or raw == "-":
            continue
        elif raw.upper() in _SHAPE_WORDS and index != 2:
            shape = raw.upper()
        elif index == 1:
            acm_type = raw.upper()
        elif index == 2:
            name = raw
        else:
            usage.append(raw.upper())
    return _Identity(acm_type, name, shape, tuple(u for u in usage if u))


def _check_identity(acmid: _Set, identity: _Identity, problems: _Problems) -> None:
    if not acmid.closed:
        problems.add(acmid, None, None, "set 'ACMID' does not end with //")
    if identity.name is None:
        problems.add(acmid, None, acmid.text, "ACMID gives no airspace name (NAME: or DESIG:)")
    elif not _slug(identity.name):
        problems.add(
            acmid, None, identity.name, "the airspace name has no letters or digits to make an id"
        )
    if identity.shape in _UNSUPPORTED_SHAPES:
        hint = _UNSUPPORTED_SHAPES[identity.shape]
        problems.add(
            acmid, None, identity.shape, f"shape {identity.shape} is not supported: {hint}"
        )


def _sort_sets(body: list[_Set], problems: _Problems) -> _Parts:
    shapes: list[_Set] = []
    levels: list[_Set] = []
    periods: list[_Set] = []
    remarks: list[str] = []
    for at in body:
        if not at.closed:
            problems.add(at, None, at.name, f"set {at.name!r} does not end with //")
        if at.name in _SHAPE_SETS:
            shapes.append(at)
        elif at.name == "EFFLEVEL":
            levels.append(at)
        elif at.name == "APERIOD":
            periods.append(at)
        elif at.name in _TEXT_SETS:
            remarks.append(at.text)
        elif at.name in _UNSUPPORTED_SHAPES:
            hint = _UNSUPPORTED_SHAPES[at.name]
            problems.add(at, None, at.name, f"set {at.name!r} is not supported: {hint}")
        elif at.name not in _INFORMATION_SETS:
            problems.add(
                at,
                None,
                at.name,
                f"set {at.name!r} is not an airspace set this reader knows; an airspace is "
                f"ACMID, one of {', '.join(sorted(_SHAPE_SETS))}, EFFLEVEL, APERIOD and AMPN",
            )
    return _Parts(tuple(shapes), tuple(levels), tuple(periods), tuple(remarks))


def _read_shape(
    acmid: _Set, identity: _Identity, shapes: tuple[_Set, ...], problems: _Problems
) -> Shape | None:
    if not shapes:
        if identity.shape not in _UNSUPPORTED_SHAPES:
            problems.add(
                acmid,
                None,
                None,
                "the airspace has no shape set (CIRCLE, RADARC, AORBIT, CORRIDOR, GEOLINE, "
                "POLYGON or APOINT)",
            )
        return None
    at = shapes[0]
    for extra_shape in shapes[1:]:
        problems.add(
            extra_shape,
            None,
            extra_shape.name,
            f"a second shape set (the first is {at.name} at line {at.line}); "
            "describe each shape as its own airspace",
        )
    word = _SHAPE_SETS[at.name]
    if identity.shape is not None and identity.shape != word:
        problems.add(
            acmid,
            None,
            identity.shape,
            f"ACMID says {identity.shape} but the shape set is {at.name}",
        )
    return _SHAPE_READERS[at.name](at, problems)


def _kind_of(acm_type: str | None) -> Kind | None:
    """Zone or activity as the ACM type says it, or None when it does not say."""
    if acm_type in _PROTECTING:
        return Kind.ZONE
    if acm_type in _RESERVING:
        return Kind.ACTIVITY
    return None


def _extra(identity: _Identity, remarks: tuple[str, ...]) -> dict[str, str]:
    extra: dict[str, str] = {}
    if identity.acm_type is not None:
        extra["acm_type"] = identity.acm_type
    if identity.usage:
        extra["usage"] = " ".join(identity.usage)
    if remarks:
        extra["remarks"] = "\n".join(remarks)
    return extra


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def _unique(base: str, taken: set[str]) -> str:
    candidate, count = base, 1
    while candidate in taken:
        count += 1
        candidate = f"{base}-{count}"
    taken.add(candidate)
    return candidate


# --- Reading: fields --------------------------------------------------------------------------


def _field(problems: _Problems, at: _Set, index: int, read: Callable[[str], _T]) -> _T | None:
    """Field `index` (from 1) read by `read`, or None with the problem recorded."""
    value = at.fields[index - 1] if index <= len(at.fields) else ""
    try:
        return read(value)
    except _Unreadable as error:
        problems.add(at, index, value, str(error))
        return None


def _has_fields(
    at: _Set, problems: _Problems, count: int, described: str, at_least: bool = False
) -> bool:
    found = len(at.fields)
    if found == count or (at_least and found > count):
        return True
    expected = f"at least {count}" if at_least else str(count)
    problems.add(
        at, None, at.text, f"{at.name} takes {expected} fields ({described}), found {found}"
    )
    return False


_POSITION = re.compile(
    r"(?:(?P<qualifier>[A-Z]+):)?"
    r"(?P<lat>\d{2})(?P<lat_min>\d{2})(?:(?P<lat_sec>\d{2}(?:\.\d+)?)|(?P<lat_frac>\.\d+))?"
    r"(?P<lat_hem>[NS])-?"
    r"(?P<lon>\d{3})(?P<lon_min>\d{2})(?:(?P<lon_sec>\d{2}(?:\.\d+)?)|(?P<lon_frac>\.\d+))?"
    r"(?P<lon_hem>[EW])"
)
_POSITION_QUALIFIERS = frozenset({"LATS", "LATM", "DMPIT", "DMPIK"})


def _position(text: str) -> LonLat:
    """LATM:3330N03838E, LATS:333015N0383820E, DMPIT:3330.2500N03838.3333E or bare."""
    found = _POSITION.fullmatch(text.upper().replace(" ", ""))
    if found is None:
        raise _Unreadable(
            f"{text!r} is not a position; write LATS:DDMMSSNDDDMMSSE, LATM:DDMMNDDDMME or "
            "DMPIT:DDMM.mmmmNDDDMM.mmmmE"
        )
    if found["qualifier"] is not None and found["qualifier"] not in _POSITION_QUALIFIERS:
        raise _Unreadable(
            f"{found['qualifier']!r} is not a position qualifier (LATS, LATM, DMPIT, DMPIK)"
        )
    lat = _angle(found["lat"], found["lat_min"], found["lat_sec"], found["lat_frac"])
    lon = _angle(found["lon"], found["lon_min"], found["lon_sec"], found["lon_frac"])
    if lat > 90:
        raise _Unreadable(f"the latitude of {text!r} is beyond 90 degrees")
    if lon > 180:
        raise _Unreadable(f"the longitude of {text!r} is beyond 180 degrees")
    if found["lat_hem"] == "S":
        lat = -lat
    if found["lon_hem"] == "W":
        lon = -lon
    return float(lon), float(lat)


def _angle(degrees: str, minutes: str, seconds: str | None, fraction: str | None) -> Fraction:
    minutes_value = Fraction(minutes) + (Fraction(f"0{fraction}") if fraction else 0)
    seconds_value = Fraction(seconds) if seconds else Fraction(0)
    if minutes_value >= 60:
        raise _Unreadable(f"minutes {float(minutes_value):g} must be below 60")
    if seconds_value >= 60:
        raise _Unreadable(f"seconds {float(seconds_value):g} must be below 60")
    return Fraction(degrees) + minutes_value / 60 + seconds_value / 3600


_DISTANCE = re.compile(r"(\d+(?:\.\d+)?)([A-Z]+)")


def _distance_m(text: str) -> float:
    """A distance such as 5NM, 25KM, 3000M or 7.5KM, in metres."""
    found = _DISTANCE.fullmatch(text.upper().replace(" ", ""))
    if found is None:
        raise _Unreadable(f"{text!r} is not a distance; write a number and a unit, e.g. 5NM")
    unit = found[2]
    if unit not in _UNITS_M:
        raise _Unreadable(f"{text!r}: unit {unit!r} is not one of {', '.join(_UNITS_M)}")
    return float(Fraction(found[1]) * _UNITS_M[unit])


_BEARING = re.compile(r"(\d{1,3}(?:\.\d+)?)([A-Z]?)")


def _bearing_deg(text: str) -> float:
    """A bearing such as 060T: degrees clockwise from true north, 0 to 360."""
    found = _BEARING.fullmatch(text.upper().replace(" ", ""))
    if found is None:
        raise _Unreadable(f"{text!r} is not a bearing; write three digits and T, e.g. 060T")
    if found[2] == "M":
        raise _Unreadable(
            f"bearing {text!r} is magnetic; give it from true north (T), the local "
            "variation is not known here"
        )
    if found[2] != "T":
        raise _Unreadable(f"bearing {text!r} needs T (degrees from true north), e.g. 060T")
    value = float(found[1])
    if value > 360:
        raise _Unreadable(f"bearing {text!r} is outside 0..360 degrees")
    return value


# --- Reading: shape sets ----------------------------------------------------------------------


def _read_circle(at: _Set, problems: _Problems) -> Shape | None:
    if not _has_fields(at, problems, 2, "centre, radius"):
        return None
    centre = _field(problems, at, 1, _position)
    radius = _field(problems, at, 2, _distance_m)
    if centre is None or radius is None:
        return None
    return Circle(centre, radius)


def _read_point(at: _Set, problems: _Problems) -> Shape | None:
    if not _has_fields(at, problems, 1, "position"):
        return None
    point = _field(problems, at, 1, _position)
    return Circle(point, 0.0) if point is not None else None


def _read_radarc(at: _Set, problems: _Problems) -> Shape | None:
    described = "origin, beginning bearing, ending bearing, inner radius, outer radius"
    if not _has_fields(at, problems, 5, described):
        return None
    origin = _field(problems, at, 1, _position)
    begin = _field(problems, at, 2, _bearing_deg)
    end = _field(problems, at, 3, _bearing_deg)
    inner = _field(problems, at, 4, _distance_m)
    outer = _field(problems, at, 5, _distance_m)
    if origin is None or begin is None or end is None or inner is None or outer is None:
        return None
    if outer == 0.0:
        problems.add(at, 5, at.fields[4], "the outer radius must be more than 0")
    elif outer > _MAX_SECTOR_M:
        problems.add(at, 5, at.fields[4], "over 2,000 km; describe it as a POLYGON")
    elif inner >= outer:
        problems.add(
            at,
            4,
            at.fields[3],
            f"the inner radius ({inner:g} m) must be less than the outer ({outer:g} m)",
        )
    else:
        return _built(Sector(origin, outer, inner, begin, end), at, problems)
    return None


def _read_orbit(at: _Set, problems: _Problems) -> Shape | None:
    described = "first point, second point, width, alignment C, L or R"
    if len(at.fields) != 3 and not _has_fields(at, problems, 4, described):
        return None
    first = _field(problems, at, 1, _position)
    second = _field(problems, at, 2, _position)
    width = _field(problems, at, 3, _distance_m)
    side = _field(problems, at, 4, _alignment) if len(at.fields) == 4 else Side.CENTRE
    if first is None or second is None or width is None or side is None:
        return None
    if first == second:
        problems.add(at, 2, at.fields[1], "an orbit needs two different points")
    elif width == 0.0:
        problems.add(at, 3, at.fields[2], "an orbit needs a width more than 0")
    elif width > _MAX_WIDTH_M:
        problems.add(at, 3, at.fields[2], "over 1,000 km; describe it as a POLYGON")
    else:
        return _built(Orbit(first, second, width, side), at, problems)
    return None


def _alignment(text: str) -> Side:
    side = _SIDES.get(text.upper() or "C")
    if side is None:
        raise _Unreadable(f"orbit alignment {text!r} must be C (centre), L (left) or R (right)")
    return side


def _built(shape: Sector | Orbit, at: _Set, problems: _Problems) -> Shape | None:
    """The shape if it can be built geodesically (not across a pole, say), else None."""
    try:
        resolve(shape)  # built now, so a shape that cannot be is refused now
    except ShapeError as error:
        problems.add(at, None, at.text, str(error))
        return None
    return shape


def _read_corridor(at: _Set, problems: _Problems) -> Shape | None:
    if not _has_fields(at, problems, 3, "width, then two or more points", at_least=True):
        return None
    width = _field(problems, at, 1, _distance_m)
    path = _path(at, 2, problems, closed=False)
    if width is None or path is None:
        return None
    return Corridor(path, width / 2.0)


def _read_line(at: _Set, problems: _Problems) -> Shape | None:
    if not _has_fields(at, problems, 2, "two or more points", at_least=True):
        return None
    path = _path(at, 1, problems, closed=False)
    return Corridor(path, 0.0) if path is not None else None


def _read_polygon(at: _Set, problems: _Problems) -> Shape | None:
    if not _has_fields(at, problems, 3, "three or more points", at_least=True):
        return None
    points = _path(at, 1, problems, closed=True)
    if points is None:
        return None
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if len(set(points)) < 3:
        problems.add(at, None, at.text, "a POLYGON needs three different points")
        return None
    area = Area((((*points, points[0]),),))
    if not area.planar.is_valid:
        problems.add(
            at,
            None,
            at.text,
            f"the points do not bound a simple polygon: {explain_validity(area.planar)}",
        )
        return None
    return area


def _path(at: _Set, first: int, problems: _Problems, closed: bool) -> tuple[LonLat, ...] | None:
    """The positions from field `first` on; None if one is unreadable or goes the long way."""
    before = len(problems.found)
    points = [_field(problems, at, i, _position) for i in range(first, len(at.fields) + 1)]
    known = [p for p in points if p is not None]
    if len(problems.found) > before:
        return None
    edges = list(zip(known, known[1:] + (known[:1] if closed else []), strict=False))
    for offset, (a, b) in enumerate(edges):
        if abs(b[0] - a[0]) > 180.0:
            index = first + (offset + 1) % len(known)
            problems.add(
                at,
                index,
                at.fields[index - 1],
                f"the edge from longitude {a[0]:g} to {b[0]:g} goes the long way round; "
                "to cross the antimeridian, split the airspace at 180",
            )
    return tuple(known) if len(problems.found) == before else None


_SHAPE_READERS: dict[str, Callable[[_Set, _Problems], Shape | None]] = {
    "CIRCLE": _read_circle,
    "RADARC": _read_radarc,
    "AORBIT": _read_orbit,
    "ORBIT": _read_orbit,
    "CORRIDOR": _read_corridor,
    "GEOLINE": _read_line,
    "POLYGON": _read_polygon,
    "APOINT": _read_point,
}


# --- Reading: EFFLEVEL ------------------------------------------------------------------------


_LEVEL = re.compile(
    r"(?P<fl>FL(?P<fl_value>\d{3}))|(?P<base>GL|SFC|GND|MSL)|(?P<unl>UNL)"
    r"|(?P<relative>\d{3})(?P<reference>AGL|AMSL|MSL)"
)
_LEVEL_QUALIFIERS = frozenset({"BRRA", "BRFL", "RAFL", "RARA", "FLFL"})
_LEVEL_KINDS = {
    "BR": "a base reference (GL or MSL)",
    "RA": "a relative altitude (e.g. 050AGL)",
    "FL": "a flight level (e.g. FL250)",
}
_TOP_FLIGHT_LEVEL = 999


def _read_levels(levels: tuple[_Set, ...], problems: _Problems) -> AltitudeBand:
    if not levels:
        return UNBOUNDED
    at = levels[0]
    for extra_level in levels[1:]:
        problems.add(
            extra_level,
            None,
            extra_level.text,
            f"a second EFFLEVEL (the first is at line {at.line}); describe each altitude "
            "block as its own airspace",
        )
    if not _has_fields(at, problems, 1, "the vertical dimension, e.g. BRFL:GL-FL180"):
        return UNBOUNDED
    return _field(problems, at, 1, _band) or UNBOUNDED


def _band(text: str) -> AltitudeBand:
    """BRRA:GL-005AGL, BRFL:MSL-FL230, RAFL:100AGL-FL600, RARA:000AGL-020AGL, FLFL:FL250-FL290."""
    qualifier, colon, levels = text.upper().replace(" ", "").rpartition(":")
    if colon and qualifier not in _LEVEL_QUALIFIERS:
        raise _Unreadable(f"{qualifier!r} is not BRRA, BRFL, RAFL, RARA or FLFL")
    low_text, dash, high_text = levels.partition("-")
    if not dash:
        raise _Unreadable(
            f"{text!r} needs a lower and an upper level joined by -, e.g. BRFL:GL-FL180"
        )
    low, low_datum, low_kind = _level(low_text)
    high, high_datum, high_kind = _level(high_text)
    if low_kind == "UNL" or low is None:
        raise _Unreadable(f"{low_text!r} cannot be the lower level")
    if high_kind == "BR":
        raise _Unreadable(f"{high_text!r} is a base reference; the upper level is FLnnn or nnnAGL")
    if colon:
        _check_qualifier(qualifier, levels, low_kind, high_kind)
    upper_datum = high_datum if high is not None and high_datum is not low_datum else None
    band = AltitudeBand(low, high, low_datum, upper_datum)
    if high is not None and (
        high < low
        if len(band.datums) == 1
        else band.ellipsoid_range()[0] > band.ellipsoid_range()[1]
    ):
        raise _Unreadable(f"the upper level {high_text} is below the lower level {low_text}")
    return band


def _check_qualifier(qualifier: str, levels: str, low_kind: str, high_kind: str) -> None:
    """BRFL and its kin say what kind each level is; UNL may stand for either upper kind."""
    said_low, said_high = qualifier[:2], qualifier[2:]
    if low_kind != said_low or high_kind not in (said_high, "UNL"):
        raise _Unreadable(
            f"{qualifier} says {_LEVEL_KINDS[said_low]} then {_LEVEL_KINDS[said_high]}, "
            f"but the levels are {levels!r}"
        )


def _level(text: str) -> tuple[float | None, Datum, str]:
    """One level: metres (None for no limit), its datum, and its kind (BR, RA, FL, UNL)."""
    found = _LEVEL.fullmatch(text)
    if found is None:
        raise _Unreadable(
            f"{text!r} is not a level; write GL, MSL, FLnnn, or nnnAGL / nnnAMSL (hundreds of feet)"
        )
    if found["fl"]:
        if int(found["fl_value"]) == _TOP_FLIGHT_LEVEL:
            return None, Datum.FL, "FL"
        metres, datum = parse_level(found["fl"], Datum.FL)
        return metres, datum, "FL"
    if found["base"]:
        return 0.0, Datum.MSL if found["base"] == "MSL" else Datum.AGL, "BR"
    if found["unl"]:
        return None, Datum.FL, "UNL"
    reference = "AGL" if found["reference"] == "AGL" else "MSL"
    metres, datum = parse_level(f"{int(found['relative']) * 100} ft {reference}", Datum.MSL)
    return metres, datum, "RA"


# --- Reading: APERIOD -------------------------------------------------------------------------


_Period = tuple[TimeWindow, Recurrence | None]


def _read_periods(
    periods: tuple[_Set, ...], context: _Context, problems: _Problems
) -> list[_Period] | None:
    if not periods:
        return [(context.window, None)]
    read = [_read_period(at, context, problems) for at in periods]
    known = [period for period in read if period is not None]
    return known if len(known) == len(read) else None


def _read_period(at: _Set, context: _Context, problems: _Problems) -> _Period | None:
    mode = at.fields[0].upper() if at.fields else ""
    if mode == "DISCRETE":
        if not _has_fields(at, problems, 3, "DISCRETE, start, stop"):
            return None
        return _read_discrete(at, context, problems)
    if mode == "INTERVAL":
        if not _has_fields(at, problems, 5, "INTERVAL, start, stop, frequency, duration"):
            return None
        return _read_interval(at, context, problems)
    problems.add(at, 1, mode, "the airspace time mode must be DISCRETE or INTERVAL")
    return None


def _read_start(context: _Context) -> Callable[[str], datetime]:
    def read(text: str) -> datetime:
        return context.window.start if text == "-" else _read_dtg(text, context.reference)

    return read


def _read_discrete(at: _Set, context: _Context, problems: _Problems) -> _Period | None:
    start = _field(problems, at, 2, _read_start(context))
    if start is None:
        return None
    before = len(problems.found)
    end = _field(problems, at, 3, _after(start, _read_stop))
    if len(problems.found) > before:
        return None
    if end is not None and end <= start:
        problems.add(at, 3, at.fields[2], "the period ends before it starts")
        return None
    return TimeWindow(start, end), None


def _after(start: datetime, read: Callable[[str, datetime], _T]) -> Callable[[str], _T]:
    """A field reader for a time read near `start`."""

    def read_after(text: str) -> _T:
        return read(text, start)

    return read_after


def _read_interval(at: _Set, context: _Context, problems: _Problems) -> _Period | None:
    start = _field(problems, at, 2, _read_start(context))
    if start is None:
        return None
    end = _field(problems, at, 3, _after(start, _read_block_end))
    pattern = _field(problems, at, 4, _frequency)
    before = len(problems.found)
    until = _field(problems, at, 5, _after(start, _read_until))
    if end is None or pattern is None or len(problems.found) > before:
        return None
    every, interval, weekdays = pattern
    repeat = Recurrence(every, interval, weekdays, until)
    window = TimeWindow(start, end)
    before = len(problems.found)
    _check_repeat(at, window, repeat, problems)
    return (window, repeat) if len(problems.found) == before else None


def _read_block_end(text: str, start: datetime) -> datetime:
    end = _read_stop(text, start)
    if end is None:
        raise _Unreadable(
            f"an INTERVAL needs the end of its first block as a date-time group, not {text!r}"
        )
    if end <= start:
        raise _Unreadable("the first block ends before it starts")
    return end


def _frequency(text: str) -> tuple[Every, int, tuple[int, ...]]:
    frequency = " ".join(text.upper().split())
    if frequency in _CALENDAR_FREQUENCIES:
        raise _Unreadable(
            f"{frequency} repeats by the calendar, which the line cannot hold; list the "
            "occurrences as DISCRETE periods"
        )
    if frequency not in _FREQUENCIES:
        raise _Unreadable(f"{frequency!r} is not an interval frequency ({', '.join(_FREQUENCIES)})")
    return _FREQUENCIES[frequency]


_DURATION = re.compile(r"(\d{1,3})(BIWK|DAY|WK|MON|YR)")


def _read_until(text: str, start: datetime) -> datetime | None:
    """When the repetition stops: a duration from the first start, a date-time group, or UFN."""
    duration = text.upper().replace(" ", "")
    if duration == "UFN":
        return None
    found = _DURATION.fullmatch(duration)
    if found is None:
        try:
            return _read_dtg(text, start)
        except _Unreadable:
            raise _Unreadable(
                f"{text!r} is not an interval duration; write a count and a unit (7DAY, 4WK, "
                "2BIWK, 3MON, 1YR), a date-time group, or UFN"
            ) from None
    count, unit = int(found[1]), found[2]
    days = {"DAY": 1, "WK": 7, "BIWK": 14}
    if unit in days:
        return start + timedelta(days=count * days[unit])
    return _add_months(start, count * (12 if unit == "YR" else 1))


def _add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later; the month's last day when the day is missing."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    next_month = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _check_repeat(at: _Set, window: TimeWindow, repeat: Recurrence, problems: _Problems) -> None:
    """The checks the plan format makes of a repeating feature, named by APERIOD field."""
    start, end = window.start, window.end
    assert end is not None
    if repeat.weekdays and start.weekday() not in repeat.weekdays:
        day = WEEKDAYS[start.weekday()].upper()
        problems.add(
            at,
            2,
            at.fields[1],
            f"the first block starts on a {day}, not a day {at.fields[3]} names",
        )
        return
    gap = repeat.shortest_gap(start)
    if end - start > gap:
        problems.add(
            at, 3, at.fields[2], f"the block lasts {end - start}, longer than the {gap} to the next"
        )
    if repeat.until is not None and repeat.until <= start:
        problems.add(at, 5, at.fields[4], "the repetition must end after the first block starts")
    elif repeat.until is not None and repeat.until - start > _LONGEST_SCHEDULE:
        problems.add(at, 5, at.fields[4], "the repetition runs more than 10 years; use UFN")


# --- Reading: times ---------------------------------------------------------------------------


_DTG = re.compile(r"(\d{2})(\d{2})(\d{2})([A-Z]?)([A-Z]{3})(\d{4}|\d{2})?")


def _read_stop(text: str, start: datetime, zone_optional: bool = False) -> datetime | None:
    """A stop time: a date-time group read near `start`, or None for UFN and its kin."""
    word = text.upper().strip()
    if word in _OPEN_STOPS:
        return None
    if word.isalpha():
        raise _Unreadable(f"stop {text!r} is not a time; give a date-time group, or UFN")
    return _read_dtg(text, start, zone_optional)


def _read_dtg(text: str, near: datetime, zone_optional: bool = False) -> datetime:
    """DDHHMMZMMM[YYYY] as aware UTC; without a year, the year that puts it nearest `near`."""
    found = _DTG.fullmatch(text.upper().replace(" ", ""))
    if found is None:
        raise _Unreadable(
            f"{text!r} is not a date-time group; write DDHHMMZMMM or DDHHMMZMMMYYYY, "
            "e.g. 141325ZFEB2027"
        )
    day_time, zone, month, year = found[1] + found[2] + found[3], found[4], found[5], found[6]
    if not zone and not zone_optional:
        raise _Unreadable(f"{text!r} has no time-zone letter; write {day_time}Z{month} for UTC")
    if year is None:
        years = [near.year - 1, near.year, near.year + 1]
    else:
        years = [int(year) if len(year) == 4 else 2000 + int(year)]
    moments: list[datetime] = []
    problem = f"the year of {text!r} must be 2000 to 2099"
    for candidate in years:
        if not 2000 <= candidate <= 2099:
            continue
        try:
            moments.append(parse_dtg(f"{day_time}{zone or 'Z'}{month}{candidate % 100:02d}"))
        except InvalidFeature as error:
            problem = error.message
    if not moments:
        raise _Unreadable(problem)
    return min(moments, key=lambda moment: abs(moment - near))


# --- Writing ----------------------------------------------------------------------------------


def write_aco(features: Sequence[Feature], names: Mapping[str, str] | None = None) -> str:
    """A complete ACO message holding `features`; `names` maps party ids to display names.

    Raises InvalidFeature, naming the feature, for what an ACO cannot hold
    exactly (see the module notes); every rounding widens the airspace.
    """
    names = names or {}
    sets = _header_sets(features, names)
    for feature in features:
        sets.extend(_airspace_sets(feature, names))
    return "".join(f"{line}//\n" for line in sets)


def _header_sets(features: Sequence[Feature], names: Mapping[str, str]) -> list[str]:
    parties = {feature.party for feature in features}
    originator = "DECONFLICTION LINE"
    if len(parties) == 1:
        party = parties.pop()
        originator = _text(names.get(party, party))[:_MAX_NAME] or _text(party)[:_MAX_NAME]
    sets = [
        "OPER/DECONFLICTION LINE",
        f"MSGID/ACO/{originator or '-'}",
        "ACOID/-",
        "GEODATUM/WGE",
    ]
    if features:
        first = min(features, key=lambda feature: feature.window.start)
        start = _dtg_text(first.window.start, first, up=False)
        ends = [(feature.span.end, feature) for feature in features if feature.span.end]
        stop = "UFN"
        if len(ends) == len(features):
            last_end, last = max(ends, key=lambda pair: pair[0])
            stop = _dtg_text(last_end, last, up=True)
        sets.append(f"PERIOD/{start}/{stop}")
    return sets


def _airspace_sets(feature: Feature, names: Mapping[str, str]) -> list[str]:
    shape_word, shape_set = _shape_set(feature)
    acmid = [
        "ACMID",
        f"ACM:{_acm_type(feature)}",
        f"NAME:{_airspace_name(feature)}",
        shape_word,
        *(f"USE:{usage}" for usage in _usages(feature)),
    ]
    return [
        "/".join(acmid),
        shape_set,
        f"EFFLEVEL/{_efflevel_text(feature)}",
        f"APERIOD/{_aperiod_text(feature)}",
        f"AMPN/{_remark(feature, names)}",
    ]


def _text(value: str) -> str:
    """Free text as an ACO carries it: ASCII capitals, no slants, single spaces."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(folded.upper().replace("/", " ").split())


def _airspace_name(feature: Feature) -> str:
    for candidate in (feature.name, feature.id):
        text = _text(candidate or "")
        if text and len(text) <= _MAX_NAME and _slug(text):
            return text
    raise InvalidFeature(
        f"neither the name nor the id fits an ACO airspace name (1 to {_MAX_NAME} ASCII "
        "characters); give the feature a shorter name",
        feature_id=feature.id,
        field="name",
        value=feature.name,
    )


def _acm_type(feature: Feature) -> str:
    """The ACM type read with the feature if it says the same kind, else one that does."""
    given = feature.extra.get("acm_type")
    if isinstance(given, str):
        text = _text(given)
        if re.fullmatch(r"[A-Z0-9]{2,6}", text) and _kind_of(text) is feature.kind:
            return text
    return _WRITTEN_TYPE[feature.kind]


def _usages(feature: Feature) -> list[str]:
    given = feature.extra.get("usage")
    if not isinstance(given, str):
        return []
    return [usage for usage in _text(given).split() if re.fullmatch(r"[A-Z0-9]{2,6}", usage)]


def _remark(feature: Feature, names: Mapping[str, str]) -> str:
    party = _text(names.get(feature.party, feature.party)) or _text(feature.party) or "-"
    remark = f"{feature.kind.value.upper()} DECLARED BY {party}"
    if feature.activity:
        remark += f": {_text(feature.activity)}"
    if feature.buffer_m > 0.0:
        remark += f", {feature.buffer_m:g} M BUFFER INCLUDED"
    return f"{remark} (ID {_text(feature.id) or '-'})"


# --- Writing: shapes --------------------------------------------------------------------------


def _shape_set(feature: Feature) -> tuple[str, str]:
    """The ACMID shape word and the shape set for the feature, its buffer absorbed."""
    shape, buffer_m = feature.shape, feature.buffer_m
    if isinstance(shape, Circle):
        return _circle_set(shape.centre, shape.radius_m + buffer_m)
    if isinstance(shape, Sector):
        return _sector_set(feature, shape)
    if isinstance(shape, Orbit):
        return _orbit_set(feature, shape)
    if isinstance(shape, Corridor):
        return _corridor_set(feature, shape.path, shape.half_width_m + buffer_m)
    if isinstance(shape, Track):
        if shape.left_m != shape.right_m:
            raise _cannot_hold(
                feature,
                f"is a track {shape.left_m:g} m left and {shape.right_m:g} m right of its path; "
                "an ACO CORRIDOR is as wide on both sides: give it equal sides or describe "
                "it as a polygon",
            )
        return _corridor_set(feature, shape.path, shape.left_m + buffer_m)
    return _polygon_set(feature, shape)


def _circle_set(centre: LonLat, radius_m: float) -> tuple[str, str]:
    if radius_m == 0.0:
        return "POINT", f"APOINT/{_position_text(centre)}"
    return "CIRCLE", f"CIRCLE/{_position_text(centre)}/{_distance_text(radius_m, outward=True)}"


def _sector_set(feature: Feature, sector: Sector) -> tuple[str, str]:
    if feature.buffer_m > 0.0:
        if sector.inner_m == 0.0 and sector.span_deg == 360.0:
            return _circle_set(sector.origin, sector.outer_m + feature.buffer_m)
        raise _no_buffer(feature, "RADARC")
    begin, end = _bearings_text(sector)
    fields = [
        "RADARC",
        _position_text(sector.origin),
        begin,
        end,
        _distance_text(sector.inner_m, outward=False),
        _distance_text(sector.outer_m, outward=True),
    ]
    return "RADARC", "/".join(fields)


def _bearings_text(sector: Sector) -> tuple[str, str]:
    """Whole-degree bearings that sweep at least the sector's bearings."""
    begin = math.floor(sector.from_deg + _WHOLE)
    end = math.ceil(sector.to_deg - _WHOLE)
    swept = (end - begin) % 360 or 360
    if swept < sector.span_deg - _WHOLE:
        begin, end = 0, 360
    return f"{begin:03d}T", f"{end:03d}T"


def _orbit_set(feature: Feature, orbit: Orbit) -> tuple[str, str]:
    if feature.buffer_m > 0.0 and orbit.side is not Side.CENTRE:
        raise _no_buffer(feature, "AORBIT aligned L or R")
    width = orbit.width_m + 2.0 * feature.buffer_m
    fields = [
        "AORBIT",
        _position_text(orbit.first),
        _position_text(orbit.second),
        _distance_text(width, outward=True),
        _SIDE_LETTERS[orbit.side],
    ]
    return "ORBIT", "/".join(fields)


def _corridor_set(feature: Feature, path: tuple[LonLat, ...], half_m: float) -> tuple[str, str]:
    if len(path) < 2:
        raise _cannot_hold(feature, "is a path of fewer than 2 positions")
    points = "/".join(_position_text(point) for point in path)
    if half_m == 0.0:
        return "LINE", f"GEOLINE/{points}"
    return "CORRIDOR", f"CORRIDOR/{_distance_text(2.0 * half_m, outward=True)}/{points}"


def _polygon_set(feature: Feature, area: Area) -> tuple[str, str]:
    if len(area.polygons) != 1:
        raise _cannot_hold(
            feature,
            f"is {len(area.polygons)} polygons; an ACO airspace is one: write one feature "
            "per polygon",
        )
    rings = area.polygons[0]
    if len(rings) > 1:
        raise _cannot_hold(
            feature,
            f"is a polygon with {len(rings) - 1} hole(s); an ACO POLYGON has none: split it "
            "into polygons without holes",
        )
    if area.margin_m > 0.0:
        raise _cannot_hold(
            feature,
            f"carries a {area.margin_m:g} m construction margin an ACO POLYGON cannot hold; "
            "write the sector, orbit or track it was built from",
        )
    if feature.buffer_m > 0.0:
        raise _no_buffer(feature, "POLYGON")
    ring = rings[0]
    vertices = ring[:-1] if ring[0] == ring[-1] else ring
    return "POLYGON", "/".join(["POLYGON", *(_position_text(point) for point in vertices)])


def _cannot_hold(feature: Feature, problem: str) -> InvalidFeature:
    return InvalidFeature(problem, feature_id=feature.id, field="geometry", value=None)


def _no_buffer(feature: Feature, written_as: str) -> InvalidFeature:
    return InvalidFeature(
        f"has a {feature.buffer_m:g} m buffer that an ACO {written_as} cannot carry; draw the "
        "buffer into the shape or set buffer_m to 0",
        feature_id=feature.id,
        field="buffer_m",
        value=feature.buffer_m,
    )


def _position_text(point: LonLat) -> str:
    """LATS when both values are whole seconds, else DMPIT (ten-thousandths of a minute)."""
    lon, lat = point
    if _whole(abs(lat) * 3600) and _whole(abs(lon) * 3600):
        return f"LATS:{_dms(lat, 2, 'NS')}{_dms(lon, 3, 'EW')}"
    return f"DMPIT:{_dm(lat, 2, 'NS')}{_dm(lon, 3, 'EW')}"


def _whole(value: float) -> bool:
    return abs(value - round(value)) < _WHOLE


def _dms(degrees: float, width: int, hemispheres: str) -> str:
    total = round(abs(degrees) * 3600)
    whole, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    hemisphere = hemispheres[1] if degrees < 0 and total else hemispheres[0]
    return f"{whole:0{width}d}{minutes:02d}{seconds:02d}{hemisphere}"


def _dm(degrees: float, width: int, hemispheres: str) -> str:
    total = round(abs(degrees) * 600_000)
    whole, rest = divmod(total, 600_000)
    minutes, fraction = divmod(rest, 10_000)
    hemisphere = hemispheres[1] if degrees < 0 and total else hemispheres[0]
    return f"{whole:0{width}d}{minutes:02d}.{fraction:04d}{hemisphere}"


def _distance_text(value_m: float, outward: bool) -> str:
    """Whole NM or KM when exact, else metres rounded outward (up, or down for inner radii)."""
    for unit in ("NM", "KM"):
        count = round(value_m / float(_UNITS_M[unit]))
        if abs(value_m - count * float(_UNITS_M[unit])) < _WHOLE and count <= 99_999:
            return f"{count}{unit}"
    rounded = math.ceil(value_m - _WHOLE) if outward else math.floor(value_m + _WHOLE)
    if rounded <= 999_999:
        return f"{rounded}M"
    kilometres = math.ceil(value_m / 1000) if outward else math.floor(value_m / 1000)
    return f"{kilometres}KM"


# --- Writing: levels and times ----------------------------------------------------------------


def _efflevel_text(feature: Feature) -> str:
    band = feature.band
    if Datum.WGS84 in band.datums:
        raise InvalidFeature(
            "has a height above the WGS84 ellipsoid; ACO levels are above ground (AGL), above "
            "sea level (AMSL) or flight levels",
            feature_id=feature.id,
            field="altitude",
            value=band.datum.value,
        )
    low, low_kind = _lower_level_text(feature, band.lower_m, band.datum)
    high, high_kind = _upper_level_text(feature, band.upper_m, band.top_datum)
    return f"{low_kind}{high_kind}:{low}-{high}"


def _hundreds_ft(value_m: float, up: bool) -> int:
    hundreds = value_m / FEET_M / 100.0
    return math.ceil(hundreds - _WHOLE) if up else math.floor(hundreds + _WHOLE)


def _lower_level_text(feature: Feature, value_m: float | None, datum: Datum) -> tuple[str, str]:
    # Nothing the line deconflicts lies below the ground: an open or negative floor is GL.
    if value_m is None or value_m < 0.0 or (value_m == 0.0 and datum is Datum.AGL):
        return "GL", "BR"
    if value_m == 0.0 and datum is Datum.MSL:
        return "MSL", "BR"
    hundreds = _hundreds_ft(value_m, up=False)
    if hundreds > _TOP_FLIGHT_LEVEL:
        raise InvalidFeature(
            "its floor is above 99,900 ft, the highest level an ACO can say",
            feature_id=feature.id,
            field="altitude",
            value=value_m,
        )
    if datum is Datum.FL:
        return f"FL{hundreds:03d}", "FL"
    return f"{hundreds:03d}{'AGL' if datum is Datum.AGL else 'AMSL'}", "RA"


def _upper_level_text(feature: Feature, value_m: float | None, datum: Datum) -> tuple[str, str]:
    if value_m is None:
        return f"FL{_TOP_FLIGHT_LEVEL}", "FL"
    if value_m < 0.0:
        raise InvalidFeature(
            "its top is below zero, which an ACO level cannot say",
            feature_id=feature.id,
            field="altitude",
            value=value_m,
        )
    hundreds = _hundreds_ft(value_m, up=True)
    if hundreds > _TOP_FLIGHT_LEVEL:
        return f"FL{_TOP_FLIGHT_LEVEL}", "FL"
    if datum is Datum.FL:
        return f"FL{hundreds:03d}", "FL"
    return f"{hundreds:03d}{'AGL' if datum is Datum.AGL else 'AMSL'}", "RA"


def _aperiod_text(feature: Feature) -> str:
    window, repeat = feature.window, feature.repeat
    start = _dtg_text(window.start, feature, up=False)
    end = _dtg_text(window.end, feature, up=True) if window.end is not None else "UFN"
    if repeat is None:
        return f"DISCRETE/{start}/{end}"
    until = _dtg_text(repeat.until, feature, up=True) if repeat.until is not None else "UFN"
    return f"INTERVAL/{start}/{end}/{_frequency_text(feature, repeat)}/{until}"


def _frequency_text(feature: Feature, repeat: Recurrence) -> str:
    days = tuple(sorted(set(repeat.weekdays)))
    own_day = (feature.window.start.weekday(),)
    if repeat.every is Every.DAY and repeat.interval == 1:
        return "DAILY"
    if repeat.every is Every.WEEK and days in ((), own_day) and repeat.interval in (1, 2):
        return "WEEKLY" if repeat.interval == 1 else "BIWEEKLY"
    if repeat.every is Every.WEEK and repeat.interval == 1:
        for text, (_, _, named) in _FREQUENCIES.items():
            if named and named == days:
                return text
    raise InvalidFeature(
        f"repeats every {repeat.interval} {repeat.every.value}"
        + (f" on {', '.join(WEEKDAYS[d] for d in days)}" if days else "")
        + f"; an ACO INTERVAL repeats {', '.join(_FREQUENCIES)}: list the occurrences as "
        "separate features",
        feature_id=feature.id,
        field="repeat",
        value=repeat.every.value,
    )


def _dtg_text(moment: datetime, feature: Feature, up: bool) -> str:
    """DDHHMMZMMMYYYY in UTC, to the minute: down for a start, up for an end."""
    utc = moment.astimezone(UTC)
    minute = utc.replace(second=0, microsecond=0)
    if up and minute != utc:
        minute += timedelta(minutes=1)
    if not 2000 <= minute.year <= 2099:
        raise InvalidFeature(
            f"has a time in {minute.year}; ACO times here run from 2000 to 2099",
            feature_id=feature.id,
            field="end" if up else "start",
            value=moment.isoformat(),
        )
    return f"{minute:%d%H%M}Z{MONTHS[minute.month - 1]}{minute:%Y}"
