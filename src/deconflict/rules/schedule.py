"""Time windows, and repeating zones and activities: daily, on weekdays, every N hours.

A repeating feature's `window` is its first occurrence; `repeat` says how it
comes back: every N days, every N hours, or each week (every N weeks) on the
given weekdays at the first occurrence's time of day, all in UTC. Every
occurrence lasts as long as the first. Occurrences that start before `until`
belong to the feature; `until` None is "until further notice" (UFN).

Two repeating features meet when some occurrence of one overlaps some
occurrence of the other, decided exactly: both schedules are walked side by
side. Two UFN schedules repeat together after the least common multiple of
their periods, so a walk of one such cycle (from when both have started)
decides whether they ever meet.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How many overlapping occurrences a conflict lists by name; the count covers the rest.
LISTED_OCCURRENCES = 20
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class TimeWindow:
    """A half-open window [start, end) in aware UTC; end None = open-ended."""

    start: datetime
    end: datetime | None = None

    def overlap(self, other: TimeWindow) -> TimeWindow | None:
        """The window both share, or None when they do not meet ([a, b) and [b, c) do not)."""
        start = max(self.start, other.start)
        ends = [e for e in (self.end, other.end) if e is not None]
        end = min(ends) if ends else None
        if end is not None and end <= start:
            return None
        return TimeWindow(start, end)


class Every(StrEnum):
    DAY = "day"
    WEEK = "week"
    HOURS = "hours"


@dataclass(frozen=True)
class Recurrence:
    """How a feature repeats after its first occurrence."""

    every: Every
    interval: int = 1
    weekdays: tuple[int, ...] = ()  # 0 = Monday; for WEEK (empty: the first occurrence's day)
    until: datetime | None = None  # None: until further notice

    @property
    def period(self) -> timedelta:
        """After how long the whole pattern repeats."""
        unit = {Every.DAY: _DAY, Every.WEEK: _WEEK, Every.HOURS: timedelta(hours=1)}[self.every]
        return unit * self.interval

    def starts(self, first: datetime, from_cycle: int = 0) -> Iterator[datetime]:
        """Every occurrence's start, in order, from the first (which must match the pattern).

        `from_cycle` skips that many whole periods at once.
        """
        offsets = self._offsets(first)
        cycle = from_cycle
        while True:
            for offset in offsets:
                start = first + cycle * self.period + offset
                if self.until is not None and start >= self.until:
                    return
                yield start
            cycle += 1

    def count_starts(self, first: datetime, after: datetime, before: datetime | None) -> int | None:
        """How many occurrences start strictly after `after` and before `before` (and `until`).

        None when there is no end to count to (`before` None and until further notice).
        """
        end = min((t for t in (before, self.until) if t is not None), default=None)
        if end is None:
            return None
        period_us = _microseconds(self.period)
        count = 0
        for offset in self._offsets(first):
            anchor = first + offset
            lowest = max(0, (_microseconds(after - anchor) // period_us) + 1)
            highest = -(-_microseconds(end - anchor) // period_us) - 1  # last k: start < end
            count += max(0, highest - lowest + 1)
        return count

    def _offsets(self, first: datetime) -> list[timedelta]:
        """Starts within one period, as offsets from the first occurrence."""
        if self.every is not Every.WEEK or not self.weekdays:
            return [timedelta(0)]
        today = first.weekday()
        return sorted(timedelta(days=(day - today) % 7) for day in set(self.weekdays))

    def shortest_gap(self, first: datetime) -> timedelta:
        """The least time between two consecutive starts: no occurrence may last longer."""
        offsets = [*self._offsets(first), self.period]
        return min(b - a for a, b in itertools.pairwise(offsets))


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def occurrences(
    window: TimeWindow, repeat: Recurrence | None, after: datetime | None = None
) -> Iterator[TimeWindow]:
    """The feature's occurrences in order (only those ending after `after`, when given)."""
    if repeat is None:
        if after is None or window.end is None or window.end > after:
            yield window
        return
    assert window.end is not None, "a repeating feature's first occurrence has an end"
    duration = window.end - window.start
    starts = repeat.starts(window.start)
    if after is not None:
        # Jump whole periods ahead instead of walking years of occurrences.
        skip = max(0, math.floor((after - window.end) / repeat.period) - 1)
        starts = repeat.starts(window.start, from_cycle=skip)
    for start in starts:
        if after is None or start + duration > after:
            yield TimeWindow(start, start + duration)


def span(window: TimeWindow, repeat: Recurrence | None) -> TimeWindow:
    """From the first occurrence's start to the last one's end (end None: open or UFN)."""
    if repeat is None:
        return window
    if repeat.until is None:
        return TimeWindow(window.start, None)
    last = deque(occurrences(window, repeat), maxlen=1)
    return TimeWindow(window.start, last[0].end)


@dataclass(frozen=True)
class Overlaps:
    """Where two schedules meet: the first overlapping windows, and how many there are.

    `total` None means they go on meeting until further notice.
    """

    windows: tuple[TimeWindow, ...]
    total: int | None

    @property
    def first(self) -> TimeWindow:
        return self.windows[0]


def overlaps(
    a: tuple[TimeWindow, Recurrence | None],
    b: tuple[TimeWindow, Recurrence | None],
    listed: int = LISTED_OCCURRENCES,
) -> Overlaps | None:
    """Every window where an occurrence of `a` overlaps one of `b`, or None when none does."""
    (a_window, a_repeat), (b_window, b_repeat) = a, b
    if a_repeat is None and b_repeat is None:
        shared = a_window.overlap(b_window)
        return Overlaps((shared,), 1) if shared is not None else None
    if (a_repeat is None) != (b_repeat is None):
        one_off, (window, repeat) = (a_window, b) if a_repeat is None else (b_window, a)
        assert repeat is not None
        return _against_one_off(one_off, window, repeat, listed)
    horizon = _horizon(a, b)
    found: list[TimeWindow] = []
    total = 0
    # Nothing ending before the other has begun can meet it: skip there at once.
    begins = max(a_window.start, b_window.start)
    a_occ = occurrences(a_window, a_repeat, after=begins)
    b_occ = occurrences(b_window, b_repeat, after=begins)
    x, y = next(a_occ, None), next(b_occ, None)
    while x is not None and y is not None:
        # The later start: an open-ended one-off keeps its early start for ever.
        past_cycle = horizon is not None and max(x.start, y.start) >= horizon
        if past_cycle and (not found or len(found) >= listed):
            break  # past one whole cycle nothing new can appear: go on only to list more
        shared = x.overlap(y)
        if shared is not None:
            total += 1
            if len(found) < listed:
                found.append(shared)
        if x.end is not None and (y.end is None or x.end <= y.end):
            x = next(a_occ, None)
        elif y.end is not None:
            y = next(b_occ, None)
        else:
            break  # both open-ended: one overlap, and nothing after it
    if not found:
        return None
    endless = horizon is not None
    return Overlaps(tuple(found), None if endless else total)


def _against_one_off(
    one_off: TimeWindow, window: TimeWindow, repeat: Recurrence, listed: int
) -> Overlaps | None:
    """A schedule against a single window: its occurrences there, counted without a walk."""
    found: list[TimeWindow] = []
    for occurrence in occurrences(window, repeat, after=one_off.start):
        if len(found) >= listed or (one_off.end is not None and occurrence.start >= one_off.end):
            break
        shared = occurrence.overlap(one_off)
        if shared is not None:
            found.append(shared)
    if not found:
        return None
    assert window.end is not None
    total = repeat.count_starts(
        window.start, one_off.start - (window.end - window.start), one_off.end
    )
    return Overlaps(tuple(found), total)


def _horizon(
    a: tuple[TimeWindow, Recurrence | None], b: tuple[TimeWindow, Recurrence | None]
) -> datetime | None:
    """When two schedules that both go on until further notice have shown every pattern."""
    (a_window, a_repeat), (b_window, b_repeat) = a, b
    if a_repeat is None or b_repeat is None or a_repeat.until or b_repeat.until:
        return None  # one-offs, or a schedule with an end: the walk ends by itself
    cycle_s = math.lcm(int(a_repeat.period.total_seconds()), int(b_repeat.period.total_seconds()))
    longest = max(a_window.end - a_window.start, b_window.end - b_window.start)  # type: ignore[operator]
    return max(a_window.start, b_window.start) + timedelta(seconds=cycle_s) + longest
