"""The store is bound to its record: every tampering is caught by `db check` and at start.

Each case changes a store that lived a real story (tests/store/story.py) behind
the line's back, then runs `deconflict db check` and `deconflict serve` as an
operator would: both exit 1 naming the entry and the row; `--skip-check`
(the setting skip_check) starts the server anyway.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from deconflict.line.model import NoticePolicy, Share
from deconflict.line.service import Line
from deconflict.server import create_app
from deconflict.settings import Settings
from deconflict.store import is_postgres_url, open_store
from deconflict.store.audit import StoreInconsistent
from deconflict.store.head import HeadFile, head_path
from tests.api.conftest import free_port
from tests.backends import run_sql
from tests.conftest import run_cli
from tests.store.story import (
    Clock,
    dss_story,
    fresh_log_key,
    live_story,
    open_keeping_head,
    parties,
    strike,
)


@dataclass(frozen=True)
class Storied:
    """A store after the story: where it is, its log key and its head file."""

    db: str
    key: Path
    ids: dict[str, str] = field(default_factory=dict)
    """The DSS story's ids and OVNs (tests/store/story.py, `dss_story`), when it was told."""

    @property
    def head(self) -> Path:
        return head_path(self.key)

    @property
    def postgres(self) -> bool:
        return is_postgres_url(self.db)


@pytest.fixture
def storied(db: str, monkeypatch: pytest.MonkeyPatch) -> Storied:
    key_path, key = fresh_log_key(db)
    store = open_keeping_head(db, key_path, key)
    live_story(store)
    store.close()
    monkeypatch.setenv("DECONFLICT_LOG_KEY", str(key_path))
    return Storied(db, key_path)


@pytest.fixture
def dss_storied(db: str, monkeypatch: pytest.MonkeyPatch) -> Storied:
    """A store after the story and the DSS story after it."""
    key_path, key = fresh_log_key(db)
    store = open_keeping_head(db, key_path, key)
    live_story(store)
    ids = dss_story(store)
    store.close()
    monkeypatch.setenv("DECONFLICT_LOG_KEY", str(key_path))
    return Storied(db, key_path, ids)


def _sql(*statements: str) -> Callable[[Storied], None]:
    def tamper(story: Storied) -> None:
        for statement in statements:
            run_sql(story.db, statement)

    return tamper


def _by_backend(sqlite: str, postgres: str) -> Callable[[Storied], None]:
    def tamper(story: Storied) -> None:
        run_sql(story.db, postgres if story.postgres else sqlite)

    return tamper


def _delete_head(story: Storied) -> None:
    story.head.unlink()


AT_TANF = "(SELECT rowid FROM volume WHERE feature_id = 'at-tanf')"

TAMPERINGS: dict[str, tuple[Callable[[Storied], None], tuple[str, ...]]] = {
    "a moved volume (document)": (
        _sql(
            "UPDATE volume SET document = replace(document, '[38.64,33.5]', '[36.0,33.5]')"
            " WHERE feature_id = 'at-tanf'"
        ),
        (
            "(feature: feature at-tanf of coalition",
            "table volume, party coalition, feature_id at-tanf, column document",
        ),
    ),
    "a volume moved in the index only": (
        _by_backend(
            f"UPDATE volume_index SET x0 = 0, x1 = 1, y0 = 0, y1 = 1 WHERE rowid = {AT_TANF}",
            "UPDATE volume SET box = cube(ARRAY[0, 0, 0, 0, 0]::float8[],"
            " ARRAY[1, 1, 1, 1, 1]::float8[]) WHERE feature_id = 'at-tanf'",
        ),
        (
            "(feature: feature at-tanf of coalition",
            "the volume index, party coalition, feature_id at-tanf",
        ),
    ),
    "a deleted last leaf": (
        _sql(
            "DELETE FROM log_leaf"
            " WHERE idx = (SELECT max(idx) FROM (SELECT idx FROM log_leaf) AS l)"
        ),
        ("entry 46; table log_leaf, idx 46: no rows", "the log was truncated"),
    ),
    "a deleted middle leaf": (
        _sql("DELETE FROM log_leaf WHERE idx = 20"),
        ("entry 20; table log_leaf, idx 20: no row",),
    ),
    "an edited notice (respond_by)": (
        _sql("UPDATE notice SET respond_by = '2030-01-01T00:00:00+00:00' WHERE id = 2"),
        ("(notice: notice 2)", "table notice, id 2, column respond_by"),
    ),
    "an edited notice (conflicts)": (
        _sql("UPDATE notice SET conflicts = '[]' WHERE id = 2"),
        ("(notice: notice 2)", "table notice, id 2, column conflicts"),
    ),
    "a notice set to responded without an entry": (
        _sql("UPDATE notice SET state = 'responded', response = 'acknowledged' WHERE id = 6"),
        ("(notice: notice 6)", "table notice, id 6, column state"),
    ),
    "a deleted notice row": (
        _sql("DELETE FROM message WHERE notice_id = 7", "DELETE FROM notice WHERE id = 7"),
        ("(notice: notice 7); table notice, id 7: no row",),
    ),
    "a deleted message row": (
        _sql("DELETE FROM message WHERE id = 21"),
        ("(message: message 21 of notice 8); table message, id 21: no row",),
    ),
    "two leaves' rows swapped": (
        _sql(
            "UPDATE log_leaf SET idx = -1 WHERE idx = 13",
            "UPDATE log_leaf SET idx = 13 WHERE idx = 14",
            "UPDATE log_leaf SET idx = 14 WHERE idx = -1",
        ),
        ("entry 13; table log_leaf, idx 13, column entry", "entry 14; table log_leaf, idx 14"),
    ),
    "an edited opening": (
        _by_backend(
            "UPDATE log_opening SET salt = zeroblob(32) WHERE idx = 7",
            "UPDATE log_opening SET salt = decode(repeat('00', 32), 'hex') WHERE idx = 7",
        ),
        ("entry 7; table log_opening, idx 7, commitment", "do not hash to the commitment"),
    ),
    "a deleted head file": (
        _delete_head,
        ("entries 0 to 46; file ", "no head file, though the record holds 47 entries"),
    ),
}


def _dss_sql(*statements: str) -> Callable[[Storied], None]:
    """SQL statements with the DSS story's ids (`{patrol}`, `{ovn-patrol}`...) filled in."""

    def tamper(story: Storied) -> None:
        for statement in statements:
            run_sql(story.db, statement.format_map(story.ids))

    return tamper


_PATROL = "(dss: operational_intent {patrol} of uss1, put)"
_PATROL_ROW = "table utm_entity, kind operational_intent, id {patrol}"

DSS_TAMPERINGS: dict[str, tuple[Callable[[Storied], None], tuple[str, ...]]] = {
    "a moved DSS volume (document)": (
        _dss_sql(
            "UPDATE utm_entity SET document = replace(document, '\"lng\": 38.7', '\"lng\": 36.0')"
            " WHERE id = '{patrol}'"
        ),
        (_PATROL, f"{_PATROL_ROW}, column document, field extents: the row holds"),
    ),
    "a DSS volume moved in its box only": (
        _dss_sql("UPDATE utm_entity SET x0 = 0, x1 = 1 WHERE id = '{patrol}'"),
        (_PATROL, f"{_PATROL_ROW}, columns t0 to z1: the box"),
    ),
    "a changed intent state": (
        _dss_sql(
            "UPDATE utm_entity SET document = replace(document, 'Activated', 'Nonconforming')"
            " WHERE id = '{patrol}'"
        ),
        (_PATROL, f'{_PATROL_ROW}, column document, field state: the row holds "Nonconforming"'),
    ),
    "a changed OVN": (
        _dss_sql(
            "UPDATE utm_entity SET document = replace(document, '{ovn-patrol}', 'forged-ovn-0001')"
            " WHERE id = '{patrol}'"
        ),
        (_PATROL, f"{_PATROL_ROW}, column document, field ovn_sha256"),
    ),
    "an intent moved to another subscription": (
        _dss_sql("UPDATE utm_entity SET subscription_id = '{survey}' WHERE id = '{patrol}'"),
        (_PATROL, f"{_PATROL_ROW}, column subscription_id"),
    ),
    "a deleted DSS entity row": (
        _dss_sql("DELETE FROM utm_entity WHERE id = '{survey}'"),
        (
            "(dss: operational_intent {survey} of uss2, put);"
            " table utm_entity, kind operational_intent, id {survey}: no row",
        ),
    ),
    "a removed intent put back": (
        _dss_sql(
            "INSERT INTO utm_entity (kind, id, document, t0, t1, alt0, alt1, x0, x1, y0, y1,"
            " z0, z1) SELECT kind, '{brief}', document, t0, t1, alt0, alt1, x0, x1, y0, y1, z0, z1"
            " FROM utm_entity WHERE id = '{survey}'"
        ),
        (
            "(dss: operational_intent {brief} of uss2, delete);"
            " table utm_entity, kind operational_intent, id {brief}: a row of an entity the"
            " record deleted",
        ),
    ),
    "a subscription's notifications reset": (
        _dss_sql("UPDATE utm_entity SET notified = 0 WHERE id = '{watch}'"),
        (
            "(dss: subscription {watch} of uss1, put);"
            " table utm_entity, kind subscription, id {watch}, column notified: the row holds 0",
        ),
    ),
    "a changed availability": (
        _dss_sql("UPDATE utm_availability SET availability = 'Down' WHERE uss = 'uss2'"),
        (
            "(dss: uss_availability uss2 of arbiter, put);"
            ' table utm_availability, uss uss2, column availability: the row holds "Down",'
            ' the record "Normal"',
        ),
    ),
    "an edited report": (
        _dss_sql(
            "UPDATE utm_entity SET document = replace(document, 'uss2.example', 'uss3.example')"
            " WHERE id = '{report}'"
        ),
        ("(dss: report {report} of uss1, put)", "id {report}, column document, field sha256"),
    ),
}


@dataclass
class Served:
    """A `deconflict serve` child: what it wrote on standard error, once it has stopped."""

    errors: str = ""


@contextmanager
def serving(db: str, *flags: str) -> Iterator[Served]:
    """`deconflict serve` on a free port in a child process, from when it answers /healthz
    until the block ends (then interrupted as Ctrl-C would)."""
    port = free_port()
    process = _serve(db, "--port", str(port), *flags)
    served = Served()
    try:
        deadline = time.monotonic() + 30
        while _status(f"http://127.0.0.1:{port}/healthz") != 200:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            time.sleep(0.1)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        served.errors = process.communicate(timeout=20)[1]


def _status(url: str) -> int | None:
    try:
        return httpx.get(url).status_code
    except httpx.TransportError:
        return None


def _serve(db: str, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from deconflict.cli import main; main()",
            "serve",
            "--db",
            db,
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_untouched_store_after_the_story_passes_the_check_and_serves(storied: Storied) -> None:
    checked = run_cli("db", "check", "--db", storied.db)
    assert checked.returncode == 0, checked.stderr
    assert "matches its record: 47 entries; the head at size 47" in checked.stdout
    with serving(storied.db) as served:
        pass
    assert "NOT CHECKED" not in served.errors


@pytest.mark.parametrize("case", TAMPERINGS)
def test_each_tampering_is_caught_by_db_check_and_at_start(storied: Storied, case: str) -> None:
    tamper, named = TAMPERINGS[case]
    tamper(storied)
    refused = _caught_by_check_and_at_start(storied.db, named)
    assert "--skip-check" in refused


def _caught_by_check_and_at_start(db: str, named: Sequence[str]) -> str:
    """`db check` exits 1 and a start refuses with exit 1, each naming all of `named`; what the
    start said."""
    checked = run_cli("db", "check", "--db", db)
    assert checked.returncode == 1, checked.stdout
    for words in named:
        assert words in checked.stderr
    started = _serve(db, "--port", str(free_port()))
    _, refused = started.communicate(timeout=60)
    assert started.returncode == 1
    for words in named:
        assert words in refused
    return refused


def test_an_untouched_store_after_the_dss_story_passes_the_check(dss_storied: Storied) -> None:
    checked = run_cli("db", "check", "--db", dss_storied.db)
    assert checked.returncode == 0, checked.stderr
    assert "matches its record: 61 entries" in checked.stdout


@pytest.mark.parametrize("case", DSS_TAMPERINGS)
def test_each_dss_tampering_is_caught_by_db_check_and_at_start(
    dss_storied: Storied, case: str
) -> None:
    tamper, named = DSS_TAMPERINGS[case]
    tamper(dss_storied)
    _caught_by_check_and_at_start(
        dss_storied.db, [words.format_map(dss_storied.ids) for words in named]
    )


@pytest.mark.parametrize("case", ["a moved volume (document)", "a deleted last leaf"])
def test_skip_check_starts_on_a_tampered_store_and_says_so(storied: Storied, case: str) -> None:
    TAMPERINGS[case][0](storied)
    held = storied.head.read_bytes()
    with serving(storied.db, "--skip-check") as served:
        pass
    assert "NOT CHECKED" in served.errors
    assert storied.head.read_bytes() == held  # the evidence is kept


def test_the_setting_skip_check_starts_the_app_anyway(storied: Storied) -> None:
    TAMPERINGS["a deleted middle leaf"][0](storied)
    app = create_app(Settings(db=storied.db, log_key=storied.key, skip_check=True))
    app.state.store.close()


def test_the_uvicorn_factory_refuses_a_tampered_store(storied: Storied) -> None:
    TAMPERINGS["an edited notice (respond_by)"][0](storied)
    environ = {**os.environ, "DECONFLICT_DB": storied.db}
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "deconflict.server:app_from_env",
            "--port",
            str(free_port()),
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert "table notice, id 2, column respond_by" in started.stderr


def test_accept_head_signs_the_head_as_it_is_and_says_what_it_replaced(storied: Storied) -> None:
    TAMPERINGS["a deleted head file"][0](storied)
    accepted = run_cli("db", "check", "--db", storied.db, "--accept-head")
    assert accepted.returncode == 0, accepted.stderr
    assert "now holds the head at size 47" in accepted.stderr
    assert "(before: no head)" in accepted.stderr
    assert run_cli("db", "check", "--db", storied.db).returncode == 0


@pytest.mark.parametrize("case", ["a deleted middle leaf", "a deleted head file"])
def test_a_start_check_bounded_to_the_latest_entries_still_checks_every_leaf_and_the_head(
    storied: Storied, case: str
) -> None:
    TAMPERINGS[case][0](storied)
    with pytest.raises(StoreInconsistent, match=re.escape(TAMPERINGS[case][1][0])):
        create_app(Settings(db=storied.db, log_key=storied.key, start_check_entries=5))


def test_a_start_check_bounded_to_the_latest_entries_compares_their_rows(
    storied: Storied,
) -> None:
    TAMPERINGS["a deleted notice row"][0](storied)  # notice 7: entry 43, among the latest 5
    with pytest.raises(StoreInconsistent, match=r"\(notice: notice 7\); table notice, id 7"):
        create_app(Settings(db=storied.db, log_key=storied.key, start_check_entries=5))


def test_an_older_row_outside_the_bounded_start_check_is_left_to_db_check(
    storied: Storied, caplog: pytest.LogCaptureFixture
) -> None:
    TAMPERINGS["an edited notice (respond_by)"][0](storied)  # notice 2: entry 10
    app = create_app(Settings(db=storied.db, log_key=storied.key, start_check_entries=5))
    app.state.store.close()
    assert "compared with the latest 5 entries only (entries 42 to 46" in caplog.text
    checked = run_cli("db", "check", "--db", storied.db)
    assert checked.returncode == 1
    assert "table notice, id 2, column respond_by" in checked.stderr


def test_every_answered_step_is_under_the_head_file_when_its_answer_comes(db: str) -> None:
    """The head is written beside the next commits, but no step is answered before a head
    that covers its entries is on disk: what a 2xx vouched for a truncation cannot hide."""
    key_path, key = fresh_log_key(db)
    store = open_keeping_head(db, key_path, key)
    parties(store)
    line = Line(store, NoticePolicy(), Clock())
    head = HeadFile(head_path(key_path), key)
    behind: list[tuple[int, int]] = []

    def declare(lane: int) -> None:
        for i in range(8):
            party = ("coalition", "russia", "aid")[(lane + i) % 3]
            result = line.declare(party, strike(f"s{lane}-{i}", lane + i / 10, party), Share.SHAPE)
            assert result.receipt is not None
            index, written = result.receipt["leaf_index"], head.read()
            assert isinstance(index, int) and written is not None
            if written.size <= index:
                behind.append((index, written.size))

    lanes = [threading.Thread(target=declare, args=(lane,)) for lane in range(6)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join(60)
    store.close()
    assert behind == []
    checked, reopened = head.read(), open_store(db, key)
    try:
        assert checked is not None and checked.size == reopened.log_size() >= 48
    finally:
        reopened.close()
