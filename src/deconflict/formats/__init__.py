"""Reading and writing the files operators already keep: KML, site CSV, CoT, ACO, NOTAM text.

Every reader takes the file's text and the `Defaults` that fill what the
format does not carry (whose features, zone or activity, from when), and
returns a `Reading`: the features it understood and, for everything else,
the line or row where it stands and every problem with it. Every writer
takes features and returns text. GeoJSON, the plan format itself, lives in
`deconflict.rules.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deconflict.errors import InvalidFeature
from deconflict.rules.feature import Feature, Kind


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
