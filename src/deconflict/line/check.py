"""Checking a draft plan: every conflict among its zones and activities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from deconflict.rules.conflicts import Conflict, find_conflicts
from deconflict.rules.feature import Feature


class VolumeIndex(Protocol):
    """What the check needs of an index: store volumes, return candidates (a superset)."""

    def add_features(self, features: Iterable[Feature]) -> None: ...

    def candidate_ids(self, feature: Feature) -> list[str]: ...


def check_plan(features: Sequence[Feature], index: VolumeIndex) -> list[Conflict]:
    """Every conflict among `features`, found through `index` (an empty index to fill)."""
    index.add_features(features)
    by_id = {feature.id: feature for feature in features}
    return find_conflicts(features, lambda f: [by_id[i] for i in index.candidate_ids(f)])
