"""The store's side of one atomic step on PostgreSQL: the rows the unit of work reads and writes.

The transaction holds the line's advisory lock from its first statement, so
what it reads (candidates, due notices, the log's size) cannot change under
it before it commits, whichever node it runs on. What to write is decided by
`line/unit.py`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from deconflict.line.model import Declared, Message, Notice, NoticeState, ResponseKind
from deconflict.line.parties import Party
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.volume import volume_box
from deconflict.store.postgres import log
from deconflict.store.postgres.rows import notices_where
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

CHANNEL = "deconflict_events"
"""The NOTIFY channel: a committed transaction that added events wakes every node's streams."""

_CANDIDATES = (
    "SELECT feature_id, document, version, share FROM volume"
    " WHERE box && cube(%s::float8[], %s::float8[])"
)


def cube_corners(feature: Feature) -> tuple[list[float], list[float]]:
    """The feature's volume box as a cube's low and high corners (float8: no rounding needed)."""
    box = volume_box(feature)
    return list(box[0::2]), list(box[1::2])


def candidate_rows(db: psycopg.Connection, feature: Feature) -> list[tuple[Any, ...]]:
    """Stored volumes whose box meets the feature's (GiST on cube): a superset of its conflicts."""
    return db.execute(_CANDIDATES, cube_corners(feature)).fetchall()


class PostgresTx:
    """The StoreTx of one open PostgreSQL transaction; `flush` before it commits."""

    def __init__(self, db: psycopg.Connection, log_key: LogKey | None = None) -> None:
        self.db = db
        self.log_key = log_key
        self._log = log.Appender(db)
        self._parties: list[Party] | None = None
        self._notified = False

    def flush(self) -> None:
        """Write what is still held in memory (the record's new leaves); before commit."""
        self._log.flush()

    def candidates(self, feature: Feature) -> list[Declared]:
        return [version_of(row[1:]) for row in candidate_rows(self.db, feature)]

    def declared(self, feature_id: str) -> Declared | None:
        row = self.db.execute(
            f"SELECT {VOLUME_COLUMNS} FROM volume WHERE feature_id = %s", (feature_id,)
        ).fetchone()
        return declared_of(row) if row else None

    def put_feature(self, declared: Declared) -> None:
        # A cancelled feature leaves the index; a closed one stays (a check of the past sees it).
        low, high = (
            cube_corners(declared.feature) if declared.cancelled_at is None else (None, None)
        )
        self.db.execute(
            "INSERT INTO volume (feature_id, party, kind, document, version, share, cancelled_at,"
            " closed_at, ends_at_s, box)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, cube(%s::float8[], %s::float8[]))"
            " ON CONFLICT (feature_id) DO UPDATE SET party = excluded.party,"
            " kind = excluded.kind, document = excluded.document, version = excluded.version,"
            " share = excluded.share, cancelled_at = excluded.cancelled_at,"
            " closed_at = excluded.closed_at, ends_at_s = excluded.ends_at_s, box = excluded.box",
            (*volume_row(declared), low, high),
        )

    def add_version(self, declared: Declared, change: str, at: datetime, salt: bytes) -> None:
        self.db.execute(
            "INSERT INTO feature_version (feature_id, version, party, change, document,"
            " recorded_at, share, salt) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            version_row(declared, change, at, salt),
        )

    def append(self, entry: dict[str, Any]) -> int:
        return self._log.append(entry)

    def receipt(self, leaf_index: int) -> dict[str, Any]:
        if self.log_key is None:
            return {"leaf_index": leaf_index}
        return self._log.receipt(leaf_index, self.log_key.signer, self.log_key.origin)

    def add_notice(self, notice: Notice) -> int:
        row = self.db.execute(
            "INSERT INTO notice (feature_id, feature_version, sender, recipient, priority, state,"
            " sent_at, respond_by, respond_by_s, conflicts, changed_at, withheld)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            notice_row(notice),
        ).fetchone()
        assert row is not None
        return int(row[0])

    def add_message(self, notice_id: int, message: Message) -> int:
        row = self.db.execute(
            "INSERT INTO message (notice_id, code, params, sender, at, text)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            message_row(notice_id, message),
        ).fetchone()
        assert row is not None
        return int(row[0])

    def set_state(
        self, notice_id: int, state: NoticeState, at: datetime, response: ResponseKind | None
    ) -> None:
        self.db.execute(
            "UPDATE notice SET state = %s, changed_at = %s,"
            " response = coalesce(%s, response) WHERE id = %s",
            (state.value, at.isoformat(), response.value if response else None, notice_id),
        )

    def set_overdue(self, notice_id: int, at: datetime) -> None:
        self.db.execute(
            "UPDATE notice SET overdue_at = %s WHERE id = %s", (at.isoformat(), notice_id)
        )

    def add_party(self, party: Party, at: datetime) -> None:
        self.db.execute(
            "INSERT INTO party (id, name, language, contact, escalation_contact, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            party_row(party, at),
        )
        self._parties = None

    def set_party_key(self, party_id: str, public_key_b64: str) -> None:
        self.db.execute(
            "UPDATE party SET public_key = %s WHERE id = %s", (public_key_b64, party_id)
        )

    def party_key(self, party_id: str) -> str | None:
        row = self.db.execute("SELECT public_key FROM party WHERE id = %s", (party_id,)).fetchone()
        return row[0] if row else None

    def parties(self) -> list[Party]:
        # Read once per step: parties are added only under the lock this transaction holds.
        if self._parties is None:
            rows = self.db.execute(
                "SELECT id, name, language, contact, escalation_contact FROM party"
                ' ORDER BY id COLLATE "C"'
            )
            self._parties = [Party(*row) for row in rows]
        return list(self._parties)

    def notice(self, notice_id: int) -> Notice | None:
        if not 0 < notice_id < 2**63:
            return None  # beyond BIGINT: no such notice
        found = notices_where(self.db, "id = %s", (notice_id,))
        return found[0] if found else None

    def due_notices(self, now: datetime) -> list[Notice]:
        # Read under the line's lock: a notice another node escalated is committed, so not due.
        return notices_where(
            self.db,
            "response IS NULL AND overdue_at IS NULL AND respond_by_s IS NOT NULL"
            " AND respond_by_s <= %s ORDER BY id",
            (now.timestamp(),),
        )

    def ended_activities(self, now: datetime) -> list[Declared]:
        rows = self.db.execute(
            f"SELECT {VOLUME_COLUMNS} FROM volume WHERE kind = %s AND cancelled_at IS NULL"
            " AND closed_at IS NULL AND ends_at_s <= %s ORDER BY ends_at_s",
            (Kind.ACTIVITY.value, now.timestamp()),
        )
        return [declared_of(row) for row in rows]

    def notices_of_feature(self, feature_id: str) -> list[Notice]:
        return notices_where(self.db, "feature_id = %s ORDER BY id", (feature_id,))

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> int:
        """Store an event for the party's streams; every node hears of it when this commits.

        Ids come from an identity, assigned before commit; the line's lock makes
        commits follow id order, so a stream never sees an id before a smaller one.
        """
        row = self.db.execute(
            "INSERT INTO event (party, kind, payload, at) VALUES (%s, %s, %s, %s) RETURNING id",
            (party, kind, payload_json(payload), at.isoformat()),
        ).fetchone()
        assert row is not None
        if not self._notified:
            # Delivered by PostgreSQL at commit, and only if the transaction commits.
            self.db.execute(f"NOTIFY {CHANNEL}")
            self._notified = True
        return int(row[0])

    def recall(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT fingerprint, result FROM idempotency WHERE party = %s AND key = %s",
            (party, key),
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def remember(self, party: str, key: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO idempotency (party, key, fingerprint, result) VALUES (%s, %s, %s, %s)",
            (party, key, fingerprint, payload_json(result)),
        )
