"""Reading a plan: a GeoJSON FeatureCollection of zones and activities.

Every problem in the file is collected and reported together, each naming
the feature id, the field and what is wrong, so a planner fixes a draft in
one pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.geo.geojson import ProblemList, parse_shape, read_length_m, shape_to_geojson
from deconflict.rules.feature import UNBOUNDED, AltitudeBand, Feature, Kind, TimeWindow

_KNOWN_PROPERTIES = {
    "kind",
    "party",
    "start",
    "end",
    "altitude",
    "buffer_m",
    "name",
    "activity",
    "radius_m",
    "half_width_m",
}


def parse_plan(document: Any) -> list[Feature]:
    """The features of a FeatureCollection; raises InvalidPlan listing every problem."""
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        raise InvalidPlan(
            [
                InvalidFeature(
                    "the plan must be a GeoJSON FeatureCollection",
                    field="type",
                    value=document.get("type") if isinstance(document, Mapping) else None,
                )
            ]
        )
    raw = document.get("features")
    if not isinstance(raw, list):
        raise InvalidPlan(
            [InvalidFeature("must be a list of Features", field="features", value=None)]
        )
    features: list[Feature] = []
    problems: list[InvalidFeature] = []
    seen: set[str] = set()
    for position, item in enumerate(raw):
        feature, found = parse_feature(item, position)
        problems.extend(found)
        if feature is None:
            continue
        if feature.id in seen:
            problems.append(
                InvalidFeature(
                    "id is used by an earlier feature",
                    feature_id=feature.id,
                    field="id",
                    value=feature.id,
                )
            )
        seen.add(feature.id)
        features.append(feature)
    if problems:
        raise InvalidPlan(problems)
    return features


def parse_feature(item: Any, position: int = 0) -> tuple[Feature | None, list[InvalidFeature]]:
    """One GeoJSON Feature as a zone or activity, or None and everything wrong with it.

    A feature without a usable id is named by its position (`#3`).
    """
    label = f"#{position}"
    if not isinstance(item, Mapping) or item.get("type") != "Feature":
        return None, [
            InvalidFeature(
                "must be a GeoJSON Feature",
                feature_id=label,
                field="type",
                value=item.get("type") if isinstance(item, Mapping) else None,
            )
        ]
    problems = ProblemList(label)
    feature_id = item.get("id")
    if not isinstance(feature_id, str) or not feature_id.strip():
        problems.add("id", feature_id, "every feature needs an id (a non-empty string)")
    else:
        problems.feature_id = feature_id
    properties = item.get("properties")
    if not isinstance(properties, Mapping):
        problems.add("properties", properties, "must be an object")
        return None, problems.found
    kind = _read_kind(properties.get("kind"), problems)
    party = _read_text(properties, "party", problems, required=True)
    window = _read_window(properties, problems)
    band = _read_band(properties.get("altitude"), problems)
    buffer_m = read_length_m(properties.get("buffer_m"), "buffer_m", problems)
    name = _read_text(properties, "name", problems)
    activity = _read_text(properties, "activity", problems)
    shape, shape_problems = parse_shape(item.get("geometry"), properties, problems.feature_id)
    problems.found.extend(shape_problems)
    if problems.found or shape is None or kind is None or party is None or window is None:
        return None, problems.found
    extra = {k: v for k, v in properties.items() if k not in _KNOWN_PROPERTIES}
    return Feature(
        str(feature_id), kind, party, shape, window, band, buffer_m, name, activity, extra
    ), []


def feature_to_geojson(feature: Feature) -> dict[str, Any]:
    """The feature as a GeoJSON Feature in the plan format (`parse_feature` reads it back)."""
    geometry, reach = shape_to_geojson(feature.shape)
    properties: dict[str, Any] = {
        **feature.extra,
        "kind": feature.kind.value,
        "party": feature.party,
        "start": format_time(feature.window.start),
        "end": format_time(feature.window.end) if feature.window.end else None,
        "buffer_m": feature.buffer_m,
        **reach,
    }
    if feature.band != UNBOUNDED:
        properties["altitude"] = {"lower_m": feature.band.lower_m, "upper_m": feature.band.upper_m}
    if feature.name is not None:
        properties["name"] = feature.name
    if feature.activity is not None:
        properties["activity"] = feature.activity
    return {"type": "Feature", "id": feature.id, "geometry": geometry, "properties": properties}


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second (or finer when the time has it)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _read_kind(value: Any, problems: ProblemList) -> Kind | None:
    try:
        return Kind(value)
    except ValueError:
        problems.add("kind", value, "must be 'zone' or 'activity'")
        return None


def _read_text(
    properties: Mapping[str, Any], field: str, problems: ProblemList, required: bool = False
) -> str | None:
    value = properties.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(field, value, "must be a non-empty string")
        return None
    return value


def parse_time(value: Any) -> datetime:
    """An ISO 8601 date-time with a UTC offset (`Z` or `+hh:mm`), as aware UTC.

    Raises ValueError for anything else, naive times included.

    >>> parse_time("2026-09-07T12:00:00+03:00").isoformat()
    '2026-09-07T09:00:00+00:00'
    """
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("is not an ISO 8601 date-time (e.g. 2026-09-07T12:00:00Z)") from None
    if moment.tzinfo is None:
        raise ValueError("needs a time zone (add Z for UTC)")
    return moment.astimezone(UTC)


def _read_moment(
    properties: Mapping[str, Any], field: str, problems: ProblemList
) -> datetime | None:
    try:
        return parse_time(properties.get(field))
    except ValueError as error:
        problems.add(field, properties.get(field), str(error))
        return None


def _read_window(properties: Mapping[str, Any], problems: ProblemList) -> TimeWindow | None:
    start = _read_moment(properties, "start", problems)
    end = None if properties.get("end") is None else _read_moment(properties, "end", problems)
    if start is None or (end is None and properties.get("end") is not None):
        return None
    if end is not None and end <= start:
        problems.add("end", properties.get("end"), "must be after start")
        return None
    return TimeWindow(start, end)


def _read_band(value: Any, problems: ProblemList) -> AltitudeBand:
    if value is None:
        return UNBOUNDED
    if not isinstance(value, Mapping):
        problems.add("altitude", value, "must be an object {lower_m, upper_m}")
        return UNBOUNDED
    lower = _read_height(value.get("lower_m"), "altitude.lower_m", problems)
    upper = _read_height(value.get("upper_m"), "altitude.upper_m", problems)
    if lower is not None and upper is not None and lower > upper:
        problems.add("altitude", dict(value), f"lower_m {lower} is above upper_m {upper}")
    return AltitudeBand(lower, upper)


def _read_height(value: Any, field: str, problems: ProblemList) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.add(field, value, "must be a number of metres")
        return None
    return float(value)
