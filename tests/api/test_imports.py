"""Bulk imports: many features in one step, all or nothing unless partial; and expiry."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from deconflict.rules.plan import format_time
from tests.api.conftest import LiveServer, start_server, strike_body, zone_body


def _site(fid: str, lon: float, radius_m: float = 500, **properties: Any) -> dict[str, Any]:
    site = zone_body(fid, radius_m=radius_m, category="hospital", **properties)
    site["properties"]["name"] = fid
    site["geometry"] = {"type": "Point", "coordinates": [lon, 33.5]}
    return site


def _features(live: LiveServer, party: str, *query: str) -> list[str]:
    with live.client(party) as http:
        answer = http.get("/v1/features" + ("?" + "&".join(query) if query else ""))
    assert answer.status_code == 200, answer.text
    return sorted(f["id"] for f in answer.json()["features"])


def test_an_import_stores_every_feature_in_one_step_and_notifies(live: LiveServer) -> None:
    with live.client("aid") as http:
        answer = http.post(
            "/v1/imports",
            json={"features": [_site("hospital-1", 38.70), _site("camp-2", 39.50)]},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [i["id"] for i in body["imported"]] == ["hospital-1", "camp-2"]
    assert body["refused"] == []
    assert "receipt" in body
    with live.client("russia") as http:
        strike = http.post("/v1/activities", json=strike_body(lon=38.70))
    assert [c["against"] for c in strike.json()["conflicts"]] == ["hospital-1"]


def test_one_bad_feature_refuses_the_whole_import_and_stores_nothing(live: LiveServer) -> None:
    bad = _site("camp-9", 39.0, radius_m=-5)
    with live.client("aid") as http:
        answer = http.post("/v1/imports", json={"features": [_site("hospital-1", 38.7), bad]})
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["feature_id"] == "camp-9"
    assert problem["errors"][0]["field"] == "radius_m"
    assert _features(live, "aid") == []


def test_a_partial_import_stores_the_good_ones_and_lists_the_refused(live: LiveServer) -> None:
    with live.client("aid") as http:
        http.post("/v1/zones", json=_site("taken", 37.0)).raise_for_status()
        answer = http.post(
            "/v1/imports",
            json={
                "partial": True,
                "features": [
                    _site("hospital-1", 38.7),
                    _site("camp-9", 39.0, radius_m=-5),
                    _site("taken", 37.5),
                    _site("school-3", 40.0),
                ],
            },
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [i["id"] for i in body["imported"]] == ["hospital-1", "school-3"]
    refused = {r["index"]: r for r in body["refused"]}
    assert sorted(refused) == [1, 2]
    assert "radius_m" in refused[1]["errors"][0]
    assert refused[2]["id"] == "taken" and "exists" in refused[2]["errors"][0]
    assert _features(live, "aid") == ["hospital-1", "school-3", "taken"]


def test_an_import_with_an_existing_id_is_refused_whole(live: LiveServer) -> None:
    with live.client("aid") as http:
        http.post("/v1/zones", json=_site("taken", 37.0)).raise_for_status()
        answer = http.post(
            "/v1/imports", json={"features": [_site("new", 38.0), _site("taken", 9.0)]}
        )
    assert answer.status_code == 409
    assert answer.json()["feature_id"] == "taken"
    assert _features(live, "aid") == ["taken"]


def test_an_import_may_not_name_one_id_twice(live: LiveServer) -> None:
    with live.client("aid") as http:
        answer = http.post("/v1/imports", json={"features": [_site("a", 38.0), _site("a", 39.0)]})
    assert answer.status_code == 422
    assert answer.json()["feature_id"] == "a"
    assert _features(live, "aid") == []


def test_an_import_speaks_only_for_its_own_party(live: LiveServer) -> None:
    forged = _site("hospital-1", 38.7, party="coalition")
    with live.client("aid") as http:
        answer = http.post("/v1/imports", json={"features": [forged]})
    assert answer.status_code == 403
    assert _features(live, "coalition") == []


def test_an_import_needs_a_planner_token(live: LiveServer) -> None:
    body = {"features": [_site("hospital-1", 38.7)]}
    with live.client() as http:
        assert http.post("/v1/imports", json=body).status_code == 401
    with live.client(token=live.tokens["aid-duty"]) as http:
        assert http.post("/v1/imports", json=body).status_code == 403
    with live.client(token="not-a-token") as http:
        assert http.post("/v1/imports", json=body).status_code == 401


def test_an_import_may_be_larger_than_any_other_body(db: str) -> None:
    from tests.api.conftest import seed_parties

    server = start_server(db, seed_parties(db), max_body_bytes=20_000, max_import_bytes=400_000)
    try:
        sites = [_site(f"site-{i}", 30 + i / 100) for i in range(300)]
        with server.client("aid") as http:
            assert (
                http.post("/v1/zones", json=_site("x" * 150, 38.0, notes="n" * 30_000)).status_code
                == 413
            )
            answer = http.post("/v1/imports", json={"features": sites})
            assert answer.status_code == 200, answer.text
            assert len(answer.json()["imported"]) == 300
            huge = http.post("/v1/imports", json={"features": sites * 20})
            assert huge.status_code == 413
    finally:
        server.stop()


def test_ended_features_drop_off_the_list_and_inbox_but_not_the_record(live: LiveServer) -> None:
    now = datetime.now(UTC)
    # Ends a few seconds on: long enough to be declared on a busy machine, soon enough to wait.
    soon = format_time((now + timedelta(seconds=5)).replace(microsecond=0))
    before = format_time((now - timedelta(hours=1)).replace(microsecond=0))
    with live.client("aid") as http:
        http.post("/v1/zones", json=_site("hospital-1", 38.7)).raise_for_status()
    strike = strike_body(lon=38.7, start=before, end=soon)
    with live.client("russia") as http:
        http.post("/v1/activities", json=strike).raise_for_status()
    assert "strike-1" in _features(live, "aid")
    with live.client("aid") as http:
        first = http.get("/v1/inbox").json()["notices"]
    assert [n["feature"] for n in first] == ["strike-1"]
    size = _record_size(live)
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while "strike-1" in _features(live, "aid") and datetime.now(UTC) < deadline:
        time.sleep(0.2)
    assert "strike-1" not in _features(live, "aid")
    assert "strike-1" in _features(live, "aid", "ended=include")
    with live.client("aid") as http:
        assert http.get("/v1/inbox").json()["notices"] == []
        kept = http.get("/v1/inbox?ended=include").json()["notices"]
    # The strike's notice is kept; once the line closes the strike out, its close-out
    # notice (no answer due) joins it, about the same feature.
    assert first[0]["id"] in [n["id"] for n in kept]
    assert {n["feature"] for n in kept} == {"strike-1"}
    assert all(n["id"] == first[0]["id"] or n["respond_by"] is None for n in kept)
    assert _record_size(live) >= size
    with live.client("aid") as http:
        entries = http.get("/v1/log/entries").json()["entries"]
    assert any("strike-1" in json.dumps(e["entry"]) for e in entries)


def _record_size(live: LiveServer) -> int:
    with live.client("aid") as http:
        checkpoint = http.get("/v1/log/checkpoint").text
    return int(checkpoint.splitlines()[1])


def test_an_import_of_activities_that_are_over_needs_allow_past(live: LiveServer) -> None:
    over = strike_body("last-year", start="2025-09-06T22:00:00Z", end="2025-09-07T02:00:00Z")
    with live.client("russia") as http:
        refused = http.post("/v1/imports", json={"features": [over]})
        recorded = http.post("/v1/imports", json={"features": [over], "allow_past": True})
    assert refused.status_code == 422, refused.text
    assert (refused.json()["feature_id"], refused.json()["field"]) == ("last-year", "end")
    assert "the activity is over" in refused.json()["detail"]
    assert recorded.status_code == 200, recorded.text
    assert [i["id"] for i in recorded.json()["imported"]] == ["last-year"]
