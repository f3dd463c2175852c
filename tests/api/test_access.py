"""Who may do what on the line, and what one party never learns of another's features.

Every endpoint wants a live bearer token; a party acts only on its own features
and on notices it sent or received; a refusal says no more than "not found" or
"forbidden"; and a zone shared at `contact` level shows other parties only its
party, duty contact and time window on a conflict: never its id, name or shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.line.parties import Role, issue_token, revoke
from deconflict.store import open_store
from tests.api.conftest import LiveServer, seed_parties, strike_body, zone_body
from tests.api.consoles import Consoles, consoles_on, serving
from tests.api.event_stream import read_stream
from tests.api.problem_shape import problem_of, same_refusal

HOSPITAL_ID = "aid-hospital-7"
HOSPITAL_NAME = "Qasr field hospital"
HOSPITAL_AT = [38.7123, 33.5077]
HOSPITAL_TRACES = (HOSPITAL_ID, HOSPITAL_NAME, "38.7123", "33.5077")

DRILL_ID = "drill-1"
DRILL_NAME = "Night assault drill"
DRILL_AT = [38.6611, 33.5322]
DRILL_TRACES = (DRILL_ID, DRILL_NAME, "38.6611", "33.5322")

ZONE_TRACES = ("at-tanf", "At Tanf", "38.64")


@pytest.fixture
def consoles(live: LiveServer) -> Iterator[Consoles]:
    with consoles_on(live) as consoles:
        yield consoles


def hospital_body(**properties: Any) -> dict[str, Any]:
    """Aid's field hospital, 1.4 km from strike-1, shared only as a contact."""
    body = zone_body(HOSPITAL_ID, radius_m=500, name=HOSPITAL_NAME, share="contact", **properties)
    body["geometry"]["coordinates"] = HOSPITAL_AT
    return body


def drill_body(**properties: Any) -> dict[str, Any]:
    """Coalition's drill near the garrison, 5 km from the hospital (no conflict with it)."""
    body = strike_body(DRILL_ID, activity="drill", name=DRILL_NAME, **properties)
    body["geometry"]["coordinates"] = DRILL_AT
    return body


def russian_body(fid: str, kind: str = "activity") -> dict[str, Any]:
    """A body russia sends under someone else's id: its own place, name and time."""
    body = strike_body(fid, lon=37.1, name="Russian plan")
    if kind == "zone":
        body["properties"] = {"kind": "zone", "start": "2030-01-01T00:00:00Z", "radius_m": 100}
    return body


def assert_no_trace(
    response: httpx.Response | str, traces: tuple[str, ...], where: str = "the response"
) -> None:
    text = response if isinstance(response, str) else response.text
    leaked = [trace for trace in traces if trace in text]
    assert not leaked, f"{leaked} leaked in {where}: {text[:2000]}"


def token_id(token: str) -> str:
    """The public id inside a token `dcf_<id>_<secret>`."""
    return token.split("_")[1]


# -- no token, a made-up token, a revoked token: 401 everywhere -------------------------------


ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/zones", zone_body("new-zone")),
    ("PUT", "/v1/zones/at-tanf", zone_body()),
    ("POST", "/v1/activities", strike_body("new-strike")),
    ("PUT", "/v1/activities/strike-1", strike_body()),
    ("POST", "/v1/features/strike-1/cancel", None),
    ("POST", "/v1/check", strike_body("dry")),
    ("GET", "/v1/features", None),
    ("GET", "/v1/features/at-tanf", None),
    ("GET", "/v1/inbox", None),
    ("GET", "/v1/outbox", None),
    ("GET", "/v1/notices/1", None),
    ("POST", "/v1/notices/1/responses", {"response": "acknowledged"}),
    ("POST", "/v1/notices/1/replies", {"text": "received"}),
    ("GET", "/v1/parties", None),
    ("GET", "/v1/me", None),
    ("GET", "/v1/events", None),
    ("POST", "/v1/imports", {"features": [zone_body("imported")]}),
    ("GET", "/v1/cot", None),
    ("GET", "/v1/export/kml", None),
    ("GET", "/v1/features/strike-1/notam", None),
    ("GET", "/v1/parties/russia/features/strike-1", None),
    ("POST", "/v1/parties/russia/features/strike-1/cancel", None),
    ("GET", "/v1/parties/russia/features/strike-1/notam", None),
    ("PUT", "/v1/me/key", {"public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}),
    ("POST", "/v1/me/tokens", {"role": "admin"}),
    ("DELETE", "/v1/me/tokens/0badf00d", None),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path, _ in ENDPOINTS]


@pytest.fixture(scope="module")
def shared(
    new_db: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Consoles]:
    """One server for the refusals: every id in ENDPOINTS exists; a revoked russia token."""
    db = new_db(tmp_path_factory.mktemp("access"))
    tokens = seed_parties(db)
    store = open_store(db)
    now = datetime.now(UTC)
    tokens["revoked"] = issue_token(store, "russia", Role.PLANNER, now)
    revoke(store, "russia", token_id(tokens["revoked"]), now)
    store.close()
    with serving(db, tokens) as consoles:
        assert consoles["coalition"].post("/v1/zones", json=zone_body()).status_code == 201
        assert consoles["russia"].post("/v1/activities", json=strike_body()).status_code == 201
        yield consoles


CREDENTIALS = {
    "no token": {},
    "made-up token": {"Authorization": "Bearer dcf_0badf00d_notATokenAnyoneWasEverIssued"},
    "not bearer": {"Authorization": "Basic cnVzc2lhOnBhc3N3b3Jk"},
    "bearer without a token": {"Authorization": "Bearer"},
}


@pytest.mark.parametrize("headers", CREDENTIALS.values(), ids=CREDENTIALS.keys())
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_endpoint_refuses_a_request_without_a_live_token(
    shared: Consoles,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> None:
    before = shared.stored()
    response = shared.with_token(None).request(method, path, json=body, headers=headers)
    problem_of(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="deconflict"'
    assert shared.stored() == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_revoked_token_opens_no_endpoint(
    shared: Consoles, method: str, path: str, body: dict[str, Any] | None
) -> None:
    before = shared.stored()
    response = shared["revoked"].request(method, path, json=body)
    assert problem_of(response, 401)["detail"] == "unknown or revoked token"
    assert response.headers["www-authenticate"] == 'Bearer realm="deconflict"'
    assert shared.stored() == before


def test_a_token_works_until_it_is_revoked(live: LiveServer, consoles: Consoles) -> None:
    store = open_store(live.db)
    token = issue_token(store, "russia", Role.DUTY, datetime.now(UTC))
    duty = consoles.with_token(token)
    assert duty.get("/v1/me").json() == {
        "party": "russia",
        "name": "Russian forces",
        "language": "ru",
        "role": "duty",
    }
    revoke(store, "russia", token_id(token), datetime.now(UTC))
    store.close()
    problem_of(duty.get("/v1/me"), 401)


# -- roles: a duty officer reads and answers; only a planner declares ---------------------------


DUTY_REFUSED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/zones", zone_body("russian-base")),
    ("PUT", "/v1/zones/russian-zone", zone_body("russian-zone", radius_m=1000)),
    ("POST", "/v1/activities", strike_body("strike-2")),
    ("PUT", "/v1/activities/strike-1", strike_body(lon=39.5)),
    ("POST", "/v1/features/strike-1/cancel", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), DUTY_REFUSED, ids=[f"{m} {p}" for m, p, _ in DUTY_REFUSED]
)
def test_a_duty_token_cannot_declare_amend_or_cancel(
    consoles: Consoles, method: str, path: str, body: dict[str, Any] | None
) -> None:
    planner = consoles["russia"]
    assert planner.post("/v1/activities", json=strike_body()).status_code == 201
    assert planner.post("/v1/zones", json=zone_body("russian-zone")).status_code == 201
    before = consoles.stored()
    refused = consoles["russia-duty"].request(method, path, json=body)
    assert problem_of(refused, 403)["detail"] == "this needs a planner token; yours is duty"
    assert consoles.stored() == before


def test_a_duty_token_reads_and_answers_notices(consoles: Consoles) -> None:
    consoles["russia"].post("/v1/activities", json=strike_body())
    duty = consoles["coalition-duty"]
    [notice] = duty.get("/v1/inbox").json()["notices"]
    assert duty.get(f"/v1/notices/{notice['id']}").status_code == 200
    answer = {"response": "acknowledged"}
    assert duty.post(f"/v1/notices/{notice['id']}/responses", json=answer).status_code == 201
    assert duty.post(f"/v1/notices/{notice['id']}/replies", json={"text": "ok"}).status_code == 201
    assert duty.post("/v1/check", json=strike_body("dry")).status_code == 200
    assert duty.get("/v1/me").json()["role"] == "duty"


# -- a party declares only as itself --------------------------------------------------------


CLAIMS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/zones", zone_body("claimed-zone", party="coalition")),
    ("POST", "/v1/activities", strike_body("claimed-strike", party="coalition")),
    ("PUT", "/v1/activities/strike-1", strike_body(lon=39.5, party="coalition")),
    ("POST", "/v1/check", strike_body("claimed-check", party="aid")),
]


@pytest.mark.parametrize(("method", "path", "body"), CLAIMS, ids=[f"{m} {p}" for m, p, _ in CLAIMS])
def test_a_body_claiming_another_party_is_forbidden_and_stores_nothing(
    consoles: Consoles, method: str, path: str, body: dict[str, Any]
) -> None:
    russia = consoles["russia"]
    assert russia.post("/v1/activities", json=strike_body()).status_code == 201
    before = consoles.stored()
    problem = problem_of(russia.request(method, path, json=body), 403)
    assert (problem["field"], problem["value"]) == ("properties.party", body["properties"]["party"])
    assert consoles.stored() == before


# -- another party's features and notices: not found, and nothing of them shown ----------------


@pytest.fixture
def scene(consoles: Consoles) -> dict[str, int]:
    """Coalition's zone and drill, aid's hidden hospital; the drill's notices by recipient."""
    assert consoles["coalition"].post("/v1/zones", json=zone_body()).status_code == 201
    drill = consoles["coalition"].post("/v1/activities", json=drill_body()).json()
    assert consoles["aid"].post("/v1/zones", json=hospital_body()).json()["notices"] == []
    return {n["recipient"]: n["id"] for n in drill["notices"]}


@pytest.mark.usefixtures("scene")
def test_another_partys_zone_cannot_be_amended_and_looks_like_no_zone(
    consoles: Consoles,
) -> None:
    russia = consoles["russia"]
    theirs = russia.put("/v1/zones/at-tanf", json=russian_body("at-tanf", "zone"))
    hidden = russia.put(f"/v1/zones/{HOSPITAL_ID}", json=russian_body(HOSPITAL_ID, "zone"))
    nobodys = russia.put("/v1/zones/no-such-zone", json=russian_body("no-such-zone", "zone"))
    problem_of(theirs, 404)
    problem_of(hidden, 404)
    assert same_refusal(theirs, nobodys) and same_refusal(hidden, nobodys)
    assert_no_trace(theirs, ZONE_TRACES[1:])
    assert_no_trace(hidden, HOSPITAL_TRACES[1:])
    zone = consoles["coalition"].get("/v1/features/at-tanf").json()
    assert zone["feature"]["properties"]["version"] == 1


@pytest.mark.usefixtures("scene")
def test_another_partys_activity_cannot_be_amended(consoles: Consoles) -> None:
    russia = consoles["russia"]
    refused = russia.put(f"/v1/activities/{DRILL_ID}", json=russian_body(DRILL_ID))
    nobodys = russia.put("/v1/activities/no-such", json=russian_body("no-such"))
    problem_of(refused, 404)
    assert same_refusal(refused, nobodys)
    assert_no_trace(refused, DRILL_TRACES[1:])
    drill = consoles["coalition"].get(f"/v1/features/{DRILL_ID}").json()
    assert [h["change"] for h in drill["history"]] == ["declared"]


@pytest.mark.usefixtures("scene")
@pytest.mark.parametrize("victim", ["at-tanf", DRILL_ID, HOSPITAL_ID])
def test_another_partys_feature_cannot_be_cancelled(consoles: Consoles, victim: str) -> None:
    before = consoles.stored()
    refused = consoles["russia"].post(f"/v1/features/{victim}/cancel")
    nobodys = consoles["russia"].post("/v1/features/no-such/cancel")
    problem_of(refused, 404)
    assert same_refusal(refused, nobodys)
    assert_no_trace(refused, (*ZONE_TRACES[1:], *DRILL_TRACES[1:], *HOSPITAL_TRACES[1:]))
    assert consoles.stored() == before


def test_a_third_party_cannot_read_a_notice_between_two_others(
    consoles: Consoles, scene: dict[str, int]
) -> None:
    russia = consoles["russia"]
    refused = russia.get(f"/v1/notices/{scene['aid']}")
    nobodys = russia.get("/v1/notices/999999")
    problem_of(refused, 404)
    assert same_refusal(refused, nobodys)
    assert_no_trace(refused, DRILL_TRACES)
    listed = russia.get("/v1/outbox").json()["notices"] + russia.get("/v1/inbox").json()["notices"]
    assert scene["aid"] not in [n["id"] for n in listed]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("responses", {"response": "objection", "reason": "forces_present"}),
        ("replies", {"text": "We saw this too."}),
    ],
)
def test_a_third_party_cannot_answer_a_notice_between_two_others(
    consoles: Consoles, scene: dict[str, int], action: str, body: dict[str, Any]
) -> None:
    notice = f"/v1/notices/{scene['aid']}"
    thread = consoles["aid"].get(notice).json()["notice"]
    refused = consoles["russia"].post(f"{notice}/{action}", json=body)
    nobodys = consoles["russia"].post(f"/v1/notices/999999/{action}", json=body)
    problem_of(refused, 404)
    assert same_refusal(refused, nobodys)
    assert_no_trace(refused, DRILL_TRACES)
    assert consoles["aid"].get(notice).json()["notice"] == thread


def test_the_sender_cannot_respond_to_its_own_notice(
    consoles: Consoles, scene: dict[str, int]
) -> None:
    coalition = consoles["coalition"]
    answer = {"response": "acknowledged"}
    refused = coalition.post(f"/v1/notices/{scene['russia']}/responses", json=answer)
    assert problem_of(refused, 403)["value"] == scene["russia"]
    outbox = coalition.get("/v1/outbox").json()["notices"]
    [notice] = [n for n in outbox if n["recipient"] == "russia"]
    assert notice["response"] is None and notice["state"] != "responded"


# -- a contact zone: its party, contact and window on a conflict; nothing else ------------------


def test_a_contact_zone_never_reaches_another_party(consoles: Consoles) -> None:
    russia, aid = consoles["russia"], consoles["aid"]
    assert russia.post("/v1/activities", json=strike_body()).status_code == 201
    declared = aid.post("/v1/zones", json=hospital_body())
    assert [c["against"] for c in declared.json()["conflicts"]] == ["strike-1"]

    seen = {
        "declaration": russia.post("/v1/activities", json=strike_body("strike-2", lon=38.71)),
        "check": russia.post("/v1/check", json=strike_body("strike-3", lon=38.712)),
        "inbox": russia.get("/v1/inbox"),
        "features": russia.get("/v1/features", params={"include_cancelled": True}),
        "features and ended": russia.get("/v1/features", params={"ended": "include"}),
        "cot feed": russia.get("/v1/cot", params={"ended": "include"}),
        **{
            f"{name} export": russia.get(f"/v1/export/{name}", params={"ended": "include"})
            for name in ("geojson", "kml", "cot", "aco", "notam")
        },
    }
    for what, response in seen.items():
        assert response.status_code in (200, 201), what
        # Outlines of other circles (KML, CoT) hold thousands of vertices, some of which
        # share the hospital's digits by chance: there, its id and name must not appear.
        outlined = what.startswith(("kml", "cot"))
        assert_no_trace(response, HOSPITAL_TRACES[:2] if outlined else HOSPITAL_TRACES, what)
    withheld = {"party": "aid", "contact": "aid security desk", "shape_withheld": True}
    for conflicts in (
        seen["declaration"].json()["conflicts"],
        seen["check"].json()["conflicts"],
        seen["inbox"].json()["notices"][0]["conflicts"],
    ):
        assert [{k: c[k] for k in withheld} for c in conflicts] == [withheld]
        assert "against" not in conflicts[0] and "distance_m" not in conflicts[0]
    [warning] = seen["inbox"].json()["notices"]
    assert (warning["sender"], warning["feature"], warning["priority"]) == ("aid", None, True)

    by_id = russia.get(f"/v1/features/{HOSPITAL_ID}")
    assert same_refusal(by_id, russia.get("/v1/features/no-such-feature"))
    assert_no_trace(problem_of(by_id, 404)["detail"], HOSPITAL_TRACES)
    assert_no_trace(by_id, HOSPITAL_TRACES[1:])
    as_notam = russia.get(f"/v1/features/{HOSPITAL_ID}/notam")
    assert same_refusal(as_notam, russia.get("/v1/features/no-such-feature/notam"))
    assert_no_trace(as_notam, HOSPITAL_TRACES[1:])


def test_the_owner_of_a_contact_zone_sees_it_whole(consoles: Consoles) -> None:
    aid = consoles["aid"]
    aid.post("/v1/zones", json=hospital_body())
    listed = aid.get("/v1/features").json()["features"]
    one = aid.get(f"/v1/features/{HOSPITAL_ID}").json()["feature"]
    assert [f["id"] for f in listed] == [HOSPITAL_ID]
    assert one["geometry"]["coordinates"] == HOSPITAL_AT
    assert (one["properties"]["name"], one["properties"]["share"]) == (HOSPITAL_NAME, "contact")


def test_notifying_a_contact_zone_owner_does_not_show_the_sender_the_zone(
    consoles: Consoles,
) -> None:
    russia, aid = consoles["russia"], consoles["aid"]
    aid.post("/v1/zones", json=hospital_body())
    created = russia.post("/v1/activities", json=strike_body()).json()
    to_aid = next(n["id"] for n in created["notices"] if n["recipient"] == "aid")
    aid.post(f"/v1/notices/{to_aid}/responses", json={"response": "acknowledged"})
    seen = {
        "outbox": russia.get("/v1/outbox"),
        "notice": russia.get(f"/v1/notices/{to_aid}"),
        "reply": russia.post(f"/v1/notices/{to_aid}/replies", json={"text": "Понятно."}),
    }
    for what, response in seen.items():
        assert response.status_code in (200, 201), what
        assert_no_trace(response, HOSPITAL_TRACES, what)
    assert_no_trace(read_stream(russia).text, HOSPITAL_TRACES, "russia's events")


def test_cancelling_a_contact_zone_does_not_name_it_to_the_parties_warned_of_it(
    consoles: Consoles,
) -> None:
    russia, aid = consoles["russia"], consoles["aid"]
    russia.post("/v1/activities", json=strike_body())
    aid.post("/v1/zones", json=hospital_body())
    assert aid.post(f"/v1/features/{HOSPITAL_ID}/cancel").status_code == 200
    inbox = russia.get("/v1/inbox")
    codes = [[m["code"] for m in n["thread"]] for n in inbox.json()["notices"]]
    assert codes == [["conflict_warning"], ["cancellation"]]
    assert_no_trace(inbox, HOSPITAL_TRACES)


def test_a_dry_run_finds_a_contact_zone_whatever_id_the_checked_feature_has(
    consoles: Consoles,
) -> None:
    russia = consoles["russia"]
    consoles["aid"].post("/v1/zones", json=hospital_body())
    probe = russia.post("/v1/check", json=strike_body("probe")).json()["conflicts"]
    same_id = russia.post("/v1/check", json=strike_body(HOSPITAL_ID)).json()["conflicts"]
    assert [c["party"] for c in probe] == ["aid"]
    assert [c["party"] for c in same_id] == ["aid"]


# -- live events: each party's stream carries only its own --------------------------------------


def test_a_partys_event_stream_never_carries_another_partys_events(consoles: Consoles) -> None:
    coalition, aid = consoles["coalition"], consoles["aid"]
    coalition.post("/v1/zones", json=zone_body())
    drill = coalition.post("/v1/activities", json=drill_body()).json()
    consoles["russia"].post("/v1/activities", json=strike_body())
    to_aid = next(n["id"] for n in drill["notices"] if n["recipient"] == "aid")
    answer = {"response": "acknowledged", "text": "Our convoy holds at the crossing."}
    aid.post(f"/v1/notices/{to_aid}/responses", json=answer)

    coalitions = read_stream(coalition)
    russias = read_stream(consoles["russia-duty"])

    assert "Our convoy holds at the crossing." in coalitions.text
    assert {"notice", "response"} <= set(coalitions.kinds())
    assert "notice" in russias.kinds()
    for event in russias.events:
        assert "russia" in (event["data"]["sender"], event["data"]["recipient"]), event
        assert event["data"]["id"] != to_aid
    assert not {e["id"] for e in russias.events} & {e["id"] for e in coalitions.events}
    assert "Our convoy holds at the crossing." not in russias.text
