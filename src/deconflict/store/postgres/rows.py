"""Notices and their threads read from PostgreSQL in two queries, whatever their number.

The stored forms are the SQLite store's, so one row mapping (`store/rows.py`)
turns these rows into the same values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import psycopg

from deconflict.line.model import Message, Notice
from deconflict.store.postgres.qmark import QmarkConnection
from deconflict.store.rows import NOTICE_COLUMNS, message_of, notice_of


def threads(db: psycopg.Connection, notice_ids: list[int]) -> dict[int, tuple[Message, ...]]:
    """The thread of each notice, oldest message first."""
    rows = db.execute(
        "SELECT notice_id, id, code, params, sender, at, text FROM message"
        " WHERE notice_id = ANY(%s) ORDER BY notice_id, id",
        (notice_ids,),
    )
    found: dict[int, list[Message]] = defaultdict(list)
    for row in rows:
        found[row[0]].append(message_of(row[1:]))
    return {notice_id: tuple(messages) for notice_id, messages in found.items()}


def notices_where(db: psycopg.Connection, where: str, args: Sequence[Any]) -> list[Notice]:
    """Notices matching a WHERE clause (a qmark literal of this package), each with its thread.

    Run it in one snapshot (a transaction) so each notice and its thread agree.
    """
    sql = f"SELECT {NOTICE_COLUMNS} FROM notice WHERE {where}"
    rows = QmarkConnection(db).execute(sql, args).fetchall()
    messages = threads(db, [int(row[0]) for row in rows]) if rows else {}
    return [notice_of(row, messages.get(int(row[0]), ())) for row in rows]
