"""What a store keeps of a feature, recomputed from the feature when its reading changes.

A store keeps a feature's volume box in its index and the end of its last
occurrence as a column, both computed when it was saved. When the rules come to
read a stored feature otherwise, a migration recomputes them with the domain's
own functions (`volume_box`, the feature's span); each store reads the rows and
writes them back in its SQL, and chooses the features here, once for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from deconflict.rules.feature import Feature
from deconflict.store.sqlite.rows import feature_of

Key = TypeVar("Key")


def moved_by_calendar_weeks(rows: Iterable[tuple[Key, str]]) -> Iterator[tuple[Key, Feature]]:
    """Of stored (row key, document) pairs, the features whose occurrences moved when every N
    weeks came to count calendar weeks: their box and end, computed before, may end up to
    7 * (N - 1) days early."""
    for key, stored in rows:
        feature = feature_of(stored)
        repeat = feature.repeat
        if repeat is not None and repeat.calendar_weeks_matter(feature.window.start):
            yield key, feature
