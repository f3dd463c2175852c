"""What the line needs of a store: a unit of work for atomic steps, and read queries.

The store runs each use case inside one transaction (`atomic`), so the
conflict check and the writes that follow it commit together or not at all.
Inside it the line's unit of work (`line/unit.py`) decides, draws and records;
the store's side of the step (`StoreTx`) only reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from deconflict.line.deliveries import DeliveryState, Settled
from deconflict.line.entries import Leaf, Signed
from deconflict.line.model import Declared, Event, Message, Notice, NoticeState, ResponseKind
from deconflict.line.parties import Party
from deconflict.record.http_signature import HttpSignature
from deconflict.rules.conflicts import Conflict
from deconflict.rules.feature import Feature

T = TypeVar("T")


class Unrecorded(Protocol):
    """What a step reads, and writes that the record does not hold: the same on both sides of
    the port, so the unit of work passes it through."""

    def declared(self, party: str, feature_id: str) -> Declared | None:
        """The party's feature with this id (ids are per party), current version."""

    def claim(self, features: Iterable[Feature]) -> None:
        """The step will check and write these features: a store that locks by place and name
        may lock them all now, at once, rather than one by one as the step comes to them."""

    def parties(self) -> list[Party]: ...

    def party_key(self, party_id: str) -> str | None: ...

    def notice(self, notice_id: int) -> Notice | None: ...

    def due_notices(self, now: datetime) -> list[Notice]: ...

    def ended_activities(self, now: datetime) -> list[Declared]: ...

    def notices_of_feature(self, party: str, feature_id: str) -> list[Notice]:
        """Notices the party sent about its feature with this id."""

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> None:
        """Store an event for the party's streams (its id is given as the step commits)."""

    def probes_since(self, party: str, since: datetime) -> list[datetime]:
        """When the party's probes after `since` were made, oldest first."""

    def recall(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None: ...

    def remember(self, party: str, key: str, fingerprint: str, result: dict[str, Any]) -> None: ...

    def receipt(self, leaf_index: int) -> dict[str, Any]:
        """Proof of the leaf against a signed checkpoint (just the index without a log key)."""


class LineTx(Unrecorded, Protocol):
    """One atomic step's view of the store; everything written commits together."""

    def conflicts_of(self, feature: Feature) -> list[tuple[Conflict, Declared]]: ...

    def save_feature(
        self, declared: Declared, change: str, at: datetime, signed: Signed | None = None
    ) -> None: ...

    def add_notice(self, notice: Notice, thread: Sequence[Message] = ()) -> Notice:
        """Store a new notice and the first messages of its thread; the notice as stored (its
        id given, its thread these messages with their ids)."""

    def add_message(self, notice: Notice, message: Message, signed: Signed | None = None) -> int:
        """Add a message to the thread of `notice` (a notice as stored: it has its id)."""

    def advance(
        self, notice: Notice, state: NoticeState, at: datetime, response: ResponseKind | None
    ) -> None: ...

    def mark_overdue(self, notice: Notice, at: datetime) -> None: ...

    def add_probe(self, party: str, at: datetime, forget_before: datetime) -> None:
        """Count a probe of the party's (those before `forget_before` no longer count)."""

    def record_probe(self, asker: str, zone: Declared, feature: Feature, at: datetime) -> int:
        """Record that `asker` checked `feature`, which meets `zone`; returns its leaf index."""

    def record_read(
        self,
        party: str,
        at: datetime,
        signed: HttpSignature,
        notice: Notice | None,
        shown: list[int],
    ) -> None:
        """Record that `party` fetched `notice` (None: its inbox, showing `shown`) with a
        signed request."""

    def queue_deliveries(self, notice: Notice, at: datetime) -> int:
        """Queue the notice's escalation to each destination of its recipient; how many."""

    def holds_delivery(self, delivery_id: int, owner: str) -> bool:
        """Whether the job is pending and leased to `owner` (so `owner` may settle it)."""

    def settle_delivery(self, notice: Notice, settled: Settled) -> Settled:
        """Record a delivery attempt and move its job on; the attempt with its entry."""

    def first_leaf(self) -> int | None:
        """The record leaf of the first change this step wrote (its receipt's subject); None
        if it wrote none. What the step recorded is appended to the log now, if not yet: a
        store that serialises appends serialises the step from here to its commit."""


class StoreTx(Unrecorded, Protocol):
    """One open store transaction, as the unit of work uses it: rows read and written, no rules.

    The store opens it holding its write lock (SQLite's writer transaction), or
    locks what it reads before reading it (PostgreSQL's advisory locks), so what
    it reads cannot change before it commits.
    """

    def candidates(self, feature: Feature) -> list[Declared]:
        """Stored features whose index box meets `feature`'s: a superset of its conflicts.

        Each as indexed: a cancelled one is not in the index; cancelled_at and closed_at None.
        """

    def put_feature(self, declared: Declared) -> None:
        """Store the feature's current version, indexed unless it is cancelled."""

    def add_version(self, declared: Declared, change: str, at: datetime) -> None:
        """Keep this version in the feature's history."""

    def append(self, leaves: Sequence[Leaf]) -> int:
        """Append leaves made ready beforehand to the record, in order, and keep their
        openings; the first one's index. Only one transaction appends at a time, from its
        first append to its commit (the store's write lock, or PostgreSQL's record lock)."""

    def add_notice(self, notice: Notice) -> int:
        """Store a notice; returns its new id."""

    def add_message(self, notice_id: int, message: Message) -> int:
        """Store a message in a notice's thread; returns its new id."""

    def set_state(
        self, notice_id: int, state: NoticeState, at: datetime, response: ResponseKind | None
    ) -> None: ...

    def set_overdue(self, notice_id: int, at: datetime) -> None: ...

    def add_party(self, party: Party, at: datetime) -> None: ...

    def queue_deliveries(self, party: str, notice_id: int, at: datetime) -> int:
        """A pending job for each live destination of `party`, due at once; how many."""

    def holds_delivery(self, delivery_id: int, owner: str) -> bool: ...

    def set_delivery(
        self, delivery_id: int, state: DeliveryState, attempts: int, next_at: datetime | None
    ) -> None:
        """Move a job on (its lease released): its state, tries so far, and next try."""

    def add_attempt(self, settled: Settled) -> None:
        """Keep an attempt in the delivery log."""

    def set_party_key(self, party_id: str, public_key_b64: str) -> None: ...

    def add_probe(self, party: str, at: datetime, forget_before: datetime) -> None:
        """Keep when a probe of the party's was made; drop its probes before `forget_before`."""


class LineStore(Protocol):
    """The store the line runs on."""

    def atomic(self) -> AbstractContextManager[LineTx]: ...

    def run_atomic(self, step: Callable[[LineTx], T], whole_line: bool = False) -> T:
        """Run `step` in one transaction; its result once committed (a store may batch steps).

        `whole_line`: the step may read and write anything (the tick: every due notice, every
        ended activity), so a store that locks by place and name excludes every other step.
        """

    def party(self, party_id: str) -> Party | None: ...

    def parties(self) -> list[Party]: ...

    def set_party_key(self, party_id: str, public_key_b64: str, at: datetime) -> None: ...

    def inbox(self, party: str) -> list[Notice]: ...

    def outbox(self, party: str) -> list[Notice]: ...

    def events_after(self, party: str, after_id: int, limit: int) -> list[Event]: ...

    def events_since(self, after_id: int, limit: int) -> list[Event]: ...

    def last_event_id(self) -> int: ...

    def declared_features(self) -> list[Declared]: ...

    def declared_with_id(self, feature_id: str) -> list[Declared]:
        """Every party's feature with this id, current version, by party."""

    def history(self, party: str, feature_id: str) -> list[tuple[str, datetime, Declared]]:
        """Every version of the party's feature with this id, oldest first."""
