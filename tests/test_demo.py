"""`deconflict demo`: the At Tanf story, run end to end through the real API."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from deconflict.demo import DemoResult, run_demo
from deconflict.errors import StateConflict
from deconflict.rules.feature import Kind
from deconflict.store.sqlite import SqliteStore
from tests.api.conftest import free_port
from tests.conftest import run_cli
from tests.demo_line import served_demo

CYRILLIC = re.compile("[А-Яа-яЁё]")


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    """The story, run once in this process over a kept store; its result and narrative."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    narrative = io.StringIO()
    result = run_demo(db=db, console=Console(file=narrative, width=120, highlight=False))
    return result, " ".join(narrative.getvalue().split())


def test_strike_inside_the_zone_is_flagged_against_at_tanf(story: tuple[DemoResult, str]) -> None:
    result, _ = story
    [conflict] = result.strike_conflicts
    assert (conflict["party"], conflict["feature"], conflict["against"]) == (
        "coalition",
        "strike-2",
        "at-tanf",
    )


def test_the_aid_agency_imports_its_site_list_in_one_step(story: tuple[DemoResult, str]) -> None:
    result, narrative = story
    assert result.sites == ["rukban-camp-clinic", "water-point-7", "warehouse-on-the-tanf-road"]
    assert "imports its site list" in narrative and "3 zones stored, no conflicts" in narrative


def test_nightly_artillery_names_the_nights_it_meets_the_clinic(
    story: tuple[DemoResult, str],
) -> None:
    result, narrative = story
    by_target = {c["against"]: c for c in result.artillery_conflicts}
    assert set(by_target) == {"at-tanf", "rukban-camp-clinic"}
    clinic = by_target["rukban-camp-clinic"]
    assert clinic["occurrences"]["total"] == 5
    assert [w["start"][11:16] for w in clinic["occurrences"]["windows"]] == ["20:00"] * 5
    assert "rukban-camp-clinic on 5 nights" in narrative


def test_amended_strike_has_no_conflict(story: tuple[DemoResult, str]) -> None:
    assert story[0].amended_conflicts == []


def test_objection_reaches_the_russian_side_in_russian_with_the_free_text(
    story: tuple[DemoResult, str],
) -> None:
    objection = story[0].objection
    assert (objection["code"], objection["params"]["reason"]) == ("objection", "forces_present")
    assert "возражает" in objection["text"]
    assert objection["free_text"].startswith("Свободный текст (без перевода)")


def test_drill_acknowledgement_is_rendered_for_each_side_in_its_language(
    story: tuple[DemoResult, str],
) -> None:
    acknowledgement = story[0].acknowledgement
    assert "подтверждает получение уведомления" in acknowledgement["ru"]
    assert "acknowledges notice" in acknowledgement["en"]
    assert not CYRILLIC.search(acknowledgement["en"])


def test_unanswered_drill_notice_to_the_aid_agency_is_escalated(
    story: tuple[DemoResult, str],
) -> None:
    escalation = story[0].escalation
    assert (escalation["feature"], escalation["recipient"], escalation["overdue"]) == (
        "drill-1",
        "aid",
        True,
    )
    assert escalation["escalation_contact"] == "aid country director"
    assert escalation["response"] is None


def test_the_kept_store_holds_the_story_and_the_tokens_are_live(
    story: tuple[DemoResult, str],
) -> None:
    result, _ = story
    assert result.db is not None and result.db.exists()
    assert sorted(result.tokens) == ["aid", "coalition", "russia"]
    assert all(token.startswith("dcf_") for token in result.tokens.values())
    store = SqliteStore(result.db)
    try:
        assert {p.id for p in store.parties()} == {"aid", "coalition", "russia"}
        assert {d.feature.id for d in store.declared_features()} >= {
            "at-tanf",
            "strike-1",
            "strike-2",
            "drill-1",
        }
    finally:
        store.close()


def test_the_narrative_tells_each_beat_with_dtg_times(story: tuple[DemoResult, str]) -> None:
    _, narrative = story
    for beat in (
        "declares the At Tanf deconfliction zone: 55 km around 33°30'00\"N 038°38'24\"E",
        "CONFLICT with coalition's at-tanf",
        "objects to priority notice",
        "amend strike-2 (version 2)",
        "acknowledges the amendment",
        "deploy rapidly, assault a target, rapid exfiltration",
        "подтверждает получение уведомления",
        "escalated",
    ):
        assert beat in narrative
    assert re.search(r"\d{6}Z[A-Z]{3}\d{2}", narrative)
    assert "dcf_" not in narrative  # tokens are printed only when the line keeps running


def test_the_story_is_set_in_the_coming_days_so_the_console_shows_it_at_once(
    story: tuple[DemoResult, str],
) -> None:
    result, _ = story
    assert result.db is not None
    store = SqliteStore(result.db)
    try:
        starts = {
            d.feature.id: d.feature.window.start
            for d in store.declared_features()
            if d.feature.kind is Kind.ACTIVITY
        }
    finally:
        store.close()
    now = datetime.now(UTC)
    assert now + timedelta(hours=1) < starts["strike-1"] < now + timedelta(hours=27)
    # The console's time slider opens on the next three days: every activity starts in it.
    assert max(starts.values()) < now + timedelta(hours=66)


def test_story_is_quick(story: tuple[DemoResult, str]) -> None:
    assert story[0].elapsed_s < 15


def test_demo_refuses_to_overwrite_an_existing_store(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    db.write_bytes(b"")
    with pytest.raises(StateConflict):
        run_demo(db=db, console=Console(file=io.StringIO()))


def test_demo_command_narrates_the_key_beats_in_well_under_30_s() -> None:
    started = time.monotonic()
    result = run_cli("demo")
    elapsed_s = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    narrative = " ".join(result.stdout.split())
    assert "objects to priority notice" in narrative
    assert "amend strike-2" in narrative
    assert "Russian forces in Syria подтверждает получение уведомления" in narrative
    assert "escalated" in narrative
    assert "dcf_" not in result.stdout + result.stderr
    assert elapsed_s < 20


def test_demo_serve_keeps_the_line_running_and_prints_tokens_that_work(tmp_path: Path) -> None:
    port = free_port()
    with served_demo(tmp_path, port) as demo:
        assert sorted(demo.tokens) == ["aid", "coalition", "russia"]
        assert f"http://127.0.0.1:{port}/docs" in demo.printed
        headers = {"Authorization": f"Bearer {demo.tokens['coalition']}"}
        inbox = _get_when_up(f"http://127.0.0.1:{port}/v1/inbox", headers)
        assert {n["feature"] for n in inbox["notices"]} >= {"strike-1", "strike-2"}
    assert demo.process.returncode == 0
    assert (tmp_path / "deconflict-demo.db").exists()


def _get_when_up(url: str, headers: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    deadline = time.monotonic() + 20
    while True:
        try:
            return dict(httpx.get(url, headers=headers).json())
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_story_ends_with_the_record_exported_and_verified(
    story: tuple[DemoResult, str],
) -> None:
    result, narrative = story
    assert result.verified is not None and result.verified.size > 20
    assert result.verified.warnings == []
    assert "exports the record and verifies it offline" in narrative
