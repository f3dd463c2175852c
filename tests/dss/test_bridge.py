"""One line, two worlds: a mapped USS's operational intents are its party's activities on the
line, so a strike that meets a drone's intent is a conflict for both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body
from tests.dss.conftest import AUDIENCE, Dss, circle, intent_body, make_authority, new_id, volume

SITE = (38.7, 33.5)


@pytest.fixture
def bridged(new_db: Callable[[Path], str], tmp_path: Path) -> Iterator[Dss]:
    authority = make_authority(tmp_path)
    db = new_db(tmp_path)
    server = start_server(
        db,
        seed_parties(db),
        utm_jwt_keys=str(authority.public_pem),
        utm_audiences=AUDIENCE,
        utm_parties="wing=coalition",
    )
    yield Dss(server, authority)
    server.stop()


def _strike(fid: str, lon: float) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(minutes=20)
    return strike_body(
        fid,
        lon=lon,
        start=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        end=(start + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _features(server: LiveServer, party: str, **params: Any) -> dict[str, Any]:
    """The intents' activities the party sees on the line (its own, and others' notified)."""
    with server.client(party) as client:
        listed = client.get("/v1/features", params=params).json()["features"]
    return {f["id"]: f for f in listed if f["id"].startswith("dss-")}


def test_a_mapped_usss_intent_is_its_partys_activity_until_it_goes(bridged: Dss) -> None:
    entity = new_id()
    with bridged.uss("wing") as wing:
        made = wing.put(
            f"/operational_intent_references/{entity}",
            json=intent_body(volume(circle(*SITE, 800.0), 10, 70, 0, 150)),
        )
        assert made.status_code == 201, made.text
        [activity] = _features(bridged.server, "coalition").values()
        assert activity["id"] == f"dss-{entity}-0"
        assert activity["properties"]["activity"] == "uas"

        # A strike notified on the line that meets it is a conflict for both.
        with bridged.server.client("russia") as russia:
            declared = russia.post("/v1/activities", json=_strike("strike-1", SITE[0] + 0.01))
        assert declared.status_code == 201, declared.text
        assert [c["against"] for c in declared.json()["conflicts"]] == [f"dss-{entity}-0"]
        with bridged.server.client("coalition") as coalition:
            inbox = coalition.get("/v1/inbox").json()["notices"]
        assert [n["feature"] for n in inbox] == ["strike-1"]

        # Two volumes now: the first amended, the second declared; then all cancelled.
        reference = made.json()["operational_intent_reference"]
        body = intent_body(
            volume(circle(*SITE, 800.0), 10, 70, 0, 150),
            volume(circle(SITE[0] + 0.2, SITE[1], 300.0), 70, 90, 0, 150),
            key=[],
            subscription_id=reference["subscription_id"],
        )
        del body["new_subscription"]
        updated = wing.put(f"/operational_intent_references/{entity}/{reference['ovn']}", json=body)
        assert updated.status_code == 200, updated.text
        now = _features(bridged.server, "coalition")
        assert sorted(now) == [f"dss-{entity}-0", f"dss-{entity}-1"]
        assert now[f"dss-{entity}-0"]["properties"]["version"] == 2
        ovn = updated.json()["operational_intent_reference"]["ovn"]
        assert wing.delete(f"/operational_intent_references/{entity}/{ovn}").status_code == 200
    assert _features(bridged.server, "coalition") == {}
    cancelled = _features(bridged.server, "coalition", include_cancelled=True)
    assert sorted(cancelled) == [f"dss-{entity}-0", f"dss-{entity}-1"]


def test_an_unmapped_uss_stays_off_the_line(bridged: Dss) -> None:
    with bridged.uss("other-uss") as other:
        made = other.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(circle(*SITE, 800.0), 10, 70)),
        )
    assert made.status_code == 201, made.text
    for party in ("coalition", "russia", "aid"):
        assert _features(bridged.server, party) == {}


def test_a_uss_mapped_after_its_intent_was_made_reaches_the_line_at_its_next_update(
    new_db: Callable[[Path], str], tmp_path: Path
) -> None:
    authority = make_authority(tmp_path)
    db = new_db(tmp_path)
    tokens = seed_parties(db)
    settings = {"utm_jwt_keys": str(authority.public_pem), "utm_audiences": AUDIENCE}
    entity = new_id()
    unmapped = start_server(db, tokens, **settings)
    try:
        with Dss(unmapped, authority).uss("wing") as wing:
            made = wing.put(
                f"/operational_intent_references/{entity}",
                json=intent_body(volume(circle(*SITE, 800.0), 10, 70)),
            )
        assert made.status_code == 201, made.text
    finally:
        unmapped.stop()
    mapped = start_server(db, tokens, utm_parties="wing=coalition", **settings)
    try:
        reference = made.json()["operational_intent_reference"]
        body = intent_body(
            volume(circle(*SITE, 900.0), 10, 70), subscription_id=reference["subscription_id"]
        )
        del body["new_subscription"]
        with Dss(mapped, authority).uss("wing") as wing:
            path = f"/operational_intent_references/{entity}/{reference['ovn']}"
            assert wing.put(path, json=body).status_code == 200
        [activity] = _features(mapped, "coalition").values()
        assert (activity["id"], activity["properties"]["version"]) == (f"dss-{entity}-0", 1)
    finally:
        mapped.stop()


def test_a_uss_mapped_to_no_party_of_the_line_still_gets_its_dss_answer(
    new_db: Callable[[Path], str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    authority = make_authority(tmp_path)
    db = new_db(tmp_path)
    server = start_server(
        db,
        seed_parties(db),
        utm_jwt_keys=str(authority.public_pem),
        utm_audiences=AUDIENCE,
        utm_parties="wing=nobody",
    )
    try:
        with Dss(server, authority).uss("wing") as wing:
            made = wing.put(
                f"/operational_intent_references/{new_id()}",
                json=intent_body(volume(circle(*SITE, 800.0), 10, 70)),
            )
    finally:
        server.stop()
    assert made.status_code == 201, made.text
    assert "mapped to nobody, which is no party of the line" in caplog.text
