"""The conflict rule, and finding every conflict in a set of features.

Two features conflict iff they belong to different parties, at least one is
an activity, some occurrence of one meets some occurrence of the other in
time ([start, end) windows), their altitude bands meet (conservatively when
their datums differ), and the geodesic distance between their shapes is at
most the sum of their buffers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from deconflict.errors import DeconflictError, EngineFailure
from deconflict.geo.distance import distance_within_m
from deconflict.rules.altitude import AltitudeMeet, bands_meet
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.schedule import Overlaps, overlaps


@dataclass(frozen=True)
class Conflict:
    """Two features that meet in space, altitude and time; `ids` in sorted order."""

    ids: tuple[str, str]
    parties: tuple[str, str]
    distance_m: float
    window: TimeWindow  # the first time they meet
    # When the altitude datums differed: which, and how much the bands were widened.
    altitude: AltitudeMeet | None = None
    # When either repeats: the occurrences that meet (first ones listed) and how many.
    occurrences: Overlaps | None = None


def may_meet(a: Feature, b: Feature) -> bool:
    """Everything but the geometry and the exact occurrences: parties, kinds, spans, bands."""
    return _may_meet(a, b) and bands_meet(a.band, b.band) is not None


def _may_meet(a: Feature, b: Feature) -> bool:
    return (
        a.party != b.party
        and (a.kind is Kind.ACTIVITY or b.kind is Kind.ACTIVITY)
        and a.span.overlap(b.span) is not None
    )


def conflict_between(a: Feature, b: Feature) -> Conflict | None:
    """The conflict between `a` and `b`, or None when they do not conflict.

    Fails closed: anything that goes wrong inside the engine is raised as
    `EngineFailure` naming `a` (the feature being checked) and `b`, never
    taken for "no conflict" or for "conflict".
    """
    try:
        return _decided(a, b)
    except DeconflictError:
        raise
    except Exception as error:  # the engine's edge: every fault becomes one typed failure
        raise EngineFailure(a.id, b.id, error) from error


def _decided(a: Feature, b: Feature) -> Conflict | None:
    if not _may_meet(a, b):
        return None
    altitude = bands_meet(a.band, b.band)
    if altitude is None:
        return None
    if b.id < a.id:
        a, b = b, a  # the same pair gives the same distance to the last digit, either way
    times = overlaps((a.window, a.repeat), (b.window, b.repeat))
    if times is None:
        return None
    distance = distance_within_m(a.shape, b.shape, a.buffer_m + b.buffer_m)
    if distance is None:
        return None
    return Conflict(
        (a.id, b.id),
        (a.party, b.party),
        distance,
        times.first,
        altitude if altitude.mixed else None,
        times if a.repeat is not None or b.repeat is not None else None,
    )


Candidates = Callable[[Feature], Iterable[Feature]]


def find_conflicts(
    features: Sequence[Feature], candidates: Candidates | None = None
) -> list[Conflict]:
    """Every conflict among `features`, sorted by ids.

    `candidates(f)` must return at least every feature that could conflict
    with f (an index query); without it every pair is checked.
    """
    checked: set[tuple[str, str]] = set()
    found: list[Conflict] = []
    for position, feature in enumerate(features):
        others = candidates(feature) if candidates else features[position + 1 :]
        for other in others:
            pair = (feature.id, other.id) if feature.id < other.id else (other.id, feature.id)
            if other.id == feature.id or pair in checked:
                continue
            checked.add(pair)
            conflict = conflict_between(feature, other)
            if conflict is not None:
                found.append(conflict)
    return sorted(found, key=lambda c: c.ids)
