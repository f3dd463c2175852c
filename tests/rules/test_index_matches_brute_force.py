"""The conflict rule, and the indexes finding exactly what a brute-force check of every pair finds.

Two indexes: the store's SQLite R*Tree (for declared volumes) and the plan's
in-memory index (for `deconflict check`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deconflict.geo.shapes import Area, Circle, Corridor, Shape
from deconflict.line.check import check_plan
from deconflict.rules.candidates import meeting_pairs, volume_boxes
from deconflict.rules.conflicts import Conflict, conflict_between, find_conflicts
from deconflict.rules.feature import AltitudeBand, Feature, Kind, TimeWindow
from deconflict.store.sqlite import SqliteStore
from tests.oracle import (
    GEOD,
    anchors,
    areas,
    circles,
    corridors,
    hugging,
    moved,
    nearby,
    oracle_bounds,
    sizes_km,
)

T0 = datetime(2026, 9, 7, tzinfo=UTC)
AT_TANF = (38.64, 33.50)


def _hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def _feature(
    feature_id: str,
    shape: Shape,
    *,
    kind: Kind = Kind.ACTIVITY,
    party: str = "p1",
    start: float = 0.0,
    end: float | None = 1.0,
    band: AltitudeBand | None = None,
    buffer_m: float = 0.0,
) -> Feature:
    window = TimeWindow(_hours(start), None if end is None else _hours(end))
    return Feature(feature_id, kind, party, shape, window, band or AltitudeBand(), buffer_m)


def _zone(**kwargs: Any) -> Feature:
    """The At Tanf zone: 55 km round its centre, protected by the coalition."""
    options: dict[str, Any] = {"kind": Kind.ZONE, "party": "coalition", "start": 0.0, "end": None}
    options |= kwargs
    return _feature("at-tanf", Circle(AT_TANF, 55_000.0), **options)


def _strike(gap_m: float, **kwargs: Any) -> Feature:
    """A strike of 1.5 km radius whose edge is `gap_m` outside the zone's edge."""
    centre = moved(AT_TANF, 60.0, 55_000.0 + 1_500.0 + gap_m)
    options: dict[str, Any] = {"party": "russia", "start": 1.0, "end": 3.0} | kwargs
    return _feature("strike", Circle(centre, 1_500.0), **options)


# The rule ------------------------------------------------------------------------------------


def test_strike_30m_outside_zone_is_not_a_conflict() -> None:
    assert conflict_between(_zone(), _strike(30.0)) is None


def test_strike_30m_inside_zone_is_a_conflict() -> None:
    conflict = conflict_between(_zone(), _strike(-30.0))
    assert conflict is not None
    assert conflict.distance_m == 0.0


def test_strike_30m_outside_zone_with_a_30m_buffer_is_a_conflict() -> None:
    conflict = conflict_between(_zone(buffer_m=10.0), _strike(30.0, buffer_m=20.001))
    assert conflict is not None
    assert conflict.distance_m == pytest.approx(30.0, abs=1e-6)


def test_distance_equal_to_the_buffers_is_a_conflict() -> None:
    a, b = Circle((0.0, 0.0)), Circle((0.01, 0.0))
    distance = float(GEOD.inv(0.0, 0.0, 0.01, 0.0)[2])
    first = _feature("a", a, buffer_m=distance)
    second = _feature("b", b, party="p2")
    assert conflict_between(first, second) is not None


def test_conflict_names_sorted_ids_their_parties_the_distance_and_the_shared_window() -> None:
    conflict = conflict_between(_zone(), _strike(-30.0, start=2.0, end=5.0))
    assert conflict == Conflict(
        ("at-tanf", "strike"), ("coalition", "russia"), 0.0, TimeWindow(_hours(2.0), _hours(5.0))
    )
    assert conflict_between(_strike(-30.0, start=2.0, end=5.0), _zone()) == conflict


def test_same_party_never_conflicts() -> None:
    assert conflict_between(_zone(), _strike(-30_000.0, party="coalition")) is None


def test_zone_against_zone_never_conflicts() -> None:
    assert conflict_between(_zone(), _strike(-30_000.0, kind=Kind.ZONE)) is None


def test_activity_against_activity_conflicts() -> None:
    assert conflict_between(_zone(kind=Kind.ACTIVITY), _strike(-30_000.0)) is not None


def test_touching_time_windows_do_not_conflict() -> None:
    # [0 h, 1 h) and [1 h, 2 h) share no instant.
    first = _zone(start=0.0, end=1.0)
    assert conflict_between(first, _strike(-30_000.0, start=1.0, end=2.0)) is None
    assert conflict_between(first, _strike(-30_000.0, start=-1.0, end=0.0)) is None


def test_time_windows_sharing_a_second_conflict() -> None:
    first = _zone(start=0.0, end=1.0)
    conflict = conflict_between(first, _strike(-30_000.0, start=1.0 - 1 / 3600, end=2.0))
    assert conflict is not None
    assert conflict.window == TimeWindow(_hours(1.0 - 1 / 3600), _hours(1.0))


def test_touching_altitude_bands_conflict() -> None:
    # Bands are closed: [0, 100] and [100, 200] share 100 m.
    zone = _zone(band=AltitudeBand(0.0, 100.0))
    assert conflict_between(zone, _strike(-30_000.0, band=AltitudeBand(100.0, 200.0))) is not None


def test_separate_altitude_bands_do_not_conflict() -> None:
    zone = _zone(band=AltitudeBand(0.0, 100.0))
    assert conflict_between(zone, _strike(-30_000.0, band=AltitudeBand(100.5, 200.0))) is None
    assert conflict_between(zone, _strike(-30_000.0, band=AltitudeBand(None, -0.5))) is None


def test_absent_altitude_bounds_are_unbounded() -> None:
    zone = _zone(band=AltitudeBand(None, 50.0))
    assert conflict_between(zone, _strike(-30_000.0, band=AltitudeBand(-1e6, -1e5))) is not None
    assert conflict_between(zone, _strike(-30_000.0, band=AltitudeBand(10_000.0, None))) is None
    assert conflict_between(zone, _strike(-30_000.0)) is not None


def test_open_ended_zone_conflicts_with_activities_long_after_it_starts() -> None:
    conflict = conflict_between(_zone(end=None), _strike(-30_000.0, start=10_000.0, end=10_001.0))
    assert conflict is not None
    assert conflict.window == TimeWindow(_hours(10_000.0), _hours(10_001.0))


def test_two_open_ended_features_share_an_open_ended_window() -> None:
    conflict = conflict_between(_zone(end=None), _strike(-30_000.0, start=5.0, end=None))
    assert conflict is not None
    assert conflict.window == TimeWindow(_hours(5.0), None)


def test_activity_ending_when_an_open_ended_zone_starts_does_not_conflict() -> None:
    assert conflict_between(_zone(start=3.0, end=None), _strike(-30_000.0, end=3.0)) is None


def _indexed_conflicts(features: Sequence[Feature]) -> list[Conflict]:
    store = SqliteStore(":memory:")
    try:
        store.add_features(features)
        by_id = {f.id: f for f in features}
        return find_conflicts(features, lambda f: [by_id[i] for i in store.candidate_ids(f)])
    finally:
        store.close()


Check = Callable[[Sequence[Feature]], list[Conflict]]
# The store's R*Tree and the plan's in-memory index, each then the exact rule.
INDEXED_CHECKS = pytest.mark.parametrize(
    "indexed_conflicts", [_indexed_conflicts, check_plan], ids=["store", "plan"]
)


@INDEXED_CHECKS
def test_index_finds_a_conflict_across_the_antimeridian(indexed_conflicts: Check) -> None:
    features = [
        # 214 m apart across the seam, less 200 m of radii: 14 m, within 40 m of buffers.
        _feature("east", Circle((179.999, -16.0), 100.0), buffer_m=20.0),
        _feature("west", Circle((-179.999, -16.0), 100.0), party="p2", buffer_m=20.0),
    ]
    expected = find_conflicts(features)
    assert [c.ids for c in expected] == [("east", "west")]
    assert indexed_conflicts(features) == expected


@INDEXED_CHECKS
def test_index_finds_a_conflict_over_the_pole(indexed_conflicts: Check) -> None:
    features = [
        _feature("here", Corridor(((0.0, 89.99), (10.0, 89.995)), 100.0)),
        _feature("there", Circle((180.0, 89.995), 1_100.0), party="p2"),
    ]
    expected = find_conflicts(features)
    assert [c.ids for c in expected] == [("here", "there")]
    assert indexed_conflicts(features) == expected


# The R*Tree keeps 32-bit floats: heights are boxed in whole metres outwards, so a band
# starting at 1e-50 m still meets one ending at 2e-50 m through the index, both ways.
def test_index_candidates_hold_bands_touching_below_float32_range() -> None:
    zone = _feature("zone", Circle((0.0, 0.0), 100.0), kind=Kind.ZONE, band=AltitudeBand(1e-50))
    activity = _feature(
        "activity", Circle((0.0, 0.0), 100.0), party="p2", band=AltitudeBand(None, 2e-50)
    )
    store = SqliteStore(":memory:")
    try:
        store.add_features([zone, activity])
        assert "zone" in store.candidate_ids(activity)
        assert "activity" in store.candidate_ids(zone)
    finally:
        store.close()


def test_plan_index_pairs_bands_touching_below_float32_range() -> None:
    zone = _feature("zone", Circle((0.0, 0.0), 100.0), kind=Kind.ZONE, band=AltitudeBand(1e-50))
    activity = _feature(
        "activity", Circle((0.0, 0.0), 100.0), party="p2", band=AltitudeBand(None, 2e-50)
    )
    assert meeting_pairs(volume_boxes([zone, activity])).tolist() == [[0, 1]]
    assert [c.ids for c in check_plan([zone, activity])] == [("activity", "zone")]


# The index against the brute force, on random and adversarial plans ---------------------------

PARTIES = st.sampled_from(["p1", "p2", "p3"])
# Any height, tiny ones included (test_index_candidates_hold_bands_touching_below_float32_range
# pins the smallest).
HEIGHTS = st.sampled_from([None, 0.0, 100.0, 500.0, 1e-50, 2e-50]) | st.floats(-100.0, 1_000.0)


@st.composite
def bands(draw: st.DrawFn) -> AltitudeBand:
    lower, upper = draw(HEIGHTS), draw(HEIGHTS)
    if lower is not None and upper is not None and lower > upper:
        lower, upper = upper, lower
    return AltitudeBand(lower, upper)


@st.composite
def windows(draw: st.DrawFn) -> TimeWindow:
    # Whole hours, so that windows often touch ([a, b) and [b, c)).
    start = draw(st.integers(0, 12))
    length = draw(st.none() | st.integers(1, 6) | st.floats(0.01, 6.0))
    return TimeWindow(_hours(start), None if length is None else _hours(start + length))


@st.composite
def plan_shapes(draw: st.DrawFn, anchor: tuple[float, float], placed: list[Shape]) -> Shape:
    """Circles up to 600 km, corridors and areas up to 200 km, some hugging earlier shapes."""
    if placed and draw(st.integers(0, 3)) == 0:
        return draw(hugging(draw(st.sampled_from(placed)), draw(st.floats(0.0, 3_000.0))))
    scale_km = draw(sizes_km(600.0))
    where = draw(nearby(anchor, scale_km))
    kind = draw(st.sampled_from([circles, corridors, areas]))
    return cast(Shape, draw(kind(where, scale_km if kind is circles else min(scale_km, 200.0))))


@st.composite
def plans(draw: st.DrawFn, max_features: int = 40) -> list[Feature]:
    """2..max_features zones and activities of three parties round up to three places."""
    places = draw(st.lists(anchors(), min_size=1, max_size=3))
    n = draw(st.integers(2, max_features))
    features: list[Feature] = []
    for i in range(n):
        shape = draw(plan_shapes(draw(st.sampled_from(places)), [f.shape for f in features]))
        buffer_m = draw(st.sampled_from([0.0, 10.0, 1_000.0]) | st.floats(0.0, 5_000.0))
        kind = draw(st.sampled_from(Kind))
        window, band = draw(windows()), draw(bands())
        features.append(Feature(f"f{i:02d}", kind, draw(PARTIES), shape, window, band, buffer_m))
    return features


PROPERTY = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


@INDEXED_CHECKS
@given(plans())
@settings(PROPERTY, max_examples=100)
def test_index_finds_exactly_the_conflicts_brute_force_finds(
    indexed_conflicts: Check, features: list[Feature]
) -> None:
    assert indexed_conflicts(features) == find_conflicts(features)


# The brute force against the oracle -----------------------------------------------------------


def _shares_time_and_height(a: Feature, b: Feature) -> bool:
    """The rule apart from geometry, written out again from the spec."""
    if a.party == b.party or Kind.ACTIVITY not in (a.kind, b.kind):
        return False
    start = max(a.window.start, b.window.start)
    ends = [w.end for w in (a.window, b.window) if w.end is not None]
    if ends and min(ends) <= start:
        return False
    lowers = [h for h in (a.band.lower_m, b.band.lower_m) if h is not None]
    uppers = [h for h in (a.band.upper_m, b.band.upper_m) if h is not None]
    return max(lowers, default=-math.inf) <= min(uppers, default=math.inf)


def _tolerance_m(a: Shape, b: Shape, limit_m: float) -> float:
    relative = 1e-3 if isinstance(a, Area) or isinstance(b, Area) else 1e-4
    return max(2.0, relative * limit_m)


def _oracle_verdicts(features: Sequence[Feature]) -> Iterator[tuple[Feature, Feature, bool]]:
    """(a, b, True when clearly within the buffers / False when clearly beyond) per decided pair."""
    for i, a in enumerate(features):
        for b in features[i + 1 :]:
            if not _shares_time_and_height(a, b):
                continue
            limit = a.buffer_m + b.buffer_m
            band = _tolerance_m(a.shape, b.shape, limit)
            oracle = oracle_bounds(a.shape, b.shape, limit - band, limit + band)
            if oracle.distance_m <= limit - band:
                yield a, b, True
            elif oracle.lower_m > limit + band:
                yield a, b, False


def _conflicting_pairs(features: Sequence[Feature]) -> set[tuple[str, str]]:
    return {c.ids for c in find_conflicts(features)}


@given(plans(max_features=15))
@settings(PROPERTY, max_examples=60)
def test_no_conflict_is_reported_where_the_oracle_finds_clear_space(
    features: list[Feature],
) -> None:
    found = _conflicting_pairs(features)
    for a, b, within in _oracle_verdicts(features):
        if not within:
            assert tuple(sorted((a.id, b.id))) not in found, (a, b)


# Regression: an earlier engine missed a vertex of one corridor 5.5 m beside the middle of
# another, short one (see tests/geo/test_distance.py).
BESIDE_A_SHORT_CORRIDOR = [
    _feature("route", Corridor(((0.0, 0.0), (0.005, 0.0))), kind=Kind.ZONE, party="p2"),
    _feature(
        "patrol", Corridor(((0.002, 0.00005), (0.002, 0.01), (0.0051, 0.00003))), buffer_m=10.0
    ),
]


def test_patrol_5m_beside_a_route_with_a_10m_buffer_is_a_conflict() -> None:
    assert [c.ids for c in find_conflicts(BESIDE_A_SHORT_CORRIDOR)] == [("patrol", "route")]


@given(plans(max_features=15))
@settings(PROPERTY, max_examples=60)
@example(BESIDE_A_SHORT_CORRIDOR)
def test_every_conflict_the_oracle_finds_is_reported(features: list[Feature]) -> None:
    found = _conflicting_pairs(features)
    for a, b, within in _oracle_verdicts(features):
        if within:
            assert tuple(sorted((a.id, b.id))) in found, (a, b)
