"""The probe budget is bound to the record too: each row the budget keeps is a `probe` entry's,
and each probe the budget still counts has its row (both stores)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deconflict.store import Store
from deconflict.store.audit import check_store
from deconflict.store.head import HeadFile, head_path
from tests.backends import run_sql
from tests.store.story import fresh_log_key, live_story, open_keeping_head, probes_story

# russia's third probe, the last entry: 2026-09-06 23:35 UTC.
LAST_PROBE_AT_S = 1788737700.0


@pytest.fixture
def probed(db: str) -> Iterator[tuple[Store, HeadFile]]:
    key_path, key = fresh_log_key(db)
    store = open_keeping_head(db, key_path, key)
    live_story(store)
    probes_story(store)
    yield store, HeadFile(head_path(key_path), key)
    store.close()


def _findings(probed: tuple[Store, HeadFile]) -> list[str]:
    store, head = probed
    return [str(finding) for finding in check_store(store, head).findings]


def test_probes_the_budget_has_forgotten_leave_the_check_passing(
    probed: tuple[Store, HeadFile], db: str
) -> None:
    assert _findings(probed) == []
    kept = run_sql(db, "SELECT party, at_s FROM probe ORDER BY at_s")
    assert kept == [("coalition", 1788732300.0), ("russia", LAST_PROBE_AT_S)]


def test_a_deleted_probe_row_is_named_with_its_entry(
    probed: tuple[Store, HeadFile], db: str
) -> None:
    run_sql(db, f"DELETE FROM probe WHERE at_s = {LAST_PROBE_AT_S}")
    assert _findings(probed) == [
        "entry 50 (probe: probe by russia at 2026-09-06T23:35:00Z);"
        f" table probe, party russia, at_s {LAST_PROBE_AT_S}:"
        " no row: the probe does not count against its party's budget"
    ]


def test_a_probe_row_without_its_entry_is_named_with_its_row(
    probed: tuple[Store, HeadFile], db: str
) -> None:
    run_sql(db, "INSERT INTO probe (party, at_s) VALUES ('aid', 1788737000.0)")
    (finding,) = _findings(probed)
    assert finding.startswith(
        "no entry records a probe by aid at 2026-09-06T23:23:20Z that the budget keeps;"
        " table probe, id "
    )
    assert finding.endswith("(party aid, at_s 1788737000.0): a row without its entry")


def test_a_probe_row_moved_in_time_is_named_both_ways(
    probed: tuple[Store, HeadFile], db: str
) -> None:
    run_sql(db, f"UPDATE probe SET at_s = at_s - 60 WHERE at_s = {LAST_PROBE_AT_S}")
    findings = _findings(probed)
    assert len(findings) == 2
    assert findings[0].startswith("entry 50 (probe: probe by russia")
    assert "a row without its entry" in findings[1]


def test_a_forgotten_probe_row_put_back_is_named_as_forgotten(
    probed: tuple[Store, HeadFile], db: str
) -> None:
    run_sql(db, "INSERT INTO probe (party, at_s) VALUES ('russia', 1788732000.0)")
    (finding,) = _findings(probed)
    assert "by russia at 2026-09-06T22:00:00Z" in finding
    assert finding.endswith("its party's later probe forgot (older than the window)")
