"""Live push: every event reaches the party's consoles in order, and nothing is lost on resume."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tests.api.conftest import LiveServer, start_server, strike_body, zone_body


def _events(
    live: LiveServer, party: str, last_id: int | None = None, want: int = 1, within_s: float = 5.0
) -> list[dict[str, Any]]:
    """Read `want` events from the party's stream (resuming after `last_id`), or fail."""
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + within_s
    with (
        live.client(party) as client,
        client.stream(
            "GET", "/v1/events", headers=headers, timeout=httpx.Timeout(within_s)
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in _parse(response.iter_lines()):
            found.append(event)
            if len(found) >= want or time.monotonic() > deadline:
                break
    return found


def _parse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    event: dict[str, Any] = {}
    for line in lines:
        if not line:
            if "data" in event:
                yield event
            event = {}
        elif line.startswith("id: "):
            event["id"] = int(line[4:])
        elif line.startswith("event: "):
            event["kind"] = line[7:]
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])


def test_notice_reaches_the_recipient_stream_with_its_rendered_text(live: LiveServer) -> None:
    with live.client("coalition") as coalition:
        coalition.post("/v1/zones", json=zone_body())
    with live.client("russia") as russia:
        russia.post("/v1/activities", json=strike_body())
    [event] = _events(live, "coalition")
    assert event["kind"] == "notice" and event["data"]["priority"] is True
    assert "conflicts with your 'At Tanf'" in event["data"]["thread"][1]["text"]


def test_stream_resumes_after_the_last_event_id_without_gaps_or_repeats(
    live: LiveServer,
) -> None:
    with live.client("russia") as russia:
        for i in range(3):
            russia.post("/v1/activities", json=strike_body(f"strike-{i}", lon=30.0 + i))
    first = _events(live, "coalition", want=1)
    rest = _events(live, "coalition", last_id=first[0]["id"], want=2)
    features = [e["data"]["feature"] for e in first + rest]
    assert features == ["strike-0", "strike-1", "strike-2"]
    assert [e["id"] for e in first + rest] == sorted({e["id"] for e in first + rest})


def test_events_survive_a_server_restart(live: LiveServer) -> None:
    with live.client("russia") as russia:
        russia.post("/v1/activities", json=strike_body("before"))
    seen = _events(live, "coalition")
    live.stop()
    again = start_server(live.db, live.tokens)
    try:
        with again.client("russia") as russia:
            russia.post("/v1/activities", json=strike_body("after", lon=40.0))
        resumed = _events(again, "coalition", last_id=seen[-1]["id"])
        assert [e["data"]["feature"] for e in resumed] == ["after"]
    finally:
        again.stop()


def test_a_live_console_sees_a_new_notice_within_a_second(live: LiveServer) -> None:
    received: list[float] = []

    def listen() -> None:
        for _ in _events(live, "coalition", want=1, within_s=5):
            received.append(time.monotonic())

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.5)  # let the console connect and go idle
    sent = time.monotonic()
    with live.client("russia") as russia:
        assert russia.post("/v1/activities", json=strike_body()).status_code == 201
    listener.join(6)
    assert received, "the console never got the notice"
    assert received[0] - sent < 1.0


def test_pushing_a_notice_marks_it_delivered_for_the_sender(live: LiveServer) -> None:
    with live.client("russia") as russia:
        created = russia.post("/v1/activities", json=strike_body()).json()
        notice_id = next(n["id"] for n in created["notices"] if n["recipient"] == "coalition")
        _events(live, "coalition")
        outbox = russia.get("/v1/outbox").json()["notices"]
    assert next(n["state"] for n in outbox if n["id"] == notice_id) == "delivered"
