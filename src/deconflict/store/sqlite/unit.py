"""The store's side of one atomic step on SQLite: the rows the unit of work reads and writes.

It runs inside the writer's transaction (BEGIN IMMEDIATE), so everything it
writes commits together; what to write is decided by `line/unit.py`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from deconflict.line.model import Declared, Message, Notice, NoticeState, ResponseKind
from deconflict.line.parties import Party
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.volume import volume_box
from deconflict.store.record_reads import LogKey
from deconflict.store.rows import (
    VOLUME_COLUMNS,
    declared_of,
    message_row,
    notice_row,
    party_row,
    payload_json,
    version_of,
    version_row,
    volume_row,
)
from deconflict.store.sqlite import log
from deconflict.store.sqlite.rows import notices_where

_BOX_QUERY = """
    SELECT v.rowid, v.feature_id, v.document, v.version, v.share FROM volume_index AS i
    JOIN volume AS v ON v.rowid = i.rowid
    WHERE i.x0 <= ? AND i.x1 >= ? AND i.y0 <= ? AND i.y1 >= ?
      AND i.z0 <= ? AND i.z1 >= ? AND i.t0 <= ? AND i.t1 >= ?
      AND i.alt0 <= ? AND i.alt1 >= ?
"""


def candidate_rows(db: sqlite3.Connection, feature: Feature) -> list[tuple[Any, ...]]:
    """Stored volumes whose box meets the feature's: a superset of its conflicts."""
    box = volume_box(feature)
    low_high = (box[1], box[0], box[3], box[2], box[5], box[4], box[7], box[6], box[9], box[8])
    return db.execute(_BOX_QUERY, low_high).fetchall()


class SqliteTx:
    """The StoreTx of one open SQLite transaction."""

    def __init__(self, db: sqlite3.Connection, log_key: LogKey | None = None) -> None:
        self.db = db
        self.log_key = log_key

    def candidates(self, feature: Feature) -> list[Declared]:
        return [version_of(row[2:]) for row in candidate_rows(self.db, feature)]

    def declared(self, feature_id: str) -> Declared | None:
        row = self.db.execute(
            f"SELECT {VOLUME_COLUMNS} FROM volume WHERE feature_id = ?", (feature_id,)
        ).fetchone()
        return declared_of(row) if row else None

    def put_feature(self, declared: Declared) -> None:
        feature_id, *values = volume_row(declared)
        row = self.db.execute(
            "SELECT rowid FROM volume WHERE feature_id = ?", (feature_id,)
        ).fetchone()
        if row is None:
            rowid = self.db.execute(
                "INSERT INTO volume (party, kind, document, version, share, cancelled_at,"
                " closed_at, ends_at_s, feature_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, feature_id),
            ).lastrowid
        else:
            rowid = row[0]
            self.db.execute(
                "UPDATE volume SET party = ?, kind = ?, document = ?, version = ?, share = ?,"
                " cancelled_at = ?, closed_at = ?, ends_at_s = ? WHERE rowid = ?",
                (*values, rowid),
            )
        self.db.execute("DELETE FROM volume_index WHERE rowid = ?", (rowid,))
        if declared.cancelled_at is None:
            # A closed activity stays in the index: its window has passed, so it
            # meets nothing new, but a check of the past still sees it.
            self.db.execute(
                "INSERT INTO volume_index VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rowid, *volume_box(declared.feature)),
            )

    def add_version(self, declared: Declared, change: str, at: datetime, salt: bytes) -> None:
        self.db.execute(
            "INSERT INTO feature_version (feature_id, version, party, change, document,"
            " recorded_at, share, salt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            version_row(declared, change, at, salt),
        )

    def append(self, entry: dict[str, Any]) -> int:
        return log.append(self.db, entry)

    def receipt(self, leaf_index: int) -> dict[str, Any]:
        if self.log_key is None:
            return {"leaf_index": leaf_index}
        return log.receipt(self.db, leaf_index, self.log_key.signer, self.log_key.origin)

    def add_notice(self, notice: Notice) -> int:
        cursor = self.db.execute(
            "INSERT INTO notice (feature_id, feature_version, sender, recipient, priority, state,"
            " sent_at, respond_by, respond_by_s, conflicts, changed_at, withheld)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            notice_row(notice),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_message(self, notice_id: int, message: Message) -> int:
        cursor = self.db.execute(
            "INSERT INTO message (notice_id, code, params, sender, at, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            message_row(notice_id, message),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

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

    def set_party_key(self, party_id: str, public_key_b64: str) -> None:
        self.db.execute("UPDATE party SET public_key = ? WHERE id = ?", (public_key_b64, party_id))

    def party_key(self, party_id: str) -> str | None:
        row = self.db.execute("SELECT public_key FROM party WHERE id = ?", (party_id,)).fetchone()
        return row[0] if row else None

    def parties(self) -> list[Party]:
        rows = self.db.execute(
            "SELECT id, name, language, contact, escalation_contact FROM party ORDER BY id"
        )
        return [Party(*row) for row in rows]

    def notice(self, notice_id: int) -> Notice | None:
        if not 0 < notice_id < 2**63:
            return None  # beyond SQLite's integers: no such notice
        found = notices_where(self.db, "id = ?", (notice_id,))
        return found[0] if found else None

    def due_notices(self, now: datetime) -> list[Notice]:
        return notices_where(
            self.db,
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

    def notices_of_feature(self, feature_id: str) -> list[Notice]:
        return notices_where(self.db, "feature_id = ? ORDER BY id", (feature_id,))

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> int:
        cursor = self.db.execute(
            "INSERT INTO event (party, kind, payload, at) VALUES (?, ?, ?, ?)",
            (party, kind, payload_json(payload), at.isoformat()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

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
