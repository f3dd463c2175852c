"""`deconflict inbox`, `notify`, `respond` and `serve`: the duty officer's commands, run as a
user would against a real server on loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import (
    LiveServer,
    free_port,
    seed_parties,
    start_server,
    strike_body,
    zone_body,
)
from tests.conftest import run_cli, write_plan

INSIDE_AT_TANF = "37SDT 93507 20025"  # MGRS, about 30 km from the garrison
OUTSIDE_AT_TANF = "37SET 30499 54443"  # about 80 km away
NIGHT = ("--start", "062200ZSEP30", "--end", "070300ZSEP30")
DTG = re.compile(r"\d{6}Z[A-Z]{3}\d{2}")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    """A live line on which the coalition has declared the At Tanf zone."""
    db = tmp_path / "line.db"
    server = start_server(db, seed_parties(db))
    with server.client("coalition") as coalition:
        coalition.post("/v1/zones", json=zone_body()).raise_for_status()
    yield server
    server.stop()


def _as(live: LiveServer, party: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--server", live.url, "--token", live.tokens[party])


def _strike_notified(live: LiveServer) -> int:
    """Russia notifies a strike inside the zone; returns the coalition's notice id."""
    with live.client("russia") as russia:
        answer = russia.post("/v1/activities", json=strike_body()).json()
    return int(next(n["id"] for n in answer["notices"] if n["recipient"] == "coalition"))


def test_inbox_table_shows_priority_sender_and_deadline_countdown(live: LiveServer) -> None:
    notice = _strike_notified(live)
    result = _as(live, "coalition", "inbox")
    assert result.returncode == 0, result.stderr
    assert "1 notice" in result.stdout
    row = result.stdout
    assert f" {notice} " in row and "russia" in row and "PRIORITY" in row
    assert DTG.search(row) and re.search(r"in \d+ min", row)
    assert "notifies strike" in " ".join(row.split())


def test_inbox_shows_an_overdue_notice_as_overdue(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    live = start_server(db, seed_parties(db), respond_within_s=0, tick_s=1)
    try:
        _strike_notified(live)
        time.sleep(1.5)
        result = _as(live, "coalition", "inbox")
    finally:
        live.stop()
    assert result.returncode == 0, result.stderr
    assert re.search(r"OVERDUE (<1|\d+) min", result.stdout)


def test_inbox_json_prints_the_api_answer(live: LiveServer) -> None:
    notice = _strike_notified(live)
    result = _as(live, "coalition", "inbox", "--json")
    assert result.returncode == 0, result.stderr
    [only] = json.loads(result.stdout)["notices"]
    assert (only["id"], only["sender"], only["priority"]) == (notice, "russia", True)
    assert only["thread"][0]["code"] == "notification"


def test_server_and_token_come_from_the_environment(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECONFLICT_SERVER", live.url)
    monkeypatch.setenv("DECONFLICT_TOKEN", live.tokens["coalition"])
    result = run_cli("inbox", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"notices": []}


def test_notify_at_an_mgrs_position_inside_the_zone_exits_1_with_the_conflict(
    live: LiveServer,
) -> None:
    args = ("notify", "--at", INSIDE_AT_TANF, "--radius-m", "1000", "--activity", "strike")
    result = _as(live, "russia", *args, *NIGHT, "--id", "strike-7")
    assert result.returncode == 1, result.stderr
    assert "strike-7 (strike, version 1): 1 conflict" in result.stdout
    assert "at-tanf" in result.stdout and "coalition" in result.stdout
    assert "notice #" in result.stdout and "(PRIORITY)" in result.stdout


def test_notify_reads_dtg_times_and_exits_0_outside_the_zone(live: LiveServer) -> None:
    args = ("notify", "--at", OUTSIDE_AT_TANF, "--radius-m", "1000", *NIGHT, "--json")
    result = _as(live, "russia", *args)
    assert result.returncode == 0, result.stderr
    [answer] = json.loads(result.stdout)["declared"]
    assert answer["conflicts"] == []
    properties = answer["feature"]["properties"]
    assert (properties["start"], properties["end"]) == (
        "2030-09-06T22:00:00Z",
        "2030-09-07T03:00:00Z",
    )
    assert answer["feature"]["geometry"]["coordinates"] == pytest.approx([39.33, 33.93], abs=1e-4)


def test_notify_sends_each_feature_of_a_file_by_its_kind(live: LiveServer, tmp_path: Path) -> None:
    camp = zone_body("rukban-camp", radius_m=3000)
    camp["geometry"]["coordinates"] = [38.74, 33.3]
    plan = write_plan(tmp_path / "plan.geojson", [camp, strike_body("strike-8", lon=39.4)])
    result = _as(live, "aid", "notify", str(plan), "--json")
    assert result.returncode == 0, result.stderr
    declared = json.loads(result.stdout)["declared"]
    assert [(a["feature"]["id"], a["feature"]["properties"]["kind"]) for a in declared] == [
        ("rukban-camp", "zone"),
        ("strike-8", "activity"),
    ]


def test_a_plan_of_every_party_sends_yours_and_lists_the_others_skipped(
    live: LiveServer, tmp_path: Path
) -> None:
    camp = zone_body("rukban-camp", radius_m=3000, party="aid")
    camp["geometry"]["coordinates"] = [38.74, 33.3]
    theirs = [zone_body("garrison", party="coalition"), strike_body("s-9", party="russia")]
    plan = write_plan(tmp_path / "plan.geojson", [*theirs, camp])
    result = _as(live, "aid", "notify", str(plan))
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stdout.split())
    assert (
        "Skipped 2 features of other parties (you send as aid; each party sends its own): "
        "garrison (coalition), s-9 (russia)."
    ) in said
    assert "rukban-camp (zone, version 1)" in said
    as_coalition = _as(live, "coalition", "notify", str(plan), "--json")
    assert as_coalition.returncode == 0, as_coalition.stderr
    answer = json.loads(as_coalition.stdout)
    assert [a["feature"]["id"] for a in answer["declared"]] == ["garrison"]
    assert answer["skipped"] == [
        {"id": "s-9", "party": "russia"},
        {"id": "rukban-camp", "party": "aid"},
    ]


def test_a_plan_of_other_parties_only_exits_2_and_sends_nothing(
    live: LiveServer, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path / "plan.geojson", [zone_body("garrison", party="coalition")])
    result = _as(live, "aid", "notify", str(plan))
    assert result.returncode == 2
    assert "nothing to send: every feature belongs to another party" in result.stderr
    assert "garrison (coalition)" in result.stderr


def test_invalid_file_exits_2_naming_feature_and_field_and_sends_nothing(
    live: LiveServer, tmp_path: Path
) -> None:
    features = [strike_body("good", lon=39.4), strike_body("bad", start="tomorrow night")]
    plan = write_plan(tmp_path / "plan.geojson", features)
    result = _as(live, "russia", "notify", str(plan))
    assert result.returncode == 2
    assert "nothing sent: 1 problem" in result.stderr
    assert "feature 'bad', field 'start'" in result.stderr
    with live.client("russia") as russia:
        stored = {f["id"] for f in russia.get("/v1/features").json()["features"]}
    assert "good" not in stored


def test_an_activity_that_is_over_exits_2_unless_allowed_past(live: LiveServer) -> None:
    args = ("notify", "--at", OUTSIDE_AT_TANF, "--radius-m", "500", "--id", "last-night")
    result = _as(live, "russia", *args, "--start", "now-9h", "--end", "now-3h")
    assert result.returncode == 2
    assert "feature 'last-night', field 'end': the activity is over" in result.stderr
    assert "allow-past" in result.stderr
    recorded = _as(live, "russia", *args, "--start", "now-9h", "--end", "now-3h", "--allow-past")
    assert recorded.returncode == 0, recorded.stderr


def test_an_activity_that_started_an_hour_ago_and_runs_on_is_notified(live: LiveServer) -> None:
    args = ("notify", "--at", OUTSIDE_AT_TANF, "--radius-m", "500", "--activity", "patrol")
    result = _as(live, "russia", *args, "--start", "now-1h", "--end", "now+3h")
    assert result.returncode == 0, result.stderr
    assert "notice #" in result.stdout


def test_unreadable_start_exits_2_naming_the_option(live: LiveServer) -> None:
    args = ("notify", "--at", INSIDE_AT_TANF, "--radius-m", "1000", "--start", "0622SEP")
    result = _as(live, "russia", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("--start: cannot read time '0622SEP'")


def test_unreadable_position_exits_2_naming_the_option(live: LiveServer) -> None:
    result = _as(live, "russia", "notify", "--at", "somewhere", "--radius-m", "1", *NIGHT)
    assert result.returncode == 2
    assert result.stderr.startswith("--at: ")


def test_respond_object_with_a_reason_is_recorded_in_the_thread(live: LiveServer) -> None:
    notice = _strike_notified(live)
    args = ("respond", str(notice), "object", "--reason", "forces_present", "--text", "advisers")
    result = _as(live, "coalition", *args)
    assert result.returncode == 0, result.stderr
    assert re.search(
        rf"^Objection recorded on notice {notice} \(entry \d+\)\.$", result.stdout, re.M
    )
    assert "our forces are present in the area" in result.stdout
    with live.client("russia") as russia:
        thread = russia.get(f"/v1/notices/{notice}").json()["notice"]["thread"]
    assert (thread[-1]["code"], thread[-1]["params"]["reason"]) == ("objection", "forces_present")
    assert "advisers" in thread[-1]["free_text"]


def test_respond_acknowledge_says_what_was_recorded_where(live: LiveServer) -> None:
    notice = _strike_notified(live)
    result = _as(live, "coalition", "respond", str(notice), "acknowledge")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert re.fullmatch(rf"Acknowledgement recorded on notice {notice} \(entry \d+\)\.", first)
    assert "Coalition acknowledges notice" in result.stdout


def test_respond_acknowledge_json_prints_the_api_answer(live: LiveServer) -> None:
    notice = _strike_notified(live)
    result = _as(live, "coalition", "respond", str(notice), "acknowledge", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["notice"]["response"] == "acknowledged"


def test_objection_without_a_reason_exits_2_naming_the_field(live: LiveServer) -> None:
    notice = _strike_notified(live)
    result = _as(live, "coalition", "respond", str(notice), "object")
    assert result.returncode == 2
    assert "field 'reason'" in result.stderr


def test_unreachable_server_exits_3_naming_the_url_and_never_the_token() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    token = "dcf_1a2b3c4d_a-secret-that-must-not-leak"
    result = run_cli("inbox", "--server", url, "--token", token)
    assert result.returncode == 3
    assert f"cannot reach the deconflict server at {url}" in result.stderr
    assert token not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_unknown_token_exits_2_and_is_never_echoed(live: LiveServer) -> None:
    token = "dcf_1a2b3c4d_a-secret-that-must-not-leak"
    result = run_cli("inbox", "--server", live.url, "--token", token)
    assert result.returncode == 2
    assert "401" in result.stderr and "unknown or revoked token" in result.stderr
    assert token not in result.stderr + result.stdout


def test_missing_token_exits_2(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DECONFLICT_TOKEN", raising=False)
    result = run_cli("inbox", "--server", live.url)
    assert result.returncode == 2
    assert "DECONFLICT_TOKEN" in result.stderr


def _serve(db: Path, port: int, **environ: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from deconflict.cli import main; main()"]
    return subprocess.Popen(
        [*command, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DECONFLICT_ACCESS_LOG"} | environ,
    )


def test_serve_answers_until_interrupted_and_keeps_the_terminal_quiet(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    token = seed_parties(db)["coalition"]
    port = free_port()
    server = _serve(db, port)
    try:
        url = f"http://127.0.0.1:{port}"
        me = _wait_for(url, token)
        assert me["party"] == "coalition"
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=15)
    assert server.returncode == 0
    said = " ".join(out.split())
    assert f"at {url} (API docs: {url}/docs)" in said
    assert "Requests are not logged; DECONFLICT_ACCESS_LOG=requests.log" in said
    assert "/v1/me" not in out + err
    assert "INFO" not in out + err


def test_serve_logs_one_line_per_request_to_the_access_log(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    token = seed_parties(db)["coalition"]
    port = free_port()
    access = tmp_path / "requests.log"
    server = _serve(db, port, DECONFLICT_ACCESS_LOG=str(access))
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(url, token)
        httpx.get(f"{url}/v1/inbox", headers={"Authorization": f"Bearer {token}"})
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=15)
    assert f"Each request is logged to {access}" in " ".join(out.split())
    assert "/v1/" not in out + err
    lines = access.read_text().splitlines()
    inbox = [line for line in lines if "path=/v1/inbox" in line]
    assert len(inbox) == 1
    assert re.search(
        r"request_id=\w{16} party=coalition method=GET path=/v1/inbox status=200", inbox[0]
    )


def _wait_for(url: str, token: str) -> dict[str, str]:
    """GET /v1/me once the server answers (within 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            answer = httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {token}"})
            return dict(answer.json())
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_on_a_taken_port_exits_3_saying_how_to_pick_another(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli("serve", "--db", str(tmp_path / "line.db"), "--port", str(port))
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "--port, or DECONFLICT_PORT for make run, picks another" in result.stderr
