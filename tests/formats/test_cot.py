"""Cursor on Target: what TAK is given for each feature, and what is read back from TAK files."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from deconflict.errors import InvalidPlan
from deconflict.formats import Defaults, Reading
from deconflict.formats.cot import OPEN_ENDED_STALE, cot_events, read_cot, write_cot
from deconflict.geo.shapes import Area, Circle, Corridor, Orbit, Sector, Shape, Side, Track
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.schedule import Every, Recurrence, TimeWindow
from tests.strategies import feature_ids

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)
NAMES = {"coalition": "Coalition", "aid": "Aid agency"}
DEFAULTS = Defaults(party="aid", start=datetime(2026, 9, 1, tzinfo=UTC))
FL195_M = 5943.6


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def square(west: float, south: float, size_deg: float) -> tuple[tuple[float, float], ...]:
    east, north = round(west + size_deg, 9), round(south + size_deg, 9)
    return ((west, south), (east, south), (east, north), (west, north), (west, south))


AT_TANF = Feature(
    "at-tanf",
    Kind.ZONE,
    "coalition",
    Circle((38.64, 33.5), 55_000.0),
    TimeWindow(utc("2026-01-01T00:00:00Z")),
    AltitudeBand(0.0, FL195_M, Datum.AGL, Datum.FL),
    name="At Tanf",
    extra={"category": "garrison"},
)
WELL = Feature(
    "aid-well",
    Kind.ZONE,
    "aid",
    Circle((38.6688, 33.4521)),
    TimeWindow(utc("2026-09-01T00:00:00Z"), utc("2026-12-01T00:00:00Z")),
    name="Well",
)
CAMP = Feature(
    "camp-bravo",
    Kind.ZONE,
    "aid",
    Area(((square(38.58, 33.49, 0.03), square(38.595, 33.5, 0.01)),)),
    TimeWindow(utc("2026-03-01T00:00:00Z")),
    name="Camp Bravo",
)
ISLANDS = Feature(
    "islands",
    Kind.ZONE,
    "aid",
    Area(((square(38.2, 33.2, 0.01),), (square(38.3, 33.2, 0.01),))),
    TimeWindow(utc("2026-09-01T00:00:00Z"), utc("2026-10-01T00:00:00Z")),
)
ROUTE = Feature(
    "supply-route",
    Kind.ACTIVITY,
    "aid",
    Corridor(((38.4, 33.4), (38.5, 33.45), (38.61, 33.47))),
    TimeWindow(utc("2026-09-07T05:00:00Z"), utc("2026-09-07T09:00:00Z")),
    AltitudeBand(0.0, 152.4, Datum.AGL),
    activity="convoy",
)
DRILL = Feature(
    "drill-1",
    Kind.ACTIVITY,
    "coalition",
    Circle((38.6611, 33.5322), 3_000.0),
    TimeWindow(utc("2026-12-01T06:00:00Z"), utc("2026-12-01T08:00:00Z")),
    AltitudeBand(100.0, 2_000.0, Datum.WGS84),
    buffer_m=500.0,
    name="Night assault drill",
    activity="drill",
    repeat=Recurrence(Every.DAY, until=utc("2026-12-15T00:00:00Z")),
)
EXPORTED = [AT_TANF, WELL, CAMP, ISLANDS, ROUTE, DRILL]


def events_of(text: str) -> dict[str, etree._Element]:
    root = etree.fromstring(text.encode())
    return {event.get("uid"): event for event in root.iter("event")}


def without_private(text: str) -> str:
    """The document as a TAK client keeps it after dropping detail it does not know."""
    root = etree.fromstring(text.encode())
    for element in root.findall("event/detail/__deconflict"):
        element.getparent().remove(element)
    return str(etree.tostring(root, encoding="unicode"))


def link_points(event: etree._Element) -> list[tuple[float, float]]:
    """The drawing's vertices as (lon, lat)."""
    points = [link.get("point").split(",") for link in event.findall("detail/link")]
    return [(float(lon), float(lat)) for lat, lon in points]


# -- writing ---------------------------------------------------------------------------------


def test_export_matches_the_golden_file_byte_for_byte() -> None:
    expected = (GOLDEN / "cot-export.xml").read_text(encoding="utf-8")
    assert write_cot(EXPORTED, NAMES, NOW) == expected


def test_every_event_carries_the_cot_2_0_attributes_tak_requires() -> None:
    events = events_of(write_cot(EXPORTED, NAMES, NOW))
    for uid, event in events.items():
        assert event.get("version") == "2.0"
        assert uid.startswith("deconflict.")
        assert event.get("how") == "h-g-i-g-o"
        for name in ("type", "time", "start", "stale"):
            assert event.get(name), f"{uid} lacks {name}"
        point = event.find("point")
        for name in ("lat", "lon", "hae", "ce", "le"):
            float(point.get(name))
        assert event.find("detail/contact").get("callsign")


def test_circle_is_a_tak_circle_with_its_radius_as_both_axes() -> None:
    event = events_of(write_cot([AT_TANF], NAMES, NOW))["deconflict.coalition.at-tanf"]
    assert event.get("type") == "u-d-c-c"
    ellipse = event.find("detail/shape/ellipse")
    assert float(ellipse.get("major")) == float(ellipse.get("minor")) == 55_000.0
    point = event.find("point")
    assert (float(point.get("lon")), float(point.get("lat"))) == (38.64, 33.5)
    assert event.find("detail/contact").get("callsign") == "At Tanf"


def test_colours_are_signed_32_bit_argb_with_zones_and_activities_apart() -> None:
    events = events_of(write_cot([AT_TANF, DRILL], NAMES, NOW))
    colours = {}
    for uid, event in events.items():
        for name in ("strokeColor", "fillColor"):
            value = int(event.find(f"detail/{name}").get("value"))
            assert -(2**31) <= value < 2**31
            colours[uid, name] = value & 0xFFFFFFFF
    assert colours["deconflict.coalition.at-tanf", "strokeColor"] >> 24 == 0xFF  # opaque outline
    assert colours["deconflict.coalition.at-tanf", "fillColor"] >> 24 < 0x80  # see-through fill
    assert (
        colours["deconflict.coalition.at-tanf", "strokeColor"]
        != colours["deconflict.coalition.drill-1", "strokeColor"]
    )


def test_area_is_a_closed_drawing_through_its_exterior_and_its_holes_are_left_out() -> None:
    event = events_of(write_cot([CAMP], NAMES, NOW))["deconflict.aid.camp-bravo"]
    assert event.get("type") == "u-d-f"
    assert link_points(event) == list(CAMP.shape.polygons[0][0])  # type: ignore[union-attr]
    assert "holes not drawn" in event.find("detail/remarks").text


def test_area_of_two_polygons_is_drawn_as_two_events_the_second_pointing_at_the_first() -> None:
    events = events_of(write_cot([ISLANDS], NAMES, NOW))
    assert list(events) == ["deconflict.aid.islands", "deconflict.aid.islands#2"]
    assert link_points(events["deconflict.aid.islands#2"]) == list(square(38.3, 33.2, 0.01))
    part = events["deconflict.aid.islands#2"].find("detail/__deconflict")
    assert (part.get("part"), part.get("of"), part.text) == ("2", "islands", None)


def test_corridor_without_width_is_an_open_polyline_through_its_path() -> None:
    event = events_of(write_cot([ROUTE], NAMES, NOW))["deconflict.aid.supply-route"]
    assert event.get("type") == "u-d-f"
    assert link_points(event) == list(ROUTE.shape.path)  # type: ignore[union-attr]


def test_bare_point_is_a_spot_marker() -> None:
    event = events_of(write_cot([WELL], NAMES, NOW))["deconflict.aid.aid-well"]
    assert event.get("type") == "b-m-p-s-m"
    assert event.find("detail/link") is None


def test_remarks_give_kind_party_window_levels_schedule_and_buffer() -> None:
    remarks = events_of(write_cot([DRILL], NAMES, NOW))["deconflict.coalition.drill-1"].find(
        "detail/remarks"
    )
    assert remarks.text == (
        "Drill: Night assault drill; party: Coalition; window: 010600ZDEC26 to 010800ZDEC26; "
        "levels: 328 FT WGS84 (100 m) to 6,562 FT WGS84 (2,000 m); "
        "schedule: DAILY 0600-0800 until 140800ZDEC26; buffer: 500 m"
    )


def test_height_above_the_ellipsoid_is_the_point_hae_and_other_datums_leave_it_unknown() -> None:
    events = events_of(write_cot([DRILL, AT_TANF], NAMES, NOW))
    assert events["deconflict.coalition.drill-1"].find("point").get("hae") == "100"
    assert events["deconflict.coalition.at-tanf"].find("point").get("hae") == "9999999.0"


# -- times -----------------------------------------------------------------------------------


def times(feature: Feature, now: datetime = NOW) -> tuple[datetime, datetime, datetime]:
    event = cot_events(feature, NAMES, now)[0]
    return utc(event.get("time")), utc(event.get("start")), utc(event.get("stale"))


def test_one_off_goes_stale_at_its_end() -> None:
    assert times(ROUTE) == (NOW, ROUTE.window.start, ROUTE.window.end)


def test_ended_feature_is_already_stale() -> None:
    assert times(ROUTE, now=utc("2026-09-08T00:00:00Z"))[2] == ROUTE.window.end


def test_open_ended_zone_goes_stale_a_day_after_now_so_the_feed_keeps_it_fresh() -> None:
    assert times(AT_TANF) == (NOW, AT_TANF.window.start, NOW + timedelta(hours=24))


def test_open_ended_zone_that_starts_later_goes_stale_a_day_after_its_start() -> None:
    later = Feature(
        "later",
        Kind.ZONE,
        "aid",
        Circle((38.0, 33.0), 10.0),
        TimeWindow(utc("2027-01-01T00:00:00Z")),
    )
    assert times(later)[2] == utc("2027-01-02T00:00:00Z")


def test_repeating_feature_starts_at_its_first_occurrence_and_goes_stale_after_its_last() -> None:
    assert times(DRILL) == (NOW, utc("2026-12-01T06:00:00Z"), utc("2026-12-14T08:00:00Z"))


def test_feature_repeating_until_further_notice_goes_stale_a_day_after_now() -> None:
    weekly = Feature(
        "weekly",
        Kind.ACTIVITY,
        "aid",
        Circle((38.0, 33.0), 100.0),
        TimeWindow(utc("2026-09-01T06:00:00Z"), utc("2026-09-01T07:00:00Z")),
        repeat=Recurrence(Every.WEEK, weekdays=(1, 3)),
    )
    assert times(weekly)[1:] == (utc("2026-09-01T06:00:00Z"), NOW + OPEN_ENDED_STALE)


# -- reading our own events back -------------------------------------------------------------


def read(text: str) -> Reading:
    return read_cot(text, DEFAULTS)


def test_export_reads_back_as_the_same_features_on_the_lines_of_their_events() -> None:
    text = write_cot(EXPORTED, NAMES, NOW)
    reading = read(text)
    assert reading.features == tuple(EXPORTED)
    assert reading.rejected == ()
    starts = [n for n, row in enumerate(text.splitlines(), start=1) if "<event " in row]
    assert list(reading.lines) == [n for n in starts if n not in (starts[4],)]  # islands#2 skipped
    assert reading.features[0].extra == {"category": "garrison"}


SHAPES: dict[str, Shape] = {
    "circle": Circle((38.64, 33.5), 1_500.0),
    "point": Circle((-71.06, 42.36)),
    "corridor": Corridor(((10.0, 50.0), (10.2, 50.1)), 250.0),
    "line": Corridor(((10.0, 50.0), (10.2, 50.1), (10.3, 50.0))),
    "area with hole": CAMP.shape,
    "two areas": ISLANDS.shape,
    "sector": Sector((38.64, 33.5), 20_000.0, 2_000.0, 45.0, 135.0),
    "ring": Sector((38.64, 33.5), 20_000.0, 2_000.0),
    "orbit": Orbit((38.0, 33.0), (38.3, 33.1), 4_000.0, Side.LEFT),
    "track": Track(((38.0, 33.0), (38.5, 33.2), (39.0, 33.1)), 500.0, 800.0),
    "across the antimeridian": Circle((179.99, -16.5), 5_000.0),
}


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_kind_round_trips_exactly(name: str) -> None:
    feature = Feature(
        f"f-{name.replace(' ', '-')}",
        Kind.ACTIVITY,
        "coalition",
        SHAPES[name],
        TimeWindow(utc("2026-09-07T06:00:00Z"), utc("2026-09-07T07:30:00Z")),
        AltitudeBand(None, 3_048.0, Datum.MSL),
        buffer_m=250.0,
        name=f"Shape: {name} <&>",
        activity="strike",
        repeat=Recurrence(Every.HOURS, interval=6, until=utc("2026-09-09T00:00:00Z")),
    )
    assert read(write_cot([feature], NAMES, NOW)).features == (feature,)


times_s = st.integers(min_value=0, max_value=3 * 365 * 24 * 3600)
lengths_m = st.floats(min_value=0.0, max_value=200_000.0, allow_nan=False)
positions = st.tuples(
    st.floats(min_value=-179.0, max_value=179.0, allow_nan=False),
    st.floats(min_value=-80.0, max_value=80.0, allow_nan=False),
)


@st.composite
def features(draw: st.DrawFn) -> Feature:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(times_s))
    end = draw(st.none() | st.just(start + timedelta(seconds=draw(st.integers(60, 10**7)))))
    centre = draw(positions)
    choices: list[Shape] = [
        Circle(centre, draw(lengths_m)),
        Corridor((centre, (centre[0] + 0.5, centre[1] + 0.25)), draw(lengths_m)),
        Area(((square(centre[0], centre[1], 0.5),),)),
    ]
    shape = draw(st.sampled_from(choices))
    lower = draw(st.none() | st.floats(min_value=-400.0, max_value=5_000.0))
    upper = draw(st.none() | st.floats(min_value=5_000.0, max_value=20_000.0))
    return Feature(
        draw(feature_ids(max_size=20)),
        draw(st.sampled_from(Kind)),
        draw(st.sampled_from(["coalition", "aid", "russia"])),
        shape,
        TimeWindow(start, end),
        AltitudeBand(lower, upper, draw(st.sampled_from(Datum))),
        buffer_m=draw(st.floats(min_value=0.0, max_value=10_000.0)),
        name=draw(st.none() | st.text(min_size=1, max_size=30).filter(str.strip)),
    )


@settings(max_examples=60, deadline=None)
@given(features())
def test_any_feature_round_trips_through_its_own_event(feature: Feature) -> None:
    reading = read(write_cot([feature], NAMES, NOW))
    assert reading.features == (feature,), reading.rejected


# -- what TAK draws, read as a drawing -------------------------------------------------------


def test_drawings_without_our_private_element_read_back_as_their_shapes() -> None:
    reading = read(without_private(write_cot([AT_TANF, WELL, ROUTE, CAMP, ISLANDS], NAMES, NOW)))
    by_id = {f.id: f for f in reading.features}
    assert by_id["at-tanf"].shape == AT_TANF.shape
    assert by_id["aid-well"].shape == WELL.shape
    assert by_id["supply-route"].shape == ROUTE.shape
    assert by_id["camp-bravo"].shape == Area(((CAMP.shape.polygons[0][0],),))  # type: ignore[union-attr]
    assert by_id["islands"].shape == Area(((square(38.2, 33.2, 0.01),),))
    # A further polygon's uid ends `#2`, which no id may hold: it is refused by its name.
    [further] = [r for r in reading.rejected if r.item == "deconflict.aid.islands#2"]
    assert [p.field for p in further.problems] == ["id"]
    assert "'islands#2'" in str(further.problems[0])
    assert by_id["at-tanf"].name == "At Tanf"
    assert by_id["at-tanf"].window == TimeWindow(AT_TANF.window.start, NOW + OPEN_ENDED_STALE)
    assert {f.party for f in reading.features} == {"aid"}


# -- reading TAK's own files -----------------------------------------------------------------


def test_atak_drawings_read_as_zones_of_the_importing_party() -> None:
    reading = read((GOLDEN / "cot-atak-drawings.xml").read_text(encoding="utf-8"))
    window = TimeWindow
    assert reading.features == (
        Feature(
            "8d7a1f3e-1c2b-4e5f-9a0b-1c2d3e4f5a6b",
            Kind.ZONE,
            "aid",
            Circle((38.7123, 33.5077), 500.0),
            window(utc("2026-09-06T18:02:11.512Z"), utc("2026-09-07T18:02:11.512Z")),
            name="Qasr field hospital",
        ),
        Feature(
            "b1c2d3e4-0000-4000-8000-000000000001",
            Kind.ZONE,
            "aid",
            Area(
                (
                    (
                        (
                            (38.58, 33.52),
                            (38.62, 33.52),
                            (38.62, 33.49),
                            (38.58, 33.49),
                            (38.58, 33.52),
                        ),
                    ),
                )
            ),
            window(utc("2026-09-06T18:05:40Z"), utc("2026-10-06T18:05:40Z")),
            name="Camp Bravo",
        ),
        Feature(
            "b1c2d3e4-0000-4000-8000-000000000002",
            Kind.ZONE,
            "aid",
            Corridor(((38.4, 33.4), (38.5, 33.45), (38.61, 33.47))),
            window(utc("2026-09-06T18:07:02Z"), utc("2026-09-08T00:00:00Z")),
            name="Supply route",
        ),
        Feature(
            "RECT-7",
            Kind.ZONE,
            "aid",
            Area(
                (
                    (
                        (
                            (38.74, 33.56),
                            (38.76, 33.56),
                            (38.76, 33.54),
                            (38.74, 33.54),
                            (38.74, 33.56),
                        ),
                    ),
                )
            ),
            window(utc("2026-09-06T18:09:00Z"), utc("2026-09-09T18:09:00Z")),
            name="Landing site",
        ),
        Feature(
            "f00d-spot-1",
            Kind.ZONE,
            "aid",
            Circle((38.6688, 33.4521)),
            window(utc("2026-09-06T18:10:00Z"), utc("2026-09-07T18:10:00Z")),
            name="Well",
        ),
    )
    assert reading.lines == (3, 26, 43, 54, 64)
    (oval,) = reading.rejected
    assert (oval.line, oval.item) == (72, "ellipse-9")
    (problem,) = oval.problems
    assert problem.feature_id == "ellipse-9"
    assert problem.field == "shape.ellipse"
    assert "line 72: an ellipse is not a circle (major 800 m, minor 300 m)" in problem.message


def test_a_single_event_without_events_around_it_is_read() -> None:
    text = (
        '<event version="2.0" uid="one" type="a-f-G" time="2026-09-06T18:00:00Z" '
        'start="2026-09-06T18:00:00Z" stale="2026-09-06T18:05:00Z" how="m-g">'
        '<point lat="-33.9" lon="151.2" hae="0" ce="9" le="9"/></event>'
    )
    (feature,) = read(text).features
    assert feature.shape == Circle((151.2, -33.9))
    assert feature.window == TimeWindow(utc("2026-09-06T18:00:00Z"), utc("2026-09-06T18:05:00Z"))


def test_missing_times_come_from_the_defaults() -> None:
    text = '<event version="2.0" uid="x" type="b-m-p-s-m"><point lat="1" lon="2"/></event>'
    defaults = Defaults(
        "aid", utc("2026-09-01T00:00:00Z"), Kind.ACTIVITY, utc("2026-09-02T00:00:00Z")
    )
    (feature,) = read_cot(text, defaults).features
    assert feature.window == TimeWindow(defaults.start, defaults.end)
    assert feature.kind is Kind.ACTIVITY


# -- bad files -------------------------------------------------------------------------------

BAD_EVENTS = """<?xml version="1.0"?>
<events>
  <event version="2.0" type="b-m-p-s-m"><point lat="1" lon="2"/></event>
  <event version="2.0" uid="bad-link" type="u-d-f">
    <point lat="1" lon="2"/>
    <detail><link point="33.5"/><link point="33.6,38.6"/></detail>
  </event>
  <event version="2.0" uid="backwards" type="b-m-p-s-m"
         start="2026-09-06T18:00:00Z" stale="2026-09-06T17:00:00Z">
    <point lat="1" lon="2"/>
  </event>
  <event version="2.0" uid="far" type="b-m-p-s-m"><point lat="95" lon="2"/></event>
  <event version="2.0" uid="twice" type="b-m-p-s-m"><point lat="1" lon="2"/></event>
  <event version="2.0" uid="twice" type="b-m-p-s-m"><point lat="1" lon="3"/></event>
  <event version="2.0" uid="delete-me" type="t-x-d-d"><point lat="0" lon="0"/></event>
  <event version="2.0" uid="deconflict.lost#2" type="u-d-f">
    <point lat="1" lon="2"/>
    <detail>
      <link point="1,2"/><link point="1,3"/><__deconflict version="1" part="2" of="lost"/>
    </detail>
  </event>
  <event version="2.0" uid="deconflict.garbled" type="u-d-c-c">
    <point lat="1" lon="2"/>
    <detail><__deconflict version="1">{"type": "Feature",</__deconflict></detail>
  </event>
  <event version="2.0" uid="no-point" type="b-m-p-s-m"/>
  <marker uid="odd"/>
</events>
"""


def test_bad_events_are_rejected_with_their_line_and_the_rest_is_read() -> None:
    reading = read(BAD_EVENTS)
    assert [f.id for f in reading.features] == ["twice"]
    rejected = {(r.line, r.item): r.problems for r in reading.rejected}
    expected_fields = {
        (3, None): "uid",
        (4, "bad-link"): "link[1].point",
        (9, "backwards"): "stale",  # the line where its start tag ends
        (12, "far"): "geometry.coordinates",
        (14, "twice"): "uid",
        (15, "delete-me"): "type",
        (16, "deconflict.lost#2"): "uid",
        (22, "deconflict.garbled"): "__deconflict",
        (26, "no-point"): "point",
        (27, None): "event",
    }
    assert {key: problems[0].field for key, problems in rejected.items()} == expected_fields
    for (line, _), problems in rejected.items():
        assert all(p.message.startswith(f"line {line}: ") for p in problems)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("<events>\n<event uid='a'>\n</events>", 3, "not well-formed XML"),
        ("", 1, "not well-formed XML"),
        ("<kml>\n</kml>", 1, "expected <events> or <event>"),
        ("\n\n<events><event uid='a' ", 3, "not well-formed XML"),
    ],
)
def test_a_file_that_is_not_cot_is_refused_naming_the_line(
    text: str, line: int, words: str
) -> None:
    with pytest.raises(InvalidPlan) as refused:
        read(text)
    (problem,) = refused.value.problems
    assert problem.message.startswith(f"line {line}: ")
    assert words in problem.message


def test_entities_are_never_expanded_nor_files_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    text = (
        f'<!DOCTYPE events [<!ENTITY leak SYSTEM "file://{secret}">]>\n'
        '<events><event uid="x" type="b-m-p-s-m"><point lat="1" lon="2"/>'
        "<detail><contact callsign='&leak;'/></detail></event></events>"
    )
    with pytest.raises(InvalidPlan) as refused:
        read(text)
    assert refused.value.problems[0].message == "line 1: a DOCTYPE is not allowed in CoT"
    assert "TOP SECRET" not in str(refused.value.problems)


def test_features_of_two_parties_with_one_id_have_their_own_uids_and_read_back_both() -> None:
    theirs = replace(AT_TANF, party="aid", name="Aid's At Tanf")
    text = write_cot([AT_TANF, theirs], NAMES, NOW)
    assert list(events_of(text)) == ["deconflict.coalition.at-tanf", "deconflict.aid.at-tanf"]
    reading = read(text)
    assert [(f.party, f.id) for f in reading.features] == [
        ("coalition", "at-tanf"),
        ("aid", "at-tanf"),
    ]
    assert reading.rejected == ()
