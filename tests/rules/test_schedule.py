"""Repeating features: the schedule engine against occurrences enumerated one by one.

The brute force here knows only the rule as documented: a daily or N-hourly schedule starts
every period from its first start; a weekly one starts on each of its weekdays at the first
start's time of day, in every Nth calendar week (Monday to Sunday) counted from the first
start's week, never before the first start; occurrences that start before `until` belong to
it; UFN goes on for ever. It lists every occurrence up to a horizon and compares every pair,
where the engine walks and counts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deconflict.geo.shapes import Circle
from deconflict.rules.altitude import AltitudeBand
from deconflict.rules.conflicts import Conflict, find_conflicts
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.schedule import (
    Every,
    Overlaps,
    Recurrence,
    Schedule,
    TimeWindow,
    occurrences,
    overlaps,
    span,
)
from deconflict.rules.volume import FAR_FUTURE_S, volume_box
from tests.oracle import geodesic_m

MONDAY = datetime(2026, 9, 7, 6, 0, tzinfo=UTC)


def _at(days: float = 0.0, hours: float = 0.0, minutes: float = 0.0) -> datetime:
    return MONDAY + timedelta(days=days, hours=hours, minutes=minutes)


# The brute force -------------------------------------------------------------------------------


def period_of(repeat: Recurrence) -> timedelta:
    unit = {Every.DAY: timedelta(days=1), Every.WEEK: timedelta(days=7)}
    return unit.get(repeat.every, timedelta(hours=1)) * repeat.interval


def brute_starts(first: datetime, repeat: Recurrence) -> Iterator[datetime]:
    """Every start, found by stepping day by day (weekly) or period by period (the others).

    Weekly: day k after the first is in calendar week (first's weekday + k) // 7, counted
    from the first's own week (0) with Monday as each week's first day.
    """
    if repeat.every is Every.WEEK:
        days = set(repeat.weekdays) or {first.weekday()}
        candidates: Iterator[datetime] = (
            first + timedelta(days=k)
            for k in itertools.count()
            if ((first.weekday() + k) // 7) % repeat.interval == 0
            and (first + timedelta(days=k)).weekday() in days
        )
    else:
        candidates = (first + k * period_of(repeat) for k in itertools.count())
    for start in candidates:
        if repeat.until is not None and start >= repeat.until:
            return
        yield start


def brute_occurrences(schedule: Schedule, before: datetime) -> list[TimeWindow]:
    """Every occurrence that starts before `before`."""
    window, repeat = schedule
    if repeat is None:
        return [window] if window.start < before else []
    assert window.end is not None
    duration = window.end - window.start
    starts = itertools.takewhile(lambda s: s < before, brute_starts(window.start, repeat))
    return [TimeWindow(s, s + duration) for s in starts]


def endless(schedule: Schedule) -> bool:
    """Goes on for ever: an open-ended one-off, or a schedule until further notice."""
    window, repeat = schedule
    return window.end is None if repeat is None else repeat.until is None


def _seconds(moments: Sequence[datetime | None]) -> np.ndarray:
    return np.array([math.inf if m is None else m.timestamp() for m in moments])


def _moment(seconds: float) -> datetime | None:
    return None if math.isinf(seconds) else datetime.fromtimestamp(seconds, UTC)


def brute_windows(
    a: Schedule, b: Schedule, before: datetime, listed: int
) -> tuple[list[TimeWindow], int]:
    """Every pair of an occurrence of `a` and one of `b`, both starting before `before`, that
    overlap: the first `listed` shared windows by start, and how many pairs.

    x and y overlap iff y.end > x.start and y.start < x.end. All of `b`'s occurrences last
    as long, so its starts and its ends are both in order, and the ys each x meets are one
    run, found by bisection; the pairs are then taken apart as arrays, not built one by one.
    """
    xs, ys = brute_occurrences(a, before), brute_occurrences(b, before)
    x_start, x_end = _seconds([x.start for x in xs]), _seconds([x.end for x in xs])
    y_start, y_end = _seconds([y.start for y in ys]), _seconds([y.end for y in ys])
    low = np.searchsorted(y_end, x_start, side="right")  # the first y ending after x starts
    high = np.searchsorted(y_start, x_end, side="left")  # the first y starting at x's end
    runs = np.maximum(high - low, 0)
    x_of = np.repeat(np.arange(len(xs)), runs)
    y_of = np.arange(runs.sum()) + np.repeat(low - (np.cumsum(runs) - runs), runs)
    starts = np.maximum(x_start[x_of], y_start[y_of])
    ends = np.minimum(x_end[x_of], y_end[y_of])
    assert np.all(starts < ends)
    first = np.argsort(starts, kind="stable")[:listed]
    found = [TimeWindow(datetime.fromtimestamp(starts[i], UTC), _moment(ends[i])) for i in first]
    return found, int(runs.sum())


def last_end(schedule: Schedule) -> datetime:
    """When the last occurrence ends (the schedule has an end)."""
    window, repeat = schedule
    assert window.end is not None
    if repeat is None:
        return window.end
    return list(brute_starts(window.start, repeat))[-1] + (window.end - window.start)


def brute_overlaps(a: Schedule, b: Schedule, listed: int) -> tuple[list[TimeWindow], int | None]:
    """(the first `listed` overlaps, how many in all or None for infinitely many)."""
    finite = [s for s in (a, b) if not endless(s)]
    if finite:
        # Two occurrences meet before either ends: everything starts before the first last end.
        return brute_windows(a, b, min(last_end(s) for s in finite), listed)
    # Both go on for ever: after both have started and the longest occurrence has passed,
    # the pair repeats every common period, so one such period decides whether they ever
    # meet, and meeting once is meeting for ever.
    repeating = [(w, r) for w, r in (a, b) if r is not None]
    if not repeating:  # two open-ended one-offs: one overlap
        return brute_windows(a, b, max(a[0].start, b[0].start) + timedelta(seconds=1), listed)
    cycle = timedelta(seconds=math.lcm(*(int(period_of(r).total_seconds()) for _, r in repeating)))
    longest = max(w.end - w.start for w, _ in repeating if w.end is not None)
    before = max(a[0].start, b[0].start) + longest + cycle
    found, _ = brute_windows(a, b, before, listed)
    while 0 < len(found) < listed:
        before += cycle
        found, _ = brute_windows(a, b, before, listed)
    return found, None


# Schedules -------------------------------------------------------------------------------------


def shortest_gap(first: datetime, repeat: Recurrence) -> timedelta:
    """The least time between two starts, from the first 64 of them."""
    starts = list(itertools.islice(brute_starts(first, repeat), 64))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    return min(gaps, default=period_of(repeat))


REPEATING = ("daily", "weekly", "hours")
KINDS = ("one-off", "open one-off", *REPEATING)


@st.composite
def schedules(draw: st.DrawFn, horizon_days: int = 40, kinds: Sequence[str] = KINDS) -> Schedule:
    """One-offs (some open-ended), every 1-13 days, every 1-13 weeks on weekdays, every 1-30
    hours; until further notice, or until a few hours to 40 days on, or 100 days, 400 days,
    1,000 days or ten years on (up to `horizon_days`).

    Starts on whole hours often (so occurrences touch), durations up to the gap.
    """
    minutes = draw(st.integers(0, 14 * 24).map(lambda h: h * 60) | st.integers(0, 14 * 24 * 60))
    start = _at(minutes=minutes)
    kind = draw(st.sampled_from(kinds))
    if kind == "open one-off":
        return TimeWindow(start), None
    if kind == "one-off":
        return TimeWindow(start, start + timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))), None
    if kind == "daily":
        repeat = Recurrence(Every.DAY, draw(st.integers(1, 13)))
    elif kind == "hours":
        repeat = Recurrence(Every.HOURS, draw(st.integers(1, 30)))
    else:
        others = draw(st.lists(st.integers(0, 6), max_size=4))
        days = tuple(sorted({start.weekday(), *others}))
        repeat = Recurrence(Every.WEEK, draw(st.integers(1, 13)), days)
    gap_minutes = int(shortest_gap(start, repeat).total_seconds() // 60)
    duration = timedelta(
        minutes=draw(st.sampled_from([gap_minutes, 60]) | st.integers(1, gap_minutes))
    )
    duration = min(duration, timedelta(minutes=gap_minutes))
    reach_days = draw(st.sampled_from([d for d in (40, 100, 400, 1000, 3653) if d <= horizon_days]))
    # Until a few hours to 40 days on, or up to 40 days short of 100 days ... ten years on.
    hours = draw(st.integers(max(1, (reach_days - 40) * 24), reach_days * 24))
    until = None if draw(st.booleans()) else start + timedelta(hours=hours)
    repeat = Recurrence(repeat.every, repeat.interval, repeat.weekdays, until)
    return TimeWindow(start, start + duration), repeat


PROPERTY = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


# Worked cases ----------------------------------------------------------------------------------

DAILY_0600_TO_0800 = (TimeWindow(_at(hours=0), _at(hours=2)), Recurrence(Every.DAY))
WEEKDAY_MORNINGS = (
    TimeWindow(_at(hours=1), _at(hours=3)),
    Recurrence(Every.WEEK, 1, (0, 1, 2, 3, 4), _at(days=14)),
)


def test_daily_against_weekday_mornings_meets_on_each_of_ten_weekdays() -> None:
    found = overlaps(DAILY_0600_TO_0800, WEEKDAY_MORNINGS)
    assert found is not None
    assert found.total == 10
    assert found.first == TimeWindow(_at(hours=1), _at(hours=2))
    assert [w.start.weekday() for w in found.windows] == [0, 1, 2, 3, 4] * 2


def test_two_schedules_until_further_notice_meet_for_ever() -> None:
    every_five_hours = (TimeWindow(_at(hours=1), _at(hours=2)), Recurrence(Every.HOURS, 5))
    found = overlaps(DAILY_0600_TO_0800, every_five_hours)
    assert found is not None and found.total is None
    assert found.first == TimeWindow(_at(hours=1), _at(hours=2))
    assert len(found.windows) == 20


def test_schedules_that_only_touch_never_meet() -> None:
    # 06:00-08:00 daily against 08:00-10:00 every other day: end meets start, nothing shared.
    other = (TimeWindow(_at(hours=2), _at(hours=4)), Recurrence(Every.DAY, 2))
    assert overlaps(DAILY_0600_TO_0800, other) is None


def test_the_last_occurrence_runs_past_until_and_meets_what_starts_in_it() -> None:
    # Daily 06:00-12:00 until 08:00 on the third day, against every 5 h for an hour from
    # 04:00 on the first: on the third day the 06:00 and the 11:00 ones meet it.
    daily = (TimeWindow(_at(), _at(hours=6)), Recurrence(Every.DAY, until=_at(days=2, hours=2)))
    every_five_hours = (TimeWindow(_at(hours=-2), _at(hours=-1)), Recurrence(Every.HOURS, 5))
    found = overlaps(daily, every_five_hours)
    assert found is not None and found.total == 4
    assert found.windows[-2:] == (
        TimeWindow(_at(days=2), _at(days=2, hours=1)),
        TimeWindow(_at(days=2, hours=5), _at(days=2, hours=6)),
    )


# Regression: an open-ended one-off against a schedule until further notice was walked for
# ever (the walk's progress was measured by the one-off's start, which never moves).
def test_open_ended_one_off_against_a_schedule_until_further_notice_meets_for_ever() -> None:
    found = overlaps((TimeWindow(_at(days=3, hours=1)), None), DAILY_0600_TO_0800, listed=3)
    assert found == Overlaps(
        (
            TimeWindow(_at(days=3, hours=1), _at(days=3, hours=2)),
            TimeWindow(_at(days=4), _at(days=4, hours=2)),
            TimeWindow(_at(days=5), _at(days=5, hours=2)),
        ),
        None,
    )


def test_every_second_week_counts_calendar_weeks_from_the_first_occurrences_week() -> None:
    # First on a Wednesday, on Mondays and Wednesdays every other week: the Monday of the
    # first week came before it and is not part of it; the next week is skipped whole; then
    # the Monday and the Wednesday two weeks on (as iCalendar and calendar programs read it).
    first = _at(days=2)
    repeat = Recurrence(Every.WEEK, 2, (0, 2), _at(days=30))
    starts = [w.start for w in occurrences(TimeWindow(first, first + timedelta(hours=1)), repeat)]
    assert starts == [_at(days=d) for d in (2, 14, 16, 28)]  # day 30 is `until`: not before it
    assert repeat.calendar_weeks_matter(first)


def test_calendar_weeks_matter_only_every_two_or_more_weeks_on_a_day_before_the_first() -> None:
    wednesday = _at(days=2)
    assert not Recurrence(Every.WEEK, 1, (0, 2)).calendar_weeks_matter(wednesday)
    assert not Recurrence(Every.WEEK, 2, (2, 4)).calendar_weeks_matter(wednesday)
    assert not Recurrence(Every.WEEK, 2).calendar_weeks_matter(wednesday)
    assert not Recurrence(Every.DAY, 2).calendar_weeks_matter(wednesday)
    assert Recurrence(Every.WEEK, 3, (1, 2)).calendar_weeks_matter(wednesday)


# Properties ------------------------------------------------------------------------------------


TEN_YEARS = timedelta(days=3653)
EVERY_6_H_FOR_TEN_YEARS = (
    TimeWindow(_at(), _at(hours=1)),
    Recurrence(Every.HOURS, 6, until=_at() + TEN_YEARS),
)
DAILY_FOR_TEN_YEARS = (DAILY_0600_TO_0800[0], Recurrence(Every.DAY, until=_at() + TEN_YEARS))
WEEKLY_ON_3_DAYS_FOR_TEN_YEARS = (
    TimeWindow(_at(hours=1), _at(hours=3)),
    Recurrence(Every.WEEK, 1, (0, 2, 4), _at() + TEN_YEARS),
)
EVERY_5_H_FOR_TEN_YEARS = (
    TimeWindow(_at(hours=-5), _at(hours=-4)),
    Recurrence(Every.HOURS, 5, until=_at() + TEN_YEARS),
)


def assert_overlaps_are_every_pair_of_occurrences(a: Schedule, b: Schedule, listed: int) -> None:
    expected, total = brute_overlaps(a, b, listed)
    found = overlaps(a, b, listed)
    if not expected:
        assert found is None
        return
    assert found is not None
    assert list(found.windows) == expected
    assert found.first == expected[0]
    assert found.total == total
    assert overlaps(b, a, listed) == found


@given(schedules(horizon_days=3653), schedules(horizon_days=3653), st.sampled_from([1, 5, 20]))
@settings(PROPERTY, max_examples=300)
@example(
    (TimeWindow(_at(days=3, hours=1)), None), DAILY_0600_TO_0800, 20
)  # the open-ended regression
@example(DAILY_0600_TO_0800, WEEKDAY_MORNINGS, 20)
def test_overlaps_match_every_pair_of_occurrences(a: Schedule, b: Schedule, listed: int) -> None:
    assert_overlaps_are_every_pair_of_occurrences(a, b, listed)


LONG_RUNNING = schedules(horizon_days=3653, kinds=REPEATING)


@given(LONG_RUNNING, LONG_RUNNING, st.sampled_from([1, 20]))
@settings(PROPERTY, max_examples=200)
@example(EVERY_6_H_FOR_TEN_YEARS, DAILY_FOR_TEN_YEARS, 20)
@example(WEEKLY_ON_3_DAYS_FOR_TEN_YEARS, EVERY_5_H_FOR_TEN_YEARS, 20)
def test_schedules_running_for_years_meet_as_often_as_every_pair_of_occurrences_says(
    a: Schedule, b: Schedule, listed: int
) -> None:
    assert_overlaps_are_every_pair_of_occurrences(a, b, listed)


@st.composite
def weekly(draw: st.DrawFn) -> tuple[datetime, Recurrence]:
    """A first start any time in a week, every 1-13 weeks on some weekdays (the first's among
    them), until further notice or until up to 400 days on."""
    first = _at(minutes=draw(st.integers(0, 7 * 24 * 60)))
    days = tuple(sorted({first.weekday(), *draw(st.sets(st.integers(0, 6), max_size=6))}))
    until = draw(st.none() | st.integers(1, 400 * 24).map(lambda h: first + timedelta(hours=h)))
    return first, Recurrence(Every.WEEK, draw(st.integers(1, 13)), days, until)


@given(weekly(), st.integers(-14 * 24, 400 * 24), st.integers(0, 400 * 24))
@settings(PROPERTY, max_examples=200)
@example((_at(days=6), Recurrence(Every.WEEK, 1, (0, 6))), 0, 0)  # Sunday to Monday: 1 day
def test_weekly_starts_counts_and_gaps_are_those_of_calendar_weeks(
    schedule: tuple[datetime, Recurrence], after_hours: int, hours_counted: int
) -> None:
    first, repeat = schedule
    horizon = first + timedelta(days=900)
    expected = list(itertools.takewhile(lambda s: s < horizon, brute_starts(first, repeat)))
    assert list(itertools.takewhile(lambda s: s < horizon, repeat.starts(first))) == expected
    after = first + timedelta(hours=after_hours)  # on a start, now and then: not counted
    before = after + timedelta(hours=hours_counted)
    assert repeat.count_starts(first, after, before) == sum(after < s < before for s in expected)
    endless = Recurrence(repeat.every, repeat.interval, repeat.weekdays)
    assert repeat.shortest_gap(first) == shortest_gap(first, endless)


@given(schedules())
@settings(PROPERTY, max_examples=100)
def test_span_runs_from_the_first_start_to_the_last_end(schedule: Schedule) -> None:
    window, repeat = schedule
    whole = span(window, repeat)
    assert whole.start == window.start
    if endless(schedule):
        assert whole.end is None
    else:
        assert whole.end == last_end(schedule)


@given(schedules(horizon_days=400), st.integers(-2 * 24, 400 * 24))
@settings(PROPERTY, max_examples=100)
def test_occurrences_after_a_moment_are_exactly_those_ending_after_it(
    schedule: Schedule, hours_after: int
) -> None:
    after = schedule[0].start + timedelta(hours=hours_after, minutes=7)
    before = after + timedelta(days=30)
    expected = [o for o in brute_occurrences(schedule, before) if o.end is None or o.end > after]
    found = list(
        itertools.takewhile(
            lambda o: o.start < before, occurrences(schedule[0], schedule[1], after=after)
        )
    )
    assert found == expected


def test_occurrences_ten_years_on_are_reached_without_walking_the_years() -> None:
    hourly = (TimeWindow(MONDAY, MONDAY + timedelta(minutes=30)), Recurrence(Every.HOURS))
    after = MONDAY + timedelta(days=3650, minutes=10)
    first = next(occurrences(*hourly, after=after))
    assert first == TimeWindow(after - timedelta(minutes=10), after + timedelta(minutes=20))


@given(schedules(horizon_days=400))
@settings(PROPERTY, max_examples=100)
def test_index_box_holds_every_occurrence(schedule: Schedule) -> None:
    window, repeat = schedule
    feature = Feature("f", Kind.ZONE, "p", Circle((0.0, 0.0)), window, repeat=repeat)
    box = volume_box(feature)
    t0, t1 = box[6], box[7]
    horizon = window.start + timedelta(days=420)
    for occurrence in brute_occurrences(schedule, horizon):
        assert t0 <= occurrence.start.timestamp()
        end = FAR_FUTURE_S if occurrence.end is None else occurrence.end.timestamp()
        assert end <= t1
    if endless(schedule):
        assert t1 == FAR_FUTURE_S


# Conflicts among repeating features ------------------------------------------------------------

PLACES = [(38.64, 33.50), (38.70, 33.52), (39.50, 33.90)]
BANDS = [AltitudeBand(0.0, 1_000.0), AltitudeBand(1_000.0, 3_000.0), AltitudeBand(3_000.5, None)]


@st.composite
def plans(draw: st.DrawFn) -> list[Feature]:
    """Up to eight zones and activities of three parties at three places, most repeating."""
    features = []
    for i in range(draw(st.integers(2, 8))):
        window, repeat = draw(schedules())
        features.append(
            Feature(
                f"f{i}",
                draw(st.sampled_from(Kind)),
                draw(st.sampled_from(["p1", "p2", "p3"])),
                Circle(draw(st.sampled_from(PLACES)), draw(st.sampled_from([0.0, 3_000.0]))),
                window,
                draw(st.sampled_from(BANDS)),
                draw(st.sampled_from([0.0, 5_000.0])),
                repeat=repeat,
            )
        )
    return features


def brute_conflicts(features: Sequence[Feature]) -> dict[tuple[str, str], TimeWindow]:
    """Every conflicting pair and when it first meets, from the rule written out again."""
    found: dict[tuple[str, str], TimeWindow] = {}
    for a, b in itertools.combinations(features, 2):
        if a.party == b.party or Kind.ACTIVITY not in (a.kind, b.kind):
            continue
        lowers = [h for h in (a.band.lower_m, b.band.lower_m) if h is not None]
        uppers = [h for h in (a.band.upper_m, b.band.upper_m) if h is not None]
        if max(lowers, default=-math.inf) > min(uppers, default=math.inf):
            continue
        assert isinstance(a.shape, Circle) and isinstance(b.shape, Circle)
        apart = geodesic_m(a.shape.centre, b.shape.centre) - a.shape.radius_m - b.shape.radius_m
        if apart > a.buffer_m + b.buffer_m:
            continue
        windows, _ = brute_overlaps((a.window, a.repeat), (b.window, b.repeat), 1)
        if windows:
            found[(a.id, b.id) if a.id < b.id else (b.id, a.id)] = windows[0]
    return found


def _by_index(features: Sequence[Feature]) -> list[Conflict]:
    """find_conflicts with candidates from the volume boxes: those whose boxes meet."""
    boxes = {f.id: volume_box(f) for f in features}

    def candidates(feature: Feature) -> list[Feature]:
        mine = boxes[feature.id]
        return [
            other
            for other in features
            if all(
                mine[2 * k] <= boxes[other.id][2 * k + 1]
                and boxes[other.id][2 * k] <= mine[2 * k + 1]
                for k in range(5)
            )
        ]

    return find_conflicts(features, candidates)


@given(plans())
@settings(PROPERTY, max_examples=80)
def test_conflicts_among_repeating_features_are_exactly_the_brute_force_ones(
    features: list[Feature],
) -> None:
    expected = brute_conflicts(features)
    found = find_conflicts(features)
    assert {c.ids: c.window for c in found} == expected
    assert _by_index(features) == found
    for conflict in found:
        repeating = any(f.repeat is not None for f in features if f.id in conflict.ids)
        assert (conflict.occurrences is not None) == repeating


def test_repeating_conflict_lists_its_occurrences() -> None:
    window, repeat = DAILY_0600_TO_0800
    zone = Feature("zone", Kind.ZONE, "p1", Circle(PLACES[0], 3_000.0), window, repeat=repeat)
    window, repeat = WEEKDAY_MORNINGS
    strike = Feature("strike", Kind.ACTIVITY, "p2", Circle(PLACES[0]), window, repeat=repeat)
    (conflict,) = find_conflicts([zone, strike])
    assert conflict.window == TimeWindow(_at(hours=1), _at(hours=2))
    assert conflict.occurrences is not None and conflict.occurrences.total == 10
