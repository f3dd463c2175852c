"""Zones and activities as the conflict rules see them: four-dimensional volumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from deconflict.geo.shapes import Shape
from deconflict.rules.altitude import UNBOUNDED, AltitudeBand, Datum
from deconflict.rules.schedule import Recurrence, TimeWindow, span

__all__ = ["UNBOUNDED", "AltitudeBand", "Datum", "Feature", "Kind", "Recurrence", "TimeWindow"]


class Kind(StrEnum):
    """A zone is protected; an activity is planned."""

    ZONE = "zone"
    ACTIVITY = "activity"


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
    repeat: Recurrence | None = None

    @cached_property
    def span(self) -> TimeWindow:
        """From the first occurrence's start to the last one's end (None: open-ended or UFN)."""
        return span(self.window, self.repeat)
