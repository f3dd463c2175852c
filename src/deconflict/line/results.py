"""What the line's use cases answer: frozen values, each with one JSON rendering.

The answers are as the acting party sees them (times already ISO 8601 UTC,
messages already in its language), so `document()` is the body the API sends
and `from_document()` rebuilds the same value from it exactly: a retried
request is answered from the stored document of the first answer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeAlias

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = dict[str, JsonValue]
"""A JSON document as it is sent (a GeoJSON feature, a receipt)."""


@dataclass(frozen=True)
class WindowSeen:
    """One time window, ISO 8601 UTC (end None: until further notice)."""

    start: str | None
    end: str | None


@dataclass(frozen=True)
class OccurrencesSeen:
    """Where two features meet: the first occurrences, and how many (None: until further notice)."""

    windows: tuple[WindowSeen, ...]
    total: int | None

    def document(self) -> JsonObject:
        """As JSON."""
        return {
            "windows": [{"start": w.start, "end": w.end} for w in self.windows],
            "total": self.total,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        windows = tuple(WindowSeen(w["start"], w["end"]) for w in document["windows"])
        return cls(windows, document["total"])


@dataclass(frozen=True)
class AltitudeSeen:
    """How mixed datums were compared: which datums, and how far the bands were widened (m)."""

    datums: tuple[str, ...]
    widened_m: float

    def document(self) -> JsonObject:
        """As JSON."""
        return {"datums": list(self.datums), "widened_m": self.widened_m}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(tuple(document["datums"]), document["widened_m"])


@dataclass(frozen=True)
class ConflictSeen:
    """A conflict as one party may know it.

    `against` None: the other feature is a `contact` zone of another party,
    shown only by its party and published contact (no id, shape, distance,
    window, occurrences or altitude: `start` and `end` are None).
    """

    party: str
    feature: str | None
    start: str | None
    end: str | None
    against: str | None = None
    distance_m: float | None = None
    contact: str | None = None
    occurrences: OccurrencesSeen | None = None
    altitude: AltitudeSeen | None = None

    def document(self) -> JsonObject:
        """As JSON: `against` and `distance_m`, or `contact` and `shape_withheld`."""
        body: JsonObject = {
            "party": self.party,
            "feature": self.feature,
            "start": self.start,
            "end": self.end,
        }
        if self.against is not None:
            body["against"] = self.against
            body["distance_m"] = self.distance_m
        else:
            body["contact"] = self.contact
            body["shape_withheld"] = True
        if self.occurrences is not None:
            body["occurrences"] = self.occurrences.document()
        if self.altitude is not None:
            body["altitude"] = self.altitude.document()
        return body

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        occurrences = document.get("occurrences")
        altitude = document.get("altitude")
        return cls(
            document["party"],
            document["feature"],
            document["start"],
            document["end"],
            against=document.get("against"),
            distance_m=document.get("distance_m"),
            contact=document.get("contact"),
            occurrences=None if occurrences is None else OccurrencesSeen.from_document(occurrences),
            altitude=None if altitude is None else AltitudeSeen.from_document(altitude),
        )


@dataclass(frozen=True)
class MessageSeen:
    """One message of a thread, rendered in the reader's language; free text marked as such.

    `texts` holds the same message rendered in every language the line speaks, so a console
    shows it in its own language; `as_typed` is the free text exactly as its sender typed it
    (a view stored before either existed reads back with them empty).
    """

    id: int
    code: str
    sender: str
    at: str | None
    params: dict[str, str]
    text: str
    free_text: str | None
    texts: dict[str, str] = field(default_factory=dict)
    as_typed: str | None = None

    def document(self) -> JsonObject:
        """As JSON."""
        return {
            "id": self.id,
            "code": self.code,
            "sender": self.sender,
            "at": self.at,
            "params": dict(self.params),
            "text": self.text,
            "free_text": self.free_text,
            "texts": dict(self.texts),
            "as_typed": self.as_typed,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(
            document["id"],
            document["code"],
            document["sender"],
            document["at"],
            dict(document["params"]),
            document["text"],
            document["free_text"],
            dict(document.get("texts") or {}),
            document.get("as_typed"),
        )


@dataclass(frozen=True)
class NoticeSeen:
    """A notice as its sender or recipient sees it (feature and version None when withheld)."""

    id: int
    feature: str | None
    version: int | None
    sender: str
    recipient: str
    priority: bool
    state: str
    sent_at: str | None
    respond_by: str | None
    overdue: bool
    overdue_at: str | None
    response: str | None
    conflicts: tuple[ConflictSeen, ...]
    thread: tuple[MessageSeen, ...]

    def document(self) -> JsonObject:
        """As JSON."""
        return {
            "id": self.id,
            "feature": self.feature,
            "version": self.version,
            "sender": self.sender,
            "recipient": self.recipient,
            "priority": self.priority,
            "state": self.state,
            "sent_at": self.sent_at,
            "respond_by": self.respond_by,
            "overdue": self.overdue,
            "overdue_at": self.overdue_at,
            "response": self.response,
            "conflicts": [c.document() for c in self.conflicts],
            "thread": [m.document() for m in self.thread],
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(
            document["id"],
            document["feature"],
            document["version"],
            document["sender"],
            document["recipient"],
            document["priority"],
            document["state"],
            document["sent_at"],
            document["respond_by"],
            document["overdue"],
            document["overdue_at"],
            document["response"],
            tuple(ConflictSeen.from_document(c) for c in document["conflicts"]),
            tuple(MessageSeen.from_document(m) for m in document["thread"]),
        )


@dataclass(frozen=True)
class Recorded(ABC):
    """An answer of a step that may write the record: `receipt` proves its first entry.

    None when the step wrote nothing to the record; then the document has no `receipt`.
    """

    receipt: JsonObject | None = field(default=None, kw_only=True)

    def document(self) -> JsonObject:
        """As JSON, the receipt last."""
        body = self._body()
        if self.receipt is not None:
            body["receipt"] = self.receipt
        return body

    @abstractmethod
    def _body(self) -> JsonObject:
        """The document without the receipt."""

    @classmethod
    @abstractmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""


@dataclass(frozen=True)
class NoticeSent:
    """A notice a declaration sent: to whom, whether it is priority, and its deadline."""

    id: int
    recipient: str
    priority: bool
    respond_by: str | None

    def document(self) -> JsonObject:
        """As JSON."""
        return {
            "id": self.id,
            "recipient": self.recipient,
            "priority": self.priority,
            "respond_by": self.respond_by,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(
            document["id"], document["recipient"], document["priority"], document["respond_by"]
        )


@dataclass(frozen=True)
class Declaration(Recorded):
    """A feature declared or amended: its GeoJSON, its conflicts as the party sees them, the
    notices sent."""

    feature: JsonObject
    conflicts: tuple[ConflictSeen, ...]
    notices: tuple[NoticeSent, ...]

    def _body(self) -> JsonObject:
        return {
            "feature": self.feature,
            "conflicts": [c.document() for c in self.conflicts],
            "notices": [n.document() for n in self.notices],
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(
            dict(document["feature"]),
            tuple(ConflictSeen.from_document(c) for c in document["conflicts"]),
            tuple(NoticeSent.from_document(n) for n in document["notices"]),
            receipt=document.get("receipt"),
        )


@dataclass(frozen=True)
class Imported:
    """One feature of a batch stored: how many conflicts it has and notices it sent."""

    id: str
    conflicts: int
    notices: int

    def document(self) -> JsonObject:
        """As JSON."""
        return {"id": self.id, "conflicts": self.conflicts, "notices": self.notices}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(document["id"], document["conflicts"], document["notices"])


@dataclass(frozen=True)
class Refused:
    """One feature of a batch not stored: its place in the batch (from 0) and why."""

    index: int
    id: str
    errors: tuple[str, ...]

    def document(self) -> JsonObject:
        """As JSON."""
        return {"index": self.index, "id": self.id, "errors": list(self.errors)}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(document["index"], document["id"], tuple(document["errors"]))


@dataclass(frozen=True)
class Batch(Recorded):
    """A batch declared: the features stored and those refused (only with `partial`)."""

    imported: tuple[Imported, ...]
    refused: tuple[Refused, ...]

    def _body(self) -> JsonObject:
        return {
            "imported": [i.document() for i in self.imported],
            "refused": [r.document() for r in self.refused],
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(
            tuple(Imported.from_document(i) for i in document["imported"]),
            tuple(Refused.from_document(r) for r in document["refused"]),
            receipt=document.get("receipt"),
        )


@dataclass(frozen=True)
class Cancellation(Recorded):
    """A feature cancelled: its new (cancelled) version as GeoJSON."""

    feature: JsonObject

    def _body(self) -> JsonObject:
        return {"feature": self.feature}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(dict(document["feature"]), receipt=document.get("receipt"))


@dataclass(frozen=True)
class NoticeAnswer(Recorded):
    """A notice after a response, a reply or a read, as the acting party sees it."""

    notice: NoticeSeen

    def _body(self) -> JsonObject:
        return {"notice": self.notice.document()}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """The inverse of `document`."""
        return cls(NoticeSeen.from_document(document["notice"]), receipt=document.get("receipt"))


@dataclass(frozen=True)
class DryRun:
    """The conflicts a declaration would have, as the party would see them."""

    conflicts: tuple[ConflictSeen, ...]

    def document(self) -> JsonObject:
        """As JSON."""
        return {"conflicts": [c.document() for c in self.conflicts]}


@dataclass(frozen=True)
class ProbeSeen:
    """What a zone's owner is told of a probe: who checked which feature against which of its
    `contact` zones, when, and the record entry that keeps it."""

    at: str | None
    party: str
    party_name: str
    zone: str
    zone_name: str | None
    feature: JsonObject
    entry: int

    def document(self) -> JsonObject:
        """As JSON: the event the owner's consoles receive."""
        return {
            "at": self.at,
            "party": self.party,
            "party_name": self.party_name,
            "zone": self.zone,
            "zone_name": self.zone_name,
            "feature": self.feature,
            "entry": self.entry,
        }


@dataclass(frozen=True)
class Tick:
    """What one tick did: the notices escalated and the activities closed out (their ids)."""

    escalated: tuple[int, ...]
    closed: tuple[str, ...]

    def document(self) -> JsonObject:
        """As JSON."""
        return {"escalated": list(self.escalated), "closed": list(self.closed)}
