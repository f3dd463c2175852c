"""The record on SQLite: leaves and the perfect-subtree nodes that make proofs O(log n).

Appending leaf n stores its hash and every perfect subtree it completes
(at most log2(n) + 1 rows), in the same transaction as the change it
records. A proof reads at most about 2 log2(n) nodes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from typing import Any

from deconflict.record import merkle
from deconflict.record.note import Checkpoint, NoteSigner, sign_checkpoint
from deconflict.store.log_edge import LeafRow, LogEdge, NodeRow
from deconflict.store.record_reads import leaves, size

__all__ = [
    "append",
    "checkpoint",
    "consistency",
    "edge",
    "inclusion",
    "leaves",
    "root",
    "size",
    "subtree_hash",
    "write",
]


def edge(db: sqlite3.Connection) -> LogEdge:
    """The log's right edge for one write transaction on `db` (store/log_edge.py)."""

    def read_edge() -> tuple[int, dict[merkle.Node, bytes]]:
        tree_size = size(db)
        return tree_size, _nodes(db, merkle.perfect_subtrees(0, tree_size))

    return LogEdge(read_edge)


def append(db: sqlite3.Connection, entry: dict[str, Any]) -> int:
    """Append an entry (as its canonical bytes) on its own; returns its leaf index. (A step
    that appends several keeps one `edge` and `write`s after each append.)"""
    right = edge(db)
    index = right.append(entry)
    write(db, *right.unwritten())
    return index


def write(db: sqlite3.Connection, leaves: list[LeafRow], nodes: list[NodeRow]) -> None:
    """Write new leaves and the nodes they completed."""
    db.executemany("INSERT INTO log_leaf (idx, kind, entry, at) VALUES (?, ?, ?, ?)", leaves)
    db.executemany("INSERT INTO log_node (level, idx, hash) VALUES (?, ?, ?)", nodes)


def _nodes(db: sqlite3.Connection, wanted: Collection[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of the nodes `wanted` (at most about 2 log2(n): one query)."""
    if not wanted:
        return {}
    unique = list(set(wanted))
    # One primary-key search a node (SQLite's plan for a row-value IN list scans the table).
    rows = db.execute(
        "SELECT level, idx, hash FROM log_node WHERE "
        + " OR ".join("(level = ? AND idx = ?)" for _ in unique),
        [number for node in unique for number in node],
    )
    found = {(int(level), int(position)): bytes(digest) for level, position, digest in rows}
    missing = set(unique) - found.keys()
    assert not missing, f"the log lacks nodes {sorted(missing)}"
    return found


def _node(db: sqlite3.Connection, node: merkle.Node) -> bytes:
    row = db.execute("SELECT hash FROM log_node WHERE level = ? AND idx = ?", node).fetchone()
    assert row is not None, f"the log lacks node {node}"
    return bytes(row[0])


def subtree_hash(db: sqlite3.Connection, start: int, end: int) -> bytes:
    """MTH of leaves [start, end), joined from stored perfect subtrees."""
    return merkle.join_subtrees([_node(db, node) for node in merkle.perfect_subtrees(start, end)])


def root(db: sqlite3.Connection, tree_size: int) -> bytes:
    """The root hash of the tree of the first `tree_size` leaves."""
    return subtree_hash(db, 0, tree_size)


def inclusion(db: sqlite3.Connection, index: int, tree_size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf `index` in the tree of size `tree_size`."""
    return merkle.inclusion_proof(index, tree_size, lambda a, b: subtree_hash(db, a, b))


def consistency(db: sqlite3.Connection, first: int, second: int) -> list[bytes]:
    """RFC 9162 consistency proof between the trees of sizes `first` and `second`."""
    return merkle.consistency_proof(first, second, lambda a, b: subtree_hash(db, a, b))


def checkpoint(db: sqlite3.Connection, signer: NoteSigner, origin: str) -> str:
    """The signed note of the log's current head."""
    tree_size = size(db)
    return sign_checkpoint(Checkpoint(origin, tree_size, root(db, tree_size)), signer)
