"""Checking a draft plan: every conflict among its zones and activities."""

from __future__ import annotations

from collections.abc import Sequence

from deconflict.rules.candidates import plan_candidates
from deconflict.rules.conflicts import Conflict, find_conflicts
from deconflict.rules.feature import Feature


def check_plan(features: Sequence[Feature]) -> list[Conflict]:
    """Every conflict among `features`: the pairs whose volume boxes meet, decided by the rule."""
    return find_conflicts(features, plan_candidates(features))
