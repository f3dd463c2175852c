"""A plain declaration is answered as the framework's own path answers it, refusals included.

A plain declaration (a JSON body, no query, no signature headers) takes the
routes' lean path (api/routes.py, DeclarationRoute); a query parameter the
route does not read sends the same request down the framework's path. Each
request below is sent both ways and must get the same status, headers and
body (request ids and the date aside).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.api.conftest import strike_body, zone_body
from tests.api.consoles import Consoles, serving
from tests.api.problem_shape import problem_of

FULL_PATH = {"through": "framework"}
"""A query parameter no declaration route reads: the framework's path, nothing else changed."""

PAST_START, PAST_END = "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def line(
    new_db: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Consoles]:
    """One server, bodies of at most 4000 bytes, with russia's strike-1 (declared under the
    Idempotency-Key `first`) and coalition's at-tanf zone on it."""
    with serving(new_db(tmp_path_factory.mktemp("paths")), max_body_bytes=4000) as consoles:
        headers = {"Idempotency-Key": "first"}
        declared = consoles["russia"].post("/v1/activities", json=strike_body(), headers=headers)
        assert declared.status_code == 201, declared.text
        assert consoles["coalition"].post("/v1/zones", json=zone_body()).status_code == 201
        yield consoles


def said(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    """What a response says, but for what differs between any two answers (id, date)."""
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in ("x-request-id", "date", "content-length")
    }
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, headers, body


Send = Callable[[Consoles, dict[str, str]], httpx.Response]


def _post(who: str | None, path: str, method: str = "POST", **kwargs: Any) -> Send:
    def send(line: Consoles, params: dict[str, str]) -> httpx.Response:
        console = line.with_token(None) if who is None else line[who]
        return console.request(method, path, params=params, **kwargs)

    return send


def _put(who: str, path: str, **kwargs: Any) -> Send:
    return _post(who, path, "PUT", **kwargs)


def _typed(content_type: str) -> Send:
    """russia's strike `s2` as JSON bytes sent under `content_type`."""
    body = json.dumps(strike_body("s2")).encode()
    return _post("russia", "/v1/activities", content=body, headers={"content-type": content_type})


REFUSALS: dict[str, tuple[int, Send]] = {
    "no token": (401, _post(None, "/v1/activities", json=strike_body("s2"))),
    "an unknown token": (
        401,
        _post(
            None, "/v1/activities", json=strike_body("s2"), headers={"Authorization": "Bearer x"}
        ),
    ),
    "a duty token": (403, _post("russia-duty", "/v1/zones", json=zone_body("z2"))),
    "a duty token and a body that is no feature": (
        403,
        _post("russia-duty", "/v1/zones", json={"type": "Feature"}),
    ),
    "a bad URL id": (
        422,
        _put("russia", "/v1/activities/a%20b", json=strike_body("a b")),
    ),
    "not JSON": (422, _post("russia", "/v1/activities", content=b"{nope", headers=JSON)),
    "a key given twice": (
        422,
        _post("russia", "/v1/activities", content=b'{"id": "a", "id": "b"}', headers=JSON),
    ),
    "no type": (422, _post("russia", "/v1/activities", json={**strike_body("s2"), "type": None})),
    "a list": (422, _post("russia", "/v1/activities", json=[strike_body("s2")])),
    "properties not an object": (
        422,
        _post("russia", "/v1/zones", json={**zone_body("z2"), "properties": []}),
    ),
    "text/plain": (422, _typed("text/plain")),
    "no content type": (422, _typed("")),
    "an invalid feature": (
        422,
        _post("russia", "/v1/activities", json=strike_body("s2", radius_m=-5, start="soon")),
    ),
    "a zone sent as an activity": (422, _post("coalition", "/v1/activities", json=zone_body())),
    "another party's feature": (
        403,
        _post("russia", "/v1/activities", json=strike_body("s2", party="coalition")),
    ),
    "an unknown share": (422, _post("coalition", "/v1/zones", json=zone_body(share="all"))),
    "an unreadable respond_by": (
        422,
        _post("russia", "/v1/activities", json=strike_body("s2", respond_by=5)),
    ),
    "a window in the past": (
        422,
        _post("russia", "/v1/activities", json=strike_body("s2", start=PAST_START, end=PAST_END)),
    ),
    "an id in use": (409, _post("russia", "/v1/activities", json=strike_body())),
    "a key reused for another body": (
        409,
        _post(
            "russia",
            "/v1/activities",
            json=strike_body("s3"),
            headers={"Idempotency-Key": "first"},
        ),
    ),
    "a body over the limit": (
        413,
        _post("russia", "/v1/activities", json=strike_body("s2", name="x" * 5000)),
    ),
    "a salt without a signature": (
        422,
        _post(
            "russia",
            "/v1/activities",
            json=strike_body("s2"),
            headers={"Deconflict-Signature-Salt": "AAAA"},
        ),
    ),
    "an unreadable RFC 9421 signature": (
        403,
        _post(
            "russia",
            "/v1/activities",
            json=strike_body("s2"),
            headers={"Signature-Input": "sig=()", "Signature": "sig=:AAAA:"},
        ),
    ),
    "an amendment of another id": (
        422,
        _put("russia", "/v1/activities/strike-1", json=strike_body("strike-2")),
    ),
    "an amendment of no feature": (
        404,
        _put("coalition", "/v1/zones/nowhere", json=zone_body("nowhere")),
    ),
    "an amendment that is no feature": (
        422,
        _put("coalition", "/v1/zones/at-tanf", json={**zone_body(), "geometry": 5}),
    ),
    "an amendment with a duty token": (
        403,
        _put("russia-duty", "/v1/activities/strike-1", json=strike_body()),
    ),
}


@pytest.mark.parametrize(("status", "send"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_declaration_is_refused_alike_on_either_path(
    line: Consoles, status: int, send: Send
) -> None:
    plain, full = send(line, {}), send(line, FULL_PATH)
    problem_of(plain, status)
    assert said(plain) == said(full)


def test_a_bad_token_is_challenged_on_either_path(line: Consoles) -> None:
    send = REFUSALS["an unknown token"][1]
    for answer in (send(line, {}), send(line, FULL_PATH)):
        assert answer.headers["www-authenticate"] == 'Bearer realm="deconflict"'


def test_a_declaration_is_answered_alike_on_either_path(line: Consoles) -> None:
    plain = line["aid"].post("/v1/activities", json=strike_body("convoy-1", lon=10.0))
    full = line["aid"].post(
        "/v1/activities", json=strike_body("convoy-2", lon=10.0), params=FULL_PATH
    )
    assert (plain.status_code, full.status_code) == (201, 201)
    assert plain.headers["location"] == "/v1/parties/aid/features/convoy-1"
    assert full.headers["location"] == "/v1/parties/aid/features/convoy-2"
    assert plain.headers.keys() == full.headers.keys()
    assert plain.headers["content-type"] == full.headers["content-type"] == "application/json"
    assert plain.json().keys() == full.json().keys()


def test_an_amendment_is_answered_alike_on_either_path(line: Consoles) -> None:
    for fid, params in (("convoy-3", {}), ("convoy-4", FULL_PATH)):
        body = strike_body(fid, lon=20.0)
        assert line["aid"].post("/v1/activities", json=body).status_code == 201
        body["properties"]["radius_m"] = 900
        amended = line["aid"].put(f"/v1/activities/{fid}", json=body, params=params)
        assert amended.status_code == 200, amended.text
        assert "location" not in amended.headers
        assert amended.json()["feature"]["properties"]["radius_m"] == 900


def test_a_retry_under_its_key_gets_the_first_answer_on_the_lean_path(line: Consoles) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    body = strike_body("convoy-5", lon=30.0)
    first = line["aid"].post("/v1/activities", json=body, headers=headers)
    again = line["aid"].post("/v1/activities", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert again.headers["location"] == first.headers["location"]


def test_a_console_declares_with_its_csrf_header_and_not_without(line: Consoles) -> None:
    signed_in = httpx.post(
        f"{line.live.url}/console/sign-in", data={"token": line.live.tokens["aid"]}
    )
    cookies = signed_in.cookies
    with httpx.Client(base_url=line.live.url, cookies=cookies) as browser:
        session = browser.get("/console/session").json()
        body = strike_body("convoy-6", lon=40.0)
        for params in ({}, FULL_PATH):
            refused = browser.post("/v1/activities", json=body, params=params)
            assert problem_of(refused, 403)["code"] == "csrf_missing"
        headers = {session["csrf_header"]: session["csrf"]}
        declared = browser.post("/v1/activities", json=body, headers=headers)
        assert declared.status_code == 201, declared.text
        assert declared.headers["x-content-type-options"] == "nosniff"


def test_a_plain_declaration_is_logged_with_its_party_and_status(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(db, access_log="-") as consoles:
        declared = consoles["russia"].post("/v1/activities", json=strike_body())
        refused = consoles["russia"].post("/v1/activities", json=strike_body())
    lines = capsys.readouterr().err.splitlines()
    for answer, status in ((declared, 201), (refused, 409)):
        request_id = answer.headers["x-request-id"]
        assert answer.status_code == status
        [line] = [line for line in lines if f"request_id={request_id} " in line]
        assert f"party=russia method=POST path=/v1/activities status={status} ms=" in line


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=12)
    | st.sampled_from(["2030-09-06T22:00:00Z", "062200ZSEP30", "shape", "contact", "zone"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value (no NaN: the body parser refuses it on both paths alike), with some the
line reads as times, shares and kinds."""

_READ = ("kind", "activity", "radius_m", "start", "end", "share", "respond_by", "name", "party")


@st.composite
def _declarations(draw: st.DrawFn) -> dict[str, Any]:
    """A strike with any of its parts replaced by any JSON value or left out: the body's
    type, its geometry, and each property the line reads."""
    body = strike_body("generated", lon=draw(st.floats(-179, 179)))
    properties = body["properties"]
    for name in draw(st.sets(st.sampled_from(_READ))):
        if draw(st.booleans()):
            properties[name] = draw(_VALUES)
        else:
            properties.pop(name, None)
    if draw(st.booleans()):
        body["geometry"] = draw(_VALUES)
    if draw(st.integers(0, 9)) == 0:
        body["type"] = draw(_VALUES)
    return body


_sent = iter(range(10**9))


@given(body=_declarations())
@settings(max_examples=60, deadline=None)
def test_any_body_is_answered_alike_on_either_path(line: Consoles, body: dict[str, Any]) -> None:
    """Whatever a declaration's body holds, the lean path answers as the framework's does:
    the same refusal, naming the same field and value, or both declared. Each is sent under
    an id of its own, read back as one in the comparison."""
    number = next(_sent)
    ids = (f"generated-{number}-lean", f"generated-{number}-framework")
    plain, full = (
        line["russia"].post("/v1/activities", json={**body, "id": fid}, params=params)
        for fid, params in zip(ids, ({}, FULL_PATH), strict=True)
    )
    assert plain.status_code == full.status_code, (plain.text, full.text)
    event(f"answered {plain.status_code}")
    if plain.status_code == 201:
        assert plain.headers.keys() == full.headers.keys()
        assert plain.json().keys() == full.json().keys()
        return
    for answer in (plain, full):
        problem_of(answer, plain.status_code)
    lean, framework = (
        json.dumps(said(answer)).replace(fid, "ID")
        for answer, fid in ((plain, ids[0]), (full, ids[1]))
    )
    assert lean == framework
