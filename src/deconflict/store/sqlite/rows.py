"""Notices and their threads read from SQLite (the row mapping is `store/rows.py`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from deconflict.line.model import Message, Notice
from deconflict.store.rows import NOTICE_COLUMNS, message_of, notice_of


def messages_of(db: sqlite3.Connection, notice_id: int) -> tuple[Message, ...]:
    """The thread of a notice, oldest first."""
    rows = db.execute(
        "SELECT id, code, params, sender, at, text FROM message WHERE notice_id = ? ORDER BY id",
        (notice_id,),
    )
    return tuple(message_of(row) for row in rows)


def notices_where(db: sqlite3.Connection, where: str, args: Sequence[Any]) -> list[Notice]:
    """Notices matching a WHERE clause, each with its thread."""
    rows = db.execute(f"SELECT {NOTICE_COLUMNS} FROM notice WHERE {where}", args).fetchall()
    return [notice_of(row, messages_of(db, int(row[0]))) for row in rows]
