"""One error shape for every HTTP error: RFC 9457 problem+json plus the operator's fields.

Every body carries `feature_id`, `field`, `value` and `request_id`; a 500
never echoes the exception text (it may hold anything), only the request id
to find it in the log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from deconflict.errors import (
    DeconflictError,
    EngineFailure,
    Forbidden,
    InvalidCoordinate,
    InvalidFeature,
    InvalidPlan,
    NotFound,
    RateLimited,
    StateConflict,
)
from deconflict.record.errors import InvalidSignature, RecordError

log = logging.getLogger("deconflict.api")

STATUS: dict[type[DeconflictError], int] = {
    InvalidFeature: 422,
    InvalidPlan: 422,
    InvalidCoordinate: 422,
    NotFound: 404,
    Forbidden: 403,
    StateConflict: 409,
    RateLimited: 429,
    InvalidSignature: 403,
    RecordError: 422,
    EngineFailure: 500,
}
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflicts with the stored state",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
}


def problem(
    request: Request | None,
    status: int,
    detail: str,
    *,
    feature_id: str | None = None,
    field: str | None = None,
    value: Any = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response in the one shape all errors take."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "feature_id": feature_id,
        "field": field,
        "value": _jsonable(value),
        "request_id": getattr(request.state, "request_id", None) if request else None,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def _status_of(error: DeconflictError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def _item(error: DeconflictError) -> dict[str, Any]:
    return {
        "feature_id": error.feature_id,
        "field": error.field,
        "value": _jsonable(error.value),
        "detail": error.message,
    }


async def _on_deconflict_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DeconflictError)
    if isinstance(error, InvalidPlan):
        first = error.problems[0] if error.problems else error
        return problem(
            request,
            422,
            f"{error}: {'; '.join(str(p) for p in error.problems)}",
            feature_id=first.feature_id,
            field=first.field,
            value=first.value,
            errors=[_item(p) for p in error.problems],
        )
    status = _status_of(error)
    if status >= 500:
        log.error(
            "request failed request_id=%s error=%s",
            getattr(request.state, "request_id", None),
            error,
            exc_info=error,
        )
    return problem(
        request,
        status,
        error.message,
        feature_id=error.feature_id,
        field=error.field,
        value=error.value,
        headers=_headers_of(error),
    )


def _headers_of(error: DeconflictError) -> dict[str, str] | None:
    """Retry-After (whole seconds) for a spent budget; no extra headers otherwise."""
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after_s)}
    return None


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    items = [
        {
            "feature_id": None,
            "field": _field_of(e),
            "value": _jsonable(e.get("input")),
            "detail": e["msg"],
        }
        for e in error.errors()
    ]
    first = items[0] if items else {"field": None, "value": None, "detail": "invalid request"}
    return problem(
        request,
        422,
        "; ".join(f"{i['field']}: {i['detail']}" for i in items),
        field=first["field"],
        value=first["value"],
        errors=items,
    )


def _field_of(error: Any) -> str | None:
    """The field a framework validation error names ("body" for JSON that does not parse)."""
    if error.get("type") == "json_invalid":
        return "body"
    return ".".join(str(p) for p in error["loc"][1:]) or str(error["loc"][0])


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return problem(
        request,
        error.status_code,
        str(error.detail),
        headers=dict(error.headers) if error.headers else None,
    )


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error request_id=%s", getattr(request.state, "request_id", None))
    return problem(request, 500, "the server failed; quote the request_id to its operator")


def install(app: FastAPI) -> None:
    """Render every error of the app as problem+json."""
    app.add_exception_handler(DeconflictError, _on_deconflict_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
