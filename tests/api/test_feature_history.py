"""A feature's history obeys the rule of each version: a `contact` version stays withheld."""

from __future__ import annotations

import json

from tests.api.conftest import LiveServer, zone_body

HIDDEN_NAME = "Qasr al-Hir depot"
HIDDEN_AT = [37.3412, 34.6519]


def _hidden_then_shared(live: LiveServer) -> None:
    """coalition declares a zone at `contact` level, then amends it to `shape` elsewhere."""
    hidden = zone_body("depot", radius_m=2_000, share="contact", name=HIDDEN_NAME)
    hidden["geometry"]["coordinates"] = HIDDEN_AT
    shared = zone_body("depot", radius_m=5_000, share="shape", name="Depot (moved)")
    with live.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=hidden).status_code == 201
        assert coalition.put("/v1/zones/depot", json=shared).status_code == 200


def test_an_earlier_contact_version_is_withheld_from_other_parties(live: LiveServer) -> None:
    _hidden_then_shared(live)
    for reader in ("russia", "russia-duty", "aid"):
        with live.client(reader) as client:
            answer = client.get("/v1/features/depot")
        assert answer.status_code == 200
        first, second = answer.json()["history"]
        assert first == {
            "version": 1,
            "change": "declared",
            "at": first["at"],
            "share": "contact",
            "withheld": True,
            "feature": None,
        }
        assert second["withheld"] is False and second["feature"]["properties"]["version"] == 2
        body = answer.text
        assert HIDDEN_NAME not in body
        assert "37.3412" not in body and "34.6519" not in body
        assert "2000" not in json.dumps(first)


def test_the_owner_sees_every_version_in_full(live: LiveServer) -> None:
    _hidden_then_shared(live)
    with live.client("coalition-duty") as coalition:
        first, second = coalition.get("/v1/features/depot").json()["history"]
    assert first["withheld"] is False and first["share"] == "contact"
    assert first["feature"]["geometry"]["coordinates"] == HIDDEN_AT
    assert first["feature"]["properties"]["name"] == HIDDEN_NAME
    assert second["feature"]["properties"]["name"] == "Depot (moved)"


def test_a_zone_amended_to_contact_is_not_found_by_others_with_its_shared_past(
    live: LiveServer,
) -> None:
    with live.client("coalition") as coalition:
        coalition.post("/v1/zones", json=zone_body("depot"))
        coalition.put("/v1/zones/depot", json=zone_body("depot", share="contact"))
    with live.client("russia") as russia:
        answer = russia.get("/v1/features/depot")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
