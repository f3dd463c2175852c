"""Steps that share one SQLite transaction start from the log's edge as the step before left
it, without reading it again; a step that fails is rolled back, and so is what it appended."""

from __future__ import annotations

import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

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
    _one_batch(tmp_path, [False, False, True, False, False, False, True])


@given(fails=st.lists(st.booleans(), min_size=1, max_size=10))
@settings(max_examples=25, deadline=None)
def test_any_mix_of_steps_kept_and_refused_in_one_transaction_leaves_one_whole_log(
    fails: list[bool],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _one_batch(Path(folder), fails)


def _one_batch(folder: Path, fails: list[bool]) -> None:
    """Steps queued while the writer is held, run as one transaction: each kept step's leaf
    follows the one kept before it, its receipt verifies, a refused step leaves nothing, a
    new transaction reads the log again, and the store checks against its record."""
    signer, _, _ = generate_signer("line.example/log")
    store = SqliteStore(folder / "line.db", LogKey(signer, "line.example/log"))
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
        names = [f"refused-{i}" if fail else f"p{i}" for i, fail in enumerate(fails)]
        for name, fail in zip(names, fails, strict=True):
            store.run_atomic_then(_join(name, fail=fail), answered(name))
        before = store._group_commit().transactions
        release.set()
        for _ in range(len(names) + 1):
            assert done.acquire(timeout=10)
        assert store._group_commit().transactions == before + 1

        kept = [name for name, fail in zip(names, fails, strict=True) if not fail]
        for name, fail in zip(names, fails, strict=True):
            result, error = answers[name]
            if fail:
                assert isinstance(error, StateConflict)
                continue
            assert error is None
            verify_receipt(result, signer.verifier)
        # The refused steps' leaves are gone, and their places.
        assert [answers[name][0]["leaf_index"] for name in kept] == list(range(1, len(kept) + 1))
        store.run_atomic(_join("after"))  # a new transaction reads the log again
        assert [p.id for p in store.parties()] == sorted(["first", *kept, "after"])
        assert check_store(store, None, head_required=False).findings == []
    finally:
        store.close()
