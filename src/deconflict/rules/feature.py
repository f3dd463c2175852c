"""Zones and activities as the conflict rules see them: four-dimensional volumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from deconflict.geo.shapes import Shape


class Kind(StrEnum):
    """A zone is protected; an activity is planned."""

    ZONE = "zone"
    ACTIVITY = "activity"


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


@dataclass(frozen=True)
class AltitudeBand:
    """A closed band [lower_m, upper_m] in metres; None on a side = unbounded there."""

    lower_m: float | None = None
    upper_m: float | None = None

    def meets(self, other: AltitudeBand) -> bool:
        """True when the two bands share at least one height (touching counts)."""
        return _at_most(self.lower_m, other.upper_m) and _at_most(other.lower_m, self.upper_m)


def _at_most(lower: float | None, upper: float | None) -> bool:
    return lower is None or upper is None or lower <= upper


UNBOUNDED = AltitudeBand()


@dataclass(frozen=True)
class Feature:
    """A zone or an activity of one party: shape, altitude band, time window, buffer."""

    id: str
    kind: Kind
    party: str
    shape: Shape
    window: TimeWindow
    band: AltitudeBand = UNBOUNDED
    buffer_m: float = 0.0
    name: str | None = None
    activity: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
