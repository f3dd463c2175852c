"""The one shape of every HTTP error: RFC 9457 problem+json plus the operator's fields."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_KEYS = {
    "type",
    "title",
    "status",
    "detail",
    "feature_id",
    "field",
    "value",
    "request_id",
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
    return body


def same_refusal(first: httpx.Response, second: httpx.Response) -> bool:
    """Whether two refusals say the same thing (request ids and echoed ids aside)."""
    ignored = ("request_id", "feature_id", "value")
    a, b = ({k: v for k, v in r.json().items() if k not in ignored} for r in (first, second))
    return first.status_code == second.status_code and a == b
