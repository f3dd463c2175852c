"""The store's side of one atomic step on PostgreSQL: the rows the unit of work reads and writes.

The transaction holds the line's advisory lock from its first statement, so
what it reads (candidates, due notices, the log's size) cannot change under
it before it commits, whichever node it runs on. What to write is decided by
`line/unit.py`. The SQL both stores speak alike is `store/unit.py`'s, run
through `QmarkConnection`; here is PostgreSQL's own, in psycopg's `%s` style:
the cube index, the record's appends, RETURNING, NOTIFY.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from deconflict.line.model import Declared, Notice
from deconflict.line.parties import Party
from deconflict.rules.feature import Feature
from deconflict.rules.volume import volume_box
from deconflict.store.postgres import log
from deconflict.store.postgres.qmark import QmarkConnection
from deconflict.store.postgres.rows import notices_where
from deconflict.store.record_reads import LogKey
from deconflict.store.rows import version_of, volume_row
from deconflict.store.unit import SqlTx

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


class PostgresTx(SqlTx):
    """The StoreTx of one open PostgreSQL transaction; `flush` before it commits."""

    bytewise = 'COLLATE "C"'
    given_ids = "OVERRIDING SYSTEM VALUE"

    def __init__(self, db: psycopg.Connection, log_key: LogKey | None = None) -> None:
        super().__init__(QmarkConnection(db), log_key)
        self.pg = db
        self._log = log.edge(db)
        self._parties: list[Party] | None = None
        self._notified = False

    def flush(self) -> None:
        """Write what is still held in memory (the record's new leaves); before commit."""
        log.write(self.pg, *self._log.unwritten())

    def candidates(self, feature: Feature) -> list[Declared]:
        return [version_of(row[1:]) for row in candidate_rows(self.pg, feature)]

    def put_feature(self, declared: Declared) -> None:
        # A cancelled feature leaves the index; a closed one stays (a check of the past sees it).
        low, high = (
            cube_corners(declared.feature) if declared.cancelled_at is None else (None, None)
        )
        self.pg.execute(
            "INSERT INTO volume (feature_id, party, kind, document, version, share, cancelled_at,"
            " closed_at, ends_at_s, box)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, cube(%s::float8[], %s::float8[]))"
            " ON CONFLICT (party, feature_id) DO UPDATE SET"
            " kind = excluded.kind, document = excluded.document, version = excluded.version,"
            " share = excluded.share, cancelled_at = excluded.cancelled_at,"
            " closed_at = excluded.closed_at, ends_at_s = excluded.ends_at_s, box = excluded.box",
            (*volume_row(declared), low, high),
        )

    def append(self, entry: dict[str, Any]) -> int:
        return self._log.append(entry)

    def _signed_receipt(self, leaf_index: int, log_key: LogKey) -> dict[str, Any]:
        return self._log.receipt(leaf_index, log_key.signer, log_key.origin)

    def _inserted_id(self, sql: str, parameters: Sequence[Any]) -> int:
        row = self.db.execute(f"{sql} RETURNING id", parameters).fetchone()
        assert row is not None
        return int(row[0])

    def _notices(self, where: str, parameters: Sequence[Any]) -> list[Notice]:
        return notices_where(self.pg, where, parameters)

    def ids_follow(self, table: str) -> None:
        self.pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            " HAVING max(id) IS NOT NULL"
        )

    def add_party(self, party: Party, at: datetime) -> None:
        super().add_party(party, at)
        self._parties = None

    def parties(self) -> list[Party]:
        # Read once per step: parties are added only under the lock this transaction holds.
        if self._parties is None:
            self._parties = super().parties()
        return list(self._parties)

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> int:
        """Store an event for the party's streams; every node hears of it when this commits.

        Ids come from an identity, assigned before commit; the line's lock makes
        commits follow id order, so a stream never sees an id before a smaller one.
        """
        event_id = super().add_event(party, kind, payload, at)
        if not self._notified:
            # Delivered by PostgreSQL at commit, and only if the transaction commits.
            self.pg.execute(f"NOTIFY {CHANNEL}")
            self._notified = True
        return event_id
