"""The DSS of ASTM F3548-21 over HTTP: `/dss/v1` (strategic coordination, API 1.0.0) and
InterUSS's `/aux/v1` (version, token check).

A USS is who its bearer token says (web/utm_tokens.py); each operation needs one of the
scopes the standard lists for it, checked before the body is read. Bodies are read here,
strictly, and checked by utm/service.py; a refusal is problem+json with the standard's
`message` (and, for a key that lacks OVNs, `missing_operational_intents` and
`missing_constraints`) beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from deconflict.api.dss_bridge import Bridge
from deconflict.api.problems import problem
from deconflict.api.strict_json import JsonRefused, read_strict
from deconflict.utm.refusals import BadRequest, NotPermitted, Refused
from deconflict.utm.service import Dss
from deconflict.web.utm_tokens import TokenCheck, Uss

DSS_PREFIXES = ("/dss/v1/", "/aux/v1/")
"""Paths whose bodies the DSS reads itself (400 for JSON it cannot read, as the standard says)."""

SC = "utm.strategic_coordination"
CM = "utm.constraint_management"
CP = "utm.constraint_processing"
CMSA = "utm.conformance_monitoring_sa"
AA = "utm.availability_arbitration"

INTENTS = (SC, CMSA)
CONSTRAINTS_READ = (CM, CP)
CONSTRAINTS_WRITE = (CM,)
SUBSCRIPTIONS = (CP, SC)

# Their contract is the standard's own document (utm.yaml), not the line's.
dss_router = APIRouter(prefix="/dss/v1", include_in_schema=False)
aux_router = APIRouter(prefix="/aux/v1", include_in_schema=False)

Answer = Callable[[Uss, Any], tuple[int, dict[str, Any]]]


async def _answer(request: Request, scopes: Sequence[str], answer: Answer) -> JSONResponse:
    """Who asks (401), whether they may (403), the body, then the answer, or the refusal."""
    try:
        uss = _uss(request)
        if scopes:
            uss.needs_one_of(scopes)
        body = await _body(request)
        status, document = await run_in_threadpool(answer, uss, body)
    except Refused as refused:
        return _refusal(request, refused)
    return JSONResponse(document, status_code=status)


def _uss(request: Request) -> Uss:
    tokens: TokenCheck = request.app.state.utm_tokens
    return tokens.uss(request.headers.get("authorization"))


async def _body(request: Request) -> Any:
    if request.method not in ("POST", "PUT"):
        return None
    raw = await request.body()
    if not raw:
        return None
    try:
        return read_strict(raw)
    except JsonRefused as refused:
        raise BadRequest(refused.detail, field="body", value=refused.value) from None


def _refusal(request: Request, refused: Refused) -> JSONResponse:
    return problem(
        request,
        refused.status,
        refused.message,
        field=refused.field,
        value=refused.value,
        code=refused.code,
        params=refused.params,
        extra={"message": str(refused), **refused.extra()},
    )


def _dss(request: Request) -> Dss:
    dss: Dss = request.app.state.dss
    return dss


def _bridge(request: Request) -> Bridge:
    bridge: Bridge = request.app.state.dss_bridge
    return bridge


def _ok(document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, document


def _made(created_and_document: tuple[bool, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    created, document = created_and_document
    return (201 if created else 200), document


# Operational intent references


@dss_router.post("/operational_intent_references/query")
async def query_operational_intent_references(request: Request) -> JSONResponse:
    dss = _dss(request)
    return await _answer(request, INTENTS, lambda uss, body: _ok(dss.query_intents(uss.id, body)))


@dss_router.get("/operational_intent_references/{entityid}")
async def get_operational_intent_reference(request: Request, entityid: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(request, INTENTS, lambda uss, _: _ok(dss.get_intent(uss.id, entityid)))


@dss_router.put("/operational_intent_references/{entityid}")
async def create_operational_intent_reference(request: Request, entityid: str) -> JSONResponse:
    return await _put_intent(request, entityid, "")


@dss_router.put("/operational_intent_references/{entityid}/{ovn}")
async def update_operational_intent_reference(
    request: Request, entityid: str, ovn: str
) -> JSONResponse:
    return await _put_intent(request, entityid, ovn)


async def _put_intent(request: Request, entityid: str, ovn: str) -> JSONResponse:
    dss, bridge = _dss(request), _bridge(request)

    def put(uss: Uss, body: Any) -> tuple[int, dict[str, Any]]:
        change = dss.put_intent(uss.id, uss.scopes, entityid, ovn, body)
        bridge.carry(uss.id, change)
        return (201 if change.created else 200), change.answer

    return await _answer(request, INTENTS, put)


@dss_router.delete("/operational_intent_references/{entityid}/{ovn}")
async def delete_operational_intent_reference(
    request: Request, entityid: str, ovn: str
) -> JSONResponse:
    dss, bridge = _dss(request), _bridge(request)

    def delete(uss: Uss, _: Any) -> tuple[int, dict[str, Any]]:
        change = dss.delete_intent(uss.id, entityid, ovn)
        bridge.carry(uss.id, change)
        return 200, change.answer

    return await _answer(request, INTENTS, delete)


# Constraint references


@dss_router.post("/constraint_references/query")
async def query_constraint_references(request: Request) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request, CONSTRAINTS_READ, lambda uss, body: _ok(dss.query_constraints(uss.id, body))
    )


@dss_router.get("/constraint_references/{entityid}")
async def get_constraint_reference(request: Request, entityid: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request, CONSTRAINTS_READ, lambda uss, _: _ok(dss.get_constraint(uss.id, entityid))
    )


@dss_router.put("/constraint_references/{entityid}")
async def create_constraint_reference(request: Request, entityid: str) -> JSONResponse:
    return await _put_constraint(request, entityid, "")


@dss_router.put("/constraint_references/{entityid}/{ovn}")
async def update_constraint_reference(request: Request, entityid: str, ovn: str) -> JSONResponse:
    return await _put_constraint(request, entityid, ovn)


async def _put_constraint(request: Request, entityid: str, ovn: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request,
        CONSTRAINTS_WRITE,
        lambda uss, body: _made(dss.put_constraint(uss.id, entityid, ovn, body)),
    )


@dss_router.delete("/constraint_references/{entityid}/{ovn}")
async def delete_constraint_reference(request: Request, entityid: str, ovn: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request, CONSTRAINTS_WRITE, lambda uss, _: _ok(dss.delete_constraint(uss.id, entityid, ovn))
    )


# Subscriptions


@dss_router.post("/subscriptions/query")
async def query_subscriptions(request: Request) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request, SUBSCRIPTIONS, lambda uss, body: _ok(dss.query_subscriptions(uss.id, body))
    )


@dss_router.get("/subscriptions/{subscriptionid}")
async def get_subscription(request: Request, subscriptionid: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request, SUBSCRIPTIONS, lambda uss, _: _ok(dss.get_subscription(uss.id, subscriptionid))
    )


@dss_router.put("/subscriptions/{subscriptionid}")
async def create_subscription(request: Request, subscriptionid: str) -> JSONResponse:
    return await _put_subscription(request, subscriptionid, "")


@dss_router.put("/subscriptions/{subscriptionid}/{version}")
async def update_subscription(request: Request, subscriptionid: str, version: str) -> JSONResponse:
    return await _put_subscription(request, subscriptionid, version)


async def _put_subscription(request: Request, subscriptionid: str, version: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request,
        SUBSCRIPTIONS,
        lambda uss, body: _ok(dss.put_subscription(uss.id, subscriptionid, version, body)),
    )


@dss_router.delete("/subscriptions/{subscriptionid}/{version}")
async def delete_subscription(request: Request, subscriptionid: str, version: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request,
        SUBSCRIPTIONS,
        lambda uss, _: _ok(dss.delete_subscription(uss.id, subscriptionid, version)),
    )


# Reports


@dss_router.post("/reports")
async def make_dss_report(request: Request) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request, (CM, CP, SC, CMSA, AA), lambda uss, body: (201, dss.report(uss.id, body))
    )


# USS availability


@dss_router.get("/uss_availability/{uss_id}")
async def get_uss_availability(request: Request, uss_id: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(request, (AA, SC, CMSA), lambda _, __: _ok(dss.get_availability(uss_id)))


@dss_router.put("/uss_availability/{uss_id}")
async def set_uss_availability(request: Request, uss_id: str) -> JSONResponse:
    dss = _dss(request)
    return await _answer(
        request, (AA,), lambda uss, body: _ok(dss.set_availability(uss.id, uss_id, body))
    )


# InterUSS's auxiliary endpoints


@aux_router.get("/version")
async def version(request: Request) -> JSONResponse:
    """The DSS's version, to any USS with a valid token."""
    found = f"deconflict-{metadata.version('deconflict')}"
    return await _answer(request, (), lambda _, __: _ok({"version": found}))


@aux_router.get("/validate_oauth")
async def validate_oauth(request: Request, owner: str | None = None) -> JSONResponse:
    """200 when the token is valid (and, if `owner` is given, names that USS); else 401/403."""

    def checked(uss: Uss, _: Any) -> tuple[int, dict[str, Any]]:
        if owner is not None and owner != uss.id:
            raise NotPermitted(f"the token names {uss.id}, not {owner}")
        return 200, {}

    return await _answer(request, (), checked)
