"""The DSS's tables (deconflict/utm/) in either store: documents found by their boxes.

Writes run as one atomic step of the store, so a DSS write is serialised with every
write to the line, on one node (SQLite's one writer) as on several (PostgreSQL's line
lock, taken exclusively: see postgres/locks.py), and its entry joins the record in the
same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from deconflict.line.entries import Draft
from deconflict.store.connection import Connection
from deconflict.store.sql_store import SqlStore
from deconflict.store.unit import SqlTx
from deconflict.utm.extents import Box
from deconflict.utm.model import Kind
from deconflict.utm.ports import Row

_BOX_COLUMNS = "t0, t1, alt0, alt1, x0, x1, y0, y1, z0, z1"
# A replaced entity keeps the notifications owed to it.
_REPLACED = ", ".join(
    f"{column} = excluded.{column}"
    for column in ("document", "subscription_id", *_BOX_COLUMNS.split(", "))
)
# Boxes meet when each low end is at most the other's high end (ends included).
_MEETS = " AND ".join(
    f"{low} <= ? AND {high} >= ?"
    for low, high in (("t0", "t1"), ("alt0", "alt1"), ("x0", "x1"), ("y0", "y1"), ("z0", "z1"))
)


class SqlDssTx:
    """The DSS's rows through one qmark connection (utm/ports.py's DssTx); `append` adds an
    entry to the record in the same transaction, appended as the step ends (None: a read)."""

    def __init__(self, db: Connection, append: Callable[[dict[str, Any]], None] | None) -> None:
        self.db = db
        self.append = append

    def entity(self, kind: Kind, entity_id: str) -> Row | None:
        row = self.db.execute(
            "SELECT id, document, notified FROM utm_entity WHERE kind = ? AND id = ?",
            (kind.value, entity_id),
        ).fetchone()
        return Row(*row) if row else None

    def put(
        self,
        kind: Kind,
        entity_id: str,
        document: dict[str, Any],
        box: Box,
        subscription_id: str | None = None,
    ) -> None:
        self.db.execute(
            f"INSERT INTO utm_entity (kind, id, document, subscription_id, {_BOX_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            f" ON CONFLICT (kind, id) DO UPDATE SET {_REPLACED}",
            (kind.value, entity_id, json.dumps(document), subscription_id, *box),
        )

    def delete(self, kind: Kind, entity_id: str) -> None:
        self.db.execute("DELETE FROM utm_entity WHERE kind = ? AND id = ?", (kind.value, entity_id))

    def near(self, kind: Kind, box: Box) -> list[Row]:
        t0, t1, alt0, alt1, x0, x1, y0, y1, z0, z1 = box
        rows = self.db.execute(
            f"SELECT id, document, notified FROM utm_entity WHERE kind = ? AND {_MEETS}"
            " ORDER BY id",
            (kind.value, t1, t0, alt1, alt0, x1, x0, y1, y0, z1, z0),
        ).fetchall()
        return [Row(*row) for row in rows]

    def notify(self, subscription_ids: Sequence[str]) -> None:
        self.db.executemany(
            "UPDATE utm_entity SET notified = notified + 1 WHERE kind = ? AND id = ?",
            [(Kind.SUBSCRIPTION.value, i) for i in subscription_ids],
        )

    def dependents(self, subscription_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM utm_entity WHERE kind = ? AND subscription_id = ? ORDER BY id",
            (Kind.INTENT.value, subscription_id),
        ).fetchall()
        return [row[0] for row in rows]

    def availability(self, uss: str) -> tuple[str, str] | None:
        row = self.db.execute(
            "SELECT availability, version FROM utm_availability WHERE uss = ?", (uss,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def set_availability(self, uss: str, availability: str, version: str) -> None:
        self.db.execute("DELETE FROM utm_availability WHERE uss = ?", (uss,))
        self.db.execute(
            "INSERT INTO utm_availability (uss, availability, version) VALUES (?, ?, ?)",
            (uss, availability, version),
        )

    def record(self, entry: dict[str, Any]) -> None:
        assert self.append is not None, "only a write transaction records"
        self.append(entry)


class DssTables:
    """The DSS's tables of a store (utm/ports.py's DssStore)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    @contextmanager
    def dss_writing(self) -> Iterator[SqlDssTx]:
        """One atomic step of the store: its rows and its record's entries commit together."""
        with self.store.atomic() as step:
            rows = step.rows
            assert isinstance(rows, SqlTx), "every store's step is a SqlTx"
            yield SqlDssTx(rows.db, lambda entry: step.record(Draft(entry)))

    @contextmanager
    def dss_reading(self) -> Iterator[SqlDssTx]:
        with self.store.snapshot() as db:
            yield SqlDssTx(db, None)
