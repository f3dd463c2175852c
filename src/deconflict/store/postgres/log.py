"""The record on PostgreSQL: the same leaves and perfect-subtree nodes as on SQLite, fewer trips.

A write transaction appends in memory (`edge`, store/log_edge.py) and writes
its leaves and nodes in one statement before it commits (`PostgresTx.flush`).
A proof first lists the ranges it will ask for (they depend only on the index
and the sizes, never on hashes), reads every node those ranges join in one
query, then computes the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import psycopg

from deconflict.record import merkle
from deconflict.record.merkle import Node, SubtreeHash
from deconflict.record.note import Checkpoint, NoteSigner, sign_checkpoint
from deconflict.store.log_edge import LogEdge
from deconflict.store.postgres.qmark import QmarkConnection
from deconflict.store.record_reads import size

Range = tuple[int, int]


def edge(db: psycopg.Connection) -> LogEdge:
    """The log's right edge for one write transaction on `db` (store/log_edge.py)."""
    return LogEdge(lambda: read_edge(db))


EDGE = (
    "WITH log AS (SELECT coalesce(max(idx) + 1, 0) AS size FROM log_leaf)"
    " SELECT log.size, k.level, node.hash FROM log CROSS JOIN generate_series(0, 62) AS k(level)"
    " LEFT JOIN log_node AS node"
    " ON node.level = k.level AND node.idx = (log.size >> k.level) - 1"
    " WHERE (log.size >> k.level) & 1 = 1 OR k.level = 0"
)
"""The log's size and its frontier in one trip: at each level k where the size has bit k
set, the perfect subtree of 2^k leaves ending at the size rounded down to a multiple of 2^k
(together `merkle.perfect_subtrees(0, size)`); level 0 always, so an empty log answers too."""


def read_edge(db: psycopg.Connection) -> tuple[int, dict[Node, bytes]]:
    """The log's size and the hashes of its frontier, read in one statement."""
    return edge_of(db.execute(EDGE).fetchall())


def edge_of(rows: list[tuple[Any, ...]]) -> tuple[int, dict[Node, bytes]]:
    """The log's size and the hashes of its frontier from the rows of `EDGE`."""
    tree_size = int(rows[0][0])
    found = {
        (int(level), (tree_size >> int(level)) - 1): bytes(digest)
        for _, level, digest in rows
        if (tree_size >> int(level)) & 1 and digest is not None
    }
    missing = set(merkle.perfect_subtrees(0, tree_size)) - found.keys()
    assert not missing, f"the log lacks nodes {sorted(missing)}"
    return tree_size, found


def _nodes(db: psycopg.Connection, wanted: Collection[Node]) -> dict[Node, bytes]:
    if not wanted:
        return {}
    levels, positions = zip(*set(wanted), strict=True)
    rows = db.execute(
        "SELECT level, idx, hash FROM log_node WHERE (level, idx) IN"
        " (SELECT * FROM unnest(%s::integer[], %s::bigint[]))",
        (list(levels), list(positions)),
    )
    found = {(int(level), int(position)): bytes(digest) for level, position, digest in rows}
    missing = set(wanted) - found.keys()
    assert not missing, f"the log lacks nodes {sorted(missing)}"
    return found


def _subtree_hashes(db: psycopg.Connection, ranges: list[Range]) -> dict[Range, bytes]:
    """MTH of each range of leaves, from the stored perfect subtrees (one query for all)."""
    wanted = {(start, end): merkle.perfect_subtrees(start, end) for start, end in ranges}
    stored = _nodes(db, [node for nodes in wanted.values() for node in nodes])
    return {
        range_: merkle.join_subtrees([stored[node] for node in nodes])
        for range_, nodes in wanted.items()
    }


def _asked(proof: Callable[[SubtreeHash], list[bytes]]) -> list[Range]:
    """The ranges a proof asks for: its shape depends on the sizes alone, not on any hash."""
    ranges: list[Range] = []

    def note(start: int, end: int) -> bytes:
        ranges.append((start, end))
        return b""

    proof(note)
    return ranges


def _prove(
    db: psycopg.Connection, proof: Callable[[SubtreeHash], list[bytes]], *extra: Range
) -> tuple[list[bytes], dict[Range, bytes]]:
    """The proof, and the hashes of the `extra` ranges read with it."""
    hashes = _subtree_hashes(db, [*_asked(proof), *extra])
    return proof(lambda start, end: hashes[(start, end)]), hashes


def root(db: psycopg.Connection, tree_size: int) -> bytes:
    """The root hash of the tree of the first `tree_size` leaves."""
    return _subtree_hashes(db, [(0, tree_size)])[(0, tree_size)]


def inclusion(db: psycopg.Connection, index: int, tree_size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf `index` in the tree of size `tree_size`."""
    return _prove(db, lambda hashes: merkle.inclusion_proof(index, tree_size, hashes))[0]


def consistency(db: psycopg.Connection, first: int, second: int) -> list[bytes]:
    """RFC 9162 consistency proof between the trees of sizes `first` and `second`."""
    return _prove(db, lambda hashes: merkle.consistency_proof(first, second, hashes))[0]


def checkpoint(db: psycopg.Connection, signer: NoteSigner, origin: str) -> str:
    """The signed note of the log's current head."""
    tree_size = size(QmarkConnection(db))
    return sign_checkpoint(Checkpoint(origin, tree_size, root(db, tree_size)), signer)


def claim_signer(db: psycopg.Connection, origin: str, verifier: str) -> str:
    """Record the verifier key of the record's checkpoints if none is yet; return the one recorded.

    Every node must sign with the same key: a node whose key differs is refused at start.
    """
    db.execute(
        "INSERT INTO log_signer (origin, verifier) VALUES (%s, %s) ON CONFLICT (one) DO NOTHING",
        (origin, verifier),
    )
    row = db.execute("SELECT verifier FROM log_signer").fetchone()
    assert row is not None
    return str(row[0])
