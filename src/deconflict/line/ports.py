"""What the line needs of a store: a unit of work for atomic steps, and read queries.

The store runs each use case inside one transaction (`atomic`), so the
conflict check and the writes that follow it commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from deconflict.line.entries import Signed
from deconflict.line.model import Declared, Event, Message, Notice, NoticeState, ResponseKind
from deconflict.line.parties import Party
from deconflict.rules.conflicts import Conflict
from deconflict.rules.feature import Feature

T = TypeVar("T")


class LineTx(Protocol):
    """One atomic step's view of the store; everything written commits together."""

    def declared(self, feature_id: str) -> Declared | None: ...

    def conflicts_of(self, feature: Feature) -> list[tuple[Conflict, Declared]]: ...

    def save_feature(
        self, declared: Declared, change: str, at: datetime, signed: Signed | None = None
    ) -> None: ...

    def parties(self) -> list[Party]: ...

    def add_notice(self, notice: Notice) -> int: ...

    def add_message(
        self, notice_id: int, message: Message, signed: Signed | None = None
    ) -> int: ...

    def notice(self, notice_id: int) -> Notice | None: ...

    def advance(
        self, notice_id: int, state: NoticeState, at: datetime, response: ResponseKind | None
    ) -> None: ...

    def mark_overdue(self, notice_id: int, at: datetime) -> None: ...

    def due_notices(self, now: datetime) -> list[Notice]: ...

    def ended_activities(self, now: datetime) -> list[Declared]: ...

    def notices_of_feature(self, feature_id: str) -> list[Notice]: ...

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> int: ...

    def recall(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None: ...

    def remember(self, party: str, key: str, fingerprint: str, result: dict[str, Any]) -> None: ...

    @property
    def first_leaf(self) -> int | None:
        """The record leaf of the first change this step wrote (its receipt's subject)."""

    def receipt(self, leaf_index: int) -> dict[str, Any]: ...

    def party_key(self, party_id: str) -> str | None: ...


class LineStore(Protocol):
    """The store the line runs on."""

    def atomic(self) -> AbstractContextManager[LineTx]: ...

    def run_atomic(self, step: Callable[[LineTx], T]) -> T:
        """Run `step` in one transaction; its result once committed (a store may batch steps)."""

    def party(self, party_id: str) -> Party | None: ...

    def parties(self) -> list[Party]: ...

    def set_party_key(self, party_id: str, public_key_b64: str, at: datetime) -> None: ...

    def inbox(self, party: str) -> list[Notice]: ...

    def outbox(self, party: str) -> list[Notice]: ...

    def events_after(self, party: str, after_id: int, limit: int) -> list[Event]: ...

    def events_since(self, after_id: int, limit: int) -> list[Event]: ...

    def last_event_id(self) -> int: ...

    def declared_features(self) -> list[Declared]: ...

    def history(self, feature_id: str) -> list[tuple[str, datetime, Declared]]: ...
