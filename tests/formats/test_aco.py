"""USMTF Airspace Control Orders: the sets an ACO carries, read into features and written back."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.formats import Defaults, Reading
from deconflict.formats.aco import read_aco, write_aco
from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.shapes import Area, Circle, Corridor, LonLat, Orbit, Sector, Side, Track
from deconflict.rules.altitude import UNBOUNDED, AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.schedule import Every, Recurrence

GOLDEN = Path(__file__).parent / "golden"
DEFAULTS = Defaults("coalition", datetime(2026, 11, 1, tzinfo=UTC), Kind.ZONE)
NAMES = {"coalition": "US-led coalition", "russia": "Russian forces"}
HEADER = (
    "EXER/DESERT LINE 26//",
    "MSGID/ACO/CJTF-OIR//",
    "ACOID/TANF AO/01A//",
    "GEODATUM/WGE//",
    "PERIOD/010000ZDEC2026/312359ZDEC2026//",
)
FIRST_AIRSPACE_LINE = len(HEADER) + 1


def _at(day: int, hour: int = 0, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _message(*airspace: str) -> str:
    return "\n".join((*HEADER, *airspace)) + "\n"


def _read(*airspace: str, defaults: Defaults = DEFAULTS) -> Reading:
    return read_aco(_message(*airspace), defaults)


def _only(*airspace: str) -> Feature:
    reading = _read(*airspace)
    assert reading.rejected == ()
    assert len(reading.features) == 1
    return reading.features[0]


def _circle_airspace(*more: str) -> tuple[str, ...]:
    return ("ACMID/ACM:NFA/NAME:TANF/CIRCLE//", "CIRCLE/LATS:333000N0383824E/5KM//", *more)


# --- The sample: every supported set ----------------------------------------------------------


RUKBAN_RING = ((38.7, 33.3), (38.9, 33.3), (38.9, 33.1), (38.7, 33.1), (38.7, 33.3))
SAMPLE_FEATURES = (
    Feature(
        "tanf-garrison",
        Kind.ZONE,
        "coalition",
        Circle((38.64, 33.5), 55_000.0),
        TimeWindow(_at(1), None),
        AltitudeBand(0.0, 5486.4, Datum.AGL, Datum.FL),
        name="TANF GARRISON",
    ),
    Feature(
        "roz-arty-north",
        Kind.ACTIVITY,
        "coalition",
        Sector((38.9, 33.7), 25_000.0, 5_000.0, 300.0, 60.0),
        TimeWindow(_at(5, 6), _at(5, 18)),
        AltitudeBand(304.8, 7620.0, Datum.AGL, Datum.FL),
        name="ROZ ARTY NORTH",
    ),
    Feature(
        "cap-east",
        Kind.ACTIVITY,
        "coalition",
        Orbit((39.25, 33.75), (39.75, 34.0), 37_040.0, Side.LEFT),
        TimeWindow(_at(2, 6), _at(2, 10)),
        AltitudeBand(6096.0, 9144.0, Datum.FL),
        name="CAP EAST",
        repeat=Recurrence(Every.DAY, 1, (), _at(9, 6)),
    ),
    Feature(
        "mrr-south",
        Kind.ACTIVITY,
        "coalition",
        Corridor(((38.502, 33.255), (38.75, 33.31), (39.0, 33.5)), 5_000.0),
        TimeWindow(_at(7, 8), _at(7, 16)),
        AltitudeBand(0.0, 4572.0, Datum.MSL),
        name="MRR SOUTH",
        repeat=Recurrence(Every.WEEK, 1, (0, 1, 2, 3, 4), None),
    ),
    Feature(
        "rukban-camp",
        Kind.ZONE,
        "coalition",
        Area(((RUKBAN_RING,),)),
        TimeWindow(_at(1), _at(31, 23, 59)),
        AltitudeBand(0.0, 1524.0, Datum.AGL),
        name="RUKBAN CAMP",
    ),
    Feature(
        "phase-line-blue",
        Kind.ZONE,
        "coalition",
        Corridor(((38.5, 34.0), (39.0, 34.0), (39.5, 34.1)), 0.0),
        TimeWindow(_at(10), _at(11)),
        AltitudeBand(0.0, 3048.0, Datum.AGL, Datum.FL),
        name="PHASE LINE BLUE",
    ),
    Feature(
        "uav-launch-point",
        Kind.ACTIVITY,
        "coalition",
        Circle((38.8, 33.4), 0.0),
        TimeWindow(_at(12, 5), _at(12, 7)),
        AltitudeBand(0.0, 609.6, Datum.AGL),
        name="UAV LAUNCH POINT",
    ),
    Feature(
        "uav-launch-point-2",
        Kind.ACTIVITY,
        "coalition",
        Circle((38.8, 33.4), 0.0),
        TimeWindow(_at(13, 5), _at(13, 7)),
        AltitudeBand(0.0, 609.6, Datum.AGL),
        name="UAV LAUNCH POINT",
    ),
)


def test_the_sample_aco_reads_to_exactly_the_expected_features() -> None:
    reading = read_aco((GOLDEN / "aco-sample.txt").read_text(), DEFAULTS)
    assert reading.rejected == ()
    assert reading.features == SAMPLE_FEATURES


def test_each_sample_feature_names_the_line_of_its_acmid() -> None:
    reading = read_aco((GOLDEN / "aco-sample.txt").read_text(), DEFAULTS)
    assert reading.lines == (7, 12, 16, 20, 25, 30, 34, 34)


def test_the_sample_keeps_acm_type_usage_and_free_text_in_extra() -> None:
    reading = read_aco((GOLDEN / "aco-sample.txt").read_text(), DEFAULTS)
    extras = {feature.id: feature.extra for feature in reading.features}
    assert extras["tanf-garrison"] == {
        "acm_type": "NFA",
        "remarks": "COALITION GARRISON. NO FIRES WITHOUT COORDINATION",
    }
    assert extras["roz-arty-north"] == {"acm_type": "ROZ", "usage": "ARTY"}
    assert extras["rukban-camp"]["remarks"] == (
        "CAMP FOR DISPLACED PERSONS. HUMANITARIAN CONVOYS DAILY"
    )
    assert extras["phase-line-blue"] == {"acm_type": "CFL", "usage": "ARTY"}


def test_a_type_the_reader_does_not_classify_takes_the_default_kind() -> None:
    as_activity = Defaults("coalition", DEFAULTS.start, Kind.ACTIVITY)
    reading = read_aco((GOLDEN / "aco-sample.txt").read_text(), as_activity)
    kinds = {feature.id: feature.kind for feature in reading.features}
    assert kinds["phase-line-blue"] is Kind.ACTIVITY  # CFL says neither
    assert kinds["tanf-garrison"] is Kind.ZONE  # NFA protects, whatever the default
    assert kinds["rukban-camp"] is Kind.ZONE  # RFA protects


# --- The export -------------------------------------------------------------------------------


EXPORT_FEATURES = (
    Feature(
        "at-tanf",
        Kind.ZONE,
        "coalition",
        Circle((38.64, 33.5), 55_000.0),
        TimeWindow(_at(1), None),
        AltitudeBand(0.0, 5486.4, Datum.AGL, Datum.FL),
        name="At Tanf garrison",
    ),
    Feature(
        "strike-north",
        Kind.ACTIVITY,
        "russia",
        Sector((38.9, 33.7), 25_000.0, 5_000.0, 300.0, 60.0),
        TimeWindow(_at(5, 6), _at(5, 18)),
        AltitudeBand(304.8, 7620.0, Datum.AGL, Datum.FL),
        name="Strike north",
        activity="strike",
    ),
    Feature(
        "drill-cap",
        Kind.ACTIVITY,
        "coalition",
        Orbit((39.25, 33.75), (39.75, 34.0), 37_040.0, Side.LEFT),
        TimeWindow(_at(2, 6), _at(2, 10)),
        AltitudeBand(6096.0, 9144.0, Datum.FL),
        name="Drill CAP",
        activity="drill",
        repeat=Recurrence(Every.DAY, 1, (), _at(9, 6)),
    ),
    Feature(
        "convoy-route",
        Kind.ACTIVITY,
        "coalition",
        Corridor(((38.5021, 33.2557), (38.75, 33.31)), 5_000.0),
        TimeWindow(_at(7, 8), _at(7, 16)),
        AltitudeBand(0.0, 4572.0, Datum.MSL),
        buffer_m=500.0,
        name="Convoy route",
        activity="convoy",
        extra={"acm_type": "MRR", "usage": "AIRCOR"},
        repeat=Recurrence(Every.WEEK, 1, (0, 1, 2, 3, 4), None),
    ),
    Feature(
        "rukban",
        Kind.ZONE,
        "unhcr",
        Area(((RUKBAN_RING,),)),
        TimeWindow(_at(1), _at(1, month=1, year=2027)),
        AltitudeBand(0.0, 1524.0, Datum.AGL),
        name="Rukban camp for displaced persons",  # too long for NAME: the id stands in
    ),
    Feature(
        "patrol-blue",
        Kind.ACTIVITY,
        "russia",
        Track(((38.5, 34.0), (39.0, 34.0)), 2_000.0, 2_000.0),
        TimeWindow(_at(10), _at(11)),
        name="Patrol blue",
        activity="patrol",
    ),
    Feature(
        "uav-launch",
        Kind.ACTIVITY,
        "coalition",
        Circle((38.8, 33.4), 0.0),
        TimeWindow(_at(12, 5) + timedelta(seconds=30), _at(12, 7) + timedelta(seconds=10)),
        AltitudeBand(0.0, 609.6, Datum.AGL),
        name="UAV launch",
        extra={"acm_type": "ROZ", "usage": "UAV"},
    ),
)


def test_the_export_is_reproduced_byte_for_byte() -> None:
    assert write_aco(EXPORT_FEATURES, NAMES) == (GOLDEN / "aco-export.txt").read_text()


def test_the_export_reads_back_as_the_airspaces_written() -> None:
    reading = read_aco(write_aco(EXPORT_FEATURES, NAMES), DEFAULTS)
    assert reading.rejected == ()
    back = {feature.id: feature for feature in reading.features}
    assert back["at-tanf-garrison"].shape == EXPORT_FEATURES[0].shape
    assert back["strike-north"].shape == EXPORT_FEATURES[1].shape
    assert back["drill-cap"].repeat == EXPORT_FEATURES[2].repeat
    assert back["convoy-route"].shape == Corridor(((38.5021, 33.2557), (38.75, 33.31)), 5_500.0)
    assert back["rukban"].shape == EXPORT_FEATURES[4].shape
    assert back["patrol-blue"].shape == Corridor(((38.5, 34.0), (39.0, 34.0)), 2_000.0)
    assert back["patrol-blue"].band == AltitudeBand(0.0, None, Datum.AGL)
    assert back["uav-launch"].window == TimeWindow(_at(12, 5), _at(12, 7, 1))
    assert [f.kind for f in reading.features] == [f.kind for f in EXPORT_FEATURES]


def test_a_message_of_one_party_names_it_as_originator() -> None:
    text = write_aco(EXPORT_FEATURES[:1], NAMES)
    assert text.splitlines()[1] == "MSGID/ACO/US-LED COALITION//"


def test_an_empty_export_is_a_header_that_reads_back_empty() -> None:
    text = write_aco([])
    assert text == "OPER/DECONFLICTION LINE//\nMSGID/ACO/DECONFLICTION LINE//\nACOID/-//\n" + (
        "GEODATUM/WGE//\n"
    )
    assert read_aco(text, DEFAULTS) == Reading()


# --- Round trip -------------------------------------------------------------------------------


def _metres(a: LonLat, b: LonLat) -> float:
    return float(WGS84.inv(a[0], a[1], b[0], b[1])[2])


def _round_trip(shape: object, **more: object) -> Feature:
    feature = Feature(
        "probe",
        Kind.ACTIVITY,
        "coalition",
        shape,  # type: ignore[arg-type]
        TimeWindow(_at(3, 6), _at(3, 9)),
        AltitudeBand(0.0, 3048.0, Datum.AGL),
        name="PROBE",
        **more,  # type: ignore[arg-type]
    )
    reading = read_aco(write_aco([feature]), DEFAULTS)
    assert reading.rejected == (), reading.rejected
    (back,) = reading.features
    assert back.window == feature.window
    assert back.band == feature.band
    return back


lons = st.floats(-170.0, 170.0, allow_nan=False)
lats = st.floats(-60.0, 60.0, allow_nan=False)
positions = st.tuples(lons, lats)
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(positions, st.floats(0.0, 500_000.0, allow_nan=False))
def test_circles_come_back_within_a_metre_and_never_smaller(
    centre: LonLat, radius_m: float
) -> None:
    back = _round_trip(Circle(centre, radius_m))
    assert isinstance(back.shape, Circle)
    assert _metres(back.shape.centre, centre) <= 1.0
    assert radius_m - 1e-6 <= back.shape.radius_m <= radius_m + 1.0


@ROUND_TRIP
@given(
    positions,
    st.floats(1_000.0, 500_000.0, allow_nan=False),
    st.floats(0.0, 0.95),
    st.integers(0, 360),
    st.integers(0, 360),
)
def test_sectors_come_back_within_a_metre_with_their_bearings(
    origin: LonLat, outer_m: float, inner_share: float, begin: int, end: int
) -> None:
    inner_m = outer_m * inner_share
    back = _round_trip(Sector(origin, outer_m, inner_m, float(begin), float(end)))
    assert isinstance(back.shape, Sector)
    assert _metres(back.shape.origin, origin) <= 1.0
    assert outer_m - 1e-6 <= back.shape.outer_m <= outer_m + 1.0
    assert inner_m - 1.0 <= back.shape.inner_m <= inner_m + 1e-6
    assert (back.shape.from_deg, back.shape.to_deg) == (begin, end)


@ROUND_TRIP
@given(
    positions,
    st.floats(0.01, 1.0),
    st.floats(0.0, 360.0),
    st.floats(100.0, 200_000.0, allow_nan=False),
    st.sampled_from(list(Side)),
)
def test_orbits_come_back_within_a_metre_on_the_same_side(
    first: LonLat, length_deg: float, heading_deg: float, width_m: float, side: Side
) -> None:
    lon, lat = first
    second = (lon + length_deg * _cos(heading_deg), lat + length_deg * _sin(heading_deg))
    back = _round_trip(Orbit(first, second, width_m, side))
    assert isinstance(back.shape, Orbit)
    assert _metres(back.shape.first, first) <= 1.0
    assert _metres(back.shape.second, second) <= 1.0
    assert width_m - 1e-6 <= back.shape.width_m <= width_m + 1.0
    assert back.shape.side is side


@ROUND_TRIP
@given(positions, st.integers(3, 12), st.data())
def test_polygons_come_back_within_a_metre_per_vertex(
    centre: LonLat, count: int, data: st.DataObject
) -> None:
    # A star around the centre, one vertex near each of `count` even bearings, so that no
    # gap between neighbours reaches 180 degrees: always a simple polygon.
    spacing = 360.0 / count
    vertices = []
    for index in range(count):
        reach = data.draw(st.floats(0.01, 1.0))
        angle = index * spacing + data.draw(st.floats(-0.2, 0.2)) * spacing
        vertices.append((centre[0] + reach * _cos(angle), centre[1] + reach * _sin(angle)))
    ring = (*vertices, vertices[0])
    back = _round_trip(Area(((ring,),)))
    assert isinstance(back.shape, Area)
    (back_ring,) = back.shape.polygons[0]
    assert len(back_ring) == len(ring)
    assert all(_metres(a, b) <= 1.0 for a, b in zip(back_ring, ring, strict=True))


legs = st.tuples(st.floats(0.001, 1.0), st.floats(0.0, 360.0))


@ROUND_TRIP
@given(positions, st.lists(legs, min_size=1, max_size=5), st.floats(0.0, 50_000.0))
def test_corridors_come_back_within_a_metre_per_point(
    start: LonLat, steps: list[tuple[float, float]], half_width_m: float
) -> None:
    path = [start]
    for length_deg, heading_deg in steps:
        lon, lat = path[-1]
        path.append((lon + length_deg * _cos(heading_deg), lat + length_deg * _sin(heading_deg)))
    back = _round_trip(Corridor(tuple(path), half_width_m))
    assert isinstance(back.shape, Corridor)
    assert all(_metres(a, b) <= 1.0 for a, b in zip(back.shape.path, path, strict=True))
    assert half_width_m - 1e-6 <= back.shape.half_width_m <= half_width_m + 0.5


def _cos(degrees: float) -> float:
    return math.cos(math.radians(degrees))


def _sin(degrees: float) -> float:
    return math.sin(math.radians(degrees))


@pytest.mark.parametrize(
    ("window", "repeat"),
    [
        (TimeWindow(_at(1, 6), None), None),
        (TimeWindow(_at(7, 8), _at(7, 16)), Recurrence(Every.WEEK, 1, (0, 1, 2, 3, 4), None)),
        (TimeWindow(_at(5, 10), _at(5, 12)), Recurrence(Every.WEEK, 1, (5, 6), _at(27))),
        (TimeWindow(_at(2, 6), _at(2, 8)), Recurrence(Every.WEEK, 1, (0, 2, 4), None)),
        (TimeWindow(_at(1, 6), _at(1, 8)), Recurrence(Every.WEEK, 1, (1, 3), None)),
        (TimeWindow(_at(3), _at(3, 4)), Recurrence(Every.WEEK, 2, (), _at(31))),
        (TimeWindow(_at(3), _at(3, 4)), Recurrence(Every.WEEK, 1, (), None)),
    ],
)
def test_windows_and_repeats_survive_the_round_trip(
    window: TimeWindow, repeat: Recurrence | None
) -> None:
    feature = Feature(
        "probe", Kind.ZONE, "coalition", Circle((38.0, 33.0), 1000.0), window, repeat=repeat
    )
    (back,) = read_aco(write_aco([feature]), DEFAULTS).features
    assert (back.window, back.repeat) == (window, repeat)


@pytest.mark.parametrize(
    "band",
    [
        AltitudeBand(0.0, 5486.4, Datum.AGL, Datum.FL),
        AltitudeBand(0.0, 6400.8, Datum.MSL),
        AltitudeBand(3048.0, 18288.0, Datum.AGL, Datum.FL),
        AltitudeBand(7620.0, 8839.2, Datum.FL),
        AltitudeBand(304.8, 1524.0, Datum.AGL, Datum.MSL),
        AltitudeBand(0.0, None, Datum.AGL),
    ],
)
def test_bands_on_hundreds_of_feet_survive_the_round_trip(band: AltitudeBand) -> None:
    feature = Feature(
        "probe", Kind.ZONE, "coalition", Circle((38.0, 33.0), 1.0), TimeWindow(_at(1)), band
    )
    (back,) = read_aco(write_aco([feature]), DEFAULTS).features
    assert back.band == band


# --- EFFLEVEL forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("efflevel", "band"),
    [
        ("BRRA:GL-005AGL", AltitudeBand(0.0, 152.4, Datum.AGL)),
        ("BRRA:MSL-210AMSL", AltitudeBand(0.0, 6400.8, Datum.MSL)),
        ("BRFL:GL-FL230", AltitudeBand(0.0, 7010.4, Datum.AGL, Datum.FL)),
        ("BRFL:MSL-FL230", AltitudeBand(0.0, 7010.4, Datum.MSL, Datum.FL)),
        ("RAFL:100AGL-FL600", AltitudeBand(3048.0, 18288.0, Datum.AGL, Datum.FL)),
        ("RARA:000AGL-020AGL", AltitudeBand(0.0, 609.6, Datum.AGL)),
        ("RARA:010AGL-050AMSL", AltitudeBand(304.8, 1524.0, Datum.AGL, Datum.MSL)),
        ("FLFL:FL250-FL290", AltitudeBand(7620.0, 8839.2, Datum.FL)),
        ("FLFL:FL100-FL999", AltitudeBand(3048.0, None, Datum.FL)),
        ("BRFL:GL-UNL", AltitudeBand(0.0, None, Datum.AGL)),
        ("SFC-FL180", AltitudeBand(0.0, 5486.4, Datum.AGL, Datum.FL)),
        ("MSL-150AMSL", AltitudeBand(0.0, 4572.0, Datum.MSL)),
    ],
)
def test_each_efflevel_form_reads_to_its_band_and_datums(efflevel: str, band: AltitudeBand) -> None:
    assert _only(*_circle_airspace(f"EFFLEVEL/{efflevel}//")).band == band


def test_an_airspace_without_efflevel_is_unbounded_in_altitude() -> None:
    assert _only(*_circle_airspace()).band == UNBOUNDED


@pytest.mark.parametrize(
    ("efflevel", "problem"),
    [
        ("BRFL:100AGL-FL250", "BRFL says a base reference (GL or MSL) then a flight level"),
        ("FLFL:FL250-FL100", "the upper level FL100 is below the lower level FL250"),
        ("RARA:050AGL-010AGL", "the upper level 010AGL is below the lower level 050AGL"),
        ("BRRA:GL-5000FT", "'5000FT' is not a level"),
        ("XXYY:GL-FL100", "'XXYY' is not BRRA, BRFL, RAFL, RARA or FLFL"),
        ("BRFL:GL", "needs a lower and an upper level joined by -"),
        ("FLFL:UNL-FL100", "'UNL' cannot be the lower level"),
    ],
)
def test_a_bad_efflevel_rejects_the_airspace_naming_line_and_field(
    efflevel: str, problem: str
) -> None:
    reading = _read(*_circle_airspace(f"EFFLEVEL/{efflevel}//"))
    (rejected,) = reading.rejected
    (found,) = rejected.problems
    assert found.field == "EFFLEVEL field 1"
    assert found.message.startswith(f"line {FIRST_AIRSPACE_LINE + 2}: ")
    assert problem in found.message


# --- Fields, times and repeats ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ("LATM:3330N03838E", (38.0 + 38 / 60, 33.5)),
        ("LATS:333000N0383824E", (38.64, 33.5)),
        ("DMPIT:3315.3000N03830.1200E", (38.502, 33.255)),
        ("DMPIK:3315.300N03830.120W", (-38.502, 33.255)),
        ("3330S03838W", (-(38.0 + 38 / 60), -33.5)),
        ("LATS:000000N1800000W", (-180.0, 0.0)),
        ("LATS:900000N0000000E", (0.0, 90.0)),
    ],
)
def test_every_position_form_reads_to_its_lon_lat(position: str, expected: LonLat) -> None:
    shape = _only("ACMID/ACM:ROZ/NAME:P/POINT//", f"APOINT/{position}//").shape
    assert shape == Circle(expected, 0.0)


@pytest.mark.parametrize(
    ("distance", "metres"),
    [("5NM", 9260.0), ("25KM", 25_000.0), ("3000M", 3000.0), ("7.5KM", 7500.0), ("10HF", 304.8)],
)
def test_distances_read_in_their_units(distance: str, metres: float) -> None:
    shape = _only("ACMID/ACM:ROZ/NAME:C//", f"CIRCLE/LATS:333000N0383824E/{distance}//").shape
    assert shape == Circle((38.64, 33.5), metres)


def test_a_date_without_a_year_takes_the_year_nearest_the_message_period() -> None:
    header = (*HEADER[:4], "PERIOD/301200ZDEC2026/021200ZJAN2027//")
    text = "\n".join((*header, *_circle_airspace("APERIOD/DISCRETE/311800ZDEC/010600ZJAN//")))
    (feature,) = read_aco(text, DEFAULTS).features
    assert feature.window == TimeWindow(_at(31, 18), _at(1, 6, month=1, year=2027))


def test_an_airspace_without_aperiod_is_active_for_the_message_period() -> None:
    assert _only(*_circle_airspace()).window == TimeWindow(_at(1), _at(31, 23, 59))


def test_without_a_message_period_an_airspace_takes_the_default_window() -> None:
    text = "\n".join((*HEADER[:4], *_circle_airspace()))
    defaults = Defaults("coalition", _at(1), Kind.ZONE, _at(2))
    (feature,) = read_aco(text, defaults).features
    assert feature.window == TimeWindow(_at(1), _at(2))


def test_a_date_time_group_in_another_zone_is_read_as_utc() -> None:
    feature = _only(*_circle_airspace("APERIOD/DISCRETE/050900CDEC2026/051500CDEC2026//"))
    assert feature.window == TimeWindow(_at(5, 6), _at(5, 12))


@pytest.mark.parametrize(
    ("duration", "until"),
    [
        ("7DAY", _at(9, 6)),
        ("4WK", _at(30, 6)),
        ("1BIWK", _at(16, 6)),
        ("2MON", _at(2, 6, month=2, year=2027)),
        ("1YR", _at(2, 6, year=2027)),
        ("090600ZDEC2026", _at(9, 6)),
        ("UFN", None),
    ],
)
def test_an_interval_duration_sets_when_the_repetition_stops(
    duration: str, until: datetime | None
) -> None:
    period = f"APERIOD/INTERVAL/020600ZDEC2026/021000ZDEC2026/DAILY/{duration}//"
    assert _only(*_circle_airspace(period)).repeat == Recurrence(Every.DAY, 1, (), until)


def test_a_monthly_duration_from_the_31st_ends_on_the_last_day_of_a_shorter_month() -> None:
    header = (*HEADER[:4], "PERIOD/010000ZJAN2027/310000ZDEC2027//")
    period = "APERIOD/INTERVAL/310600ZJAN2027/311000ZJAN2027/WEEKLY/1MON//"
    (feature,) = read_aco("\n".join((*header, *_circle_airspace(period))), DEFAULTS).features
    assert feature.repeat == Recurrence(Every.WEEK, 1, (), _at(28, 6, month=2, year=2027))


@pytest.mark.parametrize("stop", ["UFN", "INDEF", "UNK", "TBD"])
def test_an_open_or_unknown_stop_is_open_ended(stop: str) -> None:
    feature = _only(*_circle_airspace(f"APERIOD/DISCRETE/050600ZDEC2026/{stop}//"))
    assert feature.window == TimeWindow(_at(5, 6), None)


# --- Rejected airspaces -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("airspace", "field", "problem"),
    [
        (
            ("ACMID/ACM:ROZ/NAME:A/RADARC//", "RADARC/LATM:3342N03854E/370T/060T/5KM/25KM//"),
            "RADARC field 2",
            "bearing '370T' is outside 0..360 degrees",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/RADARC//", "RADARC/LATM:3342N03854E/300M/060T/5KM/25KM//"),
            "RADARC field 2",
            "bearing '300M' is magnetic",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/RADARC//", "RADARC/LATM:3342N03854E/300T/060T/25KM/5KM//"),
            "RADARC field 4",
            "the inner radius (25000 m) must be less than the outer (5000 m)",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/CIRCLE//", "CIRCLE/LATS:336100N0383824E/5KM//"),
            "CIRCLE field 1",
            "minutes 61 must be below 60",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/CIRCLE//", "CIRCLE/LATS:333000N0383824E/5XX//"),
            "CIRCLE field 2",
            "unit 'XX' is not one of NM, KM, M, FT",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/LINE//", "GEOLINE/LATM:3400N03830E/LATM:3400N03900E/5QQ//"),
            "GEOLINE field 3",
            "'5QQ' is not a position",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/ORBIT//", "AORBIT/LATM:3400N03830E/LATM:3400N03900E/5NM/X//"),
            "AORBIT field 4",
            "orbit alignment 'X' must be C (centre), L (left) or R (right)",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/POLYGON//", "POLYGON/LATM:3400N03830E/LATM:3400N03900E//"),
            "POLYGON",
            "POLYGON takes at least 3 fields",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A/POLYGON//",
                "POLYGON/LATM:3400N03800E/LATM:3400N03900E/LATM:3300N03800E/LATM:3300N03900E//",
            ),
            "POLYGON",
            "the points do not bound a simple polygon: Self-intersection",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/LINE//", "GEOLINE/LATM:1000N17930E/LATM:1000N17930W//"),
            "GEOLINE field 2",
            "goes the long way round; to cross the antimeridian, split the airspace at 180",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/CYLINDER//", "CYLINDER/LATM:3400N03830E/5NM//"),
            "CYLINDER",
            "set 'CYLINDER' is not supported: describe it as CIRCLE with EFFLEVEL",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A/CIRCLE//", "CIRCLE/LATS:333000N0383824E/5KM//", "ZONEX/1//"),
            "ZONEX",
            "set 'ZONEX' is not an airspace set this reader knows",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A/CIRCLE//",
                "POLYGON/LATM:3400N03800E/LATM:3400N03900E/3300N03800E//",
            ),
            "ACMID",
            "ACMID says CIRCLE but the shape set is POLYGON",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A//", "APOINT/LATM:3400N03800E//", "APOINT/LATM:3400N03900E//"),
            "APOINT",
            "a second shape set (the first is APOINT at line 7)",
        ),
        (("ACMID/ACM:ROZ/NAME:A//",), "ACMID", "the airspace has no shape set"),
        (
            ("ACMID/ACM:ROZ/USE:UAV//", "APOINT/LATM:3400N03800E//"),
            "ACMID",
            "gives no airspace name",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A//", "APOINT/LATM:3400N03800E", "EFFLEVEL/BRFL:GL-FL100//"),
            "APOINT",
            "set 'APOINT' does not end with //",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/DISCRETE/051200ZDEC//",
            ),
            "APERIOD",
            "APERIOD takes 3 fields (DISCRETE, start, stop), found 2",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/DISCRETE/051200ZDEC2026/ASAP//",
            ),
            "APERIOD field 3",
            "stop 'ASAP' is not a time; give a date-time group, or UFN",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/DISCRETE/051200DEC2026/061200ZDEC2026//",
            ),
            "APERIOD field 2",
            "'051200DEC2026' has no time-zone letter; write 051200ZDEC for UTC",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/DISCRETE/051200ZDEC2026/041200ZDEC2026//",
            ),
            "APERIOD field 3",
            "the period ends before it starts",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/INTERVAL/051200ZDEC2026/051400ZDEC2026/MONTHLY BY DATE/UFN//",
            ),
            "APERIOD field 4",
            "MONTHLY BY DATE repeats by the calendar, which the line cannot hold",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/INTERVAL/051200ZDEC2026/051400ZDEC2026/WEEKDAYS/UFN//",
            ),
            "APERIOD field 2",
            "the first block starts on a SAT, not a day WEEKDAYS names",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/INTERVAL/051200ZDEC2026/061400ZDEC2026/DAILY/UFN//",
            ),
            "APERIOD field 3",
            "the block lasts 1 day, 2:00:00, longer than the 1 day, 0:00:00 to the next",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/INTERVAL/051200ZDEC2026/051400ZDEC2026/DAILY/3FORTNIGHTS//",
            ),
            "APERIOD field 5",
            "'3FORTNIGHTS' is not an interval duration",
        ),
        (
            (
                "ACMID/ACM:ROZ/NAME:A//",
                "APOINT/LATM:3400N03800E//",
                "APERIOD/INTERVAL/051200ZDEC2026/UFN/DAILY/7DAY//",
            ),
            "APERIOD field 3",
            "an INTERVAL needs the end of its first block as a date-time group, not 'UFN'",
        ),
        (
            ("ACMID/ACM:ROZ/NAME:A//", "AORBIT/LATS:895900N0000000E/LATS:895900N0100000E/50NM/C//"),
            "AORBIT",
            "reaches the pole",
        ),
    ],
)
def test_a_bad_airspace_is_rejected_with_its_line_set_field_and_problem(
    airspace: tuple[str, ...], field: str, problem: str
) -> None:
    reading = _read(*airspace, *_circle_airspace())
    assert [f.id for f in reading.features] == ["tanf"]  # the next airspace is still read
    (rejected,) = reading.rejected
    assert rejected.line == FIRST_AIRSPACE_LINE
    matching = [found for found in rejected.problems if found.field == field]
    assert matching, [str(found) for found in rejected.problems]
    assert problem in matching[0].message
    # The problem names the line of the set it is about (the last of that name).
    set_name = field.split()[0]
    offset = max(i for i, line in enumerate(airspace) if line.startswith(f"{set_name}/"))
    assert matching[0].message.startswith(f"line {FIRST_AIRSPACE_LINE + offset}: ")


def test_a_rejected_airspace_lists_every_problem_in_line_order() -> None:
    reading = _read(
        "ACMID/ACM:ROZ/NAME:ROZ ARTY//",
        "RADARC/LATM:3342N03854E/370T/400T/5KM/25KM//",
        "CYLINDER/LATM:3400N03830E/5NM//",
        "EFFLEVEL/FLFL:FL250-FL100//",
    )
    (rejected,) = reading.rejected
    assert rejected.item == "ROZ ARTY"
    assert [(found.field, found.feature_id) for found in rejected.problems] == [
        ("RADARC field 2", "roz-arty"),
        ("RADARC field 3", "roz-arty"),
        ("CYLINDER", "roz-arty"),
        ("EFFLEVEL field 1", "roz-arty"),
    ]
    assert [found.message.split(":")[0] for found in rejected.problems] == [
        "line 7",
        "line 7",
        "line 8",
        "line 9",
    ]


def test_a_declared_polyarc_is_refused_with_what_to_write_instead() -> None:
    (rejected,) = _read("ACMID/ACM:ROZ/NAME:ARC/POLYARC//").rejected
    (found,) = rejected.problems
    assert found.message == (
        "line 6: shape POLYARC is not supported: describe it as POLYGON, its arcs as vertices, "
        "or as RADARC"
    )


def test_a_repeated_name_gets_a_numbered_id() -> None:
    reading = _read(*_circle_airspace(), *_circle_airspace())
    assert [f.id for f in reading.features] == ["tanf", "tanf-2"]


@pytest.mark.parametrize(
    "acmid",
    [
        "ACMID/ROZ/ROZ ALPHA/POINT/UAV//",
        "ACMID/ACM:ROZ/NAME:ROZ ALPHA/POINT/USE:UAV//",
        "ACMID/ACM:ROZ/DESIG:ROZ ALPHA/USE:UAV//",
    ],
)
def test_acmid_is_read_by_qualifier_or_by_position(acmid: str) -> None:
    feature = _only(acmid, "APOINT/LATM:3400N03800E//")
    assert (feature.id, feature.name, feature.kind) == ("roz-alpha", "ROZ ALPHA", Kind.ACTIVITY)
    assert feature.extra == {"acm_type": "ROZ", "usage": "UAV"}


def test_a_header_with_references_and_wrapped_general_text_is_read() -> None:
    text = "\n".join(
        (
            "OPER/SAND VIPER 27/JAOC/ATOTRNG/-//",
            "MSGID/ACO/JAOC/270401/FEB/CHG/02//",
            "REF/A/ACMREQ/CRC/22FEB2027/-/-/-//",
            "ACOID/VIPER AO/23B//",
            "GEODATUM/WGS 1984//",
            "PERIOD/230600FEB2027/240559FEB2027//",
            "GENTEXT/ACO MANAGEMENT INFORMATION/REPORT PROBLEMS WITH",
            "THIS ACO TO THE AIRSPACE CELL///-//",
            "ACMID/ACM:ROZ/NAME:VIPER ROZ/POINT/USE:AEW//",
            "APOINT/LATM:2037N05943E//",
            "APERIOD/DISCRETE/231200ZFEB/UFN//",
        )
    )
    reading = read_aco(text, DEFAULTS)
    assert reading.lines == (9,)
    assert reading.features[0].window == TimeWindow(_at(23, 12, month=2, year=2027), None)


def test_sets_on_one_line_and_sets_wrapped_over_lines_read_alike() -> None:
    one_line = _only("ACMID/ACM:ROZ/NAME:A//APOINT/LATM:3400N03800E//EFFLEVEL/BRFL:GL-FL100//")
    wrapped = _only("ACMID/ACM:ROZ/", "NAME:A//", "APOINT/", "LATM:3400N03800E//")
    assert one_line.shape == wrapped.shape == Circle((38.0, 34.0), 0.0)


# --- Whole-message problems -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: no sets"),
        ("ACMID/ACM:ROZ/NAME:A//\nAPOINT/LATM:3400N03800E//\n", "line 1: no MSGID/ACO set"),
        ("EXER/X//\nMSGID/ATO/CAOC//\n", "line 2: MSGID names a 'ATO' message, not an ACO"),
        ("MSGID/ACO/X//\nGEODATUM/NAS-C//\n", "line 2: GEODATUM 'NAS-C' is not WGS 1984"),
        ("MSGID/ACO/X//\nPERIOD/010000ZDEC2026/ASAP//\n", "line 2: PERIOD: stop 'ASAP' is not"),
        ("MSGID/ACO/X\nACOID/A//\n", "line 1: set 'MSGID' does not end with //"),
    ],
)
def test_an_unreadable_message_raises_invalid_plan_naming_the_line(text: str, problem: str) -> None:
    with pytest.raises(InvalidPlan) as raised:
        read_aco(text, DEFAULTS)
    (found,) = raised.value.problems
    assert found.message.startswith(problem), found.message


def test_a_message_period_without_zone_letters_is_utc() -> None:
    text = "MSGID/ACO/X//\nPERIOD/230600FEB2027/240559FEB2027//\n" + "\n".join(_circle_airspace())
    (feature,) = read_aco(text, DEFAULTS).features
    assert feature.window == TimeWindow(_at(23, 6, month=2, year=2027), _at(24, 5, 59, 2, 2027))


def test_sets_after_the_declassification_trailer_belong_to_no_airspace() -> None:
    reading = _read(*_circle_airspace(), "DECL/X1//", "NOTASET/1//")
    assert reading.rejected == ()
    assert [f.id for f in reading.features] == ["tanf"]


# --- Writing: what an ACO cannot hold, and the outward roundings ------------------------------


def _feature(shape: object, window: TimeWindow | None = None, **more: object) -> Feature:
    return Feature(
        "f1",
        Kind.ZONE,
        "coalition",
        shape,  # type: ignore[arg-type]
        window or TimeWindow(_at(1), _at(2)),
        name="F1",
        **more,  # type: ignore[arg-type]
    )


SQUARE = ((38.0, 33.0), (38.2, 33.0), (38.2, 33.2), (38.0, 33.2), (38.0, 33.0))
HOLE = ((38.05, 33.05), (38.1, 33.05), (38.1, 33.1), (38.05, 33.05))


@pytest.mark.parametrize(
    ("feature", "field", "problem"),
    [
        (_feature(Area(((SQUARE, HOLE),))), "geometry", "is a polygon with 1 hole(s)"),
        (_feature(Area(((SQUARE,), (SQUARE,)))), "geometry", "is 2 polygons"),
        (_feature(Area(((SQUARE,),), 0.05)), "geometry", "0.05 m construction margin"),
        (
            _feature(Track(((38.0, 33.0), (38.5, 33.0)), 1000.0, 3000.0)),
            "geometry",
            "is a track 1000 m left and 3000 m right of its path",
        ),
        (_feature(Area(((SQUARE,),)), buffer_m=100.0), "buffer_m", "ACO POLYGON cannot carry"),
        (
            _feature(Sector((38.0, 33.0), 5000.0, 0.0, 0.0, 90.0), buffer_m=100.0),
            "buffer_m",
            "ACO RADARC cannot carry",
        ),
        (
            _feature(Orbit((38.0, 33.0), (38.5, 33.0), 1000.0, Side.LEFT), buffer_m=100.0),
            "buffer_m",
            "AORBIT aligned L or R cannot carry",
        ),
        (
            _feature(Circle((38.0, 33.0), 10.0), band=AltitudeBand(0.0, 500.0, Datum.WGS84)),
            "altitude",
            "height above the WGS84 ellipsoid",
        ),
        (
            _feature(
                Circle((38.0, 33.0), 10.0),
                window=TimeWindow(_at(1), _at(1, 1)),
                repeat=Recurrence(Every.HOURS, 6, (), None),
            ),
            "repeat",
            "repeats every 6 hours",
        ),
        (
            _feature(
                Circle((38.0, 33.0), 10.0),
                window=TimeWindow(_at(1), _at(1, 1)),
                repeat=Recurrence(Every.DAY, 3, (), None),
            ),
            "repeat",
            "repeats every 3 day",
        ),
        (
            Feature(
                "a-very-long-identifier-over-thirty",
                Kind.ZONE,
                "coalition",
                Circle((38.0, 33.0), 10.0),
                TimeWindow(_at(1)),
            ),
            "name",
            "neither the name nor the id fits",
        ),
    ],
)
def test_what_an_aco_cannot_hold_raises_invalid_feature_naming_it(
    feature: Feature, field: str, problem: str
) -> None:
    with pytest.raises(InvalidFeature) as raised:
        write_aco([feature])
    assert raised.value.feature_id == feature.id
    assert raised.value.field == field
    assert problem in raised.value.message


def _written(feature: Feature, set_name: str) -> str:
    (line,) = [line for line in write_aco([feature]).splitlines() if line.startswith(set_name)]
    return line


def test_a_buffer_is_absorbed_where_the_shape_holds_it_exactly() -> None:
    circle = _feature(Circle((38.0, 33.0), 1000.0), buffer_m=250.0)
    assert _written(circle, "CIRCLE/") == "CIRCLE/LATS:330000N0380000E/1250M//"
    orbit = _feature(Orbit((38.0, 33.0), (38.5, 33.0), 1000.0), buffer_m=250.0)
    assert _written(orbit, "AORBIT/").endswith("/1500M/C//")
    disc = _feature(Sector((38.0, 33.0), 1000.0), buffer_m=250.0)
    assert _written(disc, "CIRCLE/") == "CIRCLE/LATS:330000N0380000E/1250M//"


def test_radii_round_outward_and_inner_radii_inward() -> None:
    sector = _feature(Sector((38.0, 33.0), 1234.4, 999.6, 0.0, 90.0))
    assert _written(sector, "RADARC/").endswith("/000T/090T/999M/1235M//")


@pytest.mark.parametrize(
    ("begin", "end", "written"),
    [(10.5, 20.2, "010T/021T"), (350.5, 10.2, "350T/011T"), (10.5, 10.2, "000T/360T")],
)
def test_fractional_bearings_round_outward_to_whole_degrees(
    begin: float, end: float, written: str
) -> None:
    sector = _feature(Sector((38.0, 33.0), 5000.0, 0.0, begin, end))
    assert f"/{written}/" in _written(sector, "RADARC/")


def test_levels_round_outward_to_hundreds_of_feet() -> None:
    band = AltitudeBand(1000.0, 2000.0, Datum.AGL)  # 3280.8 ft and 6561.7 ft
    assert _written(_feature(Circle((38.0, 33.0), 1.0), band=band), "EFFLEVEL/") == (
        "EFFLEVEL/RARA:032AGL-066AGL//"
    )


def test_an_open_or_negative_floor_is_written_as_the_ground() -> None:
    for lower in (None, -400.0):
        band = AltitudeBand(lower, 3048.0, Datum.MSL)
        assert _written(_feature(Circle((38.0, 33.0), 1.0), band=band), "EFFLEVEL/") == (
            "EFFLEVEL/BRRA:GL-100AMSL//"
        )


def test_a_precise_position_is_written_dmpit_within_a_tenth_of_a_metre() -> None:
    centre = (38.123456789, -33.987654321)
    written = _written(_feature(Circle(centre, 0.0)), "APOINT/")
    assert written == "APOINT/DMPIT:3359.2593S03807.4074E//"
    (back,) = read_aco(write_aco([_feature(Circle(centre, 0.0))]), DEFAULTS).features
    assert isinstance(back.shape, Circle)
    assert _metres(back.shape.centre, centre) < 0.1


def test_free_text_loses_slants_and_leaves_ascii_capitals() -> None:
    feature = _feature(Circle((38.0, 33.0), 1.0), activity="Strike/raid — Ḥaṣakah")
    assert _written(feature, "AMPN/") == (
        "AMPN/ZONE DECLARED BY COALITION: STRIKE RAID HASAKAH (ID F1)//"
    )
