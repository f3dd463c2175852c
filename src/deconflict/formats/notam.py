"""NOTAM-style text for the people who brief pilots, laid out as ICAO Annex 15 and Doc 8126 ask.

```
(A0001/26 NOTAMN
Q) XXXX/QWMLW/IV/BO/W/050/195/3330N03836E002
A) XXXX B) 2612010600 C) 2612010800
E) STRIKE NORTH RIDGE BY RUSSIAN FORCES WI CIRCLE RADIUS 1.4NM CENTRE 333000N0383600E. PLUS
0.3NM BUFFER ALL ROUND.
F) FL050 G) FL195)
```

Item E is one line (wrapped above to fit). The text is a draft for a NOTAM office, not a
NOTAM: the number (`A0001/yy` unless given, the year taken from item B) and the FIR (`XXXX`
unless given) are the office's to assign.

Choices, each made so that nothing is understated:
- Q-line limits are flight levels in hundreds of feet, the lower rounded down and the upper
  rounded up (000 when there is no lower limit or it is the surface, 999 when there is no
  upper). Feet above mean sea level count as pressure altitude on the standard atmosphere;
  a height above ground adds the lowest ground beneath the feature to the lower limit and the
  highest to the upper (`band.ground_m`, else the worldwide bounds of `rules.altitude`); a
  height above the WGS84 ellipsoid is moved by the largest geoid separation either way.
- The Q-line centre is the shape's centre (a circle's or sector's origin, else the middle of
  its extent) to the minute, and the radius, in whole nautical miles rounded up, reaches the
  farthest point of the shape plus its buffer as seen from that printed centre (edges are
  sampled every 200 m or closer, and half the widest gap between samples is added).
- Items F and G give the limits as typed (SFC, FL195, 5000FT AMSL, 500FT AGL, UNL), feet
  rounded outward; a height above the ellipsoid, which F and G cannot carry, is given as
  AMSL widened by the geoid separation, and item E states it as declared.
- Item C is `PERM` for a feature without an end (open-ended, or repeating until further
  notice). ICAO no longer allows UFN in item C, and an `EST` end would invent a date; a PERM
  NOTAM stays in force until a NOTAMC cancels it, which is what "until further notice" means
  on the line, and item E says so in words.
- Zones are rendered too, as restricted areas: QRTCA (temporary restricted area activated)
  for a zone with an end, QRRCA (restricted area activated) for one without. Whether a zone
  may be published at all is the caller's decision: a zone shared only as a contact must
  never be, since a NOTAM shows its shape to everyone.
- Activities use the navigation-warning code of their kind (strike QWMLW, drill QWELW,
  demining QWDLW, drone or UAV QWULW, airdrop QWPLW); any other kind is a temporary
  restricted area, QRTCA.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from deconflict.errors import InvalidFeature
from deconflict.geo.construct import resolve
from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.shapes import Area, Circle, Corridor, LonLat, Orbit, Sector, Shape, Side, Track
from deconflict.rules.altitude import FEET_M, GEOID_M, GROUND_M, AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.schedule import WEEKDAYS, Every, Recurrence, TimeWindow

__all__ = ["NM_M", "QLine", "notam_text", "q_line", "schedule_text"]

NM_M = 1852.0
# Edges are sampled at least this often when looking for the farthest point of a shape.
_SAMPLE_STEP_M = 200.0
_MAX_SAMPLES_PER_EDGE = 1000
_FIR = re.compile(r"[A-Z]{4}")
_NUMBER = re.compile(r"[A-Z]\d{4}/\d{2}")
_DAY = timedelta(days=1)
_Rounding = Callable[[float], int]

_ACTIVITY_CODES = {
    "strike": "QWMLW",  # missile, gun or rocket firing will take place
    "firing": "QWMLW",
    "drill": "QWELW",  # exercises will take place
    "exercise": "QWELW",
    "demining": "QWDLW",  # demolition of explosives will take place
    "drone": "QWULW",  # unmanned aircraft will take place
    "uav": "QWULW",
    "airdrop": "QWPLW",  # parachute jumping exercise will take place
}
_TEMPORARY_RESTRICTED = "QRTCA"
_RESTRICTED = "QRRCA"
# Every code above is a navigation warning: IFR and VFR traffic, briefing and operations, en route.
_TRAFFIC_PURPOSE_SCOPE = "IV/BO/W"


@dataclass(frozen=True)
class QLine:
    """The Q-line's reach: levels in hundreds of feet, the printed centre and the radius in NM."""

    lower_fl: int
    upper_fl: int
    centre: LonLat
    radius_nm: int


def notam_text(
    feature: Feature,
    names: Mapping[str, str] | None = None,
    number: str | None = None,
    fir: str = "XXXX",
) -> str:
    """The feature as a NOTAM draft: items Q, A, B, C, (D), E, F and G (see the module notes).

    `names` maps party ids to display names; `number` is the series, number and year
    (A0042/26; A0001 and item B's year when not given); `fir` the four-letter FIR (or XXXX).
    The text has no trailing newline.
    """
    if _FIR.fullmatch(fir) is None:
        raise InvalidFeature(
            "the FIR must be four capital letters (e.g. OSTT), or XXXX",
            feature_id=feature.id,
            field="fir",
            value=fir,
        )
    if number is not None and _NUMBER.fullmatch(number) is None:
        raise InvalidFeature(
            "the NOTAM number is a series letter, four digits and the year (e.g. A0042/26)",
            feature_id=feature.id,
            field="number",
            value=number,
        )
    span = feature.span
    reach = q_line(feature)
    lines = [
        f"({number or f'A0001/{span.start:%y}'} NOTAMN",
        f"Q) {fir}/{_code(feature)}/{_TRAFFIC_PURPOSE_SCOPE}/{reach.lower_fl:03d}/"
        f"{reach.upper_fl:03d}/{_minutes(reach.centre)}{reach.radius_nm:03d}",
        f"A) {fir} B) {_b_time(span.start)} C) {_c_time(span.end)}",
    ]
    schedule = schedule_text(feature.window, feature.repeat)
    if schedule is not None:
        lines.append(f"D) {schedule}")
    lines.append(f"E) {_e_item(feature, names or {})}")
    lower, upper = _limit_words(feature.band)
    lines.append(f"F) {lower} G) {upper})")
    return "\n".join(lines)


def q_line(feature: Feature) -> QLine:
    """The levels, centre (to the minute) and radius (NM, rounded up) of the feature's Q-line.

    A radius beyond 999 NM, more than the field holds, is written 999.
    """
    lower, upper = _q_levels(feature.band)
    points, reach_m = _core_points(feature.shape)
    centre = _to_minute(_centre(feature.shape, points))
    count = len(points)
    _, _, distances = WGS84.inv(
        np.full(count, centre[0]), np.full(count, centre[1]), points[:, 0], points[:, 1]
    )
    farthest_m = float(np.max(distances)) + reach_m + feature.buffer_m
    radius = max(1, _outward(farthest_m / NM_M, math.ceil))
    return QLine(lower, upper, centre, min(radius, 999))


def schedule_text(window: TimeWindow, repeat: Recurrence | None) -> str | None:
    """Item D for a repeating feature (DAILY 0600-0800, MON WED 0600-0800, H24), else None."""
    if repeat is None or window.end is None:
        return None
    duration = window.end - window.start
    hours = _hours(window.start, window.end)
    if duration >= repeat.period:
        return "H24"
    if repeat.every is Every.DAY:
        return f"DAILY {hours}" if repeat.interval == 1 else f"EVERY {repeat.interval} DAYS {hours}"
    if repeat.every is Every.WEEK:
        days = repeat.weekdays or (window.start.weekday(),)
        every = "" if repeat.interval == 1 else f"EVERY {repeat.interval} WEEKS "
        if duration >= _DAY:
            spans = [_weekday_span(window, day, duration) for day in days]
            return every + " ".join(spans)
        return every + " ".join(WEEKDAYS[d].upper() for d in days) + f" {hours}"
    if 24 % repeat.interval == 0:
        slots = [
            _hours(window.start + k * repeat.period, window.end + k * repeat.period)
            for k in range(24 // repeat.interval)
        ]
        return "DAILY " + " ".join(sorted(slots))
    return f"EVERY {repeat.interval} HR {hours}"


def _weekday_span(window: TimeWindow, day: int, duration: timedelta) -> str:
    start = window.start + timedelta(days=(day - window.start.weekday()) % 7)
    end = start + duration
    return f"{WEEKDAYS[day].upper()} {start:%H%M}-{WEEKDAYS[end.weekday()].upper()} {end:%H%M}"


def _hours(start: datetime, end: datetime) -> str:
    return f"{start:%H%M}-{_ceil_minute(end):%H%M}"


def _code(feature: Feature) -> str:
    if feature.kind is Kind.ZONE:
        return _RESTRICTED if feature.span.end is None else _TEMPORARY_RESTRICTED
    return _ACTIVITY_CODES.get((feature.activity or "").lower(), _TEMPORARY_RESTRICTED)


def _b_time(moment: datetime) -> str:
    """Item B to the minute, rounded down so the NOTAM never starts late."""
    return f"{moment.replace(second=0, microsecond=0):%y%m%d%H%M}"


def _c_time(moment: datetime | None) -> str:
    """Item C to the minute, rounded up so the NOTAM never ends early; PERM without an end."""
    return "PERM" if moment is None else f"{_ceil_minute(moment):%y%m%d%H%M}"


def _ceil_minute(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


# -- levels ------------------------------------------------------------------------------


def _q_levels(band: AltitudeBand) -> tuple[int, int]:
    """Lower and upper Q-line limits in hundreds of feet: rounded outward, within 000-999."""
    lower = 0
    if band.lower_m is not None and not (band.datum is Datum.AGL and band.lower_m == 0.0):
        lower = _outward(_lowest_msl_ft(band, band.lower_m, band.datum) / 100, math.floor)
    upper = 999
    if band.upper_m is not None:
        upper = _outward(_highest_msl_ft(band, band.upper_m, band.top_datum) / 100, math.ceil)
    return min(max(lower, 0), 999), min(max(upper, 0), 999)


def _lowest_msl_ft(band: AltitudeBand, value_m: float, datum: Datum) -> float:
    """The lowest altitude (feet; pressure altitude for FL) a bound can mean."""
    if datum is Datum.AGL:
        value_m += (band.ground_m or GROUND_M)[0]
    elif datum is Datum.WGS84:
        value_m -= GEOID_M[1]
    return value_m / FEET_M


def _highest_msl_ft(band: AltitudeBand, value_m: float, datum: Datum) -> float:
    """The highest altitude (feet; pressure altitude for FL) a bound can mean."""
    if datum is Datum.AGL:
        value_m += (band.ground_m or GROUND_M)[1]
    elif datum is Datum.WGS84:
        value_m -= GEOID_M[0]
    return value_m / FEET_M


def _limit_words(band: AltitudeBand) -> tuple[str, str]:
    """Items F and G: SFC, FL195, 5000FT AMSL, 500FT AGL, UNL (feet rounded outward)."""
    if band.lower_m is None:
        lower = "SFC"
    else:
        lower = _level_word(band.lower_m, band.datum, math.floor, GEOID_M[1])
    if band.upper_m is None:
        upper = "UNL"
    else:
        upper = _level_word(band.upper_m, band.top_datum, math.ceil, GEOID_M[0])
    return lower, upper


def _level_word(value_m: float, datum: Datum, outward: _Rounding, geoid_m: float) -> str:
    if datum is Datum.FL:
        return f"FL{_outward(value_m / FEET_M / 100, outward):03d}"
    if datum is Datum.AGL:
        return "SFC" if value_m == 0.0 else f"{_outward(value_m / FEET_M, outward)}FT AGL"
    if datum is Datum.WGS84:
        value_m -= geoid_m
    return f"{_outward(value_m / FEET_M, outward)}FT AMSL"


# -- where -------------------------------------------------------------------------------

Points = NDArray[np.float64]


def _core_points(shape: Shape) -> tuple[Points, float]:
    """Points along the shape's core (lon, lat rows) and how far beyond them it reaches (m).

    Every point of the shape lies within the returned reach of a sampled point.
    """
    core = resolve(shape)
    if isinstance(core, Circle):
        return np.array([core.centre], dtype=np.float64), core.radius_m
    paths = [core.path] if isinstance(core, Corridor) else list(core.rings)
    samples, gap_m = _sampled(paths)
    return samples, core.reach_m + gap_m


def _sampled(paths: list[tuple[LonLat, ...]]) -> tuple[Points, float]:
    """The paths sampled along their lon/lat-straight edges, and half the widest gap (m)."""
    pieces = [np.asarray(path[:1], dtype=np.float64) for path in paths]
    gap_m = 0.0
    for path in paths:
        for a, b in itertools.pairwise(path):
            _, _, length_m = WGS84.inv(a[0], a[1], b[0], b[1])
            steps = min(max(1, math.ceil(length_m / _SAMPLE_STEP_M)), _MAX_SAMPLES_PER_EDGE)
            t = np.linspace(0.0, 1.0, steps + 1)[:, None]
            edge = np.asarray(a) + t * (np.asarray(b) - np.asarray(a))
            _, _, spacing_m = WGS84.inv(edge[:-1, 0], edge[:-1, 1], edge[1:, 0], edge[1:, 1])
            # Between two close samples the edge stays within a hair of their chord.
            gap_m = max(gap_m, float(np.max(spacing_m)) / 2 * 1.01)
            pieces.append(edge[1:])
    return np.concatenate(pieces), gap_m


def _centre(shape: Shape, points: Points) -> LonLat:
    if isinstance(shape, (Circle, Sector)):
        return shape.centre if isinstance(shape, Circle) else shape.origin
    lons = points[:, 0].copy()
    if lons.max() - lons.min() > 180.0:
        lons[lons < 0] += 360.0  # across the antimeridian: measure the extent the short way
    lon = (float(lons.min()) + float(lons.max())) / 2
    lat = (float(points[:, 1].min()) + float(points[:, 1].max())) / 2
    return (lon - 360.0 if lon > 180.0 else lon, lat)


def _to_minute(position: LonLat) -> LonLat:
    lon, lat = position
    return (round(lon * 60) / 60, round(lat * 60) / 60)


def _minutes(position: LonLat) -> str:
    """ddmmN dddmmE, as the Q-line writes a position (already on a whole minute)."""
    return _sexagesimal(position[1], 2, "NS", seconds=False) + _sexagesimal(
        position[0], 3, "EW", seconds=False
    )


def _dms(position: LonLat) -> str:
    """DDMMSSN DDDMMSSE to the nearest second, as item E writes positions."""
    return _sexagesimal(position[1], 2, "NS", seconds=True) + _sexagesimal(
        position[0], 3, "EW", seconds=True
    )


def _sexagesimal(degrees: float, width: int, hemispheres: str, seconds: bool) -> str:
    unit = 3600 if seconds else 60
    total = round(abs(degrees) * unit)
    whole, rest = divmod(total, unit)
    hemisphere = hemispheres[1] if degrees < 0 and total else hemispheres[0]
    if seconds:
        minutes, secs = divmod(rest, 60)
        return f"{whole:0{width}d}{minutes:02d}{secs:02d}{hemisphere}"
    return f"{whole:0{width}d}{rest:02d}{hemisphere}"


# -- item E ------------------------------------------------------------------------------

# Item E travels over AFTN: capitals, digits and a few marks; brackets would end the NOTAM.
_NOT_PLAIN = re.compile(r"[^A-Z0-9 .,/'+:=?-]+")


def _plain(text: str) -> str:
    return " ".join(_NOT_PLAIN.sub(" ", text.upper()).split())


def _e_item(feature: Feature, names: Mapping[str, str]) -> str:
    name = _plain(feature.name or "") or _plain(feature.id)
    party = _plain(names.get(feature.party, feature.party)) or _plain(feature.party)
    if feature.kind is Kind.ZONE:
        what = f"ZONE {name} PROTECTED BY {party}"
    else:
        what = f"{_plain(feature.activity or '') or 'ACTIVITY'} {name} BY {party}"
    sentences = [f"{what} WI {_shape_words(feature.shape)}"]
    if feature.buffer_m > 0.0:
        sentences.append(f"PLUS {_nm(feature.buffer_m, math.ceil)} BUFFER ALL ROUND")
    band = feature.band
    if Datum.WGS84 in band.datums:
        sentences.append(
            f"LEVELS DECLARED AS {_ellipsoid_words(band)}, F AND G WIDENED BY THE GEOID SEPARATION"
        )
    if feature.span.end is None:
        sentences.append("IN FORCE UNTIL CANCELLED")
    return ". ".join(sentences) + "."


def _ellipsoid_words(band: AltitudeBand) -> str:
    """The band as declared, its heights above the ellipsoid in metres (no parentheses)."""
    lower, upper = _limit_words(band)
    if band.lower_m is not None and band.datum is Datum.WGS84:
        lower = f"{band.lower_m:g}M ABOVE ELLIPSOID"
    if band.upper_m is not None and band.top_datum is Datum.WGS84:
        upper = f"{band.upper_m:g}M ABOVE ELLIPSOID"
    return f"{lower} TO {upper}"


def _shape_words(shape: Shape) -> str:
    if isinstance(shape, Circle):
        if shape.radius_m == 0.0:
            return f"PSN {_dms(shape.centre)}"
        return f"CIRCLE RADIUS {_nm(shape.radius_m, math.ceil)} CENTRE {_dms(shape.centre)}"
    if isinstance(shape, Sector):
        return _sector_words(shape)
    if isinstance(shape, Corridor):
        line = _line_words(shape.path)
        if shape.half_width_m == 0.0:
            return f"LINE {line}"
        return f"{_nm(shape.half_width_m, math.ceil)} EITHER SIDE OF LINE {line}"
    if isinstance(shape, Orbit):
        return _orbit_words(shape)
    if isinstance(shape, Track):
        return (
            f"ROUTE {_line_words(shape.path)}, {_nm(shape.left_m, math.ceil)} LEFT "
            f"AND {_nm(shape.right_m, math.ceil)} RIGHT OF TRACK"
        )
    return _area_words(shape)


def _sector_words(sector: Sector) -> str:
    centre = _dms(sector.origin)
    outer = _nm(sector.outer_m, math.ceil)
    if sector.inner_m > 0.0:
        radii = f"BTN RADIUS {_nm(sector.inner_m, math.floor)} AND {outer}"
    else:
        radii = f"RADIUS {outer}"
    if sector.span_deg == 360.0:
        return f"CIRCLE {radii} CENTRE {centre}"
    bearings = f"{math.floor(sector.from_deg) % 360:03d} TO {math.ceil(sector.to_deg) % 360:03d}"
    return f"SECTOR CENTRE {centre} {radii} CLOCKWISE FROM BRG {bearings} DEG TRUE"


def _orbit_words(orbit: Orbit) -> str:
    ends = f"{_dms(orbit.first)} AND {_dms(orbit.second)}"
    width = _nm(orbit.width_m, math.ceil)
    if orbit.side is Side.CENTRE:
        return f"RACETRACK {width} WIDE CENTRED ON LINE {ends}"
    side = "LEFT" if orbit.side is Side.LEFT else "RIGHT"
    return f"RACETRACK {width} WIDE {side} OF LINE FROM {ends}"


def _area_words(area: Area) -> str:
    parts = []
    for rings in area.polygons:
        words = f"AREA {_line_words(rings[0])}"
        for hole in rings[1:]:
            words += f" EXCLUDING AREA {_line_words(hole)}"
        parts.append(words)
    return " AND ".join(parts)


def _line_words(path: tuple[LonLat, ...]) -> str:
    return " - ".join(_dms(p) for p in path)


def _nm(metres: float, outward: _Rounding) -> str:
    """Metres as nautical miles to a tenth, rounded outward: 16NM, 1.5NM."""
    tenths = _outward(metres / NM_M * 10, outward)
    return f"{tenths // 10}NM" if tenths % 10 == 0 else f"{tenths / 10:.1f}NM"


def _outward(value: float, rounding: _Rounding) -> int:
    """`value` rounded by `rounding` (floor or ceil); within 1e-9 of a whole number it is that."""
    whole = round(value)
    return int(whole) if abs(value - whole) < 1e-9 else rounding(value)
