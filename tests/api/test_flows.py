"""The At Tanf story through HTTP, as the parties live it on the line.

The coalition declares its garrison's 55 km zone; the Russian side notifies a
strike inside it; the coalition objects; the strike is moved out and the
amendment acknowledged. Retries change nothing, cancellations reach everyone
who was told, a 2xx survives a restart, and silence escalates on its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.api.consoles import Console, Consoles, consoles_on, serving
from tests.api.event_stream import read_stream
from tests.api.problem_shape import problem_of

OUTSIDE_LON = 39.4  # 70 km east of the garrison: outside its 55 km zone and the strike's 1.5 km


@pytest.fixture
def consoles(live: LiveServer) -> Iterator[Consoles]:
    with consoles_on(live) as consoles:
        yield consoles


@pytest.fixture
def notified(consoles: Consoles) -> httpx.Response:
    """Coalition's At Tanf zone, then russia's strike-1 inside it: the answer to the strike."""
    assert consoles["coalition"].post("/v1/zones", json=zone_body()).status_code == 201
    return consoles["russia"].post("/v1/activities", json=strike_body())


def notices_about(console: Console, box: str, feature: str) -> list[dict[str, Any]]:
    return [n for n in console.get(f"/v1/{box}").json()["notices"] if n["feature"] == feature]


def codes(notice: dict[str, Any]) -> list[str]:
    return [m["code"] for m in notice["thread"]]


# -- declare, notify, object -----------------------------------------------------------------


def test_a_strike_inside_the_zone_is_notified_with_its_conflict(
    consoles: Consoles, notified: httpx.Response
) -> None:
    assert notified.status_code == 201
    assert notified.headers["location"] == "/v1/parties/russia/features/strike-1"
    body = notified.json()
    assert body["feature"]["properties"]["party"] == "russia"
    assert body["feature"]["properties"]["version"] == 1
    assert body["conflicts"] == [
        {
            "party": "coalition",
            "feature": "strike-1",
            "start": "2030-09-06T22:00:00Z",
            "end": "2030-09-07T02:00:00Z",
            "against": "at-tanf",
            "distance_m": 0.0,
        }
    ]
    priority = {n["recipient"]: n["priority"] for n in body["notices"]}
    assert priority == {"coalition": True, "aid": False}
    assert all(n["respond_by"] for n in body["notices"])
    located = consoles["coalition"].get(notified.headers["location"])
    assert located.json()["feature"] == body["feature"]


def test_the_zone_owners_inbox_shows_the_priority_notice_first_with_its_deadline(
    consoles: Consoles, notified: httpx.Response
) -> None:
    far_patrol = strike_body("patrol-9", lon=36.0, activity="patrol", respond_by="2030-09-01T00Z")
    assert consoles["russia"].post("/v1/activities", json=far_patrol).status_code == 201

    first, second = consoles["coalition"].get("/v1/inbox").json()["notices"]

    assert (first["feature"], first["sender"], first["priority"]) == ("strike-1", "russia", True)
    assert first["respond_by"] and not first["overdue"]
    assert [c["against"] for c in first["conflicts"]] == ["strike-1"]
    assert codes(first) == ["notification", "conflict_warning"]
    assert "conflicts with your 'At Tanf'" in first["thread"][1]["text"]
    assert (second["feature"], second["priority"]) == ("patrol-9", False)
    assert second["respond_by"] == "2030-09-01T00:00:00Z"


def test_an_objection_reaches_the_sender_in_russian_with_its_free_text_marked(
    consoles: Consoles, notified: httpx.Response
) -> None:
    coalition, russia = consoles["coalition"], consoles["russia"]
    [notice] = notices_about(coalition, "inbox", "strike-1")
    objection = {
        "response": "objection",
        "reason": "forces_present",
        "text": "Our patrol is at the garrison tonight.",
    }
    answered = coalition.post(f"/v1/notices/{notice['id']}/responses", json=objection)
    assert answered.status_code == 201
    assert answered.json()["notice"]["response"] == "objection"

    sent = next(n for n in notices_about(russia, "outbox", "strike-1") if n["id"] == notice["id"])
    assert (sent["state"], sent["response"]) == ("responded", "objection")
    said = sent["thread"][-1]
    assert said["code"] == "objection" and said["params"]["reason"] == "forces_present"
    assert "возражает" in said["text"]
    assert "в районе находятся наши силы" in said["text"]
    assert said["free_text"] == (
        "Свободный текст (без перевода): Our patrol is at the garrison tonight."
    )
    assert said["as_typed"] == "Our patrol is at the garrison tonight."
    assert said["texts"]["ru"] == said["text"]
    assert said["texts"]["en"] == (
        f"Coalition objects to notice {notice['id']}: our forces are present in the area."
    )
    assert "اعتراض من" in said["texts"]["ar"]


def test_moving_the_strike_out_of_the_zone_clears_the_conflict_and_is_acknowledged(
    consoles: Consoles, notified: httpx.Response
) -> None:
    coalition, russia = consoles["coalition"], consoles["russia"]

    amended = russia.put("/v1/activities/strike-1", json=strike_body(lon=OUTSIDE_LON))

    assert amended.status_code == 200
    assert amended.json()["feature"]["properties"]["version"] == 2
    assert amended.json()["conflicts"] == []
    assert {n["recipient"]: n["priority"] for n in amended.json()["notices"]} == {
        "coalition": False,
        "aid": False,
    }
    history = coalition.get("/v1/features/strike-1").json()
    assert [(h["version"], h["change"]) for h in history["history"]] == [
        (1, "declared"),
        (2, "amended"),
    ]
    assert history["feature"]["geometry"]["coordinates"] == [OUTSIDE_LON, 33.5]

    [amendment] = [n for n in notices_about(coalition, "inbox", "strike-1") if n["version"] == 2]
    assert codes(amendment) == ["amendment"] and amendment["conflicts"] == []
    ack = {"response": "acknowledged"}
    assert coalition.post(f"/v1/notices/{amendment['id']}/responses", json=ack).status_code == 201
    sent = next(n for n in russia.get("/v1/outbox").json()["notices"] if n["id"] == amendment["id"])
    assert (sent["state"], sent["response"]) == ("responded", "acknowledged")
    assert "подтверждает получение уведомления" in sent["thread"][-1]["text"]


# -- retries with an Idempotency-Key ----------------------------------------------------------


def test_a_retried_notification_with_the_same_key_changes_nothing(consoles: Consoles) -> None:
    russia = consoles["russia"]
    consoles["coalition"].post("/v1/zones", json=zone_body())
    key = {"Idempotency-Key": "strike-1-first-try"}

    first = russia.post("/v1/activities", json=strike_body(), headers=key)
    again = russia.post("/v1/activities", json=strike_body(), headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    for party in ("coalition", "aid"):
        assert len(notices_about(consoles[party], "inbox", "strike-1")) == 1, party
    assert len(notices_about(russia, "outbox", "strike-1")) == 2
    assert len(russia.get("/v1/features/strike-1").json()["history"]) == 1


def test_a_key_reused_for_a_different_request_is_refused(consoles: Consoles) -> None:
    russia = consoles["russia"]
    key = {"Idempotency-Key": "k-1"}
    assert russia.post("/v1/activities", json=strike_body(), headers=key).status_code == 201

    moved = russia.post("/v1/activities", json=strike_body(lon=OUTSIDE_LON), headers=key)

    problem = problem_of(moved, 409)
    assert (problem["field"], problem["value"]) == ("Idempotency-Key", "k-1")
    stored = russia.get("/v1/features/strike-1").json()["feature"]
    assert stored["geometry"]["coordinates"] == [38.7, 33.5]
    assert len(notices_about(russia, "outbox", "strike-1")) == 2


def test_a_retried_response_with_the_same_key_is_recorded_once(
    consoles: Consoles, notified: httpx.Response
) -> None:
    coalition = consoles["coalition"]
    [notice] = notices_about(coalition, "inbox", "strike-1")
    path, key = f"/v1/notices/{notice['id']}/responses", {"Idempotency-Key": "ack-1"}

    first = coalition.post(path, json={"response": "acknowledged"}, headers=key)
    again = coalition.post(path, json={"response": "acknowledged"}, headers=key)

    assert again.json() == first.json()
    thread = coalition.get(f"/v1/notices/{notice['id']}").json()["notice"]["thread"]
    assert [m["code"] for m in thread].count("acknowledgement") == 1


# -- cancellation -----------------------------------------------------------------------------


def test_cancelling_the_strike_tells_every_party_it_was_notified_to(
    consoles: Consoles, notified: httpx.Response
) -> None:
    coalition = consoles["coalition"]

    cancelled = consoles["russia"].post("/v1/features/strike-1/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["feature"]["properties"]["cancelled_at"]
    for party in ("coalition", "aid"):
        [cancellation] = [
            n for n in notices_about(consoles[party], "inbox", "strike-1") if n["version"] == 2
        ]
        assert codes(cancellation) == ["cancellation"], party
        assert cancellation["respond_by"] is None and not cancellation["priority"]
    listed = coalition.get("/v1/features").json()["features"]
    assert [f["id"] for f in listed] == ["at-tanf"]
    everything = coalition.get("/v1/features", params={"include_cancelled": True}).json()
    assert sorted(f["id"] for f in everything["features"]) == ["at-tanf", "strike-1"]


# -- a 2xx means durable ----------------------------------------------------------------------


def test_what_was_answered_201_is_there_after_a_restart(
    live: LiveServer, consoles: Consoles, notified: httpx.Response
) -> None:
    assert notified.status_code == 201
    before = consoles.stored()
    live.stop()

    with serving(live.db, live.tokens) as again:
        assert again.stored() == before
        restored = again["russia"].get("/v1/features/strike-1").json()["feature"]
        assert restored == notified.json()["feature"]
        [notice] = notices_about(again["coalition"], "inbox", "strike-1")
        assert notice["priority"] and codes(notice) == ["notification", "conflict_warning"]


def test_a_retry_after_a_restart_is_answered_with_the_first_body_byte_for_byte(
    live: LiveServer, consoles: Consoles
) -> None:
    consoles["aid"].post("/v1/zones", json=zone_body("clinic", radius_m=2000.0, share="contact"))
    consoles["coalition"].post("/v1/zones", json=zone_body())
    imports = {
        "features": [strike_body("strike-2"), strike_body("bad", start="x")],
        "partial": True,
    }
    sent: list[tuple[str, str, dict[str, Any], httpx.Response]] = []

    def send(party: str, path: str, body: dict[str, Any]) -> None:
        sent.append((party, path, body, _keyed(consoles[party], path, body, f"k{len(sent)}")))

    send("russia", "/v1/activities", strike_body(lon=38.64))
    send("russia", "/v1/imports", imports)
    [notice] = notices_about(consoles["aid"], "inbox", "strike-1")
    objection = {"response": "objection", "reason": "civilians_present", "text": "clinic"}
    send("aid", f"/v1/notices/{notice['id']}/responses", objection)
    send("russia", f"/v1/notices/{notice['id']}/replies", {"text": "we move"})
    send("russia", "/v1/features/strike-2/cancel", {})
    assert [first.status_code for *_, first in sent] == [201, 200, 201, 201, 200]
    live.stop()

    with serving(live.db, live.tokens) as again:
        for key, (party, path, body, first) in enumerate(sent):
            replayed = _keyed(again[party], path, body, f"k{key}")
            assert (replayed.status_code, replayed.content) == (first.status_code, first.content)


def _keyed(console: Console, path: str, body: dict[str, Any], key: str) -> httpx.Response:
    return console.post(path, json=body, headers={"Idempotency-Key": key})


# -- silence escalates, driven by the server's own tick -----------------------------------------


def test_an_unanswered_notice_escalates_and_the_sender_hears_of_it(db: str) -> None:
    with serving(db, respond_within_s=1, tick_s=1) as line:
        line["coalition"].post("/v1/zones", json=zone_body())
        line["russia"].post("/v1/activities", json=strike_body())

        deadline = time.monotonic() + 5
        [notice] = notices_about(line["coalition"], "inbox", "strike-1")
        while not notice["overdue"] and time.monotonic() < deadline:
            time.sleep(0.2)
            [notice] = notices_about(line["coalition"], "inbox", "strike-1")
        assert notice["overdue"], "the notice was not overdue within 5 s"
        assert notice["overdue_at"] and codes(notice)[-2:] == ["overdue", "escalation"]

        heard = read_stream(
            line["russia"],
            until=lambda e: e["kind"] == "escalation" and e["data"]["id"] == notice["id"],
        )
        escalation = heard.events[-1]
        assert (escalation["kind"], escalation["data"]["id"]) == ("escalation", notice["id"])
        assert escalation["data"]["overdue"] is True
        assert escalation["data"]["escalation_contact"] == "coalition watch floor"
        assert "Эскалация" in escalation["data"]["thread"][-1]["text"]


# -- replies ----------------------------------------------------------------------------------


def test_a_reply_comes_back_rendered_in_the_repliers_own_language(
    consoles: Consoles, notified: httpx.Response
) -> None:
    coalition, russia = consoles["coalition"], consoles["russia"]
    [notice] = notices_about(coalition, "inbox", "strike-1")
    asked = coalition.post(
        f"/v1/notices/{notice['id']}/responses", json={"response": "clarification"}
    )
    assert "asks for clarification" in asked.json()["notice"]["thread"][-1]["text"]

    replied = russia.post(
        f"/v1/notices/{notice['id']}/replies", json={"text": "Цель — склад боеприпасов."}
    )

    assert replied.status_code == 201
    thread = replied.json()["notice"]["thread"]
    assert "запрашивает уточнение" in thread[-2]["text"]
    assert "отвечает по уведомлению" in thread[-1]["text"]
