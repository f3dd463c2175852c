"""A step's appends kept at the log's edge in memory store what appending one by one stores."""

from __future__ import annotations

import sqlite3
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.record import merkle
from deconflict.record.canonical import canonical_bytes
from deconflict.record.note import generate_signer
from deconflict.record.receipt import verify_receipt
from deconflict.store.sqlite import log
from deconflict.store.sqlite.migrations import migrate

ORIGIN = "test.line/log"


def _entry(number: int) -> dict[str, Any]:
    return {"kind": "overdue", "at": "2030-01-01T00:00:00Z", "notice": number}


def _log(before: int) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    migrate(db)
    for number in range(before):
        log.append(db, _entry(number))
    return db


def _tables(db: sqlite3.Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    return (
        db.execute("SELECT * FROM log_leaf ORDER BY idx").fetchall(),
        db.execute("SELECT * FROM log_node ORDER BY level, idx").fetchall(),
    )


@settings(max_examples=60, deadline=None, database=None)
@given(before=st.integers(0, 140), appended=st.integers(1, 40))
def test_one_edge_for_many_appends_stores_the_leaves_and_nodes_of_one_by_one_appends(
    before: int, appended: int
) -> None:
    one_by_one, edged = _log(before), _log(before)
    for number in range(before, before + appended):
        log.append(one_by_one, _entry(number))
    edge = log.edge(edged)
    for number in range(before, before + appended):
        assert edge.append(_entry(number)) == number
        log.write(edged, *edge.unwritten())
    assert _tables(edged) == _tables(one_by_one)
    leaves = [merkle.leaf_hash(canonical_bytes(_entry(n))) for n in range(before + appended)]
    assert log.root(edged, before + appended) == merkle.MemoryTree(leaves).root()


@settings(max_examples=40, deadline=None, database=None)
@given(before=st.integers(0, 140), appended=st.integers(1, 20), data=st.data())
def test_a_receipt_from_the_edge_proves_its_leaf_in_the_log_as_it_then_stands(
    before: int, appended: int, data: st.DataObject
) -> None:
    db = _log(before)
    signer, _, _ = generate_signer(ORIGIN)
    edge = log.edge(db)
    for number in range(before, before + appended):
        edge.append(_entry(number))
        log.write(db, *edge.unwritten())
    index = data.draw(st.integers(before, before + appended - 1))
    checkpoint = verify_receipt(edge.receipt(index, signer, ORIGIN), signer.verifier)
    assert checkpoint.size == before + appended
    assert checkpoint.root_hash == log.root(db, before + appended)
