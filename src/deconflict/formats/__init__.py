"""Reading and writing the files operators already keep: KML, site CSV, CoT, ACO, NOTAM text.

Every reader takes the file's text and the `Defaults` that fill what the
format does not carry (whose features, zone or activity, from when), and
returns a `Reading`: the features it understood and, for everything else,
the line or row where it stands and every problem with it. Every writer
takes features and returns text. GeoJSON, the plan format itself, lives in
`deconflict.rules.plan`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.geo.geojson import ProblemList
from deconflict.i18n.dtg import parse_moment
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.moments import out_of_range
from deconflict.rules.plan import format_time


@dataclass(frozen=True)
class Defaults:
    """What an imported item gets when its file does not say."""

    party: str
    start: datetime
    kind: Kind = Kind.ZONE
    end: datetime | None = None


@dataclass(frozen=True)
class Rejected:
    """An item that could not be read: where it is (1-based line or row), and why."""

    line: int
    problems: tuple[InvalidFeature, ...]
    item: str | None = None  # its name or id, when one could be read


@dataclass(frozen=True)
class Reading:
    """What a reader made of a file: features (with the line each came from) and rejects."""

    features: tuple[Feature, ...] = ()
    lines: tuple[int, ...] = ()
    rejected: tuple[Rejected, ...] = field(default=())


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_moment(text: str) -> datetime:
    """A time as files give it: ISO 8601 with an offset, a DTG, or a date (its 00:00 UTC).

    Raises ValueError saying what is accepted; a time without an offset is never guessed.

    >>> read_moment("2026-09-07").isoformat(), read_moment("071200ZSEP26").isoformat()
    ('2026-09-07T00:00:00+00:00', '2026-09-07T12:00:00+00:00')
    """
    text = text.strip()
    if _DATE.fullmatch(text):
        try:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(f"{text!r} is not a date that exists") from None
        problem = out_of_range(day)
        if problem is not None:
            raise ValueError(f"{text!r} {problem}")
        return day
    try:
        return parse_moment(text)
    except InvalidFeature as error:
        raise ValueError(error.message) from None


def checked_window(
    start: datetime, end: datetime | None, field: str, problems: ProblemList
) -> TimeWindow | None:
    """The window [start, end), or None with a problem on `field` when it ends before it starts."""
    if end is not None and end <= start:
        problems.add(
            field,
            format_time(end),
            f"the window ends at {format_time(end)}, not after it starts ({format_time(start)})",
        )
        return None
    return TimeWindow(start, end)


def unreadable(line: int, problem: str) -> InvalidPlan:
    """The error for a file that cannot be read at all, naming the line."""
    return InvalidPlan([InvalidFeature(f"line {line}: {problem}", field="line", value=line)])


def slug(text: str) -> str:
    """A name as an id: lower case, accents and vowel marks dropped, words joined by '-'.

    >>> slug("Hôpital Al-Shifa (Main)"), slug("مستشفى الشفاء")
    ('hopital-al-shifa-main', 'مستشفى-الشفاء')
    """
    letters = "".join(
        c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn"
    )
    return re.sub(r"[\W_]+", "-", letters.casefold()).strip("-")


def claim_id(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`... whichever is not yet in `taken`; adds it to `taken`."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate
