"""The span of time the line reads and writes: 1970-01-01 to 2199-12-31, UTC.

Every time a party sends (a feature's start, end and repeat-until, a notice's
respond-by, a typed time) must fall inside it, so that every surface can
write it back: ISO 8601, date-time groups, NOTAM fields, KML, CoT.
"""

from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


def out_of_range(moment: datetime) -> str | None:
    """Why an aware `moment` is outside the line's span, or None when it is inside.

    >>> out_of_range(datetime(2230, 1, 1, tzinfo=UTC))
    'is after 2199-12-31T23:59:59Z, the last moment the line reads'
    """
    if moment < EARLIEST:
        return "is before 1970-01-01T00:00:00Z, the first moment the line reads"
    if moment > LATEST:
        return "is after 2199-12-31T23:59:59Z, the last moment the line reads"
    return None
