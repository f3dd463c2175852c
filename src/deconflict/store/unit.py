"""The store's side of one atomic step where both backends speak the same SQL, written once.

A backend's transaction (`store/sqlite/unit.py`, `store/postgres/unit.py`)
adds what its dialect does its own way: the volume index, the record's
appends, the id of a new row, how a notice's thread is read, and the
collation that orders text by its bytes.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from deconflict.line.deliveries import DeliveryState, Settled
from deconflict.line.entries import Leaf
from deconflict.line.model import Declared, Message, Notice, NoticeState, ResponseKind
from deconflict.line.parties import Party
from deconflict.rules.feature import Feature, Kind
from deconflict.store import outbox
from deconflict.store.connection import Connection
from deconflict.store.record_reads import LogKey
from deconflict.store.rows import (
    NEW_MESSAGE_COLUMNS,
    NEW_NOTICE_COLUMNS,
    VOLUME_COLUMNS,
    declared_of,
    message_row,
    notice_row,
    party_row,
    payload_json,
    version_row,
)


class SqlTx(ABC):
    """The StoreTx of one open transaction, over a connection that runs qmark SQL."""

    bytewise: ClassVar[str]
    """The dialect's COLLATE clause that orders text by its bytes (the order answers promise)."""
    given_ids: ClassVar[str] = ""
    """The dialect's clause that lets an INSERT give an identity column its values."""

    def __init__(self, db: Connection, log_key: LogKey | None = None) -> None:
        self.db = db
        self.log_key = log_key

    @abstractmethod
    def candidates(self, feature: Feature) -> list[Declared]: ...

    @abstractmethod
    def put_feature(self, declared: Declared) -> None: ...

    @abstractmethod
    def append(self, leaves: Sequence[Leaf]) -> int: ...

    @abstractmethod
    def _signed_receipt(self, leaf_index: int, log_key: LogKey) -> dict[str, Any]: ...

    @abstractmethod
    def _inserted_id(self, sql: str, parameters: Sequence[Any]) -> int:
        """Run an INSERT of one row into a table with an `id` column; the new row's id."""

    @abstractmethod
    def _notices(self, where: str, parameters: Sequence[Any]) -> list[Notice]:
        """Notices matching a WHERE clause (qmark, a literal of this package), with threads."""

    @abstractmethod
    def ids_follow(self, table: str) -> None:
        """After rows were inserted with their ids: the table's next id follows the highest."""

    def insert_row(
        self, table: str, columns: tuple[str, ...], row: Sequence[Any], identity: bool = False
    ) -> None:
        """Insert a row as it is; `identity`: with the value of the table's identity column `id`
        (a store rebuilt from its record keeps every id; then `ids_follow`)."""
        self.db.execute(_insert(table, columns, self.given_ids if identity else ""), row)

    def insert_rows(
        self,
        table: str,
        columns: tuple[str, ...],
        rows: Iterable[Sequence[Any]],
        identity: bool = False,
    ) -> int:
        """Insert many rows as they are, all at once (see `insert_row`); how many."""
        given = list(rows)
        self.db.executemany(_insert(table, columns, self.given_ids if identity else ""), given)
        return len(given)

    @abstractmethod
    def claim(self, features: Iterable[Feature]) -> None:
        """Lock the features' ids and places now, where the backend locks by place and name."""

    def declared(self, party: str, feature_id: str) -> Declared | None:
        row = self.db.execute(
            f"SELECT {VOLUME_COLUMNS} FROM volume WHERE party = ? AND feature_id = ?",
            (party, feature_id),
        ).fetchone()
        return declared_of(row) if row else None

    def add_version(self, declared: Declared, change: str, at: datetime) -> None:
        self.db.execute(
            "INSERT INTO feature_version (feature_id, version, party, change, document,"
            " recorded_at, share) VALUES (?, ?, ?, ?, ?, ?, ?)",
            version_row(declared, change, at),
        )

    def receipt(self, leaf_index: int) -> dict[str, Any]:
        if self.log_key is None:
            return {"leaf_index": leaf_index}
        return self._signed_receipt(leaf_index, self.log_key)

    def add_notice(self, notice: Notice) -> int:
        return self._inserted_id(_insert("notice", NEW_NOTICE_COLUMNS), notice_row(notice))

    def add_message(self, notice_id: int, message: Message) -> int:
        return self._inserted_id(
            _insert("message", NEW_MESSAGE_COLUMNS), message_row(notice_id, message)
        )

    def set_state(
        self, notice_id: int, state: NoticeState, at: datetime, response: ResponseKind | None
    ) -> None:
        self.db.execute(
            "UPDATE notice SET state = ?, changed_at = ?, response = coalesce(?, response)"
            " WHERE id = ?",
            (state.value, at.isoformat(), response.value if response else None, notice_id),
        )

    def set_overdue(self, notice_id: int, at: datetime) -> None:
        self.db.execute(
            "UPDATE notice SET overdue_at = ? WHERE id = ?", (at.isoformat(), notice_id)
        )

    def add_party(self, party: Party, at: datetime) -> None:
        self.db.execute(
            "INSERT INTO party (id, name, language, contact, escalation_contact, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            party_row(party, at),
        )

    def queue_deliveries(self, party: str, notice_id: int, at: datetime) -> int:
        return outbox.queue(self.db, party, notice_id, at)

    def holds_delivery(self, delivery_id: int, owner: str) -> bool:
        return outbox.holds(self.db, delivery_id, owner)

    def set_delivery(
        self, delivery_id: int, state: DeliveryState, attempts: int, next_at: datetime | None
    ) -> None:
        outbox.set_delivery(self.db, delivery_id, state, attempts, next_at)

    def add_attempt(self, settled: Settled) -> None:
        outbox.add_attempt(self.db, settled)

    def set_party_key(self, party_id: str, public_key_b64: str) -> None:
        self.db.execute("UPDATE party SET public_key = ? WHERE id = ?", (public_key_b64, party_id))

    def party_key(self, party_id: str) -> str | None:
        row = self.db.execute("SELECT public_key FROM party WHERE id = ?", (party_id,)).fetchone()
        return row[0] if row else None

    def parties(self) -> list[Party]:
        rows = self.db.execute(
            "SELECT id, name, language, contact, escalation_contact FROM party"
            f" ORDER BY id {self.bytewise}"
        )
        return [Party(*row) for row in rows]

    def notice(self, notice_id: int) -> Notice | None:
        if not 0 < notice_id < 2**63:
            return None  # beyond a 64-bit integer (SQLite's, PostgreSQL's BIGINT): no such notice
        found = self._notices("id = ?", (notice_id,))
        return found[0] if found else None

    def due_notices(self, now: datetime) -> list[Notice]:
        # Read under the write lock: a notice another step or node escalated is committed, so
        # not due.
        return self._notices(
            "response IS NULL AND overdue_at IS NULL AND respond_by_s IS NOT NULL"
            " AND respond_by_s <= ? ORDER BY id",
            (now.timestamp(),),
        )

    def ended_activities(self, now: datetime) -> list[Declared]:
        rows = self.db.execute(
            f"SELECT {VOLUME_COLUMNS} FROM volume WHERE kind = ? AND cancelled_at IS NULL"
            " AND closed_at IS NULL AND ends_at_s <= ? ORDER BY ends_at_s",
            (Kind.ACTIVITY.value, now.timestamp()),
        )
        return [declared_of(row) for row in rows]

    def notices_of_feature(self, party: str, feature_id: str) -> list[Notice]:
        return self._notices("sender = ? AND feature_id = ? ORDER BY id", (party, feature_id))

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> None:
        self.db.execute(
            "INSERT INTO event (party, kind, payload, at) VALUES (?, ?, ?, ?)",
            (party, kind, payload_json(payload), at.isoformat()),
        )

    def add_probe(self, party: str, at: datetime, forget_before: datetime) -> None:
        self.db.execute(
            "DELETE FROM probe WHERE party = ? AND at_s < ?", (party, forget_before.timestamp())
        )
        self.db.execute("INSERT INTO probe (party, at_s) VALUES (?, ?)", (party, at.timestamp()))

    def probes_since(self, party: str, since: datetime) -> list[datetime]:
        rows = self.db.execute(
            "SELECT at_s FROM probe WHERE party = ? AND at_s > ? ORDER BY at_s",
            (party, since.timestamp()),
        )
        return [datetime.fromtimestamp(row[0], UTC) for row in rows]

    def recall(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT fingerprint, result FROM idempotency WHERE party = ? AND key = ?",
            (party, key),
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def remember(self, party: str, key: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO idempotency (party, key, fingerprint, result) VALUES (?, ?, ?, ?)",
            (party, key, fingerprint, payload_json(result)),
        )


def _insert(table: str, columns: tuple[str, ...], given_ids: str = "") -> str:
    """An INSERT of one row of `columns` into `table` (literals of this package), qmark style."""
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) {given_ids}"
        f" VALUES ({', '.join('?' for _ in columns)})"
    )
