"""The CoT feed: what a TAK client polling `GET /v1/cot` draws for each party, and for no other."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from lxml import etree

from deconflict.formats import Defaults
from deconflict.formats.cot import read_cot
from deconflict.rules.feature import Feature
from deconflict.rules.plan import parse_feature, parse_time
from tests.api.conftest import NOW, LiveServer, strike_body, zone_body

HOSPITAL_TRACES = ("aid-hospital-7", "Qasr field hospital", "38.7123", "33.5077")
VIEW_PROPERTIES = ("version", "share", "cancelled_at", "closed_at", "outline")


def declare(client: httpx.Client, path: str, body: dict[str, Any]) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text


def hospital_body() -> dict[str, Any]:
    body = zone_body("aid-hospital-7", radius_m=500, name="Qasr field hospital", share="contact")
    body["geometry"]["coordinates"] = [38.7123, 33.5077]
    return body


def past_drill_body() -> dict[str, Any]:
    return strike_body(
        "drill-2020",
        activity="drill",
        start="2020-01-01T06:00:00Z",
        end="2020-01-01T08:00:00Z",
    )


def listed_features(client: httpx.Client) -> list[Feature]:
    """What `GET /v1/features` shows, read back in the plan format."""
    features = []
    for item in client.get("/v1/features").json()["features"]:
        properties = {k: v for k, v in item["properties"].items() if k not in VIEW_PROPERTIES}
        feature, problems = parse_feature({**item, "properties": properties})
        assert feature is not None, problems
        features.append(feature)
    return features


def feed(client: httpx.Client, **params: str) -> str:
    response = client.get("/v1/cot", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return response.text


def uids(text: str) -> list[str]:
    return [event.get("uid") for event in etree.fromstring(text.encode()).iter("event")]


def test_feed_shows_what_features_shows_and_never_another_partys_contact_zone(
    live: LiveServer,
) -> None:
    with live.client("coalition") as coalition, live.client("aid") as aid:
        declare(coalition, "/v1/zones", zone_body())
        declare(aid, "/v1/zones", hospital_body())
        with live.client("russia") as russia:
            declare(russia, "/v1/activities", strike_body())
        with live.client(token=live.tokens["coalition-duty"]) as duty:
            seen = feed(duty)
            listed = listed_features(duty)
        own = feed(aid)
    assert uids(seen) == ["deconflict.coalition.at-tanf", "deconflict.russia.strike-1"]
    for trace in HOSPITAL_TRACES:
        assert trace not in seen, f"{trace} leaked in the coalition's feed"
    assert "deconflict.aid.aid-hospital-7" in uids(own)
    reading = read_cot(seen, Defaults("coalition", NOW))
    assert reading.rejected == ()
    assert sorted(reading.features, key=lambda f: f.id) == sorted(listed, key=lambda f: f.id)
    assert [f.id for f in listed] == ["at-tanf", "strike-1"]


def test_ended_features_stay_out_unless_asked_for_and_cancelled_ones_never_show(
    live: LiveServer,
) -> None:
    with live.client("coalition") as coalition:
        declare(coalition, "/v1/zones", zone_body())
        declare(coalition, "/v1/activities?allow_past=true", past_drill_body())
        declare(coalition, "/v1/activities", strike_body("called-off"))
        cancelled = coalition.post("/v1/features/called-off/cancel")
        assert cancelled.status_code == 200, cancelled.text
        current = feed(coalition)
        everything = feed(coalition, ended="include")
        refused = coalition.get("/v1/cot", params={"ended": "sometimes"})
    assert uids(current) == ["deconflict.coalition.at-tanf"]
    assert uids(everything) == ["deconflict.coalition.at-tanf", "deconflict.coalition.drill-2020"]
    assert refused.status_code == 422


def test_open_ended_zone_goes_stale_a_day_after_the_poll(live: LiveServer) -> None:
    with live.client("coalition") as coalition:
        declare(coalition, "/v1/zones", zone_body())
        declare(coalition, "/v1/activities", strike_body())
        text = feed(coalition)
    events = {e.get("uid"): e for e in etree.fromstring(text.encode()).iter("event")}
    zone, strike = events["deconflict.coalition.at-tanf"], events["deconflict.coalition.strike-1"]
    polled = parse_time(zone.get("time"))
    assert parse_time(zone.get("stale")) - polled == timedelta(hours=24)
    assert parse_time(zone.get("start")) == parse_time("2026-01-01T00:00:00Z")
    assert parse_time(strike.get("stale")) == parse_time("2030-09-07T02:00:00Z")


def test_feed_wants_a_live_token(live: LiveServer) -> None:
    with live.client() as anonymous, live.client(token="dcf_made_up") as stranger:
        for client in (anonymous, stranger):
            response = client.get("/v1/cot")
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "<event" not in response.text
