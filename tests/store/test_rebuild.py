"""`deconflict db rebuild`: a store rebuilt from a verified record is the line its record says.

A store lives a real story through the line (tests/store/story.py: parties, a
zone and a `contact` zone, strikes in conflict, notices read, objected to,
answered, amended, acknowledged, one escalated overdue then cancelled, a party
key, probes), then is changed behind the line's back. Its rebuild, by the real
CLI, passes `db check`, finds the conflicts the untouched line finds, holds
its notices with their states, and the same record under the same root. A
record that does not verify, a target that holds a store, and a row the
record cannot give back each leave nothing at the target (both stores).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from deconflict.record import merkle
from deconflict.record.base64text import encode_base64
from deconflict.rules.feature import Feature
from deconflict.store import dss_tables, is_postgres_url, open_store
from deconflict.utm.model import ovn_secret
from deconflict.utm.service import Dss
from deconflict.web.sessions import Sessions
from tests.backends import Databases, run_sql
from tests.conftest import run_cli
from tests.store.line_rows import line_rows
from tests.store.story import (
    START,
    Clock,
    dss_story,
    fresh_log_key,
    live_story,
    open_keeping_head,
    probes_story,
    strike,
)

# A strike where at-tanf stands: the line finds it in conflict with the zone.
NEAR_AT_TANF = strike("check", 38.64, party="aid")

MOVE_AT_TANF = (
    "UPDATE volume SET document = replace(document, '[38.64,33.5]', '[36.0,33.5]')"
    " WHERE feature_id = 'at-tanf'"
)


@pytest.fixture
def lived(db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A store after the story and its probes, its log key in $DECONFLICT_LOG_KEY."""
    key_path, key = fresh_log_key(db)
    store = open_keeping_head(db, key_path, key)
    live_story(store)
    probes_story(store)
    store.close()
    monkeypatch.setenv("DECONFLICT_LOG_KEY", str(key_path))
    return db


@pytest.fixture
def target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the rebuild goes: a SQLite file not made yet, or an empty PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp_path / "rebuilt.db")
        return
    databases: Databases = request.getfixturevalue("databases")
    url = databases.new()
    yield url
    databases.release(url)


@pytest.fixture
def dss_lived(db: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str]]:
    """A store after the story and the DSS story (its ids and OVNs), its log key set."""
    key_path, key = fresh_log_key(db)
    store = open_keeping_head(db, key_path, key)
    live_story(store)
    ids = dss_story(store, ovn_secret(key.signer))
    store.close()
    monkeypatch.setenv("DECONFLICT_LOG_KEY", str(key_path))
    return db, ids


def _conflicts(db: str, feature: Feature) -> list[tuple[Any, ...]]:
    """What a conflict check of `feature` against the store finds: pairs, distances, owners."""
    store = open_store(db)
    try:
        with store.atomic() as unit:
            found = unit.conflicts_of(feature)
    finally:
        store.close()
    return [(c.ids, round(c.distance_m, 3), other.feature.party) for c, other in found]


def _root(db: str) -> bytes:
    """The record's root, from the hashes of its leaves."""
    hashes = [bytes(row[0]) for row in run_sql(db, _LEAF_HASHES)]
    return merkle.MemoryTree(hashes).root(len(hashes))


_LEAF_HASHES = "SELECT hash FROM log_node WHERE level = 0 ORDER BY idx"


def _left_nothing(target: str) -> bool:
    if is_postgres_url(target):
        return all(rows == [] for rows in line_rows(target).values())
    folder = Path(target).parent
    return not Path(target).exists() and not list(folder.glob(f".{Path(target).name}*"))


def _notice_to(db: str, recipient: str, feature_id: str, version: int) -> int:
    rows = run_sql(
        db,
        f"SELECT id FROM notice WHERE recipient = '{recipient}' AND feature_id = '{feature_id}'"
        f" AND feature_version = {version}",
    )
    return int(rows[0][0])


def test_a_tampered_store_rebuilt_from_its_record_is_the_untampered_line(
    lived: str, target: str
) -> None:
    untouched, conflicts, root = line_rows(lived), _conflicts(lived, NEAR_AT_TANF), _root(lived)
    assert [owner for *_, owner in conflicts] == ["coalition"]
    deleted = _notice_to(lived, "aid", "strike-2", 2)  # the cancellation's, with its message
    run_sql(lived, MOVE_AT_TANF)
    run_sql(lived, f"DELETE FROM message WHERE notice_id = {deleted}")
    run_sql(lived, f"DELETE FROM notice WHERE id = {deleted}")
    run_sql(lived, "DELETE FROM probe WHERE party = 'coalition'")
    assert _conflicts(lived, NEAR_AT_TANF) == []
    assert run_cli("db", "check", "--db", lived).returncode == 1

    rebuilt = run_cli("db", "rebuild", "--db", lived, "--to", target)

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "it matches its record" in rebuilt.stdout
    assert f"51 entries under the same root {encode_base64(root)}" in rebuilt.stdout
    assert "Made from the record: parties 3, party keys 1, feature versions 6, volumes 4" in (
        rebuilt.stdout
    )
    assert "not proven by the record: tokens 3, events 28" in rebuilt.stdout
    assert "differs from its record (5 findings)" in rebuilt.stdout
    checked = run_cli("db", "check", "--db", target)
    assert checked.returncode == 0, checked.stderr
    assert "matches its record: 51 entries; the head at size 51" in checked.stdout
    assert _conflicts(target, NEAR_AT_TANF) == conflicts
    assert line_rows(target) == untouched
    assert _root(target) == root


def test_the_rebuilt_line_serves_its_parties_with_their_tokens(lived: str, target: str) -> None:
    assert run_cli("db", "rebuild", "--db", lived, "--to", target).returncode == 0
    store = open_store(target)
    try:
        inbox = store.inbox("coalition")
        overdue = [n for n in inbox if n.overdue_at is not None]
        assert [n.state.value for n in inbox] == [
            n[6] for n in line_rows(lived, ("notice",))["notice"] if n[4] == "coalition"
        ]
        assert len(overdue) == 1
        assert store.credential(line_rows(lived, ("token",))["token"][0][1]) is not None
    finally:
        store.close()


def test_console_sessions_pass_the_check_and_are_left_behind_by_a_rebuild(
    lived: str, target: str
) -> None:
    store = open_store(lived)
    try:
        token_hash = line_rows(lived, ("token",))["token"][0][1]
        credential = store.credential(token_hash)
        assert credential is not None
        for _ in range(2):
            Sessions(store).open(credential)
    finally:
        store.close()
    assert run_cli("db", "check", "--db", lived).returncode == 0
    rebuilt = run_cli("db", "rebuild", "--db", lived, "--to", target)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 console sessions were not copied" in rebuilt.stdout
    assert run_sql(target, "SELECT count(*) FROM console_session") == [(0,)]
    assert run_sql(lived, "SELECT count(*) FROM console_session") == [(2,)]


@pytest.mark.parametrize(
    ("tampering", "named"),
    [
        ("DELETE FROM log_leaf WHERE idx = 20", "entry 20; table log_leaf, idx 20: no row"),
        (
            "UPDATE log_opening SET value = replace(value, 'russia', 'nobody') WHERE idx = 10",
            "entry 10; table log_opening, idx 10, commitment",
        ),
        ("DELETE FROM log_leaf WHERE idx = 50", "the log was truncated"),
    ],
)
def test_a_record_that_does_not_verify_is_not_rebuilt_and_nothing_is_written(
    lived: str, target: str, tampering: str, named: str
) -> None:
    run_sql(lived, tampering)
    refused = run_cli("db", "rebuild", "--db", lived, "--to", target)
    assert refused.returncode == 1, refused.stderr
    assert "the record does not verify" in refused.stderr
    assert named in refused.stderr
    assert _left_nothing(target)


def test_a_target_that_holds_a_store_is_refused_and_left_as_it_was(lived: str, target: str) -> None:
    assert run_cli("db", "rebuild", "--db", lived, "--to", target).returncode == 0
    held = line_rows(target)
    again = run_cli("db", "rebuild", "--db", lived, "--to", target)
    assert again.returncode == 2
    assert "holds a store already" in again.stderr
    assert line_rows(target) == held
    same = run_cli("db", "rebuild", "--db", lived, "--to", lived)
    assert same.returncode == 2
    assert "--to names the store --db names" in same.stderr


def test_a_notice_whose_hidden_conflict_only_its_row_held_leaves_nothing_rebuilt(
    lived: str, target: str
) -> None:
    private = _notice_to(lived, "aid", "strike-1", 1)  # meets aid's own `contact` zone
    run_sql(lived, f"UPDATE notice SET conflicts = '[]' WHERE id = {private}")
    refused = run_cli("db", "rebuild", "--db", lived, "--to", target)
    assert refused.returncode == 1
    assert f"note: notice {private}: the record holds its conflicts with a `contact` zone" in (
        refused.stderr
    )
    assert f"table notice, id {private}: no row" in refused.stderr
    assert _left_nothing(target)


def test_a_sqlite_store_rebuilt_into_postgresql_is_the_same_line(
    tmp_path: Path, databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = str(tmp_path / "line.db")
    key_path, key = fresh_log_key(source)
    store = open_keeping_head(source, key_path, key)
    live_story(store)
    probes_story(store)
    ids = dss_story(store, ovn_secret(key.signer))
    store.close()
    monkeypatch.setenv("DECONFLICT_LOG_KEY", str(key_path))
    target = databases.new()
    try:
        rebuilt = run_cli("db", "rebuild", "--db", source, "--to", target, "--json")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert run_cli("db", "check", "--db", target).returncode == 0
        assert line_rows(target) == line_rows(source)
        _patrol_moved_on(target, ids)
    finally:
        databases.release(target)


def _patrol_moved_on(db: str, ids: dict[str, str]) -> str:
    """uss1's next write of its patrol on `db`, naming the OVNs it holds from before: the
    patrol's new OVN (the write is refused if any OVN it names is not the store's)."""
    store = open_store(db)
    try:
        dss = Dss(dss_tables(store), Clock(START + timedelta(minutes=30)))
        kept = dss.get_intent("uss1", ids["patrol"])["operational_intent_reference"]
        assert kept["ovn"] == ids["ovn-patrol"]
        found = run_sql(db, f"SELECT document FROM utm_entity WHERE id = '{ids['patrol']}'")
        body = json.loads(found[0][0])
        moved = {
            "extents": body["extents"],
            "key": [ids["ovn-survey"], ids["ovn-tfr"]],
            "state": "Activated",
            "uss_base_url": body["uss_base_url"],
            "subscription_id": ids["watch"],
        }
        moved["extents"][0]["volume"]["outline_circle"]["radius"]["value"] = 400
        change = dss.put_intent("uss1", frozenset(), ids["patrol"], ids["ovn-patrol"], moved)
    finally:
        store.close()
    assert change.intent is not None
    return change.intent.ovn


def test_a_tampered_dss_rebuilt_from_its_record_answers_the_same_ovns(
    dss_lived: tuple[str, dict[str, str]], target: str
) -> None:
    lived, ids = dss_lived
    untouched = line_rows(lived, ("utm_entity", "utm_availability"))
    run_sql(
        lived,
        "UPDATE utm_entity SET document = replace(document, '\"lng\": 38.7', '\"lng\": 36.0'),"
        f" x0 = 0, x1 = 1 WHERE id = '{ids['patrol']}'",
    )
    run_sql(lived, f"UPDATE utm_entity SET notified = 0 WHERE id = '{ids['watch']}'")
    run_sql(lived, "UPDATE utm_availability SET availability = 'Down' WHERE uss = 'uss2'")
    assert run_cli("db", "check", "--db", lived).returncode == 1

    rebuilt = run_cli("db", "rebuild", "--db", lived, "--to", target)

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "DSS entities 6, USS availabilities 1" in rebuilt.stdout
    assert run_cli("db", "check", "--db", target).returncode == 0
    assert line_rows(target, ("utm_entity", "utm_availability")) == untouched
    assert _patrol_moved_on(target, ids) != ids["ovn-patrol"]
    assert run_cli("db", "check", "--db", target).returncode == 0


def test_an_entity_whose_row_is_gone_is_rebuilt_with_the_ovn_it_had(
    dss_lived: tuple[str, dict[str, str]], target: str
) -> None:
    lived, ids = dss_lived
    untouched = line_rows(lived, ("utm_entity",))
    run_sql(lived, f"DELETE FROM utm_entity WHERE id IN ('{ids['survey']}', '{ids['tfr']}')")
    rebuilt = run_cli("db", "rebuild", "--db", lived, "--to", target)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert line_rows(target, ("utm_entity",)) == untouched
    _patrol_moved_on(target, ids)  # names the survey's and the constraint's OVNs


def test_a_report_only_a_deleted_row_held_leaves_nothing_rebuilt(
    dss_lived: tuple[str, dict[str, str]], target: str
) -> None:
    lived, ids = dss_lived
    run_sql(lived, f"DELETE FROM utm_entity WHERE id = '{ids['report']}'")
    refused = run_cli("db", "rebuild", "--db", lived, "--to", target)
    assert refused.returncode == 1
    report = f"report {ids['report']}"
    assert f"note: {report}: the record holds its report only by its SHA-256" in refused.stderr
    assert f"table utm_entity, kind report, id {ids['report']}: no row" in refused.stderr
    assert _left_nothing(target)
