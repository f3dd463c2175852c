"""Altitude bands in four datums: exact within one, never missing a conflict across them.

The physical model here is independent of the engine: a height above mean sea level becomes
one above the ellipsoid with the geoid's undulation (-107 to 86 m); a height above ground
adds the ground (the band's own range, or -431 to 8,849 m); a flight level's true height
comes from the standard atmosphere (ICAO, layers to 47 km) with a sea-level pressure of 940
to 1060 hPa and air up to 30 degrees off standard throughout, integrated hydrostatically.
Whenever two bands share a true height under some such conditions, they must meet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from deconflict.geo.shapes import Circle
from deconflict.rules.altitude import (
    FEET_M,
    AltitudeBand,
    AltitudeMeet,
    Datum,
    bands_meet,
    format_level,
    parse_level,
)
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.volume import UNBOUNDED_M, volume_box

# The assumptions, as documented.
GEOID_M = (-107.0, 86.0)
WORLD_GROUND_M = (-431.0, 8849.0)
SEA_LEVEL_HPA = (940.0, 1060.0)
OFF_STANDARD_K = (-30.0, 30.0)

# The ICAO standard atmosphere: (base pressure altitude m, base temperature K, lapse K/m).
_LAYERS: tuple[tuple[float, float, float], ...] = (
    (0.0, 288.15, -0.0065),
    (11_000.0, 216.65, 0.0),
    (20_000.0, 216.65, 0.001),
    (32_000.0, 228.65, 0.0028),
)
_STANDARD_HPA = 1013.25
# g M / (R L) for the lowest layer: pressure falls as (T / T0) ** this.
_EXPONENT = 9.80665 * 0.0289644 / (8.31446 * 0.0065)


def standard_temperature_k(altitude_m: np.ndarray) -> np.ndarray:
    """The standard atmosphere's temperature at pressure altitudes (to 47 km; the lowest
    layer goes on below sea level)."""
    temperature = np.empty_like(altitude_m)
    for number, (base, base_k, lapse) in enumerate(_LAYERS):
        above = altitude_m >= base if number else np.full(altitude_m.shape, True)
        temperature[above] = base_k + lapse * (altitude_m[above] - base)
    return temperature


def sea_level_pressure_altitude_m(qnh_hpa: float) -> float:
    """The pressure altitude of sea level when its pressure is `qnh_hpa` (below 11 km)."""
    ratio: float = (qnh_hpa / _STANDARD_HPA) ** (1.0 / _EXPONENT)
    return 288.15 / 0.0065 * (1.0 - ratio)


def flight_level_height_m(pressure_altitude_m: float, qnh_hpa: float, off_k: float) -> float:
    """The true height above sea level of a pressure altitude.

    Hydrostatic balance makes a layer's thickness proportional to its temperature, so each
    metre of standard pressure altitude is (T + off) / T true metres.
    """
    sea_level = sea_level_pressure_altitude_m(qnh_hpa)
    s = np.linspace(sea_level, pressure_altitude_m, 4001)
    stretch = 1.0 + off_k / standard_temperature_k(s)
    return float(np.sum((stretch[1:] + stretch[:-1]) / 2 * np.diff(s)))


@dataclass(frozen=True)
class Conditions:
    """One place and one day: the geoid, the ground, the air."""

    geoid_m: float
    ground_m: float
    qnh_hpa: float
    off_k: float


def true_height_m(value_m: float, datum: Datum, conditions: Conditions) -> float:
    """Height above the ellipsoid of a bound, under the conditions."""
    if datum is Datum.WGS84:
        return value_m
    if datum is Datum.MSL:
        return value_m + conditions.geoid_m
    if datum is Datum.AGL:
        return value_m + conditions.ground_m + conditions.geoid_m
    return flight_level_height_m(value_m, conditions.qnh_hpa, conditions.off_k) + conditions.geoid_m


def true_range(band: AltitudeBand, conditions: Conditions) -> tuple[float, float]:
    low = -math.inf if band.lower_m is None else true_height_m(band.lower_m, band.datum, conditions)
    high = math.inf
    if band.upper_m is not None:
        high = true_height_m(band.upper_m, band.upper_datum or band.datum, conditions)
    return low, high


def share_a_height(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return max(a[0], b[0]) <= min(a[1], b[1])


def pressure_altitude_for_m(height_m: float, conditions: Conditions) -> float:
    """The pressure altitude whose true height above the ellipsoid is `height_m` (bisection)."""
    low, high = -3_000.0, 45_000.0
    for _ in range(60):
        middle = (low + high) / 2
        if true_height_m(middle, Datum.FL, conditions) < height_m:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def value_for_m(height_m: float, datum: Datum, conditions: Conditions) -> float:
    """The bound in `datum` whose true height is `height_m`."""
    if datum is Datum.WGS84:
        return height_m
    if datum is Datum.MSL:
        return height_m - conditions.geoid_m
    if datum is Datum.AGL:
        return height_m - conditions.geoid_m - conditions.ground_m
    return pressure_altitude_for_m(height_m, conditions)


# Bands and conditions --------------------------------------------------------------------------

DATUMS = st.sampled_from(list(Datum))
FLIGHT_LEVELS_M = st.integers(0, 999).map(lambda n: round(n * 100 * FEET_M, 3))


def heights(datum: Datum) -> st.SearchStrategy[float]:
    """Heights to the millimetre (the physical model adds in floating point: a bound of
    1e-300 m would vanish against the geoid's 107 m, where the engine compares it exactly)."""
    if datum is Datum.FL:
        return FLIGHT_LEVELS_M | _mm(-500.0, 31_000.0)
    if datum is Datum.AGL:
        return st.sampled_from([0.0, 152.4]) | _mm(0.0, 6_000.0)
    return st.sampled_from([0.0, 3_000.0]) | _mm(-500.0, 20_000.0)


def _mm(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high).map(lambda h: round(h, 3))


@st.composite
def ground_ranges(draw: st.DrawFn) -> tuple[float, float] | None:
    ground = st.floats(*WORLD_GROUND_M)
    if not draw(st.booleans()):
        return None
    return tuple(sorted((draw(ground), draw(ground))))  # type: ignore[return-value]


@st.composite
def bands(draw: st.DrawFn) -> AltitudeBand:
    """Bands in any datum, the upper bound sometimes in another, either side sometimes open."""
    datum = draw(DATUMS)
    upper_datum = draw(st.none() | DATUMS)
    top = upper_datum or datum
    lower = draw(st.none() | heights(datum))
    upper = draw(st.none() | heights(top))
    if lower is not None and upper is not None and top is datum and lower > upper:
        lower, upper = upper, lower
    return AltitudeBand(
        lower,
        upper,
        datum,
        upper_datum if upper_datum is not datum else None,
        draw(ground_ranges()),
    )


def _corner_or_between(low: float, high: float) -> st.SearchStrategy[float]:
    if low == high:  # 0.0 and -0.0 among them
        return st.just(low)
    return st.sampled_from([low, high]) | st.floats(low, high)


@st.composite
def conditions_under(draw: st.DrawFn, *stated: AltitudeBand) -> Conditions:
    """Conditions anywhere in the documented ranges, often at their corners; the ground
    within what every band states of it."""
    low, high = WORLD_GROUND_M
    for band in stated:
        if band.ground_m is not None:
            low, high = max(low, band.ground_m[0]), min(high, band.ground_m[1])
    assume(low <= high)  # bands that disagree about the ground are not at one place
    return Conditions(
        draw(_corner_or_between(*GEOID_M)),
        draw(_corner_or_between(low, high)),
        draw(_corner_or_between(*SEA_LEVEL_HPA)),
        draw(_corner_or_between(*OFF_STANDARD_K)),
    )


_T0 = datetime(2026, 9, 7, tzinfo=UTC)
PROPERTY = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


# Worked cases ----------------------------------------------------------------------------------


def test_bands_in_one_datum_touching_meet_and_apart_do_not() -> None:
    assert bands_meet(AltitudeBand(0.0, 3_000.0), AltitudeBand(3_000.0, 5_000.0)) == AltitudeMeet(
        False
    )
    assert bands_meet(AltitudeBand(0.0, 3_000.0), AltitudeBand(3_000.001, 5_000.0)) is None
    fl = Datum.FL
    assert bands_meet(AltitudeBand(None, 5_943.6, fl), AltitudeBand(5_943.7, None, fl)) is None


def test_sea_level_against_the_ellipsoid_meets_within_the_geoid() -> None:
    # The geoid lies up to 86 m above the ellipsoid: 3,000 m MSL may be 3,086 m WGS84.
    found = bands_meet(AltitudeBand(None, 3_000.0), AltitudeBand(3_086.0, None, Datum.WGS84))
    assert found == AltitudeMeet(True, ("msl", "wgs84"), 86.0)
    assert bands_meet(AltitudeBand(None, 3_000.0), AltitudeBand(3_086.5, None, Datum.WGS84)) is None


# Regressions: flight levels were read as 0.87 h - 620 m to 1.13 h + 400 m above sea level.
# With 940 hPa at sea level the 1013.25 hPa surface is 628 m below it in standard air, and
# air 30 degrees warmer than standard deepens that to 694 m; with 1060 hPa and warm air it
# lies 422 m above; at FL999 warm air adds 13.1 %, not 13 %. The new reading holds them all.
DEEP_LOW_HOT = Conditions(GEOID_M[0], 0.0, 940.0, 30.0)
HIGH_HOT = Conditions(GEOID_M[1], 0.0, 1060.0, 30.0)


@pytest.mark.parametrize(
    ("level", "conditions", "below_m", "above_m"),
    [
        ("FL000", DEEP_LOW_HOT, -694.0, None),
        ("FL010", DEEP_LOW_HOT, -357.0, None),
        ("FL000", HIGH_HOT, None, 421.0),
        ("FL999", HIGH_HOT, None, 34_846.0),
    ],
)
def test_flight_level_reading_holds_the_true_height_at_the_extremes(
    level: str, conditions: Conditions, below_m: float | None, above_m: float | None
) -> None:
    value, datum = parse_level(level, Datum.MSL)
    assert value is not None and datum is Datum.FL
    true_msl_m = true_height_m(value, datum, conditions) - conditions.geoid_m
    if below_m is not None:
        assert true_msl_m < below_m  # the model's own figure
    if above_m is not None:
        assert true_msl_m > above_m
    height = true_height_m(value, datum, conditions)
    band = AltitudeBand(value, value, Datum.FL)
    low, high = band.ellipsoid_range()
    assert low <= height <= high
    assert bands_meet(band, AltitudeBand(height, height, Datum.WGS84)) is not None


def test_a_band_above_ground_uses_the_ground_it_states() -> None:
    over_the_sea = AltitudeBand(0.0, 150.0, Datum.AGL, ground_m=(0.0, 0.0))
    # Without the ground stated it could be 8,849 m up (Everest); with it, 236 m at most.
    assert bands_meet(over_the_sea, AltitudeBand(236.5, None, Datum.WGS84)) is None
    assert bands_meet(over_the_sea, AltitudeBand(236.0, None, Datum.WGS84)) is not None
    unknown_ground = AltitudeBand(0.0, 150.0, Datum.AGL)
    assert bands_meet(unknown_ground, AltitudeBand(9_000.0, None, Datum.WGS84)) is not None


# Properties ------------------------------------------------------------------------------------


@st.composite
def one_datum_pairs(draw: st.DrawFn) -> tuple[AltitudeBand, AltitudeBand]:
    datum = draw(DATUMS)
    grid = st.none() | st.sampled_from([0.0, 100.0, 1_000.0]) | heights(datum)
    values = []
    for _ in range(2):
        lower, upper = draw(grid), draw(grid)
        if lower is not None and upper is not None and lower > upper:
            lower, upper = upper, lower
        values.append(AltitudeBand(lower, upper, datum, ground_m=draw(ground_ranges())))
    return values[0], values[1]


@given(one_datum_pairs())
@settings(PROPERTY, max_examples=200)
def test_bands_in_one_datum_are_compared_exactly(pair: tuple[AltitudeBand, AltitudeBand]) -> None:
    a, b = pair
    lowers = [h for h in (a.lower_m, b.lower_m) if h is not None]
    uppers = [h for h in (a.upper_m, b.upper_m) if h is not None]
    overlap = max(lowers, default=-math.inf) <= min(uppers, default=math.inf)
    expected = AltitudeMeet(False) if overlap else None
    assert bands_meet(a, b) == expected
    assert bands_meet(b, a) == expected


@given(bands(), bands(), st.data())
@settings(PROPERTY, max_examples=200)
def test_bands_sharing_a_true_height_always_meet(
    a: AltitudeBand, b: AltitudeBand, data: st.DataObject
) -> None:
    conditions = data.draw(conditions_under(a, b))
    if share_a_height(true_range(a, conditions), true_range(b, conditions)):
        assert bands_meet(a, b) is not None, conditions
        assert bands_meet(b, a) is not None, conditions


@st.composite
def touching_pairs(draw: st.DrawFn) -> tuple[AltitudeBand, AltitudeBand, Conditions]:
    """A band, conditions, and a band in another datum that touches it at its edge then."""
    a = draw(bands().filter(lambda band: band.lower_m is not None or band.upper_m is not None))
    datum = draw(DATUMS)
    ground = draw(ground_ranges()) if datum is Datum.AGL else None
    b_stub = AltitudeBand(0.0, 0.0, datum, ground_m=ground)
    conditions = draw(conditions_under(a, b_stub))
    low, high = true_range(a, conditions)
    assume(low <= high)  # a band in two datums can be empty on the day
    edge = draw(st.sampled_from([h for h in (low, high) if math.isfinite(h)]))
    # One millimetre of overlap, against rounding in the model's inversion.
    value = value_for_m(edge + (0.001 if edge == low else -0.001), datum, conditions)
    # At least 1 cm deep, so it holds the edge even when a is a single height.
    extent = draw(st.none() | st.floats(0.01, 5_000.0))
    if edge == low:  # b ends just above where a starts
        b = AltitudeBand(None if extent is None else value - extent, value, datum, ground_m=ground)
    else:
        b = AltitudeBand(value, None if extent is None else value + extent, datum, ground_m=ground)
    return a, b, conditions


@given(touching_pairs())
@settings(PROPERTY, max_examples=200)
@example((AltitudeBand(0.0, None, Datum.FL), AltitudeBand(None, -801.0, Datum.WGS84), DEEP_LOW_HOT))
def test_a_band_touching_another_in_another_datum_is_found(
    case: tuple[AltitudeBand, AltitudeBand, Conditions],
) -> None:
    a, b, conditions = case
    assert share_a_height(true_range(a, conditions), true_range(b, conditions))
    assert bands_meet(a, b) is not None, conditions
    assert bands_meet(b, a) is not None, conditions


def documented_widening_m(band: AltitudeBand) -> float:
    """How far the band's widest bound moves outward, by the documented table."""
    ground = band.ground_m or WORLD_GROUND_M

    def down(value: float, datum: Datum) -> float:
        if datum is Datum.WGS84:
            return 0.0
        if datum is Datum.MSL:
            return -GEOID_M[0]
        if datum is Datum.AGL:
            return -GEOID_M[0] - ground[0]
        below = value - 629.0
        return value - (below - 0.139 * abs(below) + GEOID_M[0])

    def up(value: float, datum: Datum) -> float:
        if datum is Datum.WGS84:
            return 0.0
        if datum is Datum.MSL:
            return GEOID_M[1]
        if datum is Datum.AGL:
            return ground[1] + GEOID_M[1]
        above = value + 383.0
        return above + 0.139 * abs(above) + GEOID_M[1] - value

    moved = [0.0]
    if band.lower_m is not None:
        moved.append(down(band.lower_m, band.datum))
    if band.upper_m is not None:
        moved.append(up(band.upper_m, band.upper_datum or band.datum))
    return max(moved)


@given(bands(), bands())
@settings(PROPERTY, max_examples=200)
def test_a_mixed_meeting_names_the_datums_and_the_documented_widening(
    a: AltitudeBand, b: AltitudeBand
) -> None:
    found = bands_meet(a, b)
    datums = a.datums | b.datums
    if found is None or len(datums) < 2:
        return
    assert found.mixed
    assert found.datums == tuple(sorted(d.value for d in datums))
    expected = max(documented_widening_m(a), documented_widening_m(b))
    assert found.widened_m == pytest.approx(round(expected, 1), abs=0.1 + 1e-9)


@given(bands(), st.data())
@settings(PROPERTY, max_examples=150)
def test_index_altitude_holds_the_band_as_typed_and_every_true_height(
    band: AltitudeBand, data: st.DataObject
) -> None:
    feature = Feature("f", Kind.ZONE, "p", Circle((0.0, 0.0)), TimeWindow(_T0), band)
    low, high = volume_box(feature)[8:10]
    low_ellipsoid, high_ellipsoid = band.ellipsoid_range()
    if band.lower_m is None:
        assert low == -UNBOUNDED_M
    else:
        assert low <= min(band.lower_m, low_ellipsoid)
    if band.upper_m is None:
        assert high == UNBOUNDED_M
    else:
        assert high >= max(band.upper_m, high_ellipsoid)
    true_low, true_high = true_range(band, data.draw(conditions_under(band)))
    assert low <= true_low or band.lower_m is None
    assert true_high <= high or band.upper_m is None


# Levels as typed and as written ----------------------------------------------------------------


@given(st.integers(0, 999))
def test_flight_levels_round_trip(number: int) -> None:
    value, datum = parse_level(f"FL{number}", Datum.MSL)
    assert (value, datum) == (round(number * 100 * FEET_M, 3), Datum.FL)
    assert format_level(value, datum) == f"FL{number:03d}"
    assert parse_level(format_level(value, datum), Datum.MSL) == (value, datum)


LABELS = {Datum.MSL: "MSL", Datum.AGL: "AGL", Datum.WGS84: "WGS84"}


@given(st.integers(-2_000, 100_000), st.sampled_from(list(LABELS)), st.sampled_from(["ft", "FT"]))
def test_feet_round_trip(feet: int, datum: Datum, unit: str) -> None:
    value, parsed = parse_level(f"{feet} {unit} {LABELS[datum]}", Datum.FL)
    assert (value, parsed) == (round(feet * FEET_M, 3), datum)
    assert value is not None
    written = format_level(value, parsed)
    if feet == 0 and datum is Datum.AGL:
        assert written == "SFC"
    else:
        assert written == f"{feet:,} FT {LABELS[datum]} ({value:,.0f} m)"
    assert parse_level(written, Datum.FL) == (value, datum)


def test_levels_read_as_pilots_write_them() -> None:
    assert parse_level("SFC", Datum.FL) == (0.0, Datum.AGL)
    assert parse_level("UNL", Datum.FL) == (None, Datum.FL)
    assert parse_level("1,500 ft AGL", Datum.MSL) == (457.2, Datum.AGL)
    assert parse_level("3,000 FT MSL (914 m)", Datum.FL) == (914.4, Datum.MSL)
    assert format_level(None, Datum.MSL) == "UNL"


@pytest.mark.parametrize("text", ["FLX", "FL1000", "3,000 FT MSL (2,000 m)", "1,5 ft", "high"])
def test_levels_that_cannot_be_read_say_what_is_understood(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a level|in brackets"):
        parse_level(text, Datum.MSL)
