"""Exports over HTTP: what a party may see, in the formats its other tools read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconflict.formats import Defaults
from deconflict.formats.registry import READERS, VIEW_PROPERTIES
from deconflict.rules.feature import Feature
from deconflict.rules.plan import parse_feature
from tests.api.conftest import LiveServer, strike_body, zone_body

SECTOR_ZONE = {
    **zone_body("range-4", radius_m=1),
    "geometry": {"type": "Point", "coordinates": [38.2, 33.1]},
}
SECTOR_ZONE["properties"] = {
    "kind": "zone",
    "start": "2026-01-01T00:00:00Z",
    "name": "Firing range 4",
    "sector": {"outer_m": 12_000, "inner_m": 1_000, "from_deg": 20, "to_deg": 110},
    "altitude": {"lower": "SFC", "upper": "FL150"},
}


@pytest.fixture
def stocked(live: LiveServer) -> LiveServer:
    with live.client("coalition") as http:
        http.post("/v1/zones", json=zone_body()).raise_for_status()
        http.post("/v1/zones", json=SECTOR_ZONE).raise_for_status()
    with live.client("russia") as http:
        http.post("/v1/activities", json=strike_body()).raise_for_status()
    return live


def _as_features(live: LiveServer, party: str) -> dict[str, Feature]:
    with live.client(party) as http:
        listed = http.get("/v1/features").json()
    features = {}
    for item in listed["features"]:
        properties = {k: v for k, v in item["properties"].items() if k not in VIEW_PROPERTIES}
        feature, problems = parse_feature({**item, "properties": properties})
        assert feature is not None, problems
        features[feature.id] = feature
    return features


@pytest.mark.parametrize("name", ["geojson", "kml", "cot", "aco"])
def test_an_export_reads_back_as_the_features_the_party_sees(
    stocked: LiveServer, name: str
) -> None:
    with stocked.client("russia") as http:
        answer = http.get(f"/v1/export/{name}")
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    seen = _as_features(stocked, "russia")
    defaults = Defaults("russia", datetime(2026, 1, 1, tzinfo=UTC))
    reading = READERS[name](answer.text, defaults)
    assert reading.rejected == ()
    if name == "aco":  # an ACO names airspaces in capitals; ids are made from the names
        assert sorted((f.name or f.id).upper() for f in reading.features) == sorted(
            (f.name or f.id).upper() for f in seen.values()
        )
    else:  # these carry the features losslessly
        assert {f.id: f for f in reading.features} == seen


def test_a_csv_export_of_your_own_sites_reads_back(live: LiveServer) -> None:
    sites = [zone_body(f"clinic-{i}", radius_m=300 + i, category="clinic") for i in range(3)]
    with live.client("aid") as http:
        http.post("/v1/imports", json={"features": sites}).raise_for_status()
        answer = http.get("/v1/export/csv", params={"mine": "true"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    reading = READERS["csv"](answer.text, Defaults("aid", datetime(2026, 1, 1, tzinfo=UTC)))
    assert sorted(f.id for f in reading.features) == ["clinic-0", "clinic-1", "clinic-2"]
    assert {f.extra.get("category") for f in reading.features} == {"clinic"}


def test_a_csv_export_names_the_feature_a_site_row_cannot_hold(stocked: LiveServer) -> None:
    with stocked.client("coalition") as http:
        answer = http.get("/v1/export/csv")
    assert answer.status_code == 422
    assert answer.json()["feature_id"] == "range-4"


def test_an_activity_renders_as_notam_text(stocked: LiveServer) -> None:
    with stocked.client("coalition") as http:
        answer = http.get("/v1/features/strike-1/notam", params={"fir": "OSTT"})
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert text.startswith("(A0001/")
    assert "Q) OSTT/" in text and "A) OSTT" in text
    assert "B) 3009062200" in text and "C) 3009070200" in text


def test_a_bad_fir_is_refused_naming_the_field(stocked: LiveServer) -> None:
    with stocked.client("coalition") as http:
        answer = http.get("/v1/features/strike-1/notam", params={"fir": "os"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "fir"


def test_a_contact_zone_is_never_published_as_a_notam_even_by_its_owner(live: LiveServer) -> None:
    with live.client("aid") as http:
        http.post("/v1/zones", json=zone_body("clinic", share="contact")).raise_for_status()
        answer = http.get("/v1/features/clinic/notam")
    assert answer.status_code == 422
    assert answer.json()["field"] == "share"
