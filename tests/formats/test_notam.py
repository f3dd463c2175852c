"""NOTAM-style text: the golden drafts, and a Q-line that never understates where or how high."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.errors import InvalidFeature
from deconflict.formats.notam import notam_text, schedule_text
from deconflict.geo.construct import ShapeError, outline, resolve
from deconflict.geo.shapes import Area, Circle, Corridor, Orbit, Sector, Shape, Side, Track
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.schedule import Every, Recurrence, TimeWindow

GOLDEN = Path(__file__).parent / "golden"
GEOD = Geod(ellps="WGS84")
NAMES = {"russia": "Russian forces", "coalition": "Coalition", "aid": "Aid agency"}
FT = 0.3048
NM = 1852.0


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


STRIKE = Feature(
    "strike-1",
    Kind.ACTIVITY,
    "russia",
    Circle((38.6, 33.5), 2_500.0),
    TimeWindow(utc("2026-12-01T06:00:00Z"), utc("2026-12-01T08:00:00Z")),
    AltitudeBand(50 * 100 * FT, 195 * 100 * FT, Datum.FL),
    buffer_m=500.0,
    name="North ridge",
    activity="strike",
)
DRILL = Feature(
    "drill-1",
    Kind.ACTIVITY,
    "coalition",
    Sector((38.64, 33.5), 20_000.0, 2_000.0, 45.0, 135.0),
    TimeWindow(utc("2026-12-01T06:00:00Z"), utc("2026-12-01T08:00:00Z")),
    AltitudeBand(0.0, 100 * 100 * FT, Datum.AGL, Datum.FL),
    name="Night assault drill",
    activity="drill",
    repeat=Recurrence(Every.DAY, until=utc("2026-12-15T00:00:00Z")),
)
CONVOY = Feature(
    "convoy-7",
    Kind.ACTIVITY,
    "aid",
    Track(((38.2, 33.3), (38.5, 33.45), (38.71, 33.51)), 400.0, 400.0),
    TimeWindow(utc("2026-12-02T05:00:00Z"), utc("2026-12-02T11:30:00Z")),
    AltitudeBand(0.0, 500 * FT, Datum.AGL, ground_m=(610.0, 790.0)),
    name="Qasr resupply (route B)",
    activity="convoy",
)
HOSPITAL = Feature(
    "aid-hospital-7",
    Kind.ZONE,
    "aid",
    Area(((((38.70, 33.50), (38.72, 33.50), (38.72, 33.52), (38.70, 33.52), (38.70, 33.50)),),)),
    TimeWindow(utc("2026-09-01T00:00:00Z")),
    name="Qasr field hospital",
)
GOLDEN_CASES = {
    "notam-strike.txt": (STRIKE, None, "XXXX"),
    "notam-drill.txt": (DRILL, "A0042/26", "OSTT"),
    "notam-convoy.txt": (CONVOY, "B0007/26", "OSTT"),
    "notam-zone.txt": (HOSPITAL, None, "XXXX"),
}

Q_LINE = re.compile(
    r"^Q\) (?P<fir>[A-Z]{4})/(?P<code>Q[A-Z]{4})/IV/BO/W/(?P<lower>\d{3})/(?P<upper>\d{3})/"
    r"(?P<lat>\d{4})(?P<ns>[NS])(?P<lon>\d{5})(?P<ew>[EW])(?P<radius>\d{3})$",
    re.MULTILINE,
)


def q_of(text: str) -> re.Match[str]:
    found = Q_LINE.search(text)
    assert found is not None, text
    return found


def q_centre(found: re.Match[str]) -> tuple[float, float]:
    """The Q-line centre as (lon, lat) degrees, read digit by digit."""
    lat = int(found["lat"][:2]) + int(found["lat"][2:]) / 60
    lon = int(found["lon"][:3]) + int(found["lon"][3:]) / 60
    return (-lon if found["ew"] == "W" else lon), (-lat if found["ns"] == "S" else lat)


def farthest_m(shape: Shape, centre: tuple[float, float]) -> float:
    """The farthest boundary point of the shape from `centre`, on a dense outline."""
    if isinstance(shape, Circle) and shape.radius_m == 0.0:
        points = np.array([shape.centre])
    elif isinstance(shape, Corridor) and shape.half_width_m == 0.0:
        points = np.array(shape.path)
    else:
        points = np.array([p for ring in outline(shape, sag_m=0.1).rings for p in ring])
    count = len(points)
    _, _, distances = GEOD.inv(
        np.full(count, centre[0]), np.full(count, centre[1]), points[:, 0], points[:, 1]
    )
    return float(np.max(distances))


# -- the golden drafts -----------------------------------------------------------------------


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_draft_matches_its_golden_file(name: str) -> None:
    feature, number, fir = GOLDEN_CASES[name]
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert notam_text(feature, NAMES, number=number, fir=fir) + "\n" == expected


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_q_radius_reaches_the_whole_shape_and_its_buffer_from_the_printed_centre(
    name: str,
) -> None:
    feature = GOLDEN_CASES[name][0]
    found = q_of(notam_text(feature, NAMES))
    needed_m = farthest_m(feature.shape, q_centre(found)) + feature.buffer_m
    radius_m = int(found["radius"]) * NM
    assert radius_m >= needed_m
    assert radius_m < needed_m + NM + 50.0  # rounded up to the next mile, no more


@pytest.mark.parametrize(
    ("name", "lower", "upper"),
    [
        ("notam-strike.txt", "050", "195"),  # FL050-FL195 as they are
        ("notam-drill.txt", "000", "100"),  # SFC is 000
        # 500 ft AGL over ground up to 790 m: (152.4 + 790) m = 3,091.9 ft, up to 031
        ("notam-convoy.txt", "000", "031"),
        ("notam-zone.txt", "000", "999"),  # no band: surface to unlimited
    ],
)
def test_q_levels_are_flight_levels_rounded_outward(name: str, lower: str, upper: str) -> None:
    found = q_of(notam_text(GOLDEN_CASES[name][0], NAMES))
    assert (found["lower"], found["upper"]) == (lower, upper)


def test_strike_reads_as_a_firing_warning_on_a_circle() -> None:
    text = notam_text(STRIKE, NAMES)
    assert q_of(text)["code"] == "QWMLW"
    assert "CIRCLE RADIUS 1.4NM CENTRE 333000N0383600E" in text
    assert "PLUS 0.3NM BUFFER ALL ROUND" in text
    assert "\nF) FL050 G) FL195)" in text


def test_drill_has_a_daily_schedule_and_its_last_occurrence_as_end() -> None:
    text = notam_text(DRILL, NAMES, number="A0042/26", fir="OSTT")
    assert "A) OSTT B) 2612010600 C) 2612140800\nD) DAILY 0600-0800\n" in text
    assert "SECTOR CENTRE 333000N0383824E BTN RADIUS 1NM AND 10.8NM" in text
    assert "CLOCKWISE FROM BRG 045 TO 135 DEG TRUE" in text


def test_convoy_keeps_its_heights_above_ground_and_drops_the_brackets_of_its_name() -> None:
    text = notam_text(CONVOY, NAMES)
    assert "\nF) SFC G) 500FT AGL)" in text
    assert "CONVOY QASR RESUPPLY ROUTE B BY AID AGENCY WI ROUTE 331800N0381200E" in text
    item_e = text.split("\nE) ", 1)[1].split("\nF) ", 1)[0]
    assert "(" not in item_e and ")" not in item_e  # a bracket would end the NOTAM


def test_open_ended_zone_is_a_restricted_area_until_cancelled() -> None:
    text = notam_text(HOSPITAL, NAMES)
    assert q_of(text)["code"] == "QRRCA"
    assert " C) PERM\n" in text
    assert "IN FORCE UNTIL CANCELLED." in text
    assert "ZONE QASR FIELD HOSPITAL PROTECTED BY AID AGENCY WI AREA 333000N0384200E" in text


def test_zone_with_an_end_is_a_temporary_restricted_area() -> None:
    zone = Feature(
        "camp",
        Kind.ZONE,
        "aid",
        Circle((38.0, 33.0), 1_000.0),
        TimeWindow(utc("2026-09-01T00:00:00Z"), utc("2026-10-01T00:00:00Z")),
    )
    text = notam_text(zone, NAMES)
    assert q_of(text)["code"] == "QRTCA"
    assert " C) 2610010000\n" in text


# -- items B, C and D ------------------------------------------------------------------------


def test_start_rounds_down_and_end_rounds_up_to_the_minute() -> None:
    feature = Feature(
        "x",
        Kind.ACTIVITY,
        "aid",
        Circle((1.0, 1.0), 10.0),
        TimeWindow(utc("2026-12-01T06:00:59Z"), utc("2026-12-01T08:00:01Z")),
    )
    assert "B) 2612010600 C) 2612010801\n" in notam_text(feature)


def window(start: str, end: str) -> TimeWindow:
    return TimeWindow(utc(start), utc(end))


@pytest.mark.parametrize(
    ("first", "repeat", "expected"),
    [
        (
            window("2026-12-01T06:00Z", "2026-12-01T08:00Z"),
            Recurrence(Every.DAY),
            "DAILY 0600-0800",
        ),
        (
            window("2026-12-01T22:00Z", "2026-12-02T02:00Z"),
            Recurrence(Every.DAY, interval=2),
            "EVERY 2 DAYS 2200-0200",
        ),
        (
            window("2026-11-30T06:00Z", "2026-11-30T08:00Z"),  # a Monday
            Recurrence(Every.WEEK, weekdays=(0, 2, 4)),
            "MON WED FRI 0600-0800",
        ),
        (
            window("2026-12-01T06:00Z", "2026-12-01T08:00Z"),  # a Tuesday
            Recurrence(Every.WEEK, interval=2),
            "EVERY 2 WEEKS TUE 0600-0800",
        ),
        (
            window("2026-11-30T06:00Z", "2026-12-02T06:00Z"),
            Recurrence(Every.WEEK, weekdays=(0, 4)),
            "MON 0600-WED 0600 FRI 0600-SUN 0600",
        ),
        (
            window("2026-12-01T01:00Z", "2026-12-01T02:00Z"),
            Recurrence(Every.HOURS, interval=6),
            "DAILY 0100-0200 0700-0800 1300-1400 1900-2000",
        ),
        (
            window("2026-12-01T01:00Z", "2026-12-01T02:00Z"),
            Recurrence(Every.HOURS, interval=5),
            "EVERY 5 HR 0100-0200",
        ),
        (window("2026-12-01T00:00Z", "2026-12-02T00:00Z"), Recurrence(Every.DAY), "H24"),
    ],
)
def test_schedule_reads_as_item_d(first: TimeWindow, repeat: Recurrence, expected: str) -> None:
    assert schedule_text(first, repeat) == expected


def test_one_off_has_no_item_d() -> None:
    assert schedule_text(STRIKE.window, None) is None
    assert "\nD) " not in notam_text(STRIKE)


# -- levels ----------------------------------------------------------------------------------


def band_text(band: AltitudeBand) -> tuple[str, str, str, str]:
    text = notam_text(
        Feature("x", Kind.ACTIVITY, "aid", Circle((1.0, 1.0), 10.0), STRIKE.window, band)
    )
    found = q_of(text)
    limits = re.search(r"\nF\) (.+) G\) (.+)\)$", text)
    assert limits is not None
    return found["lower"], found["upper"], limits[1], limits[2]


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        (AltitudeBand(None, None), ("000", "999", "SFC", "UNL")),
        (AltitudeBand(1524.0, 3048.0, Datum.MSL), ("050", "100", "5000FT AMSL", "10000FT AMSL")),
        (AltitudeBand(1000.0, 2000.0, Datum.MSL), ("032", "066", "3280FT AMSL", "6562FT AMSL")),
        # height above ground without the ground known: the worldwide lowest and highest ground
        (AltitudeBand(1524.0, 3048.0, Datum.AGL), ("035", "391", "5000FT AGL", "10000FT AGL")),
        # above the ellipsoid: mean sea level lies 107 m below to 86 m above it
        (AltitudeBand(1000.0, 2000.0, Datum.WGS84), ("029", "070", "2998FT AMSL", "6913FT AMSL")),
    ],
)
def test_levels_in_every_datum(band: AltitudeBand, expected: tuple[str, str, str, str]) -> None:
    assert band_text(band) == expected


def test_height_above_the_ellipsoid_is_stated_as_declared_in_item_e() -> None:
    feature = Feature(
        "x",
        Kind.ACTIVITY,
        "aid",
        Circle((1.0, 1.0), 10.0),
        STRIKE.window,
        AltitudeBand(1000.0, None, Datum.WGS84),
    )
    assert "LEVELS DECLARED AS 1000M ABOVE ELLIPSOID TO UNL" in notam_text(feature)


def lowest_ft(value_m: float, datum: Datum, ground: tuple[float, float]) -> float:
    """The lowest altitude in feet a bound can mean (sea level on the standard atmosphere)."""
    shift = {Datum.AGL: ground[0], Datum.WGS84: -86.0}.get(datum, 0.0)
    return (value_m + shift) / FT


def highest_ft(value_m: float, datum: Datum, ground: tuple[float, float]) -> float:
    shift = {Datum.AGL: ground[1], Datum.WGS84: 107.0}.get(datum, 0.0)
    return (value_m + shift) / FT


heights_m = st.floats(min_value=0.0, max_value=25_000.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    heights_m,
    heights_m,
    st.sampled_from(Datum),
    st.sampled_from(Datum),
    st.none() | st.tuples(st.floats(-400.0, 4_000.0), st.floats(0.0, 4_000.0)),
)
def test_q_levels_never_understate_the_band(
    a: float, b: float, datum: Datum, upper_datum: Datum, ground: tuple[float, float] | None
) -> None:
    low, high = sorted((a, b))
    ground_m = None if ground is None else (ground[0], ground[0] + ground[1])
    band = AltitudeBand(low, high, datum, upper_datum, ground_m)
    lower, upper, _, _ = band_text(band)
    span = ground_m or (-431.0, 8849.0)
    if not (datum is Datum.AGL and low == 0.0):
        assert int(lower) * 100 <= max(lowest_ft(low, datum, span), 0.0) + 1e-6
    assert int(upper) * 100 >= min(highest_ft(high, upper_datum, span), 99_900.0) - 1e-6
    assert int(upper) * 100 < max(highest_ft(high, upper_datum, span), 0.0) + 100 + 1e-6


# -- where -----------------------------------------------------------------------------------

positions = st.tuples(
    st.floats(min_value=-179.5, max_value=179.5), st.floats(min_value=-75.0, max_value=75.0)
)
lengths_m = st.floats(min_value=100.0, max_value=80_000.0)


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    origin = draw(positions)
    other = (origin[0] + draw(st.floats(-0.8, 0.8)), origin[1] + draw(st.floats(0.05, 0.8)))
    bearings = draw(st.floats(0, 360)), draw(st.floats(0, 360))
    choices: list[Shape] = [
        Circle(origin, draw(lengths_m)),
        Circle(origin),
        Corridor((origin, other), draw(lengths_m)),
        Corridor((origin, other)),
        Sector(origin, 30_000.0, 5_000.0, *bearings),
        Orbit(origin, other, draw(lengths_m), draw(st.sampled_from(Side))),
        Track((origin, other), draw(lengths_m), draw(lengths_m)),
        Area((((origin, (other[0], origin[1]), other, origin),),)),
    ]
    shape = draw(st.sampled_from(choices))
    try:
        resolve(shape)
    except ShapeError:  # an orbit over the antimeridian is refused as input; not drawn here
        assume(False)
    return shape


@settings(max_examples=60, deadline=None)
@given(shapes(), st.floats(min_value=0.0, max_value=20_000.0))
def test_q_radius_never_understates_any_shape(shape: Shape, buffer_m: float) -> None:
    feature = Feature("x", Kind.ACTIVITY, "aid", shape, STRIKE.window, buffer_m=buffer_m)
    found = q_of(notam_text(feature))
    needed_m = farthest_m(shape, q_centre(found)) + buffer_m
    assert int(found["radius"]) * NM >= needed_m
    assert int(found["radius"]) * NM < needed_m + NM + 200.0


def test_circle_across_the_antimeridian_keeps_its_centre() -> None:
    feature = Feature("x", Kind.ACTIVITY, "aid", Circle((179.99, -16.5), 5_000.0), STRIKE.window)
    found = q_of(notam_text(feature))
    assert (found["lat"], found["ns"], found["lon"], found["ew"]) == ("1630", "S", "17959", "E")
    # 5 km, plus 0.7 km from the centre moved to the whole minute: 3.1 NM
    assert found["radius"] == "004"


def test_area_split_at_the_antimeridian_is_centred_on_it() -> None:
    west = ((179.8, 10.0), (180.0, 10.0), (180.0, 10.2), (179.8, 10.0))
    east = ((-180.0, 10.0), (-179.8, 10.0), (-180.0, 10.2), (-180.0, 10.0))
    feature = Feature("x", Kind.ZONE, "aid", Area(((west,), (east,))), STRIKE.window)
    found = q_of(notam_text(feature))
    assert found["lon"] in ("17959", "18000")
    needed_m = max(farthest_m(Area(((part,),)), q_centre(found)) for part in (west, east))
    assert needed_m <= int(found["radius"]) * NM < needed_m + NM + 200.0


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [({"fir": "ostt"}, "fir"), ({"fir": "OST"}, "fir"), ({"number": "42"}, "number")],
)
def test_bad_fir_or_number_is_refused_naming_the_field(options: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidFeature) as refused:
        notam_text(STRIKE, NAMES, **options)
    assert (refused.value.feature_id, refused.value.field) == ("strike-1", field)


def test_name_without_latin_letters_falls_back_to_the_id() -> None:
    feature = Feature(
        "strike-9",
        Kind.ACTIVITY,
        "russia",
        Circle((38.0, 33.0), 100.0),
        STRIKE.window,
        name="Удар (север)",
        activity="strike",
    )
    assert "E) STRIKE STRIKE-9 BY RUSSIAN FORCES WI" in notam_text(feature, NAMES)


def test_radius_is_written_in_three_digits_and_at_least_one_mile() -> None:
    feature = Feature("x", Kind.ACTIVITY, "aid", Circle((10.0, 50.0)), STRIKE.window)
    assert q_of(notam_text(feature))["radius"] == "001"
    assert math.isclose(q_centre(q_of(notam_text(feature)))[0], 10.0)
