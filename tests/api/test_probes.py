"""Probing is visible, bounded and recorded: dry runs that meet another party's hidden zone.

coalition protects a battery at `contact` level; russia checks activities
against the line. Every such dry run is answered with no more than "a protected
zone of coalition, contact coalition", counts against russia's budget (20 an
hour), is a `probe` entry in the record and an event on coalition's stream.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body, zone_body
from tests.api.problem_shape import problem_of
from tests.conftest import run_cli, write_plan

BUDGET = 20
HIDDEN = [38.123456, 33.654321]
HIDDEN_NAME = "Battery Juliet"
HIDDEN_START, HIDDEN_END = "2030-09-06T23:15:00Z", "2030-09-07T01:45:00Z"
# Every byte of the hidden zone another party must never read: position, name, window, levels,
# the owner's escalation contact (its published duty contact, "TOC duty officer", may be shown).
SECRETS = (
    *("38.1234", "33.6543", HIDDEN_NAME, "battery"),
    *("2315", "23:15", "0145", "01:45", "FL075", "7500", "coalition watch floor"),
)
# The line's own clock, written into every answer (sent at, respond by, in ISO and as a DTG),
# may spell a secret's digits by chance (sent at hh:23:15); the hidden window is in 2030.
_THE_CLOCK = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z|\d{6}Z[A-Z]{3}\d\d")


def _leaks(text: str) -> list[str]:
    """The secrets found in `text` once the line's own clock readings are taken out (a time in
    the hidden zone's year, 2030, is kept: it may be the window itself)."""
    kept = _THE_CLOCK.sub(lambda m: m[0] if "2030" in m[0] or m[0].endswith("30") else "", text)
    return [secret for secret in SECRETS if secret in kept]


def _hidden_zone(radius_m: float = 800) -> dict[str, Any]:
    zone = zone_body("battery", radius_m=radius_m, share="contact", name=HIDDEN_NAME)
    zone["geometry"]["coordinates"] = HIDDEN
    zone["properties"].update(
        start=HIDDEN_START, end=HIDDEN_END, altitude={"lower": "SFC", "upper": "FL075"}
    )
    return zone


def _at(fid: str, lon: float, lat: float, radius_m: float = 1_500) -> dict[str, Any]:
    """russia's strike of `radius_m` at (lon, lat), inside the hidden zone's window."""
    body = strike_body(fid, radius_m=radius_m)
    body["geometry"]["coordinates"] = [lon, lat]
    return body


ON_IT = _at("on-it", 38.13, 33.66)  # 900 m from the battery's centre: it meets
FAR = _at("far", 30.0, 30.0)


@pytest.fixture
def hidden(live: LiveServer) -> LiveServer:
    """The line with coalition's hidden battery on it."""
    with live.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=_hidden_zone()).status_code == 201
    return live


@pytest.fixture
def tight(db: str) -> Iterator[LiveServer]:
    """A line whose budget is 3 probes an hour, with coalition's hidden battery on it."""
    server = start_server(db, seed_parties(db), probes_per_hour=3)
    with server.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=_hidden_zone()).status_code == 201
    yield server
    server.stop()


def _check(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/v1/check", json=body)


def _assert_refused(answer: httpx.Response) -> int:
    """A spent budget: 429 problem+json with Retry-After (whole seconds, within the hour)."""
    problem = problem_of(answer, 429)
    retry_after = int(answer.headers["Retry-After"])
    assert 0 < retry_after <= 3600
    assert (problem["field"], problem["value"]) == ("Retry-After", retry_after)
    return retry_after


def _probe_events(live: LiveServer, party: str, want: int) -> list[dict[str, Any]]:
    """The `probe` events on `party`'s stream, read until `want` came, or until the stream was
    quiet for 2 s (every stored event came) or 10 s passed."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    with (
        live.client(f"{party}-duty") as client,
        client.stream("GET", "/v1/events", timeout=httpx.Timeout(10, read=2)) as response,
    ):
        kind = None
        try:
            for line in response.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "probe":
                    found.append(json.loads(line[6:]))
                if len(found) >= want or time.monotonic() > deadline:
                    break
        except httpx.ReadTimeout:
            pass
    return found


def _probe_entries(live: LiveServer, reader: str = "coalition-duty") -> list[dict[str, Any]]:
    """The record's `probe` entries as `reader` reads them (opened, where it may open them)."""
    with live.client(reader) as client:
        entries = client.get("/v1/log/entries").json()["entries"]
    return [e.get("opened", e["entry"]) for e in entries if e["entry"]["kind"] == "probe"]


def test_the_21st_probe_is_refused_with_retry_after(hidden: LiveServer) -> None:
    with hidden.client("russia-duty") as russia:
        for _ in range(BUDGET):
            assert _check(russia, ON_IT).status_code == 200
        _assert_refused(_check(russia, ON_IT))
        # Spent, every dry run is refused: a refusal must not tell where hidden zones are.
        _assert_refused(_check(russia, FAR))
    with hidden.client("aid-duty") as aid:  # the budget is russia's own
        assert _check(aid, ON_IT).status_code == 200


def test_the_budget_holds_across_a_restart(db: str) -> None:
    tokens = seed_parties(db)
    first = start_server(db, tokens, probes_per_hour=3)
    with first.client("coalition") as coalition:
        coalition.post("/v1/zones", json=_hidden_zone())
    with first.client("russia") as russia:
        for _ in range(3):
            assert _check(russia, ON_IT).status_code == 200
    first.stop()
    again = start_server(db, tokens, probes_per_hour=3)
    try:
        with again.client("russia") as russia:
            _assert_refused(_check(russia, ON_IT))
    finally:
        again.stop()


def test_a_dry_run_that_meets_nothing_is_not_counted(tight: LiveServer) -> None:
    with tight.client("russia") as russia:
        for _ in range(5):
            answer = _check(russia, FAR)
            assert answer.status_code == 200 and answer.json() == {"conflicts": []}
        for _ in range(3):
            assert _check(russia, ON_IT).status_code == 200
        _assert_refused(_check(russia, ON_IT))
    assert len(_probe_entries(tight)) == 3


def test_a_dry_run_that_meets_only_shape_zones_is_not_counted(tight: LiveServer) -> None:
    with tight.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=zone_body("at-tanf")).status_code == 201
    open_zone = _at("near-tanf", 38.7, 33.5)
    with tight.client("russia") as russia:
        for _ in range(5):
            [conflict] = _check(russia, open_zone).json()["conflicts"]
            assert conflict["against"] == "at-tanf"
        for _ in range(3):
            assert _check(russia, ON_IT).status_code == 200
        _assert_refused(_check(russia, ON_IT))
    assert len(_probe_entries(tight)) == 3


def test_a_check_of_ones_own_stored_feature_as_it_stands_is_not_a_probe(
    tight: LiveServer,
) -> None:
    with tight.client("russia") as russia:
        assert russia.post("/v1/activities", json=ON_IT).status_code == 201
        stored = russia.get("/v1/features/on-it").json()["feature"]
        for key in ("version", "share", "cancelled_at", "closed_at"):
            del stored["properties"][key]  # as the console checks every feature of its party
        for _ in range(5):
            assert _check(russia, ON_IT).status_code == 200
            assert _check(russia, stored).status_code == 200
        moved = _at("on-it", 38.131, 33.66)
        assert _check(russia, moved).status_code == 200
    [entry] = _probe_entries(tight)
    assert entry["feature"]["geometry"]["coordinates"] == moved["geometry"]["coordinates"]


def test_a_validation_only_is_not_a_probe_and_is_answered_once_the_budget_is_spent(
    tight: LiveServer,
) -> None:
    with tight.client("russia") as russia:
        for _ in range(3):
            assert _check(russia, ON_IT).status_code == 200
        _assert_refused(_check(russia, ON_IT))
        valid = russia.post("/v1/check", params={"validate_only": "true"}, json=ON_IT)
        over = _at("over", 38.13, 33.66)
        over["properties"].update(start="2020-01-01T00:00:00Z", end="2020-01-01T01:00:00Z")
        past = russia.post("/v1/check", params={"validate_only": "true"}, json=over)
    assert valid.status_code == 200 and valid.json() == {"valid": True}
    assert problem_of(past, 422)["field"] == "end"
    assert len(_probe_entries(tight)) == 3


def test_the_cli_notifies_with_a_spent_budget_and_its_check_is_no_probe(
    tight: LiveServer, tmp_path: Path
) -> None:
    with tight.client("russia") as russia:
        for _ in range(3):
            assert _check(russia, ON_IT).status_code == 200
    plan = write_plan(tmp_path / "strike.geojson", [_at("sent", 38.13, 33.66)])
    result = run_cli("notify", str(plan), "--server", tight.url, "--token", tight.tokens["russia"])
    assert result.returncode == 1, result.stderr  # sent, and it meets the battery
    assert _leaks(result.stdout) == []
    assert len(_probe_entries(tight)) == 3
    with tight.client("coalition-duty") as coalition:
        [notice] = coalition.get("/v1/inbox").json()["notices"]
    assert (notice["sender"], notice["conflicts"][0]["against"]) == ("russia", "sent")


def test_a_probe_is_told_only_the_owner_and_its_published_contact(hidden: LiveServer) -> None:
    with hidden.client("russia-duty") as russia:
        answer = _check(russia, ON_IT)
    assert answer.status_code == 200
    assert answer.json() == {
        "conflicts": [
            {
                "party": "coalition",
                "feature": "on-it",
                "start": None,
                "end": None,
                "contact": "TOC duty officer",
                "shape_withheld": True,
            }
        ]
    }
    assert _leaks(answer.text) == []


def test_a_real_notification_tells_the_asker_no_more_than_a_dry_run(hidden: LiveServer) -> None:
    with hidden.client("russia") as russia:
        declared = russia.post("/v1/activities", json=ON_IT)
        outbox = russia.get("/v1/outbox")
        [notice] = [n for n in outbox.json()["notices"] if n["recipient"] == "coalition"]
        thread = russia.get(f"/v1/notices/{notice['id']}")
    assert declared.status_code == 201
    [conflict] = declared.json()["conflicts"]
    assert conflict["start"] is None and conflict["contact"] == "TOC duty officer"
    for answer in (declared, outbox, thread):
        assert _leaks(answer.text) == []


def test_a_real_notification_names_who_came_near_to_the_owner(hidden: LiveServer) -> None:
    with hidden.client("russia") as russia:
        russia.post("/v1/activities", json=ON_IT)
    with hidden.client("coalition-duty") as coalition:
        [notice] = coalition.get("/v1/inbox").json()["notices"]
    assert notice["sender"] == "russia" and notice["priority"] is True
    assert notice["conflicts"][0]["against"] == "on-it"
    assert notice["conflicts"][0]["feature"] == "battery"
    assert "Russian forces" in notice["thread"][0]["text"]
    assert HIDDEN_NAME in notice["thread"][1]["text"]  # the owner reads its own zone's name


def test_each_probe_is_a_probe_entry_in_the_record_opened_to_the_owner_only(
    hidden: LiveServer,
) -> None:
    with hidden.client("russia-duty") as russia:
        assert _check(russia, ON_IT).status_code == 200
        assert _check(russia, FAR).status_code == 200
    [entry] = _probe_entries(hidden)
    assert set(entry) == {"kind", "at", "asker", "owner", "feature", "zone_id"}
    assert (entry["asker"], entry["owner"], entry["zone_id"]) == ("russia", "coalition", "battery")
    assert entry["feature"]["id"] == "on-it"
    assert entry["feature"]["geometry"] == ON_IT["geometry"]
    for other in ("russia-duty", "aid-duty"):  # a leaf they can verify, a part they cannot open
        [sealed] = _probe_entries(hidden, other)
        assert set(sealed) == {"kind", "at", "sealed"}
        with hidden.client(other) as client:
            text = client.get("/v1/log/entries").text
        assert "battery" not in text and "on-it" not in text


def test_the_owner_is_told_who_checked_what_on_its_stream(hidden: LiveServer) -> None:
    with hidden.client("russia-duty") as russia:
        assert _check(russia, ON_IT).status_code == 200
    [event] = _probe_events(hidden, "coalition", want=1)
    assert (event["party"], event["party_name"]) == ("russia", "Russian forces")
    assert (event["zone"], event["zone_name"]) == ("battery", HIDDEN_NAME)
    assert event["feature"]["geometry"] == ON_IT["geometry"]
    [entry] = _probe_entries(hidden)
    with hidden.client("coalition-duty") as coalition:
        leaf = coalition.get("/v1/log/entries").json()["entries"][event["entry"]]
    assert leaf["opened"] == entry


def test_the_asker_and_third_parties_are_not_told_of_the_probe(hidden: LiveServer) -> None:
    with hidden.client("russia-duty") as russia:
        assert _check(russia, ON_IT).status_code == 200
    assert _probe_events(hidden, "russia", want=1) == []
    assert _probe_events(hidden, "aid", want=1) == []


def _box(fid: str, corners: list[float]) -> dict[str, Any]:
    """russia's strike over a box of [west, south, east, north], inside the hidden window."""
    lon0, lat0, lon1, lat1 = corners
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    body = strike_body(fid)
    body["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    del body["properties"]["radius_m"]
    return body


def test_bisecting_a_hidden_zone_is_stopped_by_the_budget_and_seen_by_its_owner(
    hidden: LiveServer,
) -> None:
    """The hostile party halves a 2°×2° box around the zone, keeping the half a dry run says
    meets it, until refused; coalition sees every probe it made."""
    box = [37.5, 33.0, 39.5, 35.0]
    sent: list[dict[str, Any]] = []  # the probes: dry runs that met the hidden zone
    runs = 0
    with hidden.client("russia-duty") as russia:
        while runs < 100:  # 2°/2^50: far past a metre, had nothing stopped it
            runs += 1
            axis = runs % 2  # 1: halve the longitude, 0: the latitude
            low, high = (box[0], box[2]) if axis else (box[1], box[3])
            middle = (low + high) / 2
            half = [*box]
            half[2 if axis else 3] = middle
            body = _box(f"probe-{runs}", half)
            answer = _check(russia, body)
            if answer.status_code == 429:
                break
            assert answer.status_code == 200
            if answer.json()["conflicts"]:
                sent.append(body)
                box = half
            else:
                box[0 if axis else 1] = middle
    assert len(sent) == BUDGET
    events = _probe_events(hidden, "coalition", want=len(sent))
    assert [e["feature"]["geometry"] for e in events] == [b["geometry"] for b in sent]
    assert {e["party"] for e in events} == {"russia"}
    entries = _probe_entries(hidden)
    assert [e["feature"]["id"] for e in entries] == [b["id"] for b in sent]
    with hidden.client("russia-duty") as russia:  # and it stays stopped, whatever it asks
        _assert_refused(_check(russia, FAR))
