"""The one error shape: every refusal is problem+json with the operator's fields.

`type`, `title`, `status`, `detail`, `feature_id`, `field`, `value` and
`request_id` (the response's X-Request-ID); an invalid plan adds `errors`, one
item per problem. Framework errors (validation, unknown route, wrong method,
oversized body) come in the same shape, and a refused request stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.api.consoles import Consoles, consoles_on, serving
from tests.api.problem_shape import PROBLEM_KEYS, problem_of

ITEM_KEYS = {"feature_id", "field", "value", "detail", "code", "params"}


@pytest.fixture
def consoles(live: LiveServer) -> Iterator[Consoles]:
    with consoles_on(live) as consoles:
        yield consoles


@pytest.fixture(scope="module")
def shared(
    new_db: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Consoles]:
    """One server for refusals that change nothing, with russia's strike-1 on it."""
    with serving(new_db(tmp_path_factory.mktemp("problems"))) as consoles:
        assert consoles["russia"].post("/v1/activities", json=strike_body()).status_code == 201
        yield consoles


@pytest.fixture
def small(db: str) -> Iterator[Consoles]:
    """A server that takes bodies of at most 2000 bytes."""
    with serving(db, max_body_bytes=2000) as consoles:
        yield consoles


def invalid_strike() -> dict[str, Any]:
    """A strike with three mistakes: a time nobody can read, a longitude off the globe, and a
    negative radius."""
    body = strike_body("bad-strike", start="yesterday", radius_m=-5)
    body["geometry"]["coordinates"] = [200, 33.5]
    return body


# -- an invalid feature: every problem, each with its feature, field and value -----------------


def test_an_invalid_feature_lists_every_problem_with_its_field_and_value(
    shared: Consoles,
) -> None:
    problem = problem_of(shared["russia"].post("/v1/activities", json=invalid_strike()), 422)
    assert {(e["feature_id"], e["field"], json.dumps(e["value"])) for e in problem["errors"]} == {
        ("bad-strike", "start", '"yesterday"'),
        ("bad-strike", "geometry.coordinates", "[200, 33.5]"),
        ("bad-strike", "radius_m", "-5"),
    }
    assert all(set(e) == ITEM_KEYS and e["detail"] for e in problem["errors"])
    first = problem["errors"][0]
    assert (problem["feature_id"], problem["field"], problem["value"]) == (
        first["feature_id"],
        first["field"],
        first["value"],
    )
    assert problem["detail"].startswith("3 problems")
    assert (problem["code"], problem["params"]["count"]) == ("invalid_plan", 3)
    assert {e["field"]: e["code"] for e in problem["errors"]} == {
        "start": "unreadable_time",
        "geometry.coordinates": "invalid_value",
        "radius_m": "invalid_value",
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "value"),
    [
        ("POST", "/v1/activities", strike_body(share="contact"), "share", "contact"),
        ("POST", "/v1/activities", zone_body("z-1"), "properties.kind", "zone"),
        ("POST", "/v1/zones", zone_body("z-1", share="secret"), "properties.share", "secret"),
        ("POST", "/v1/activities", strike_body(respond_by="soon"), "properties.respond_by", "soon"),
        ("PUT", "/v1/activities/strike-9", strike_body("strike-1"), "id", "strike-1"),
    ],
    ids=[
        "activity withholding its shape",
        "zone sent as activity",
        "unknown share",
        "unreadable respond_by",
        "id not the URL's",
    ],
)
def test_a_refused_feature_names_its_id_field_and_value(
    shared: Consoles, method: str, path: str, body: dict[str, Any], field: str, value: str
) -> None:
    problem = problem_of(shared["russia"].request(method, path, json=body), 422)
    assert (problem["feature_id"], problem["field"], problem["value"]) == (body["id"], field, value)


# -- framework validation: the same shape ------------------------------------------------------


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


JSON = {"content-type": "application/json"}

FRAMEWORK_ERRORS: dict[str, tuple[str, str, dict[str, Any], str, Any]] = {
    "missing type": (
        "POST",
        "/v1/activities",
        {"json": without(strike_body(), "type")},
        "type",
        without(strike_body(), "type"),
    ),
    "wrong type": (
        "POST",
        "/v1/zones",
        {"json": {**zone_body(), "type": "Polygon"}},
        "type",
        "Polygon",
    ),
    "properties not an object": (
        "POST",
        "/v1/activities",
        {"json": {**strike_body(), "properties": "nope"}},
        "properties",
        "nope",
    ),
    "a list for a feature": (
        "POST",
        "/v1/check",
        {"json": [strike_body()]},
        "body",
        [strike_body()],
    ),
    "undecodable JSON": (
        "POST",
        "/v1/activities",
        {"content": b'{"type": "Feature", ', "headers": JSON},
        "body",
        None,
    ),
    "unknown response kind": (
        "POST",
        "/v1/notices/1/responses",
        {"json": {"response": "approved"}},
        "response",
        "approved",
    ),
    "notice id not a number": ("GET", "/v1/notices/first", {}, "notice_id", "first"),
    "empty reply": ("POST", "/v1/notices/1/replies", {"json": {"text": ""}}, "text", ""),
}


@pytest.mark.parametrize(
    ("method", "path", "request_args", "field", "value"),
    FRAMEWORK_ERRORS.values(),
    ids=FRAMEWORK_ERRORS.keys(),
)
def test_framework_validation_errors_come_in_the_same_shape(
    shared: Consoles,
    method: str,
    path: str,
    request_args: dict[str, Any],
    field: str,
    value: Any,
) -> None:
    problem = problem_of(shared["russia"].request(method, path, **request_args), 422)
    assert problem["errors"] and all(set(e) == ITEM_KEYS for e in problem["errors"])
    assert (problem["field"], problem["errors"][0]["field"]) == (field, field)
    if value is not None:
        assert problem["value"] == value
    assert problem["feature_id"] is None


def test_undecodable_json_says_it_is_not_json(shared: Consoles) -> None:
    refused = shared["russia"].post("/v1/activities", content=b"{not json", headers=JSON)
    assert "JSON" in problem_of(refused, 422)["detail"]


# -- 413: a body over max_body_bytes, declared or streamed ---------------------------------------


def oversized() -> dict[str, Any]:
    return strike_body("big-strike", name="x" * 3000)


def in_chunks(body: dict[str, Any], size: int = 500) -> Iterator[bytes]:
    """The body as a chunked upload (no Content-Length), as a streaming client sends it."""
    data = json.dumps(body).encode()
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_body_declared_over_the_limit_is_refused_with_413(small: Consoles) -> None:
    before = small.stored()
    refused = small["russia"].post("/v1/activities", json=oversized())
    assert problem_of(refused, 413)["detail"] == "the body is over 2000 bytes"
    assert small.stored() == before


def test_a_streamed_body_over_the_limit_is_refused_with_413(small: Consoles) -> None:
    before = small.stored()
    refused = small["russia"].post("/v1/activities", content=in_chunks(oversized()), headers=JSON)
    assert "content-length" not in refused.request.headers
    assert small.stored() == before
    assert problem_of(refused, 413)["detail"] == "the body is over 2000 bytes"


def test_a_streamed_body_under_the_limit_is_accepted(small: Consoles) -> None:
    upload = in_chunks(strike_body())
    accepted = small["russia"].post("/v1/activities", content=upload, headers=JSON)
    assert "content-length" not in accepted.request.headers
    assert accepted.status_code == 201


# -- routes and methods the API does not have ----------------------------------------------------


@pytest.mark.parametrize("token", ["russia", None])
@pytest.mark.parametrize("path", ["/v1/nowhere", "/v2/features", "/nowhere", "/v1/features/a/b/c"])
def test_an_unknown_route_is_a_404_problem(shared: Consoles, path: str, token: str | None) -> None:
    console = shared[token] if token else shared.with_token(None)
    assert problem_of(console.get(path), 404)["detail"] == "Not Found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/zones", "POST"),
        ("GET", "/v1/activities", "POST"),
        ("POST", "/v1/inbox", "GET"),
        ("DELETE", "/v1/activities/strike-1", "PUT"),
    ],
)
def test_a_method_the_route_does_not_take_is_a_405_problem_naming_the_allowed_ones(
    shared: Consoles, method: str, path: str, allowed: str
) -> None:
    refused = shared["russia"].request(method, path)
    assert problem_of(refused, 405)["detail"] == "Method Not Allowed"
    assert refused.headers["allow"] == allowed


# -- every problem names its request, and a refused request stores nothing -----------------------


def test_every_problem_carries_its_own_request_id(shared: Consoles) -> None:
    russia = shared["russia"]
    russia.post("/v1/activities", json=strike_body())
    refusals = {
        401: shared.with_token(None).get("/v1/me"),
        403: shared["russia-duty"].post("/v1/zones", json=zone_body()),
        404: russia.get("/v1/features/no-such-feature"),
        405: russia.request("DELETE", "/v1/zones"),
        409: russia.post("/v1/activities", json=strike_body()),
        422: russia.post("/v1/activities", json=invalid_strike()),
    }
    ids = [problem_of(response, status)["request_id"] for status, response in refusals.items()]
    assert all(len(i) >= 8 for i in ids)
    assert len(set(ids)) == len(ids)


REFUSED_WRITES: dict[str, tuple[str, str, str | None, dict[str, Any], int]] = {
    "no token": ("POST", "/v1/activities", None, {"json": strike_body("s-2")}, 401),
    "duty token": ("POST", "/v1/activities", "russia-duty", {"json": strike_body("s-2")}, 403),
    "another party's name": (
        "POST",
        "/v1/zones",
        "russia",
        {"json": zone_body("z-2", party="aid")},
        403,
    ),
    "invalid feature": ("POST", "/v1/activities", "russia", {"json": invalid_strike()}, 422),
    "framework invalid": (
        "POST",
        "/v1/zones",
        "russia",
        {"json": without(zone_body("z-2"), "geometry")},
        422,
    ),
    "undecodable": ("POST", "/v1/activities", "russia", {"content": b"{", "headers": JSON}, 422),
    "an id of yours in use": ("POST", "/v1/activities", "russia", {"json": strike_body()}, 409),
    "a key reused for another body": (
        "POST",
        "/v1/activities",
        "russia",
        {"json": strike_body("s-2", lon=39.0), "headers": {"Idempotency-Key": "first"}},
        409,
    ),
    "amending a cancelled feature": (
        "PUT",
        "/v1/activities/cancelled",
        "russia",
        {"json": strike_body("cancelled")},
        409,
    ),
    "answering an information notice": (
        "POST",
        "/v1/notices/{information}/responses",
        "coalition",
        {"json": {"response": "acknowledged"}},
        409,
    ),
    "unknown route": ("POST", "/v1/strikes", "russia", {"json": strike_body("s-2")}, 404),
}


@pytest.mark.parametrize(
    ("method", "path", "who", "request_args", "status"),
    REFUSED_WRITES.values(),
    ids=REFUSED_WRITES.keys(),
)
def test_after_a_refused_request_nothing_is_stored(
    consoles: Consoles,
    method: str,
    path: str,
    who: str | None,
    request_args: dict[str, Any],
    status: int,
) -> None:
    russia = consoles["russia"]
    russia.post("/v1/activities", json=strike_body(), headers={"Idempotency-Key": "first"})
    russia.post("/v1/activities", json=strike_body("cancelled", lon=36.0))
    cancelled = russia.post("/v1/features/cancelled/cancel").json()
    assert cancelled["feature"]["properties"]["cancelled_at"]
    [information] = [
        n["id"]
        for n in consoles["coalition"].get("/v1/inbox").json()["notices"]
        if n["respond_by"] is None
    ]
    before = consoles.stored()
    console = consoles[who] if who else consoles.with_token(None)
    refused = console.request(method, path.format(information=information), **request_args)
    problem_of(refused, status)
    assert consoles.stored() == before


def test_a_notice_id_beyond_any_stored_one_is_not_found(consoles: Consoles) -> None:
    problem_of(consoles["russia"].get(f"/v1/notices/{2**64}"), 404)


# -- the shape as the OpenAPI document gives it ---------------------------------------------------


def test_the_openapi_document_gives_every_refusal_this_shape(shared: Consoles) -> None:
    document = shared.with_token(None).get("/openapi.json").json()
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) - {"errors"} == PROBLEM_KEYS == set(problem["required"])
    item = document["components"]["schemas"]["ProblemItem"]
    assert set(item["properties"]) == ITEM_KEYS
    refusals = [
        (f"{method.upper()} {path}", status, answer)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if int(status) >= 400
    ]
    assert {status for _, status, _ in refusals} >= {"401", "403", "404", "409", "422", "500"}
    for operation, status, answer in refusals:
        schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
        assert answer["content"] == {"application/problem+json": schema}, (operation, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


# -- codes: each kind of refusal by a stable name, with what a sentence needs -------------------


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "code", "params"),
    [
        (
            "russia",
            "GET",
            "/v1/position?text=37S%20DT%2066561%2006777x",
            None,
            422,
            "unreadable_position",
            {"reason": "mgrs_trailing", "character": "x", "field": "position"},
        ),
        ("russia", "GET", "/v1/time?text=312400ZSEP26", None, 422, "unreadable_time", {}),
        (
            "russia",
            "POST",
            "/v1/activities",
            strike_body("s-2", start="2030-09-01T10:00Z", end="2030-09-01T09:00Z"),
            422,
            "invalid_plan",
            {"count": 1},
        ),
        ("russia", "POST", "/v1/activities", strike_body(), 409, "id_in_use", {"field": "id"}),
        (
            "russia-duty",
            "POST",
            "/v1/activities",
            strike_body("s-3"),
            403,
            "role_needed",
            {"role": "planner", "yours": "duty"},
        ),
        (None, "GET", "/v1/inbox", None, 401, "not_signed_in", {}),
        ("russia", "GET", "/v1/notices/999999", None, 404, "not_found", {"value": 999999}),
        ("russia", "DELETE", "/v1/inbox", None, 405, "method_not_allowed", {}),
        ("russia", "POST", "/v1/check", {}, 422, "invalid_request", {"type": "missing"}),
    ],
    ids=[
        "mgrs stray letter",
        "unreadable time",
        "window backwards",
        "id in use",
        "duty token declares",
        "no token",
        "no such notice",
        "wrong method",
        "schema",
    ],
)
def test_every_refusal_carries_a_stable_code_and_the_params_to_say_it(
    shared: Consoles,
    who: str | None,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str,
    params: dict[str, Any],
) -> None:
    console = shared[who] if who else shared.with_token(None)
    problem = problem_of(console.request(method, path, json=body), status)
    assert problem["code"] == code
    assert problem["params"].items() >= params.items()


def test_a_window_ending_before_it_starts_is_named_by_its_own_code(shared: Consoles) -> None:
    body = strike_body("s-4", start="2030-09-01T10:00Z", end="2030-09-01T09:00Z")
    problem = problem_of(shared["russia"].post("/v1/activities", json=body), 422)
    [item] = problem["errors"]
    assert (item["code"], item["field"]) == ("end_not_after_start", "end")
