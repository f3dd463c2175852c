"""Who may call the DSS: a USS with a valid RS256 access token, by the scopes it holds."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.dss.conftest import AA, CM, CMSA, CP, SC, Dss, circle, make_authority, new_id, volume

QUERY = {"area_of_interest": volume(circle(10.0, 50.0, 100.0))}


def _query(client: httpx.Client, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/dss/v1/operational_intent_references/query", json=QUERY, headers=headers)


def test_a_valid_token_with_the_scope_is_answered(dss: Dss) -> None:
    with dss.raw() as client:
        answer = _query(client, dss.authority.token("uss1", SC))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"operational_intent_references": []}


def test_no_token_is_refused_401_with_the_standards_message(dss: Dss) -> None:
    with dss.raw() as client:
        answer = _query(client, None)
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_signed_in"
    assert answer.json()["message"]


def test_a_token_of_another_authority_is_refused(dss: Dss, tmp_path: Path) -> None:
    stranger = make_authority(tmp_path)
    with dss.raw() as client:
        assert _query(client, stranger.token("uss1", SC)).status_code == 401


def test_a_token_for_another_audience_is_refused(dss: Dss) -> None:
    with dss.raw() as client:
        answer = _query(client, dss.authority.token("uss1", SC, audience="dss.example.org"))
    assert answer.status_code == 401


def test_an_expired_token_is_refused(dss: Dss) -> None:
    past = int(time.time()) - 7200
    token = dss.authority.token("uss1", SC, exp=past, nbf=past - 60)
    with dss.raw() as client:
        assert _query(client, token).status_code == 401


def test_a_token_altered_after_signing_is_refused(dss: Dss) -> None:
    header, claims, signature = dss.authority.token("uss1", SC).split(".")
    forged = f"{header}.{claims[:-2]}AA.{signature}"
    with dss.raw() as client:
        assert _query(client, forged).status_code == 401


@pytest.mark.parametrize("scope", [CM, CP, AA])
def test_intents_need_strategic_coordination_or_conformance_monitoring(
    dss: Dss, scope: str
) -> None:
    with dss.raw() as client:
        answer = _query(client, dss.authority.token("uss1", scope))
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"
    with dss.raw() as client:
        assert _query(client, dss.authority.token("uss1", CMSA)).status_code == 200


def test_constraints_are_written_with_constraint_management_only(dss: Dss) -> None:
    body = {"extents": [volume(circle(11.0, 50.0, 100.0))], "uss_base_url": "https://c.example"}
    entity = new_id()
    for scope in (SC, CP, CMSA, AA):
        with dss.uss("uss1", scope) as uss:
            assert uss.put(f"/constraint_references/{entity}", json=body).status_code == 403
    with dss.uss("uss1", CM) as uss:
        assert uss.put(f"/constraint_references/{entity}", json=body).status_code == 201


def test_availability_is_set_with_availability_arbitration_only(dss: Dss) -> None:
    with dss.uss("uss2", SC) as uss:
        answer = uss.put("/uss_availability/uss9", json={"availability": "Down"})
    assert answer.status_code == 403


def test_aux_version_and_token_check(dss: Dss) -> None:
    token = dss.authority.token("uss1", SC)
    with dss.raw() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        version = client.get("/aux/v1/version")
        assert version.status_code == 200
        assert version.json()["version"].startswith("deconflict-")
        assert client.get("/aux/v1/validate_oauth").status_code == 200
        assert client.get("/aux/v1/validate_oauth", params={"owner": "uss1"}).status_code == 200
        assert client.get("/aux/v1/validate_oauth", params={"owner": "uss2"}).status_code == 403
        del client.headers["Authorization"]
        assert client.get("/aux/v1/validate_oauth").status_code == 401
