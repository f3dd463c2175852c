"""One error shape for every HTTP error: RFC 9457 problem+json plus the operator's fields.

Every body carries `feature_id`, `field`, `value` and `request_id`, and a stable
`code` with the `params` its sentence needs, so a client says it in its reader's
language (the codes are listed in `deconflict.problem_codes`); a 500 never echoes
the exception text (it may hold anything), only the request id to find it in the log.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
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
    RequestTooLarge,
    StateConflict,
)
from deconflict.problem_codes import CODES
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
    RequestTooLarge: 413,
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
    408: "Request timeout",
    409: "Conflicts with the stored state",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
}


MEANINGS = {
    401: "No bearer token (or console session), or one unknown or revoked.",
    403: "The token's role may not do this, the feature or notice is another party's, or a "
    "party signature does not verify.",
    404: "No such thing, or none the asker may see.",
    409: "Conflicts with the stored state: an id in use, a notice already answered, a retry "
    "with another body under the same Idempotency-Key, an id several parties use.",
    413: "The body is over the line's limit.",
    422: "The request cannot be read or accepted: the problem names the feature, field and value.",
    429: "A budget is spent (dry runs that meet hidden zones); Retry-After says when to retry.",
    500: "The server failed; the problem holds only the request id to quote to its operator.",
}
# The code of an error that names none of its own, by status (the framework's refusals).
CODE_OF_STATUS = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "state_conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
}
HEADERS = {
    401: {"WWW-Authenticate": 'Bearer realm="deconflict".'},
    429: {"Retry-After": "Whole seconds until the budget allows another."},
}


class ProblemItem(BaseModel):
    """One of several things wrong with a request."""

    model_config = ConfigDict(extra="forbid")
    feature_id: str | None
    field: str | None
    value: Any = Field(description="The value refused, as sent (text when it is not JSON).")
    detail: str
    code: str = Field(description="What is wrong, by a stable name (see `Problem.code`).")
    params: dict[str, Any] = Field(description="What a sentence saying it needs.")


class Problem(BaseModel):
    """RFC 9457 problem details, plus the feature, field and value at fault and the request id."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["about:blank"]
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    feature_id: str | None
    field: str | None
    value: Any
    request_id: str | None = Field(description="As X-Request-ID; quote it to the operator.")
    errors: list[ProblemItem] | None = Field(
        default=None, description="Every thing wrong, when there are several."
    )
    code: str = Field(
        description="What is wrong, by a stable name a client may translate: "
        + ", ".join(f"`{code}`" for code in CODES)
        + ". `detail` says it in English."
    )
    params: dict[str, Any] = Field(
        description="What a sentence saying `code` in any language needs: `feature_id`, "
        "`field` and `value` when the problem names them, and the code's own (a limit, its "
        "setting, a reason, a count)."
    )


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for `statuses`, each a problem+json; and 500, which any route may send."""
    return {status: _refusal(status) for status in sorted({*statuses, 500})}


def _refusal(status: int) -> dict[str, Any]:
    documented: dict[str, Any] = {
        "description": MEANINGS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": COMPONENTS + "Problem"}}},
    }
    if status in HEADERS:
        documented["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in HEADERS[status].items()
        }
    return documented


PROBLEM_MEDIA_TYPE = "application/problem+json"
COMPONENTS = "#/components/schemas/"


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
    code: str | None = None,
    params: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response in the one shape all errors take (`code` by default the
    status's own); `extra` members beside them, where a standard the line speaks asks for
    its own (the DSS's `message`)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "feature_id": feature_id,
        "field": field,
        "value": _jsonable(value),
        "request_id": getattr(request.state, "request_id", None) if request else None,
        "code": code or CODE_OF_STATUS.get(status, "error"),
        "params": _params(feature_id, field, value, params),
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _params(
    feature_id: str | None, field: str | None, value: Any, own: dict[str, Any] | None
) -> dict[str, Any]:
    named = {"feature_id": feature_id, "field": field, "value": _jsonable(value)}
    return {
        **{name: v for name, v in named.items() if v is not None},
        **{name: _jsonable(v) for name, v in (own or {}).items()},
    }


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
        "code": error.code,
        "params": _params(error.feature_id, error.field, error.value, error.params),
    }


async def _on_deconflict_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DeconflictError)
    return rendered(request, error)


def rendered(request: Request, error: DeconflictError) -> JSONResponse:
    """The problem+json answer to `error`, its status from the one table (STATUS)."""
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
            code=error.code,
            params=error.params,
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
        code=error.code,
        params=error.params,
    )


def _headers_of(error: DeconflictError) -> dict[str, str] | None:
    """Retry-After (whole seconds) for a spent budget; no extra headers otherwise."""
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after_s)}
    return None


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    items = [_validation_item(e) for e in error.errors()]
    first = items[0] if items else {"field": None, "value": None, "params": {}}
    return problem(
        request,
        422,
        "; ".join(f"{i['field']}: {i['detail']}" for i in items),
        field=first["field"],
        value=first["value"],
        errors=items,
        params={"type": first["params"].get("type")} if items else None,
    )


def _validation_item(error: Any) -> dict[str, Any]:
    """One framework refusal: `params.type` is pydantic's stable name for it (`missing`,
    `string_too_long`...), with its limits (`max_length`, `ge`...) beside it."""
    field, value = _field_of(error), _jsonable(error.get("input"))
    own = {"type": error["type"], **(error.get("ctx") or {})}
    return {
        "feature_id": None,
        "field": field,
        "value": value,
        "detail": error["msg"],
        "code": "invalid_request",
        "params": _params(None, field, value, own),
    }


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
