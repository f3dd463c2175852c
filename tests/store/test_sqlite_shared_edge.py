"""Steps that share one SQLite transaction start from the log's edge as the step before left
it, without reading it again; a step that fails is rolled back, and so is what it appended."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deconflict.errors import StateConflict
from deconflict.line.parties import Party
from deconflict.line.unit import UnitOfWork
from deconflict.record.note import generate_signer
from deconflict.record.receipt import verify_receipt
from deconflict.store.audit import check_store
from deconflict.store.record_reads import LogKey
from deconflict.store.sqlite import SqliteStore

NOW = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)


def _join(party: str, fail: bool = False) -> Any:
    """A step that registers `party`, appends its entry and answers its receipt; with `fail`,
    it raises once the entry is appended."""

    def step(tx: UnitOfWork) -> dict[str, Any]:
        tx.add_party(Party(party, party.upper(), "en", f"{party} desk"), NOW)
        leaf = tx.first_leaf()
        assert leaf is not None
        if fail:
            raise StateConflict("refused after the append", field="party", value=party)
        return tx.receipt(leaf)

    return step


def test_steps_of_one_transaction_append_where_the_one_before_left_the_log(
    tmp_path: Path,
) -> None:
    signer, _, _ = generate_signer("line.example/log")
    store = SqliteStore(tmp_path / "line.db", LogKey(signer, "line.example/log"))
    try:
        store.run_atomic(_join("first"))  # a log to start from, read by the batch's first step
        holding, release = threading.Event(), threading.Event()
        answers: dict[str, tuple[Any, BaseException | None]] = {}
        done = threading.Semaphore(0)

        def hold(tx: UnitOfWork) -> None:
            holding.set()
            release.wait(10)

        def answered(name: str) -> Any:
            def then(result: Any, error: BaseException | None) -> None:
                answers[name] = (result, error)
                done.release()

            return then

        store.run_atomic_then(hold, answered("hold"))
        assert holding.wait(10)
        # Queued while the writer is held: the writer takes them as one transaction.
        names = ["p1", "p2", "refused", "p3", "p4", "p5", "refused-last"]
        for name in names:
            store.run_atomic_then(_join(name, fail=name.startswith("refused")), answered(name))
        before = store._group_commit().transactions
        release.set()
        for _ in range(len(names) + 1):
            assert done.acquire(timeout=10)
        assert store._group_commit().transactions == before + 1

        for name in names:
            result, error = answers[name]
            if name.startswith("refused"):
                assert isinstance(error, StateConflict)
                continue
            assert error is None
            verify_receipt(result, signer.verifier)
        sizes = [answers[name][0]["leaf_index"] for name in ("p1", "p2", "p3", "p4", "p5")]
        assert sizes == [1, 2, 3, 4, 5]  # the refused steps' leaves are gone, and their places
        store.run_atomic(_join("after"))  # a new transaction reads the log again
        assert [p.id for p in store.parties()] == sorted(
            ["first", *names[:2], *names[3:6], "after"]
        )
        assert check_store(store, None, head_required=False).findings == []
    finally:
        store.close()
