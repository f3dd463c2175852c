"""Altitude bands in four datums, compared across datums without missing a conflict.

A band's bounds are metres in a datum: above the WGS84 ellipsoid, above mean
sea level, above ground, or a flight level (pressure altitude on the standard
1013.25 hPa setting, FL350 = 35,000 ft = 10,668 m). Two bands in one datum are
compared as they are. Bands in different datums are each turned into the
range of heights above the ellipsoid they could be, under the assumptions
below, and compared on those ranges: wider than either band, so a conflict is
flagged whenever one is possible, and the conflict says by how much the
bands were widened.

Assumptions (`docs/engine.md`), each a worldwide bound:
- mean sea level lies between 107 m below and 86 m above the ellipsoid
  (the extremes of the EGM2008 geoid);
- the ground lies between 431 m below sea level (the Dead Sea shore) and
  8,849 m above it (Everest), unless the band states the ground beneath it
  (`ground_m`, lowest and highest, above sea level);
- a flight level's pressure surface lies above mean sea level by its pressure
  altitude less that of sea level, which is 629 m below to 383 m above the
  1013.25 hPa surface for a sea-level pressure between 940 and 1060 hPa, and
  that height is stretched or shrunk by up to 13.9 % when the air is up to
  30 °C off the standard atmosphere (the thickness of a layer goes with its
  temperature, and the standard atmosphere is nowhere colder than 216.65 K
  below 71 km: 30 / 216.65 = 13.85 %).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

FEET_M = 0.3048
GEOID_M = (-107.0, 86.0)
GROUND_M = (-431.0, 8849.0)
# Where the 1013.25 hPa surface lies against sea level in standard-temperature air,
# for sea-level pressures of 940 and 1060 hPa (628.4 m below, 382.1 m above).
STANDARD_SURFACE_M = (-629.0, 383.0)
TEMPERATURE_FRACTION = 0.139


class Datum(StrEnum):
    """What an altitude is measured from."""

    WGS84 = "wgs84"  # height above the WGS84 ellipsoid
    MSL = "msl"  # above mean sea level
    AGL = "agl"  # above ground level
    FL = "fl"  # flight level: pressure altitude on 1013.25 hPa, in metres


@dataclass(frozen=True)
class AltitudeBand:
    """A closed band [lower_m, upper_m]; None on a side = unbounded there.

    `datum` is the lower bound's datum and the upper's too unless
    `upper_datum` says otherwise (surface to FL195 is AGL then FL).
    `ground_m` is the (lowest, highest) ground beneath the feature in metres
    above sea level, when known: it narrows what an AGL bound can mean.
    """

    lower_m: float | None = None
    upper_m: float | None = None
    datum: Datum = Datum.MSL
    upper_datum: Datum | None = None
    ground_m: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.upper_datum is self.datum:  # one way to say "both in one datum"
            object.__setattr__(self, "upper_datum", None)

    @property
    def top_datum(self) -> Datum:
        return self.upper_datum or self.datum

    @property
    def datums(self) -> frozenset[Datum]:
        """The datums of the bounded sides (an unbounded side has none)."""
        used = set()
        if self.lower_m is not None:
            used.add(self.datum)
        if self.upper_m is not None:
            used.add(self.top_datum)
        return frozenset(used)

    def ellipsoid_range(self) -> tuple[float, float]:
        """The least and greatest height above the ellipsoid the band can reach (metres)."""
        low = -math.inf
        if self.lower_m is not None:
            low = self._heights(self.lower_m, self.datum)[0]
        high = math.inf
        if self.upper_m is not None:
            high = self._heights(self.upper_m, self.top_datum)[1]
        return low, high

    def widening_m(self) -> float:
        """How far the widest bound moves outward when read as a height above the ellipsoid."""
        moved = 0.0
        if self.lower_m is not None:
            moved = max(moved, self.lower_m - self._heights(self.lower_m, self.datum)[0])
        if self.upper_m is not None:
            moved = max(moved, self._heights(self.upper_m, self.top_datum)[1] - self.upper_m)
        return moved

    def _heights(self, value_m: float, datum: Datum) -> tuple[float, float]:
        if datum is Datum.WGS84:
            return value_m, value_m
        if datum is Datum.MSL:
            low, high = value_m, value_m
        elif datum is Datum.AGL:
            ground = self.ground_m or GROUND_M
            low, high = value_m + ground[0], value_m + ground[1]
        else:
            # The height above sea level in standard air, then stretched or shrunk
            # by the temperature: above sea level (or below it) by more or less.
            low = value_m + STANDARD_SURFACE_M[0]
            high = value_m + STANDARD_SURFACE_M[1]
            low, high = (
                low - TEMPERATURE_FRACTION * abs(low),
                high + TEMPERATURE_FRACTION * abs(high),
            )
        return low + GEOID_M[0], high + GEOID_M[1]


UNBOUNDED = AltitudeBand()


@dataclass(frozen=True)
class AltitudeMeet:
    """How two bands met: `mixed` when their datums differed, and how much that widened them."""

    mixed: bool
    datums: tuple[str, ...] = ()
    widened_m: float = 0.0


def bands_meet(a: AltitudeBand, b: AltitudeBand) -> AltitudeMeet | None:
    """How `a` and `b` share a height (touching counts), or None when they cannot.

    >>> bands_meet(AltitudeBand(0, 3000), AltitudeBand(3000, 5000))
    AltitudeMeet(mixed=False, datums=(), widened_m=0.0)
    >>> bands_meet(AltitudeBand(0, 3000), AltitudeBand(3100, 5000)) is None
    True
    >>> bands_meet(AltitudeBand(None, 3000), AltitudeBand(3050, 5000, Datum.WGS84)).widened_m
    86.0
    """
    one_datum = a.datum is b.datum and a.top_datum is b.top_datum is a.datum
    datums = frozenset((a.datum,)) if one_datum else a.datums | b.datums
    if len(datums) <= 1:
        if _at_most(a.lower_m, b.upper_m) and _at_most(b.lower_m, a.upper_m):
            return AltitudeMeet(False)
        return None
    a_low, a_high = a.ellipsoid_range()
    b_low, b_high = b.ellipsoid_range()
    if a_low > b_high or b_low > a_high:
        return None
    widened = max(a.widening_m(), b.widening_m())
    return AltitudeMeet(True, tuple(sorted(d.value for d in datums)), round(widened, 1))


def _at_most(lower: float | None, upper: float | None) -> bool:
    return lower is None or upper is None or lower <= upper


_NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"  # thousands may be grouped: 3,000
_LEVEL = re.compile(
    r"^\s*(?:(?P<fl>FL\s*(?P<flnum>\d{1,3}))|(?P<surface>SFC|GND)|(?P<unl>UNL)"
    rf"|(?P<num>{_NUMBER})\s*(?P<unit>m|ft)?\s*(?P<datum>MSL|AMSL|AGL|WGS84|HAE)?"
    # The metres `format_level` adds after feet: "3,000 FT MSL (914 m)".
    rf"(?:\s*\(\s*(?P<gloss>{_NUMBER})\s*m\s*\))?)\s*$",
    re.IGNORECASE,
)


def parse_level(text: str, default: Datum) -> tuple[float | None, Datum]:
    """A level as typed: `FL350`, `SFC`/`GND`, `UNL`, `3000 ft`, `900 m AGL`, `1500 WGS84`.

    Returns metres and datum (None metres for UNL); raises ValueError naming
    what is understood. Reads `format_level`'s own text back (`3,000 FT MSL (914 m)`).

    >>> parse_level("FL350", Datum.MSL)
    (10668.0, <Datum.FL: 'fl'>)
    >>> parse_level("500 ft AGL", Datum.MSL)
    (152.4, <Datum.AGL: 'agl'>)
    """
    found = _LEVEL.match(text)
    if found is None:
        raise ValueError(
            "is not a level; write FL350, SFC, UNL, or a number with ft or m "
            "and optionally MSL, AGL or WGS84 (e.g. '1500 ft AGL')"
        )
    if found["fl"]:
        return round(int(found["flnum"]) * 100 * FEET_M, 3), Datum.FL
    if found["surface"]:
        return 0.0, Datum.AGL
    if found["unl"]:
        return None, default
    value = float(found["num"].replace(",", ""))
    metres = round(value * FEET_M, 3) if (found["unit"] or "m").lower() == "ft" else value
    gloss = found["gloss"]
    if gloss is not None and abs(float(gloss.replace(",", "")) - metres) > 0.5 + 1e-9:
        raise ValueError(
            f"says {found['num']} {found['unit'] or 'm'}, which is {metres:,.0f} m, "
            f"not the {gloss} m in brackets"
        )
    datum_text = (found["datum"] or "").upper()
    datum = {"MSL": Datum.MSL, "AMSL": Datum.MSL, "AGL": Datum.AGL}.get(
        datum_text, Datum.WGS84 if datum_text in ("WGS84", "HAE") else default
    )
    return metres, datum


def format_level(value_m: float | None, datum: Datum) -> str:
    """A level as a pilot reads it: FL195, SFC, UNL, 3000 FT MSL (914 m).

    >>> format_level(5943.6, Datum.FL), format_level(0.0, Datum.AGL), format_level(None, Datum.MSL)
    ('FL195', 'SFC', 'UNL')
    """
    if value_m is None:
        return "UNL"
    if datum is Datum.FL:
        return f"FL{round(value_m / FEET_M / 100):03d}"
    if datum is Datum.AGL and value_m == 0.0:
        return "SFC"
    label = {Datum.MSL: "MSL", Datum.AGL: "AGL", Datum.WGS84: "WGS84"}[datum]
    return f"{round(value_m / FEET_M):,} FT {label} ({value_m:,.0f} m)"
