"""Checking a draft plan: every conflict among its zones and activities.

The pairs whose volume boxes meet (`rules/candidates.py`) are decided by the
exact rule. A large plan is decided on every core: worker processes forked
from this one (so they hold the parsed and built plan without copying it)
each take chunks of the pairs and send back only the conflicts they found. A
failure in any worker fails the whole check with the worker's own error, as
it would in one process.
"""

from __future__ import annotations

from collections.abc import Sequence

from deconflict.rules.candidates import Pairs, meeting_pairs, volume_boxes
from deconflict.rules.conflicts import Conflict, conflict_between
from deconflict.rules.feature import Feature
from deconflict.rules.forked import map_chunks, workers_for

# Below this many candidate pairs one process decides them sooner than forking takes.
_PARALLEL_FROM_PAIRS = 4_000


def check_plan(features: Sequence[Feature], workers: int | None = None) -> list[Conflict]:
    """Every conflict among `features`, sorted by ids: the pairs whose volume boxes meet,
    decided by the rule, on `workers` processes (default: every core, for a large plan)."""
    pairs = meeting_pairs(volume_boxes(features))
    if workers is None:
        workers = workers_for(len(pairs), _PARALLEL_FROM_PAIRS)
    found = map_chunks(_decided, features, pairs, workers)
    return sorted(found, key=lambda c: c.ids)


def _decided(features: Sequence[Feature], pairs: Pairs) -> list[Conflict]:
    decided = (conflict_between(features[i], features[j]) for i, j in pairs.tolist())
    return [conflict for conflict in decided if conflict is not None]
