"""Reading a plan: a GeoJSON FeatureCollection of zones and activities.

Every problem in the file is collected and reported together, each naming
the feature id, the field and what is wrong, so a planner fixes a draft in
one pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.geo.geojson import ProblemList, parse_shape, read_length_m, shape_to_geojson
from deconflict.rules.altitude import Datum, parse_level
from deconflict.rules.feature import UNBOUNDED, AltitudeBand, Feature, Kind, TimeWindow
from deconflict.rules.forked import map_chunks, workers_for
from deconflict.rules.ids import ID_SYNTAX, id_problem, normal_id
from deconflict.rules.limits import Limits
from deconflict.rules.moments import out_of_range
from deconflict.rules.schedule import WEEKDAYS, Every, Recurrence
from deconflict.rules.volume import plan_box

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
    "sector",
    "orbit",
    "track",
    "repeat",
}


# Written by the line for maps; never read back as the feature's own.
_DERIVED = {"outline"}


def parse_plan(document: Any, limits: Limits | None = None) -> list[Feature]:
    """The features of a FeatureCollection; raises InvalidPlan listing every problem.

    With `limits`, a feature with more vertices than one may have is one of the problems.
    """
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
    seen: set[tuple[str, str]] = set()  # (party, id): ids are per party
    for feature, found in _parsed_features(raw, limits):
        problems.extend(found)
        if feature is None:
            continue
        if (feature.party, feature.id) in seen:
            problems.append(
                InvalidFeature(
                    "id is used by an earlier feature of the same party",
                    feature_id=feature.id,
                    field="id",
                    value=feature.id,
                )
            )
        seen.add((feature.party, feature.id))
        features.append(feature)
    if problems:
        raise InvalidPlan(problems)
    return features


Parsed = tuple[Feature | None, list[InvalidFeature]]

# From this many features on, a plan is read on every core: sketching sectors, orbits and
# tracks is most of the work, and a feature read in a worker comes back in well under
# the time it took to read.
_PARALLEL_FROM_FEATURES = 2_000


def _parsed_features(raw: list[Any], limits: Limits | None) -> list[Parsed]:
    """`parse_feature` of every item, in order: on every core for a large plan."""
    workers = workers_for(len(raw), _PARALLEL_FROM_FEATURES)
    return map_chunks(_parsed_range, (raw, limits), range(len(raw)), workers)


def _parsed_range(shared: tuple[list[Any], Limits | None], positions: range) -> list[Parsed]:
    """The items at `positions`, each feature read boxed for a plan's index (`plan_box`):
    on every core for a large plan, the box comes back with the feature."""
    raw, limits = shared
    parsed = [parse_feature(raw[position], position, limits) for position in positions]
    for feature, _ in parsed:
        if feature is not None:
            plan_box(feature)
    return parsed


def parse_feature(
    item: Any, position: int = 0, limits: Limits | None = None
) -> tuple[Feature | None, list[InvalidFeature]]:
    """One GeoJSON Feature as a zone or activity, or None and everything wrong with it.

    A feature without a usable id is named by its position (`#3`). With `limits`, a
    geometry with too many vertices is refused before anything else of it is read.
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
        feature_id = normal_id(feature_id)
        wrong = id_problem(feature_id)
        if wrong is None:
            problems.feature_id = feature_id
        else:
            problems.add("id", feature_id, f"the id {feature_id!r} {wrong}; an id is {ID_SYNTAX}")
    too_large = (
        limits.feature_problem(problems.feature_id, item.get("geometry")) if limits else None
    )
    if too_large is not None:
        return None, [*problems.found, too_large]
    properties = item.get("properties")
    if not isinstance(properties, Mapping):
        problems.add("properties", properties, "must be an object")
        return None, problems.found
    kind = _read_kind(properties.get("kind"), problems)
    party = _read_text(properties, "party", problems, required=True)
    window = _read_window(properties, problems)
    repeat = _read_repeat(properties.get("repeat"), window, problems)
    band = _read_band(properties.get("altitude"), problems)
    buffer_m = read_length_m(properties.get("buffer_m"), "buffer_m", problems)
    name = _read_text(properties, "name", problems)
    activity = _read_text(properties, "activity", problems)
    shape, shape_problems = parse_shape(item.get("geometry"), properties, problems.feature_id)
    problems.found.extend(shape_problems)
    if problems.found or shape is None or kind is None or party is None or window is None:
        return None, problems.found
    extra = {k: v for k, v in properties.items() if k not in _KNOWN_PROPERTIES | _DERIVED}
    return Feature(
        str(feature_id), kind, party, shape, window, band, buffer_m, name, activity, extra, repeat
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
        properties["altitude"] = band_to_json(feature.band)
    if feature.repeat is not None:
        properties["repeat"] = repeat_to_json(feature.repeat)
    if feature.name is not None:
        properties["name"] = feature.name
    if feature.activity is not None:
        properties["activity"] = feature.activity
    return {"type": "Feature", "id": feature.id, "geometry": geometry, "properties": properties}


@lru_cache(maxsize=4096)
def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second (or finer when the time has it).

    Kept for the moments met lately: a declaration writes its window's ends in about ten
    places (its entry, its document, each notice's entry and event), and equal moments
    (the same instant, whatever its offset) have the same UTC text.
    """
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

    Raises ValueError for anything else, naive times and times outside the
    line's span (rules/moments.py) included.

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
    problem = out_of_range(moment)
    if problem is not None:
        raise ValueError(problem)
    return moment.astimezone(UTC)


def _read_moment(
    properties: Mapping[str, Any], field: str, problems: ProblemList
) -> datetime | None:
    try:
        return parse_time(properties.get(field))
    except ValueError as error:
        problems.add(field, properties.get(field), str(error), "unreadable_time")
        return None


def _read_window(properties: Mapping[str, Any], problems: ProblemList) -> TimeWindow | None:
    start = _read_moment(properties, "start", problems)
    end = None if properties.get("end") is None else _read_moment(properties, "end", problems)
    if start is None or (end is None and properties.get("end") is not None):
        return None
    if end is not None and end <= start:
        problems.add("end", properties.get("end"), "must be after start", "end_not_after_start")
        return None
    return TimeWindow(start, end)


def band_to_json(band: AltitudeBand) -> dict[str, Any]:
    """The band in the plan format: metres, the datum, and what else it carries."""
    document: dict[str, Any] = {
        "lower_m": band.lower_m,
        "upper_m": band.upper_m,
        "datum": band.datum.value,
    }
    if band.upper_datum is not None and band.upper_datum is not band.datum:
        document["upper_datum"] = band.upper_datum.value
    if band.ground_m is not None:
        document["ground_m"] = list(band.ground_m)
    return document


def repeat_to_json(repeat: Recurrence) -> dict[str, Any]:
    """The recurrence in the plan format (`until` is a time or "UFN")."""
    document: dict[str, Any] = {"every": repeat.every.value, "interval": repeat.interval}
    if repeat.weekdays:
        document["on"] = [WEEKDAYS[d] for d in sorted(repeat.weekdays)]
    document["until"] = format_time(repeat.until) if repeat.until is not None else "UFN"
    return document


_BAND_FIELDS = ("lower_m", "upper_m", "lower", "upper", "datum", "upper_datum", "ground_m")


def _read_band(value: Any, problems: ProblemList) -> AltitudeBand:
    if value is None:
        return UNBOUNDED
    if not isinstance(value, Mapping):
        problems.add("altitude", value, "must be an object {lower_m, upper_m, datum}")
        return UNBOUNDED
    before = len(problems.found)
    for name in value:
        if name not in _BAND_FIELDS:
            problems.add(
                f"altitude.{name}", value[name], f"unknown; expected {', '.join(_BAND_FIELDS)}"
            )
    datum = _read_datum(value.get("datum"), "altitude.datum", Datum.MSL, problems)
    upper_datum = _read_datum(value.get("upper_datum"), "altitude.upper_datum", datum, problems)
    lower, datum = _read_bound(value, "lower", datum, problems)
    upper, upper_datum = _read_bound(value, "upper", upper_datum, problems)
    ground = _read_ground(value.get("ground_m"), problems)
    band = AltitudeBand(
        lower, upper, datum, upper_datum if upper_datum is not datum else None, ground
    )
    if len(problems.found) > before:
        return UNBOUNDED
    if lower is not None and upper is not None and band.datums == {datum} and lower > upper:
        problems.add(
            "altitude",
            dict(value),
            f"lower_m {lower} is above upper_m {upper}",
            "lower_above_upper",
        )
    elif lower is not None and upper is not None:
        low, high = band.ellipsoid_range()
        if low > high:
            problems.add(
                "altitude",
                dict(value),
                "the lower bound is above the upper bound",
                "lower_above_upper",
            )
    return band


def _read_datum(value: Any, field: str, default: Datum, problems: ProblemList) -> Datum:
    if value is None:
        return default
    try:
        return Datum(value.lower() if isinstance(value, str) else value)
    except ValueError:
        problems.add(field, value, "must be 'wgs84', 'msl', 'agl' or 'fl'")
        return default


def _read_bound(
    value: Mapping[str, Any], side: str, datum: Datum, problems: ProblemList
) -> tuple[float | None, Datum]:
    """One bound, as metres (`lower_m`) in the band's datum or as text (`lower`: FL100, SFC)."""
    metres, text = value.get(f"{side}_m"), value.get(side)
    if metres is not None and text is not None:
        problems.add(f"altitude.{side}", text, f"give {side}_m or {side}, not both")
        return None, datum
    if text is None:
        return _read_height(metres, f"altitude.{side}_m", problems), datum
    if not isinstance(text, str):
        problems.add(f"altitude.{side}", text, "must be text such as FL350, SFC or '1500 ft AGL'")
        return None, datum
    try:
        return parse_level(text, datum)
    except ValueError as error:
        problems.add(f"altitude.{side}", text, str(error))
        return None, datum


def _read_ground(value: Any, problems: ProblemList) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value, value]
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(v) for v in value)
        or value[0] > value[1]
    ):
        problems.add(
            "altitude.ground_m",
            value,
            "must be the ground's [lowest, highest] metres above sea level beneath the feature",
        )
        return None
    return float(value[0]), float(value[1])


_EVERY = {
    "day": Every.DAY,
    "daily": Every.DAY,
    "week": Every.WEEK,
    "weekly": Every.WEEK,
    "hours": Every.HOURS,
    "hourly": Every.HOURS,
}
_REPEAT_FIELDS = ("every", "interval", "on", "until")
# A schedule walked occurrence by occurrence must end within reach.
_LONGEST_SCHEDULE = timedelta(days=3660)


def _read_repeat(value: Any, window: TimeWindow | None, problems: ProblemList) -> Recurrence | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.add("repeat", value, "must be an object {every, interval, on, until}")
        return None
    before = len(problems.found)
    for name in value:
        if name not in _REPEAT_FIELDS:
            problems.add(
                f"repeat.{name}", value[name], f"unknown; expected {', '.join(_REPEAT_FIELDS)}"
            )
    every_text = value.get("every")
    every = _EVERY.get(every_text) if isinstance(every_text, str) else None
    if every is None:
        problems.add("repeat.every", value.get("every"), "must be 'day', 'week' or 'hours'")
    interval = value.get("interval", 1)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= 366:
        problems.add("repeat.interval", interval, "must be a whole number from 1 to 366")
        interval = 1
    weekdays = _read_weekdays(value.get("on"), every, problems)
    until = _read_until(value.get("until"), problems)
    if len(problems.found) > before or every is None or window is None:
        return None
    repeat = Recurrence(every, interval, weekdays, until)
    if window.end is None:
        problems.add("end", None, "a repeating feature needs the end of its first occurrence")
        return None
    if weekdays and window.start.weekday() not in weekdays:
        problems.add(
            "start",
            format_time(window.start),
            f"falls on a {WEEKDAYS[window.start.weekday()]}, which is not in repeat.on",
        )
    duration, gap = window.end - window.start, repeat.shortest_gap(window.start)
    if duration > gap:
        problems.add(
            "end",
            format_time(window.end),
            f"the occurrence lasts {_hours(duration)}, longer than the {_hours(gap)} "
            "until the next one starts",
        )
    if until is not None and until - window.start > _LONGEST_SCHEDULE:
        problems.add("repeat.until", value.get("until"), "is more than 10 years away; use UFN")
    if until is not None and until <= window.start:
        problems.add(
            "repeat.until", value.get("until"), "must be after start", "until_not_after_start"
        )
    return repeat if len(problems.found) == before else None


def _hours(span: timedelta) -> str:
    """A duration as people say it: `26 h`, `90 min`, `7 d`."""
    minutes = round(span.total_seconds() / 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _read_weekdays(value: Any, every: Every | None, problems: ProblemList) -> tuple[int, ...]:
    if value is None:
        return ()
    if every is not Every.WEEK:
        problems.add("repeat.on", value, "weekdays apply to every: 'week'")
        return ()
    names = value if isinstance(value, list) else [value]
    days = []
    for name in names:
        day = name.lower()[:3] if isinstance(name, str) else None
        if day not in WEEKDAYS:
            problems.add("repeat.on", name, f"must be weekdays among {', '.join(WEEKDAYS)}")
            return ()
        days.append(WEEKDAYS.index(day))
    return tuple(sorted(set(days)))


def _read_until(value: Any, problems: ProblemList) -> datetime | None:
    if isinstance(value, str) and value.strip().upper() == "UFN":
        return None
    if value is None:
        problems.add("repeat.until", None, "say when it stops: a date-time, or UFN")
        return None
    try:
        return parse_time(value)
    except ValueError as error:
        problems.add("repeat.until", value, f"{error}, or UFN")
        return None


def _read_height(value: Any, field: str, problems: ProblemList) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.add(field, value, "must be a number of metres")
        return None
    return float(value)
