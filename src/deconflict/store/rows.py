"""Turning rows into the line's values and back: one place for every column mapping.

Both stores keep the same stored forms column for column (ISO 8601 text for
moments, JSON text, seconds as float for the deadlines the line queries), so
this one codec serves both; each store's SQL stays its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from deconflict.i18n.messages import MessageCode
from deconflict.line.entries import Leaf, Readers
from deconflict.line.model import (
    ConflictView,
    Declared,
    Event,
    Message,
    Notice,
    NoticeState,
    ResponseKind,
    Share,
)
from deconflict.line.parties import Party
from deconflict.line.views import altitude_json
from deconflict.record.sealed import Opening
from deconflict.rules.altitude import AltitudeMeet
from deconflict.rules.feature import Feature
from deconflict.rules.plan import feature_to_geojson, parse_feature
from deconflict.rules.schedule import Overlaps, TimeWindow

NOTICE_COLUMNS = (
    "id, feature_id, feature_version, sender, recipient, priority, state, sent_at, respond_by,"
    " conflicts, overdue_at, response, withheld"
)
VOLUME_COLUMNS = "document, version, share, cancelled_at, closed_at"
NEW_NOTICE_COLUMNS = (
    "feature_id",
    "feature_version",
    "sender",
    "recipient",
    "priority",
    "state",
    "sent_at",
    "respond_by",
    "respond_by_s",
    "conflicts",
    "changed_at",
    "withheld",
)
"""The columns `notice_row` gives, in its order."""
NEW_MESSAGE_COLUMNS = ("notice_id", "code", "params", "sender", "at", "text")
"""The columns `message_row` gives, in its order."""


_last_document: tuple[Feature | None, str] = (None, "")
"""The last feature written as a document, and its document (see `document`)."""


def document(feature: Feature) -> str:
    """The stored form of a feature: its plan-format GeoJSON.

    The last one written is kept, by the identity of the (immutable) feature: a step writes
    the same feature twice, as the current volume and as a version of its history.
    """
    global _last_document
    last = _last_document
    if last[0] is feature:
        return last[1]
    written = json.dumps(feature_to_geojson(feature), separators=(",", ":"))
    _last_document = (feature, written)
    return written


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
    """A stored moment back (None stays None)."""
    return datetime.fromisoformat(text) if text is not None else None


def iso(at: datetime | None) -> str | None:
    """A moment's stored form (None stays None)."""
    return at.isoformat() if at is not None else None


def declared_of(row: Sequence[Any]) -> Declared:
    """A Declared from (document, version, share, cancelled_at, closed_at)."""
    return Declared(feature_of(row[0]), int(row[1]), Share(row[2]), moment(row[3]), moment(row[4]))


def version_of(row: Sequence[Any]) -> Declared:
    """A Declared from (document, version, share): a version as such, neither cancelled nor
    closed (as the index and the history hold it)."""
    return Declared(feature_of(row[0]), int(row[1]), Share(row[2]))


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


def message_of(row: Sequence[Any]) -> Message:
    """A Message from (id, code, params, sender, at, text)."""
    message_id, code, params, sender, at, text = row
    return Message(
        MessageCode(code),
        json.loads(params),
        sender,
        datetime.fromisoformat(at),
        text,
        int(message_id),
    )


def event_of(row: Sequence[Any]) -> Event:
    """An Event from (id, party, kind, payload, at)."""
    event_id, party, kind, payload, at = row
    return Event(int(event_id), party, kind, json.loads(payload), datetime.fromisoformat(at))


def notice_row(notice: Notice) -> tuple[Any, ...]:
    """A new notice's columns: feature_id, feature_version, sender, recipient, priority, state,
    sent_at, respond_by, respond_by_s, conflicts, changed_at, withheld."""
    return (
        notice.feature_id,
        notice.feature_version,
        notice.sender,
        notice.recipient,
        int(notice.priority),
        notice.state.value,
        notice.sent_at.isoformat(),
        iso(notice.respond_by),
        notice.respond_by.timestamp() if notice.respond_by else None,
        conflicts_json(notice.conflicts),
        notice.sent_at.isoformat(),
        int(notice.withheld),
    )


def message_row(notice_id: int, message: Message) -> tuple[Any, ...]:
    """A new message's columns: notice_id, code, params, sender, at, text."""
    return (
        notice_id,
        message.code.value,
        json.dumps(message.params),
        message.sender,
        message.at.isoformat(),
        message.text,
    )


def volume_row(declared: Declared) -> tuple[Any, ...]:
    """A feature's current version as columns: feature_id, party, kind, document, version,
    share, cancelled_at, closed_at, ends_at_s."""
    feature = declared.feature
    return (
        feature.id,
        feature.party,
        feature.kind.value,
        document(feature),
        declared.version,
        declared.share.value,
        iso(declared.cancelled_at),
        iso(declared.closed_at),
        ends_at_s(feature),
    )


def version_row(declared: Declared, change: str, at: datetime) -> tuple[Any, ...]:
    """A feature version's history columns: feature_id, version, party, change, document,
    recorded_at, share."""
    feature = declared.feature
    return (
        feature.id,
        declared.version,
        feature.party,
        change,
        document(feature),
        at.isoformat(),
        declared.share.value,
    )


def history_of(row: Sequence[Any]) -> tuple[str, datetime, Declared]:
    """A version from its history row (change, recorded_at, document, version, share)."""
    change, at, stored, version, share = row
    return change, datetime.fromisoformat(at), version_of((stored, version, share))


def party_row(party: Party, at: datetime) -> tuple[Any, ...]:
    """A new party's columns: id, name, language, contact, escalation_contact, created_at."""
    return (
        party.id,
        party.name,
        party.language,
        party.contact,
        party.escalation_contact,
        at.isoformat(),
    )


def payload_json(payload: dict[str, Any]) -> str:
    """The stored form of an event's payload or a remembered result."""
    return _PAYLOAD_ENCODER.encode(payload)


_PAYLOAD_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""`json.dumps(payload, ensure_ascii=False)`'s encoder, made once rather than each time."""


OPENING_COLUMNS = ("idx", "commitment", "salt", "value", "readers")


def opening_rows(first_index: int, leaves: Sequence[Leaf]) -> list[tuple[Any, ...]]:
    """The openings of leaves appended from `first_index` on, as `opening_row`s."""
    return [
        opening_row(index, opening, readers)
        for index, leaf in enumerate(leaves, first_index)
        for opening, readers in leaf.openings
    ]


def opening_row(leaf_index: int, opening: Opening, readers: Readers) -> tuple[Any, ...]:
    """An opening's columns: idx, commitment, salt, value (canonical JSON), readers (a JSON
    list of party ids, sorted; NULL for every party)."""
    return (
        leaf_index,
        opening.commitment,
        opening.salt,
        opening.value_bytes().decode("utf-8"),
        None if readers is None else _readers_json(readers),
    )


@lru_cache(maxsize=1024)
def _readers_json(readers: frozenset[str]) -> str:
    """The readers of an opening as stored: a JSON list of party ids, sorted. Kept for the
    pairs met lately: each notice's openings name its two parties, several to a step."""
    return json.dumps(sorted(readers))


def opening_of(row: Sequence[Any]) -> tuple[int, Opening, Readers]:
    """(leaf index, opening, readers) from its columns (`opening_row`'s order)."""
    index, commitment, salt, value, readers = row
    who = None if readers is None else frozenset(json.loads(readers))
    return int(index), Opening(commitment, bytes(salt), json.loads(value)), who
