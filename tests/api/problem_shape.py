"""The one shape of every HTTP error: RFC 9457 problem+json plus the operator's fields."""

from __future__ import annotations

from typing import Any

import httpx

from deconflict.problem_codes import CODES, POSITION_REASONS

PROBLEM_KEYS = {
    "type",
    "title",
    "status",
    "detail",
    "feature_id",
    "field",
    "value",
    "request_id",
    "code",
    "params",
}


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem body of `response`, after checking it has `status` and the one shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) - {"errors"} == PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    for said in [body, *(body.get("errors") or [])]:
        assert_coded(said)
    return body


def assert_coded(said: dict[str, Any]) -> None:
    """A problem (or one of its `errors`) names a known code, and its params repeat the
    feature id, field and value it names."""
    assert said["code"] in CODES, said
    named = {k: said[k] for k in ("feature_id", "field", "value") if said[k] is not None}
    assert said["params"].items() >= named.items(), said
    if said["code"] == "unreadable_position":
        assert said["params"]["reason"] in POSITION_REASONS, said


def same_refusal(first: httpx.Response, second: httpx.Response) -> bool:
    """Whether two refusals say the same thing (request ids and echoed ids aside)."""
    ignored = ("request_id", "feature_id", "value")

    def said(response: httpx.Response) -> dict[str, Any]:
        body = {k: v for k, v in response.json().items() if k not in ignored}
        body["params"] = {k: v for k, v in body["params"].items() if k not in ignored}
        return body

    a, b = said(first), said(second)
    return first.status_code == second.status_code and a == b
