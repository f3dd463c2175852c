"""Every file format by name: which reader and writer, and telling a file's format from its name.

`geojson` is the plan format itself; the others live in their own modules.
`notam` is write-only: one NOTAM-style text per activity.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.formats import Defaults, Reading, Rejected
from deconflict.formats.aco import read_aco, write_aco
from deconflict.formats.cot import read_cot, write_cot
from deconflict.formats.kml import read_kml, write_kml
from deconflict.formats.notam import notam_text
from deconflict.formats.sites_csv import read_sites_csv, write_sites_csv
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.plan import feature_to_geojson, format_time, parse_feature

Reader = Callable[[str, Defaults], Reading]
Writer = Callable[[Sequence[Feature], Mapping[str, str] | None], str]

# Written by the line beside a feature's own properties; never part of an export.
VIEW_PROPERTIES = frozenset({"version", "share", "cancelled_at", "closed_at", "outline"})


def read_geojson(text: str, defaults: Defaults) -> Reading:
    """A GeoJSON Feature or FeatureCollection; missing party, kind or start come from `defaults`.

    A feature's number in the collection (1-based) stands for its line.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidPlan(
            [
                InvalidFeature(
                    f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}",
                    field="file",
                )
            ]
        ) from None
    if isinstance(document, Mapping) and document.get("type") == "Feature":
        items: list[Any] = [document]
    elif isinstance(document, Mapping) and isinstance(document.get("features"), list):
        items = document["features"]
    else:
        raise InvalidPlan(
            [InvalidFeature("must be a GeoJSON Feature or FeatureCollection", field="type")]
        )
    features: list[Feature] = []
    lines: list[int] = []
    rejected: list[Rejected] = []
    for position, item in enumerate(items, start=1):
        feature, problems = parse_feature(_with_defaults(item, defaults), position - 1)
        if problems or feature is None:
            name = item.get("id") if isinstance(item, Mapping) else None
            rejected.append(Rejected(position, tuple(problems), name if name else None))
            continue
        features.append(feature)
        lines.append(position)
    return Reading(tuple(features), tuple(lines), tuple(rejected))


def _with_defaults(item: Any, defaults: Defaults) -> Any:
    if not isinstance(item, Mapping) or not isinstance(item.get("properties"), Mapping):
        return item
    properties = {k: v for k, v in item["properties"].items() if k not in VIEW_PROPERTIES}
    properties.setdefault("party", defaults.party)
    properties.setdefault("kind", defaults.kind.value)
    properties.setdefault("start", format_time(defaults.start))
    if defaults.end is not None:
        properties.setdefault("end", format_time(defaults.end))
    return {**item, "properties": properties}


def write_geojson(features: Sequence[Feature], names: Mapping[str, str] | None = None) -> str:
    """A FeatureCollection in the plan format (what `deconflict check` reads)."""
    collection = {
        "type": "FeatureCollection",
        "features": [feature_to_geojson(f) for f in features],
    }
    return json.dumps(collection, indent=1, ensure_ascii=False) + "\n"


def write_notams(features: Sequence[Feature], names: Mapping[str, str] | None = None) -> str:
    """A NOTAM-style text for each activity, numbered in order, separated by a blank line."""
    activities = [f for f in features if f.kind is Kind.ACTIVITY]
    return "\n\n".join(
        notam_text(f, names, number=f"A{i:04d}/{f.window.start:%y}")
        for i, f in enumerate(activities, start=1)
    ) + ("\n" if activities else "")


READERS: dict[str, Reader] = {
    "geojson": read_geojson,
    "kml": read_kml,
    "csv": read_sites_csv,
    "cot": read_cot,
    "aco": read_aco,
}
WRITERS: dict[str, Writer] = {
    "geojson": write_geojson,
    "kml": write_kml,
    "csv": write_sites_csv,
    "cot": write_cot,
    "aco": write_aco,
    "notam": write_notams,
}
MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "csv": "text/csv; charset=utf-8",
    "cot": "application/xml",
    "aco": "text/plain; charset=utf-8",
    "notam": "text/plain; charset=utf-8",
}
_SUFFIXES = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
    ".csv": "csv",
    ".tsv": "csv",
    ".cot": "cot",
    ".xml": "cot",
    ".aco": "aco",
}


def format_of(path: Path, text: str) -> str:
    """The format a file is in, from its suffix, else from how it begins; ValueError if unknown."""
    found = _SUFFIXES.get(path.suffix.lower())
    if found is not None:
        return found
    head = text.lstrip("\ufeff \t\r\n")[:2000]
    if head.startswith("{"):
        return "geojson"
    if "<kml" in head:
        return "kml"
    if "<event" in head:
        return "cot"
    if "MSGID/ACO" in head.upper():
        return "aco"
    raise ValueError(
        f"cannot tell the format of {path.name}; give --format ({', '.join(sorted(READERS))})"
    )
