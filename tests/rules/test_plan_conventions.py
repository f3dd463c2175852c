"""The plan format for sectors, orbits, tracks, schedules and altitude datums.

Every mistake a planner can make in the new properties is named by feature, field and value
with a message that says what to write instead; and every feature the format can hold comes
back from its GeoJSON (through JSON text) exactly as it went in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidPlan
from deconflict.geo.shapes import Circle, Orbit, Sector, Shape, Side, Track
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.rules.feature import UNBOUNDED, Feature, Kind, TimeWindow
from deconflict.rules.plan import feature_to_geojson, parse_feature, parse_plan
from deconflict.rules.schedule import Every, Recurrence
from tests.oracle import moved
from tests.strategies import feature_ids

MONDAY_0600 = "2026-09-07T06:00:00Z"
POINT = {"type": "Point", "coordinates": [38.64, 33.5]}
TWO_POSITIONS = {"type": "LineString", "coordinates": [[38.0, 33.0], [38.5, 33.2]]}
THREE_POSITIONS = {"type": "LineString", "coordinates": [[38.0, 33.0], [38.5, 33.2], [38.9, 33.0]]}


def item(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """A zone of party p1 from 06:00 to 08:00 on a Monday, with `properties` on top."""
    base = {"kind": "zone", "party": "p1", "start": MONDAY_0600, "end": "2026-09-07T08:00:00Z"}
    return {"type": "Feature", "id": "z1", "geometry": geometry, "properties": base | properties}


# Every mistake, named ----------------------------------------------------------------------------

MISTAKES = [
    pytest.param(
        item(POINT, sector={"inner_m": 100}),
        "sector.outer_m",
        None,
        "a sector needs its outer radius in metres",
        id="sector without outer_m",
    ),
    pytest.param(
        item(POINT, sector={"outer_m": 1000, "inner_m": 1000}),
        "sector.inner_m",
        1000.0,
        "must be less than outer_m (1000)",
        id="inner_m not below outer_m",
    ),
    pytest.param(
        item(POINT, sector={"outer_m": 1000, "from_deg": 400}),
        "sector.from_deg",
        400,
        "must be a bearing in degrees from true north, 0 to 360",
        id="bearing 400",
    ),
    pytest.param(
        item(POINT, sector={"outer_m": 1000}, radius_m=500),
        "sector",
        {"outer_m": 1000},
        "give one of radius_m, sector, not both",
        id="sector and radius_m both",
    ),
    pytest.param(
        item(
            {"type": "Point", "coordinates": [0.0, 89.0]}, sector={"outer_m": 200_000, "to_deg": 90}
        ),
        "sector",
        {"outer_m": 200_000.0, "inner_m": 0.0, "from_deg": 0.0, "to_deg": 90.0},
        "reaches the pole (111.7 km from the origin)",
        id="sector reaching the pole",
    ),
    pytest.param(
        item(THREE_POSITIONS, orbit={"width_m": 1000}),
        "geometry.coordinates",
        [[38.0, 33.0], [38.5, 33.2], [38.9, 33.0]],
        "an orbit is exactly 2 positions",
        id="orbit with 3 positions",
    ),
    pytest.param(
        item(TWO_POSITIONS, orbit={"width_m": 1000, "side": "up"}),
        "orbit.side",
        "up",
        "must be 'centre', 'left' or 'right'",
        id="orbit side up",
    ),
    pytest.param(
        item(TWO_POSITIONS, orbit={"side": "left"}),
        "orbit.width_m",
        None,
        "an orbit needs a width in metres",
        id="orbit without a width",
    ),
    pytest.param(
        # Wholly east of the seam as drawn; 20 km to its right, its far end is across it.
        item(
            {"type": "LineString", "coordinates": [[179.8, 0.0], [179.99, 1.0]]},
            orbit={"width_m": 40_000, "side": "right"},
        ),
        "orbit",
        {"width_m": 40_000.0, "side": "right"},
        "crosses the antimeridian; describe it as two orbits or as a track split at 180",
        id="orbit across the antimeridian",
    ),
    pytest.param(
        item(THREE_POSITIONS, track={"left_m": 0, "right_m": 0}),
        "track",
        {"left_m": 0, "right_m": 0},
        "a track needs a width on at least one side",
        id="track with both widths 0",
    ),
    pytest.param(
        item(POINT, radius_m=10, repeat={"every": "day"}),
        "repeat.until",
        None,
        "say when it stops: a date-time, or UFN",
        id="repeat without until",
    ),
    pytest.param(
        item(POINT, radius_m=10, repeat={"every": "week", "on": ["tue", "thu"], "until": "UFN"}),
        "start",
        MONDAY_0600,
        "falls on a mon, which is not in repeat.on",
        id="weekday not matching start",
    ),
    pytest.param(
        item(
            POINT, radius_m=10, end="2026-09-08T08:00:00Z", repeat={"every": "day", "until": "UFN"}
        ),
        "end",
        "2026-09-08T08:00:00Z",
        "the occurrence lasts 26 h, longer than the 1 d until the next one starts",
        id="duration longer than the gap",
    ),
    pytest.param(
        item(POINT, radius_m=10, repeat={"every": "day", "until": "2037-01-01T00:00:00Z"}),
        "repeat.until",
        "2037-01-01T00:00:00Z",
        "is more than 10 years away; use UFN",
        id="until over 10 years",
    ),
    pytest.param(
        item(POINT, radius_m=10, repeat={"every": "day", "on": ["mon"], "until": "UFN"}),
        "repeat.on",
        ["mon"],
        "weekdays apply to every: 'week'",
        id="weekdays on a daily repeat",
    ),
    pytest.param(
        item(POINT, radius_m=10, altitude={"lower_m": 0, "upper_m": 100, "datum": "qfe"}),
        "altitude.datum",
        "qfe",
        "must be 'wgs84', 'msl', 'agl' or 'fl'",
        id="datum qfe",
    ),
    pytest.param(
        item(POINT, radius_m=10, altitude={"lower": "FLX", "upper": "FL100"}),
        "altitude.lower",
        "FLX",
        "is not a level; write FL350, SFC, UNL, or a number with ft or m",
        id="level FLX",
    ),
    pytest.param(
        item(
            POINT, radius_m=10, altitude={"lower": "SFC", "upper": "FL100", "ground_m": [500, 100]}
        ),
        "altitude.ground_m",
        [500, 100],
        "must be the ground's [lowest, highest] metres above sea level beneath the feature",
        id="ground_m reversed",
    ),
    pytest.param(
        item(POINT, radius_m=10, altitude={"lower_m": 500, "lower": "FL050"}),
        "altitude.lower",
        "FL050",
        "give lower_m or lower, not both",
        id="lower as metres and as text",
    ),
]


@pytest.mark.parametrize(("document", "field", "value", "message"), MISTAKES)
def test_every_mistake_names_the_feature_the_field_and_the_value(
    document: dict[str, Any], field: str, value: Any, message: str
) -> None:
    feature, problems = parse_feature(document)
    assert feature is None
    assert [(p.feature_id, p.field, p.value) for p in problems] == [("z1", field, value)]
    assert message in problems[0].message


def test_a_plan_reports_every_mistake_of_every_feature_at_once() -> None:
    first = item(POINT, sector={"outer_m": 1000, "from_deg": 400, "to_deg": -1})
    second = item(TWO_POSITIONS, orbit={"width_m": 1000, "side": "up"}) | {"id": "o1"}
    with pytest.raises(InvalidPlan) as raised:
        parse_plan({"type": "FeatureCollection", "features": [first, second]})
    found = [(p.feature_id, p.field, p.value) for p in raised.value.problems]
    assert found == [
        ("z1", "sector.from_deg", 400),
        ("z1", "sector.to_deg", -1),
        ("o1", "orbit.side", "up"),
    ]


def test_ids_are_per_party_in_a_plan() -> None:
    theirs = item(POINT, party="p2")
    features = parse_plan({"type": "FeatureCollection", "features": [item(POINT), theirs]})
    assert [(f.party, f.id) for f in features] == [("p1", "z1"), ("p2", "z1")]
    with pytest.raises(InvalidPlan) as raised:
        parse_plan({"type": "FeatureCollection", "features": [item(POINT), item(POINT)]})
    assert [(p.feature_id, p.field) for p in raised.value.problems] == [("z1", "id")]


def test_levels_may_be_written_as_pilots_write_them() -> None:
    document = item(POINT, radius_m=10, altitude={"lower": "SFC", "upper": "FL195"})
    feature, problems = parse_feature(document)
    assert problems == [] and feature is not None
    assert feature.band == AltitudeBand(0.0, 5943.6, Datum.AGL, Datum.FL)
    assert feature_to_geojson(feature)["properties"]["altitude"] == {
        "lower_m": 0.0,
        "upper_m": 5943.6,
        "datum": "agl",
        "upper_datum": "fl",
    }


# Every feature, back as it went in -------------------------------------------------------------

T0 = datetime(2026, 9, 7, 6, 0, tzinfo=UTC)
PLACE = st.tuples(st.floats(-170.0, 170.0), st.floats(-60.0, 60.0))


@st.composite
def airspace_shapes(draw: st.DrawFn) -> Shape:
    """Sectors (annuli, whole rings, across north), orbits on every side, tracks."""
    kind = draw(st.sampled_from(["sector", "orbit", "track", "circle"]))
    origin = draw(PLACE)
    if kind == "circle":
        return Circle(origin, draw(st.floats(0.0, 50_000.0)))
    if kind == "sector":
        outer = draw(st.floats(10.0, 200_000.0))
        inner = draw(st.sampled_from([0.0]) | st.floats(0.0, 0.99).map(lambda f: f * outer))
        bearing = st.sampled_from([0.0, 350.0, 10.0, 360.0]) | st.floats(0.0, 360.0)
        return Sector(origin, outer, inner, draw(bearing), draw(bearing))
    if kind == "orbit":
        second = moved(origin, draw(st.floats(0.0, 360.0)), draw(st.floats(100.0, 100_000.0)))
        return Orbit(origin, second, draw(st.floats(1.0, 50_000.0)), draw(st.sampled_from(Side)))
    path = [origin]
    for _ in range(draw(st.integers(1, 3))):
        path.append(moved(path[-1], draw(st.floats(0.0, 360.0)), draw(st.floats(100.0, 50_000.0))))
    left = draw(st.sampled_from([0.0]) | st.floats(1.0, 20_000.0))
    right = draw(st.floats(1.0, 20_000.0)) if left == 0.0 else draw(st.floats(0.0, 20_000.0))
    return Track(tuple(path), left, right)


@st.composite
def schedules(draw: st.DrawFn, start: datetime) -> tuple[TimeWindow, Recurrence | None]:
    """A window from `start`, and a repeat it fits (or none, or an open end)."""
    kind = draw(st.sampled_from(["one-off", "open", "repeat"]))
    if kind == "open":
        return TimeWindow(start), None
    if kind == "one-off":
        return TimeWindow(start, start + timedelta(minutes=draw(st.integers(1, 10_000)))), None
    every = draw(st.sampled_from(Every))
    interval = draw(st.integers(1, 366 if every is not Every.HOURS else 48))
    weekdays: tuple[int, ...] = ()
    if every is Every.WEEK:
        others = draw(st.lists(st.integers(0, 6), max_size=6))
        named = bool(others) or draw(st.booleans())  # none named: the first one's weekday
        weekdays = tuple(sorted({start.weekday(), *others})) if named else ()
    repeat = Recurrence(every, interval, weekdays)
    longest = repeat.shortest_gap(start)
    duration = min(longest, timedelta(minutes=draw(st.integers(1, 60 * 24 * 14))))
    until = draw(st.none() | st.integers(1, 3_650).map(lambda d: start + timedelta(days=d)))
    return TimeWindow(start, start + duration), Recurrence(every, interval, weekdays, until)


DATUMS = st.sampled_from(list(Datum))
METRES = st.none() | st.sampled_from([0.0, 5943.6]) | st.floats(-400.0, 15_000.0)


@st.composite
def altitude_bands(draw: st.DrawFn) -> AltitudeBand:
    """Any datum, the upper bound's own datum sometimes, the ground sometimes."""
    if draw(st.booleans()):
        return UNBOUNDED
    datum = draw(DATUMS)
    upper_datum = draw(st.none() | st.sampled_from([d for d in Datum if d is not datum]))
    lower, upper = draw(METRES), draw(METRES)
    if lower is not None and upper is not None and lower > upper:
        lower, upper = upper, lower
    ground = draw(st.none() | st.tuples(st.floats(-431.0, 0.0), st.floats(0.0, 8_849.0)))
    return AltitudeBand(lower, upper, datum, upper_datum, ground)


@st.composite
def features(draw: st.DrawFn) -> Feature:
    start = T0 + timedelta(
        seconds=draw(st.integers(0, 10**7)), microseconds=draw(st.integers(0, 999_999))
    )
    window, repeat = draw(schedules(start))
    return Feature(
        draw(feature_ids()),
        draw(st.sampled_from(Kind)),
        draw(st.sampled_from(["p1", "coalition"])),
        draw(airspace_shapes()),
        window,
        draw(altitude_bands()),
        draw(st.sampled_from([0.0, 30.0]) | st.floats(0.0, 10_000.0)),
        draw(st.none() | st.text(min_size=1).filter(str.strip)),
        draw(st.none() | st.sampled_from(["strike", "ISR orbit"])),
        {"category": "restricted"} if draw(st.booleans()) else {},
        repeat,
    )


@given(features())
@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_every_feature_comes_back_from_its_geojson_as_it_went_in(feature: Feature) -> None:
    document = json.loads(json.dumps(feature_to_geojson(feature)))
    parsed, problems = parse_feature(document)
    assert problems == []
    assert parsed == feature
    assert parsed.extra == feature.extra
