"""Turning rows into the line's values and back: one place for every column mapping."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from functools import lru_cache
from typing import Any

from deconflict.i18n.messages import MessageCode
from deconflict.line.model import (
    ConflictView,
    Declared,
    Message,
    Notice,
    NoticeState,
    ResponseKind,
    Share,
)
from deconflict.line.views import altitude_json
from deconflict.rules.altitude import AltitudeMeet
from deconflict.rules.feature import Feature
from deconflict.rules.plan import feature_to_geojson, parse_feature
from deconflict.rules.schedule import Overlaps, TimeWindow

NOTICE_COLUMNS = (
    "id, feature_id, feature_version, sender, recipient, priority, state, sent_at, respond_by,"
    " conflicts, overdue_at, response, withheld"
)
VOLUME_COLUMNS = "document, version, share, cancelled_at, closed_at"


def document(feature: Feature) -> str:
    """The stored form of a feature: its plan-format GeoJSON."""
    return json.dumps(feature_to_geojson(feature), separators=(",", ":"))


@lru_cache(maxsize=32_768)
def feature_of(stored: str) -> Feature:
    """A feature back from its stored form (cached: features are immutable values).

    Parsing costs about 28 µs; a check touches the same neighbours again and
    again, so the cache takes that off the hot path.
    """
    feature, problems = parse_feature(json.loads(stored))
    assert feature is not None, problems  # only validated features are ever stored
    return feature


def ends_at_s(feature: Feature) -> float | None:
    """When the feature's last occurrence ends, in seconds since the epoch (the stored column the
    line closes out ended activities by); None: open-ended or until further notice."""
    end = feature.span.end
    return end.timestamp() if end is not None else None


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def declared_of(row: sqlite3.Row | tuple[Any, ...]) -> Declared:
    """A Declared from (document, version, share, cancelled_at, closed_at)."""
    return Declared(feature_of(row[0]), int(row[1]), Share(row[2]), moment(row[3]), moment(row[4]))


def conflicts_json(views: tuple[ConflictView, ...]) -> str:
    return json.dumps(
        [
            {
                "party": v.party,
                "start": v.start.isoformat(),
                "end": v.end.isoformat() if v.end else None,
                "feature_id": v.feature_id,
                "other_id": v.other_id,
                "distance_m": v.distance_m,
                "contact": v.contact,
                "private": v.private,
                **_conflict_extras(v),
            }
            for v in views
        ]
    )


def _conflict_extras(view: ConflictView) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if view.occurrences is not None:
        windows = [
            [w.start.isoformat(), w.end.isoformat() if w.end else None]
            for w in view.occurrences.windows
        ]
        extras["occurrences"] = {"windows": windows, "total": view.occurrences.total}
    if view.altitude is not None:
        extras["altitude"] = altitude_json(view.altitude)
    return extras


def _occurrences_of(item: dict[str, Any] | None) -> Overlaps | None:
    if item is None:
        return None
    windows = []
    for start, end in item["windows"]:
        begins = moment(start)
        assert begins is not None
        windows.append(TimeWindow(begins, moment(end)))
    return Overlaps(tuple(windows), item["total"])


def _altitude_of(item: dict[str, Any] | None) -> AltitudeMeet | None:
    if item is None:
        return None
    return AltitudeMeet(True, tuple(item["datums"]), float(item["widened_m"]))


def _conflict_of(item: dict[str, Any]) -> ConflictView:
    start = moment(item["start"])
    assert start is not None
    return ConflictView(
        item["party"],
        start,
        moment(item["end"]),
        item["feature_id"],
        item["other_id"],
        item["distance_m"],
        item["contact"],
        bool(item.get("private", False)),
        _occurrences_of(item.get("occurrences")),
        _altitude_of(item.get("altitude")),
    )


def notice_of(row: tuple[Any, ...], messages: tuple[Message, ...]) -> Notice:
    """A Notice from a row of NOTICE_COLUMNS and its thread."""
    sent_at = moment(row[7])
    assert sent_at is not None
    return Notice(
        id=int(row[0]),
        feature_id=row[1],
        feature_version=int(row[2]),
        sender=row[3],
        recipient=row[4],
        priority=bool(row[5]),
        state=NoticeState(row[6]),
        sent_at=sent_at,
        respond_by=moment(row[8]),
        conflicts=tuple(_conflict_of(item) for item in json.loads(row[9])),
        overdue_at=moment(row[10]),
        response=ResponseKind(row[11]) if row[11] else None,
        messages=messages,
        withheld=bool(row[12]),
    )


def messages_of(db: sqlite3.Connection, notice_id: int) -> tuple[Message, ...]:
    """The thread of a notice, oldest first."""
    rows = db.execute(
        "SELECT id, code, params, sender, at, text FROM message WHERE notice_id = ? ORDER BY id",
        (notice_id,),
    )
    return tuple(
        Message(
            MessageCode(code),
            json.loads(params),
            sender,
            datetime.fromisoformat(at),
            text,
            int(message_id),
        )
        for message_id, code, params, sender, at, text in rows
    )


def notices_where(db: sqlite3.Connection, where: str, args: tuple[Any, ...]) -> list[Notice]:
    """Notices matching a WHERE clause, each with its thread."""
    rows = db.execute(f"SELECT {NOTICE_COLUMNS} FROM notice WHERE {where}", args).fetchall()
    return [notice_of(row, messages_of(db, int(row[0]))) for row in rows]
