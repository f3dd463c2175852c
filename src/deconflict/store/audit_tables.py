"""The rows the check compares with the record, read in one snapshot of the store.

`read_tables` reads the log (leaves, nodes, openings) and every state row that
decides a conflict or a notice: volumes and their index boxes, feature
versions, notices, messages, parties and their keys, the probe budget's rows, and
the DSS's entities and USSs' availability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deconflict.line.entries import Readers
from deconflict.record.sealed import Opening
from deconflict.store.connection import Connection
from deconflict.store.rows import NOTICE_COLUMNS, opening_of

Row = tuple[Any, ...]
Box = tuple[float, ...]

VOLUME_COLUMNS = (
    "feature_id",
    "party",
    "kind",
    "document",
    "version",
    "share",
    "cancelled_at",
    "closed_at",
    "ends_at_s",
)
VERSION_COLUMNS = ("feature_id", "version", "party", "change", "document", "recorded_at", "share")
NOTICE_ROW_COLUMNS = (*NOTICE_COLUMNS.split(", "), "changed_at")
MESSAGE_COLUMNS = ("id", "notice_id", "code", "params", "sender", "at", "text")
PARTY_COLUMNS = ("id", "name", "language", "contact", "escalation_contact", "created_at")
PARTY_KEY_COLUMN = "public_key"
PROBE_COLUMNS = ("id", "party", "at_s")
ENTITY_COLUMNS = (
    "kind",
    "id",
    "document",
    "subscription_id",
    "notified",
    "t0",
    "t1",
    "alt0",
    "alt1",
    "x0",
    "x1",
    "y0",
    "y1",
    "z0",
    "z1",
)
AVAILABILITY_COLUMNS = ("uss", "availability", "version")


@dataclass(frozen=True)
class Leaf:
    """One stored leaf: its index, the `kind` and `at` columns, and the entry's bytes."""

    index: int
    kind: str
    at: str
    data: bytes


@dataclass(frozen=True)
class Tables:
    """What the check reads of a store, as stored; the openings from entry `first` on."""

    first: int
    leaves: list[Leaf]
    nodes: dict[tuple[int, int], bytes]
    openings: dict[int, list[tuple[Opening, Readers]]]
    volumes: list[Row]
    boxes: dict[tuple[str, str], Box]
    """Each indexed volume's box, by (party, feature id)."""
    versions: list[Row]
    notices: list[Row]
    messages: list[Row]
    parties: list[Row]
    party_keys: dict[str, str | None]
    probes: list[Row]
    dss_entities: list[Row]
    dss_availability: list[Row]


def read_tables(db: Connection, index_boxes: str, window: int | None = None) -> Tables:
    """Everything the check compares, read on `db` (one snapshot); `index_boxes` is the
    backend's SELECT of the index. `window`: the openings of the latest `window` entries only
    (those the rows are compared with)."""
    size = int(db.execute("SELECT coalesce(max(idx) + 1, 0) FROM log_leaf").fetchone()[0])
    first = 0 if window is None else max(0, size - window)
    return Tables(
        first=first,
        leaves=[
            Leaf(int(i), kind, at, _as_bytes(entry))
            for i, kind, entry, at in db.execute(
                "SELECT idx, kind, entry, at FROM log_leaf ORDER BY idx"
            )
        ],
        nodes={
            (int(level), int(i)): bytes(digest)
            for level, i, digest in db.execute("SELECT level, idx, hash FROM log_node")
        },
        openings=_openings(db, first),
        volumes=_select(db, "volume", VOLUME_COLUMNS, "feature_id"),
        boxes={
            (row[0], row[1]): tuple(float(v) for v in row[2:]) for row in db.execute(index_boxes)
        },
        versions=_select(db, "feature_version", VERSION_COLUMNS, "feature_id, version"),
        notices=_select(db, "notice", NOTICE_ROW_COLUMNS, "id"),
        messages=_select(db, "message", MESSAGE_COLUMNS, "id"),
        parties=_select(db, "party", PARTY_COLUMNS, "id"),
        party_keys=dict(db.execute(f"SELECT id, {PARTY_KEY_COLUMN} FROM party").fetchall()),
        probes=_select(db, "probe", PROBE_COLUMNS, "id"),
        dss_entities=_select(db, "utm_entity", ENTITY_COLUMNS, "kind, id"),
        dss_availability=_select(db, "utm_availability", AVAILABILITY_COLUMNS, "uss"),
    )


def _select(db: Connection, table: str, columns: tuple[str, ...], order: str) -> list[Row]:
    rows = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
    return [tuple(row) for row in rows]


def _openings(db: Connection, first: int) -> dict[int, list[tuple[Opening, Readers]]]:
    found: dict[int, list[tuple[Opening, Readers]]] = {}
    rows = db.execute(
        "SELECT idx, commitment, salt, value, readers FROM log_opening WHERE idx >= ?", (first,)
    )
    for row in rows:
        index, opening, readers = opening_of(row)
        found.setdefault(index, []).append((opening, readers))
    return found


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)
