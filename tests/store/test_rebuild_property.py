"""Property: after any sequence of the line's operations, a rebuild gives back every row the
record decides (and those it copies), with their ids, under the same root; after one change
behind the line's back it gives back the rows as they were before it, or refuses and leaves
nothing at its target (both stores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from deconflict.store import is_postgres_url
from deconflict.store.audit import StoreInconsistent
from deconflict.store.head import HeadFile, head_path
from deconflict.store.rebuild import RecordUnverified, rebuild
from deconflict.utm.model import ovn_secret
from tests.store.line_rows import line_rows
from tests.store.story import fresh_log_key, open_keeping_head
from tests.store.test_audit_property import _lived, _mutate, empty_store

ESCALATION_CONTACT = 4
"""Its column in `line_rows`' party rows: not in the record, copied only from an agreeing row."""


def _nothing_at(target: str) -> bool:
    if is_postgres_url(target):
        return all(rows == [] for rows in line_rows(target).values())
    return not Path(target).exists()


def _without_escalation_contacts(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    rows["party"] = [r[:ESCALATION_CONTACT] + r[ESCALATION_CONTACT + 1 :] for r in rows["party"]]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_rebuild_gives_back_the_line_or_refuses_and_leaves_nothing(
    backend: str, request: pytest.FixtureRequest, data: st.DataObject
) -> None:
    with empty_store(backend, request) as db, empty_store(backend, request) as folder_or_url:
        target = folder_or_url if is_postgres_url(folder_or_url) else folder_or_url + ".rebuilt"
        key_path, key = fresh_log_key(db)
        store = open_keeping_head(db, key_path, key)
        try:
            _lived(store, data, ovn_secret(key.signer))
            untouched = line_rows(db)
            changed = _mutate(db, data) if data.draw(st.integers(0, 3)) else ""
            try:
                rebuilt = rebuild(store, HeadFile(head_path(key_path), key), target)
            except RecordUnverified:
                event("refused: the record does not verify")
                assert changed.startswith(("DELETE FROM log_leaf", "UPDATE log_node")), changed
                assert _nothing_at(target)
                return
            except StoreInconsistent as refused:
                event("refused: a row the record cannot give back")
                assert changed.startswith(("UPDATE notice", "UPDATE message", "DELETE FROM mess"))
                assert "cannot be rebuilt" in str(refused), str(refused)
                assert _nothing_at(target)
                return
        finally:
            store.close()
        assert rebuilt.source_findings or not changed
        made = line_rows(target)
        if changed.startswith("UPDATE party"):
            _without_escalation_contacts(made)
            _without_escalation_contacts(untouched)
        event(f"rebuilt, {'after a change' if changed else 'untouched'}")
        assert made == untouched, changed
