"""The bundled examples `deconflict example NAME` prints: a plan and an aid agency's site list.

The At Tanf plan is written for the night of 6-7 September 2026. It is printed
moved by whole days so that its first activity starts within the coming day:
what it shows (who conflicts with whom, and when in the day) is unchanged, and
its activities can be notified to a line, which refuses activities that are over.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from deconflict.rules.plan import format_time, parse_time

__all__ = ["EXAMPLES", "example_text", "shift_plan"]

EXAMPLES = {
    "at-tanf": ("at-tanf.geojson", "a plan: zones and activities of three parties near At Tanf"),
    "sites-csv": ("hospitals.csv", "an aid agency's site list (CSV) of hospitals and clinics"),
}
"""Each example's name, its file here and what it is."""

# The first activity starts at least this long after now, so there is time to answer its notice.
_LEAD = timedelta(hours=2)
_DAY = timedelta(days=1)


def example_text(name: str, now: datetime) -> str:
    """The example's text as printed at `now`; KeyError for a name not in EXAMPLES."""
    file_name, _ = EXAMPLES[name]
    text = (resources.files(__name__) / file_name).read_text(encoding="utf-8")
    if not file_name.endswith(".geojson"):
        return text
    plan = json.loads(text)
    moved = shift_plan(plan, _days_to_come(plan, now))
    return json.dumps(moved, indent=1, ensure_ascii=False) + "\n"


def shift_plan(plan: dict[str, Any], by: timedelta) -> dict[str, Any]:
    """The plan with every time (start, end, repeat.until) moved by `by`; all else as it was.

    >>> plan = {"features": [{"properties": {"start": "2026-09-06T22:00:00Z", "end": None}}]}
    >>> shift_plan(plan, timedelta(days=2))["features"][0]["properties"]
    {'start': '2026-09-08T22:00:00Z', 'end': None}
    """
    features = []
    for feature in plan["features"]:
        properties = dict(feature["properties"])
        for name in ("start", "end"):
            properties[name] = _moved(properties.get(name), by)
        if isinstance(properties.get("repeat"), dict):
            repeat = dict(properties["repeat"])
            repeat["until"] = _moved(repeat.get("until"), by)
            properties["repeat"] = repeat
        features.append({**feature, "properties": properties})
    return {**plan, "features": features}


def _moved(value: Any, by: timedelta) -> Any:
    """An ISO time moved by `by`; None, "UFN" and absent values as they are."""
    if not isinstance(value, str) or value.upper() == "UFN":
        return value
    return format_time(parse_time(value) + by)


def _days_to_come(plan: dict[str, Any], now: datetime) -> timedelta:
    """Whole days that bring the plan's first activity to within a day after now (plus lead)."""
    starts = [
        parse_time(f["properties"]["start"])
        for f in plan["features"]
        if f["properties"].get("kind") == "activity"
    ]
    first = min(starts)
    days = math.ceil((now + _LEAD - first) / _DAY)
    return days * _DAY
