"""What a store keeps of a feature, recomputed from the feature when its reading changes.

A store keeps a feature's volume box in its index and the end of its last
occurrence as a column, both computed when it was saved. When the rules come to
read a stored feature otherwise, a migration recomputes them with the domain's
own functions (`volume_box`, the feature's span); each store reads the rows and
writes them back in its SQL, and chooses the features here, once for both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TypeVar

from deconflict.rules.feature import Feature
from deconflict.rules.plan import parse_feature
from deconflict.store.errors import StoreUnavailable

Key = TypeVar("Key")


def moved_by_calendar_weeks(rows: Iterable[tuple[Key, str]]) -> Iterator[tuple[Key, Feature]]:
    """Of stored (row key, document) pairs, the features whose occurrences moved when every N
    weeks came to count calendar weeks: their box and end, computed before, may end up to
    7 * (N - 1) days early.

    A stored schedule that the new reading makes invalid (its occurrences would
    overlap) stops the upgrade with StoreUnavailable naming every such feature:
    its meaning would change, so its owner must amend or cancel it first.
    """
    moved, unreadable = [], []
    for key, stored in rows:
        document = json.loads(stored)
        feature, problems = parse_feature(document)
        if feature is None:
            unreadable.append(f"{document.get('id')!r}: {'; '.join(p.message for p in problems)}")
            continue
        repeat = feature.repeat
        if repeat is not None and repeat.calendar_weeks_matter(feature.window.start):
            moved.append((key, feature))
    if unreadable:
        raise StoreUnavailable(
            "cannot upgrade: every N weeks now counts calendar weeks (Mon-Sun, UTC), and "
            f"under that reading these stored features no longer hold: {', '.join(unreadable)}; "
            "with the version that stored them, cancel or amend them (shorter occurrences or "
            "other weekdays), then upgrade",
            field="repeat",
        )
    yield from moved
