"""The store's side of one atomic step on SQLite: the rows the unit of work reads and writes.

It runs inside the writer's transaction (BEGIN IMMEDIATE), so everything it
writes commits together; what to write is decided by `line/unit.py`. The SQL
both stores speak alike is `store/unit.py`'s; here is SQLite's own: the R*Tree
index, the record's appends, new rows' ids.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from deconflict.line.entries import Leaf
from deconflict.line.model import Declared, Notice
from deconflict.record.merkle import Node
from deconflict.rules.feature import Feature
from deconflict.rules.volume import volume_box
from deconflict.store.log_edge import LogEdge
from deconflict.store.record_reads import LogKey
from deconflict.store.rows import OPENING_COLUMNS, opening_rows, version_of, volume_row
from deconflict.store.sqlite import log
from deconflict.store.sqlite.rows import notices_where
from deconflict.store.unit import SqlTx

_BOX_QUERY = """
    SELECT v.rowid, v.feature_id, v.document, v.version, v.share FROM volume_index AS i
    JOIN volume AS v ON v.rowid = i.rowid
    WHERE i.x0 <= ? AND i.x1 >= ? AND i.y0 <= ? AND i.y1 >= ?
      AND i.z0 <= ? AND i.z1 >= ? AND i.t0 <= ? AND i.t1 >= ?
      AND i.alt0 <= ? AND i.alt1 >= ?
"""

Frontier = tuple[int, dict[Node, bytes]]
"""The log's size and the hashes of its perfect subtrees (`merkle.perfect_subtrees(0, size)`)."""

_PUT_VOLUME = """
    INSERT INTO volume (party, kind, document, version, share, cancelled_at, closed_at,
        ends_at_s, feature_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (party, feature_id) DO UPDATE SET kind = excluded.kind,
        document = excluded.document, version = excluded.version, share = excluded.share,
        cancelled_at = excluded.cancelled_at, closed_at = excluded.closed_at,
        ends_at_s = excluded.ends_at_s
    RETURNING rowid
"""


def candidate_rows(db: sqlite3.Connection, feature: Feature) -> list[tuple[Any, ...]]:
    """Stored volumes whose box meets the feature's: a superset of its conflicts."""
    box = volume_box(feature)
    low_high = (box[1], box[0], box[3], box[2], box[5], box[4], box[7], box[6], box[9], box[8])
    return db.execute(_BOX_QUERY, low_high).fetchall()


class SqliteTx(SqlTx):
    """The StoreTx of one open SQLite transaction."""

    db: sqlite3.Connection
    bytewise = "COLLATE BINARY"
    _log: LogEdge | None = None

    def __init__(
        self, db: sqlite3.Connection, log_key: LogKey | None = None, edge: Frontier | None = None
    ) -> None:
        """`edge`: the log's size and frontier as a step before this one in the same
        transaction left them, if it is known (it is not read again)."""
        super().__init__(db, log_key)
        self._known_edge = edge

    def claim(self, features: Iterable[Feature]) -> None:
        """Nothing to lock: the one writer's transaction holds the whole store."""

    def candidates(self, feature: Feature) -> list[Declared]:
        return [version_of(row[2:]) for row in candidate_rows(self.db, feature)]

    def put_feature(self, declared: Declared) -> None:
        feature_id, *values = volume_row(declared)
        # One statement writes the volume either way, and one its index row (a rowid's old box
        # replaced): two where a look-up, an insert or update, a delete and an insert were four.
        (rowid,) = self.db.execute(_PUT_VOLUME, (*values, feature_id)).fetchone()
        if declared.cancelled_at is not None:
            self.db.execute("DELETE FROM volume_index WHERE rowid = ?", (rowid,))
        else:
            # A closed activity stays in the index: its window has passed, so it
            # meets nothing new, but a check of the past still sees it.
            self.db.execute(
                "INSERT OR REPLACE INTO volume_index VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rowid, *volume_box(declared.feature)),
            )

    def ids_follow(self, table: str) -> None:
        """AUTOINCREMENT follows the highest id inserted by itself."""

    def append(self, leaves: Sequence[Leaf]) -> int:
        # The step's appends share one read of the log's edge (about 30 fewer statements a
        # notification, measured); each batch is written at once, so every read sees it.
        if self._log is None:
            known = self._known_edge
            # Copied: the edge adds the nodes it makes to what it was given.
            self._log = log.edge(self.db) if known is None else LogEdge(lambda: _copy(known))
        indexes = [self._log.add(leaf) for leaf in leaves]
        log.write(self.db, *self._log.unwritten())
        self.insert_rows("log_opening", OPENING_COLUMNS, opening_rows(indexes[0], leaves))
        return indexes[0]

    def edge(self) -> Frontier | None:
        """The log's size and frontier as this step leaves them; None if it did not read them."""
        return None if self._log is None else self._log.frontier()

    def _signed_receipt(self, leaf_index: int, log_key: LogKey) -> dict[str, Any]:
        assert self._log is not None, "a receipt is of a leaf this step appended"
        return self._log.receipt(leaf_index, log_key.signer, log_key.origin)

    def _inserted_id(self, sql: str, parameters: Sequence[Any]) -> int:
        cursor = self.db.execute(sql, parameters)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _notices(self, where: str, parameters: Sequence[Any]) -> list[Notice]:
        return notices_where(self.db, where, parameters)


def _copy(edge: Frontier) -> Frontier:
    size, nodes = edge
    return size, dict(nodes)
