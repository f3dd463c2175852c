"""HTTP routes under /v1: parse, call the line, render. Nothing else lives here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from deconflict.api import schemas
from deconflict.api.http_signatures import http_signature
from deconflict.api.push import LAST_EVENT_ID, hub_of, start_after, stream
from deconflict.api.schemas import answered
from deconflict.api.strict_json import JSON_BODY
from deconflict.errors import Forbidden, InvalidFeature, InvalidPlan
from deconflict.geo.coords import format_dms, format_mgrs, parse_position
from deconflict.i18n.dtg import format_dtg, parse_moment
from deconflict.i18n.messages import ObjectionReason
from deconflict.line.entries import Signed
from deconflict.line.model import ResponseKind, Share
from deconflict.line.parties import (
    Credential,
    PartyStore,
    Role,
    issue_token,
    revoke,
    token_id_of,
)
from deconflict.line.ports import LineTx
from deconflict.line.results import Declaration, Refused
from deconflict.line.service import Idempotency, Line
from deconflict.line.views import feature_view, version_view
from deconflict.record.base64text import decode_base64
from deconflict.record.errors import RecordError
from deconflict.record.http_signature import HttpSignature
from deconflict.record.sealed import SALT_SIZE
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.ids import ID_SYNTAX, read_id
from deconflict.rules.plan import format_time, parse_feature
from deconflict.store import Store
from deconflict.web.auth import requires

router = APIRouter(prefix="/v1")

T = TypeVar("T")

Duty = Annotated[Credential, Depends(requires(Role.DUTY))]
_planner = requires(Role.PLANNER)
Planner = Annotated[Credential, Depends(_planner)]
Admin = Annotated[Credential, Depends(requires(Role.ADMIN))]


class PartySignature(NamedTuple):
    """A request's party signature and the salt of the commitment it signs."""

    signature: str
    salt: bytes


# The header dependencies only read headers: run on the event loop, not in a thread of their own.
async def _party_signature(
    signature: Annotated[
        str | None,
        Header(
            alias="Deconflict-Signature",
            description="Your party's Ed25519 signature (base64) of the commitment of the "
            "signed payload (docs/record.md): the JSON body, plus `notice` for responses and "
            'replies, or `{"cancel": id}` for a cancellation. Kept in the record.',
        ),
    ] = None,
    salt: Annotated[
        str | None,
        Header(
            alias="Deconflict-Signature-Salt",
            description="The 32-byte salt (base64) of the signed payload's commitment.",
        ),
    ] = None,
) -> PartySignature | None:
    if signature is None:
        if salt is not None:
            raise RecordError(
                "Deconflict-Signature-Salt was sent without Deconflict-Signature",
                field="Deconflict-Signature",
            )
        return None
    raw_salt = decode_base64(salt or "")
    if raw_salt is None or len(raw_salt) != SALT_SIZE:
        raise RecordError(
            f"a signed request needs Deconflict-Signature-Salt: base64 of {SALT_SIZE} random "
            "bytes, the salt of the commitment the signature covers",
            field="Deconflict-Signature-Salt",
            value=salt,
        )
    return PartySignature(signature, raw_salt)


class Signatures(NamedTuple):
    """A request's signatures: of its payload's commitment, RFC 9421 of the request, or both."""

    commitment: PartySignature | None
    http: HttpSignature | None


async def _signatures(
    commitment: Annotated[PartySignature | None, Depends(_party_signature)],
    http: Annotated[HttpSignature | None, Depends(http_signature)],
) -> Signatures | None:
    return None if commitment is None and http is None else Signatures(commitment, http)


Signature = Annotated[Signatures | None, Depends(_signatures)]
SignedRead = Annotated[HttpSignature | None, Depends(http_signature)]
NoticeId = Annotated[int, Path(description="The notice's number.")]


async def _feature_id(
    feature_id: Annotated[
        str,
        Path(description="A feature's id (ids are per party), percent-encoded in the URL."),
    ],
) -> str:
    """The id a URL names, in its NFC form; 422 naming it when it breaks the id syntax."""
    return read_id(feature_id)


FeatureId = Annotated[str, Depends(_feature_id)]
PartyId = Annotated[str, Path(description="The id of the party the feature belongs to.")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Retrying with the same key changes nothing."),
]
AllowPast = Annotated[
    bool,
    Query(
        description="Accept an activity whose whole window is in the past (a record of what "
        "happened); without it such an activity is refused (422, field `end`)."
    ),
]


GEOMETRY = {
    "type": "object",
    "description": "A GeoJSON geometry (RFC 7946, positions [lon, lat]): a Point with "
    "`radius_m` or `sector`, a LineString with `half_width_m`, `track` or `orbit`, a Polygon or a "
    "MultiPolygon (holes allowed).",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"enum": ["Point", "LineString", "Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array"},
    },
}
PROPERTIES_READ = (
    "`kind` (zone or activity), `start` and `end` (ISO 8601 with an offset; end absent: until "
    "further notice), the shape's extent, `altitude`, `buffer_m`, `name`, `activity`, `repeat`; "
    "any other property is kept as given. The line reads them and names the field at fault "
    "(docs/formats.md, The plan format)."
)
EXAMPLES: list[JsonValue] = [
    {
        "type": "Feature",
        "id": "strike-1",
        "geometry": {"type": "Point", "coordinates": [38.7, 33.5]},
        "properties": {
            "kind": "activity",
            "activity": "strike",
            "radius_m": 1500,
            "start": "2030-09-06T22:00:00Z",
            "end": "2030-09-07T02:00:00Z",
        },
    },
    {
        "type": "Feature",
        "id": "at-tanf",
        "geometry": {"type": "Point", "coordinates": [38.64, 33.5]},
        "properties": {
            "kind": "zone",
            "start": "2026-01-01T00:00:00Z",
            "radius_m": 55000,
            "name": "At Tanf",
            "share": "shape",
        },
    },
]


class FeatureBody(BaseModel):
    """One GeoJSON Feature in the `deconflict check` format.

    Extra properties: `share` (zones: `shape` or `contact`) and `respond_by`
    (ISO 8601 or DTG) to override the line's deadline for this feature's notices.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": EXAMPLES})
    type: Literal["Feature"]
    id: str = Field(description=f"The feature's id: {ID_SYNTAX}; ids are per party.")

    geometry: Annotated[dict[str, Any], WithJsonSchema(GEOMETRY)]
    properties: dict[str, Any] = Field(description=PROPERTIES_READ)


class ResponseBody(BaseModel):
    """A recipient's answer to a notice."""

    response: ResponseKind
    reason: ObjectionReason | None = Field(default=None, description="Required for an objection.")
    text: str | None = Field(default=None, max_length=4000, description="Free text, carried as is.")


class ReplyBody(BaseModel):
    """Free text added to a notice's thread by either side."""

    text: str = Field(min_length=1, max_length=4000)


class KeyBody(BaseModel):
    """A party's public signing key: base64 of the raw 32-byte Ed25519 key."""

    public_key: str = Field(min_length=40, max_length=60)


def _signed(payload: dict[str, Any], signatures: Signatures | None) -> Signed | None:
    """The request as its party signed it, with either signature or both; None: unsigned."""
    if signatures is None:
        return None
    commitment, http = signatures
    if commitment is None:
        return Signed(payload, http=http)
    return Signed(payload, commitment.signature, commitment.salt, http)


def _signed_body(body: BaseModel, signatures: Signatures | None) -> Signed | None:
    """The body as its party signed it (the JSON it sent), read only when it was signed."""
    if signatures is None:
        return None
    return _signed(body.model_dump(mode="json", exclude_unset=True), signatures)


def _line(request: Request) -> Line:
    line: Line = request.app.state.line
    return line


def _party_store(request: Request) -> PartyStore:
    store: PartyStore = request.app.state.store
    return store


def _committed(request: Request) -> None:
    request.app.state.broadcast.notify()


def _read_body(
    request: Request, body: FeatureBody, kind: Kind, party: str, url_id: str | None = None
) -> tuple[Feature, Share, datetime | None]:
    document = body.model_dump()
    document["id"] = read_id(document["id"])
    properties = dict(document["properties"])
    if url_id is not None and document["id"] != url_id:
        raise InvalidFeature(
            "the body's id must match the URL",
            feature_id=document["id"],
            field="id",
            value=document["id"],
        )
    claimed = properties.get("party", party)
    if claimed != party:
        raise Forbidden(
            "a party declares only its own features",
            code="not_own_feature",
            feature_id=document["id"],
            field="properties.party",
            value=claimed,
        )
    properties["party"] = party
    properties.setdefault("kind", kind.value)
    if properties["kind"] != kind.value:
        raise InvalidFeature(
            f"this endpoint takes {'activities' if kind is Kind.ACTIVITY else 'zones'}",
            feature_id=document["id"],
            field="properties.kind",
            value=properties["kind"],
        )
    share = _share(document["id"], properties.pop("share", Share.SHAPE.value))
    respond_by = _respond_by(document["id"], properties.pop("respond_by", None))
    limits = request.app.state.limits
    feature, problems = parse_feature({**document, "properties": properties}, limits=limits)
    if feature is None:
        raise InvalidPlan(problems)
    return feature, share, respond_by


def _kind_of(body: FeatureBody) -> Kind:
    """A zone if the body says so; anything else is read as an activity (and checked so)."""
    return Kind.ZONE if body.properties.get("kind") == Kind.ZONE.value else Kind.ACTIVITY


def _share(feature_id: str, value: Any) -> Share:
    try:
        return Share(value)
    except ValueError:
        raise InvalidFeature(
            "share must be 'shape' or 'contact'",
            feature_id=feature_id,
            field="properties.share",
            value=value,
        ) from None


def _respond_by(feature_id: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidFeature(
            "respond_by must be ISO 8601 or a DTG",
            code="unreadable_time",
            feature_id=feature_id,
            field="properties.respond_by",
            value=value,
        )
    try:
        return parse_moment(value)
    except InvalidFeature as error:
        raise InvalidFeature(
            error.message,
            code=error.code,
            feature_id=feature_id,
            field="properties.respond_by",
            value=value,
        ) from None


def feature_url(party: str, feature_id: str) -> str:
    """The URL that names a party's feature, its id percent-encoded (any script, one segment)."""
    return f"/v1/parties/{quote(party, safe='')}/features/{quote(feature_id, safe='')}"


async def _declare(
    request: Request,
    body: FeatureBody,
    kind: Kind,
    credential: Credential,
    key: str | None,
    signature: Signatures | None,
    url_id: str | None = None,
    allow_past: bool = False,
) -> Response:
    feature, share, respond_by = _read_body(request, body, kind, credential.party_id, url_id)
    amend = url_id is not None
    location = feature_url(feature.party, feature.id)  # before the commit: nothing fails after
    action = "amend" if amend else "declare"
    step = _line(request).declaration(
        credential.party_id,
        feature,
        share,
        amend=amend,
        respond_by=respond_by,
        idempotency=None if key is None else Idempotency.of(key, action, body.model_dump()),
        signed=_signed_body(body, signature),
        allow_past=allow_past,
    )
    result: Declaration = await _atomically(request, step)
    _committed(request)
    if amend:
        return _json(result.document())
    return _json(result.document(), 201, {"Location": location})


async def _atomically(request: Request, step: Callable[[LineTx], T]) -> T:
    """Run the line's `step` through the store: queued to its writer, this request waiting
    on the event loop for the answer rather than in a thread of its own (a thread hop cost
    about a tenth of a declaration's CPU, profiled); in a worker thread where the store runs
    steps only in its caller's thread."""
    store: Store = request.app.state.store
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[T] = loop.create_future()

    def then(result: T | None, error: BaseException | None) -> None:
        # A closed loop: the server stopped, and nobody waits for the answer.
        with suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, answer, result, error)

    if not store.run_atomic_then(step, then):
        return await run_in_threadpool(store.run_atomic, step)
    return await answer


def _settle(answer: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if answer.done():  # the request went away
        return
    if error is None:
        answer.set_result(result)
    else:
        answer.set_exception(error)


def _json(
    document: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`document` rendered as the answer once: returned as a dict, FastAPI would first walk
    every value of it (`jsonable_encoder`, about 0.1 ms a declaration, measured) for the same
    bytes."""
    return JSONResponse(document, status, headers)


class DeclarationRoute(APIRoute):
    """A declaration's route whose plain requests skip the framework's per-request solving.

    A plain declaration (a JSON body the server has already read strictly,
    no query, no signature headers) is answered by the same endpoint with the
    same arguments the framework would solve, taken directly: the framework's
    solving of a declaration's five dependencies and its second parse of the
    body cost about 0.25 ms of CPU a request (measured). Any other request, and
    a body that is not a Feature, takes the framework's path, which names what
    is wrong exactly as before.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        solved = super().get_route_handler()
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            arguments = await _plain_declaration(request)
            if arguments is None:
                return await solved(request)
            response: Response = await endpoint(**arguments)
            return response

        return handle


SIGNATURE_HEADERS = (
    "deconflict-signature",
    "deconflict-signature-salt",
    "signature-input",
    "signature",
)


async def _plain_declaration(request: Request) -> dict[str, Any] | None:
    """A plain declaration's endpoint arguments, in the order the framework solves them (the
    URL's id, the token, then the headers and the body); None for a request that is not plain.

    Raises what those dependencies raise (a bad id, token or role), as the framework would.
    """
    document = getattr(request.state, JSON_BODY, None)
    headers = request.headers
    media_type = headers.get("content-type", "").partition(";")[0].strip()
    if (
        document is None
        or media_type != "application/json"
        or request.scope["query_string"]
        or any(name in headers for name in SIGNATURE_HEADERS)
    ):
        return None
    try:
        body = FeatureBody.model_validate(document)
    except ValidationError:
        return None
    arguments: dict[str, Any] = {"request": request, "body": body}
    if "feature_id" in request.path_params:
        arguments["feature_id"] = await _feature_id(request.path_params["feature_id"])
    arguments["credential"] = await _planner(request)
    arguments["key"] = headers.get("idempotency-key")
    return arguments


declarations = APIRouter(prefix="/v1", route_class=DeclarationRoute)
"""The four routes that declare and amend zones and activities (server: included before the
others, so the API's document lists them first as it always has)."""


LOCATION = {"Location": "The URL of the feature declared (`/v1/parties/{party}/features/{id}`)."}
# Every POST and PUT may carry a body: over the limit it is refused (413), not JSON the line
# reads (422) likewise, before any route sees it.
DECLARED = answered(schemas.Declaration, 401, 403, 409, 413, 422, status=201, headers=LOCATION)
AMENDED = answered(schemas.Declaration, 401, 403, 404, 409, 413, 422)


@declarations.post("/zones", status_code=201, summary="Declare a zone you protect", **DECLARED)
async def declare_zone(
    request: Request,
    body: FeatureBody,
    credential: Planner,
    key: IdempotencyKey = None,
    signature: Signature = None,
) -> Response:
    return await _declare(request, body, Kind.ZONE, credential, key, signature)


@declarations.put("/zones/{feature_id}", summary="Amend a zone (a new version)", **AMENDED)
async def amend_zone(
    request: Request,
    feature_id: FeatureId,
    body: FeatureBody,
    credential: Planner,
    key: IdempotencyKey = None,
    signature: Signature = None,
) -> Response:
    return await _declare(request, body, Kind.ZONE, credential, key, signature, feature_id)


@declarations.post(
    "/activities", status_code=201, summary="Notify an activity you plan", **DECLARED
)
async def declare_activity(
    request: Request,
    body: FeatureBody,
    credential: Planner,
    key: IdempotencyKey = None,
    signature: Signature = None,
    allow_past: AllowPast = False,
) -> Response:
    return await _declare(
        request, body, Kind.ACTIVITY, credential, key, signature, allow_past=allow_past
    )


@declarations.put(
    "/activities/{feature_id}", summary="Amend an activity (a new version)", **AMENDED
)
async def amend_activity(
    request: Request,
    feature_id: FeatureId,
    body: FeatureBody,
    credential: Planner,
    key: IdempotencyKey = None,
    signature: Signature = None,
    allow_past: AllowPast = False,
) -> Response:
    return await _declare(
        request, body, Kind.ACTIVITY, credential, key, signature, feature_id, allow_past
    )


class ImportBody(BaseModel):
    """Many zones and activities at once, each a Feature as `POST /v1/zones` or `/activities` takes.

    `partial: false` (the default) stores all or nothing; `true` stores every
    good one and lists the others with their reasons. `allow_past: true` accepts
    activities whose whole window is in the past (refused otherwise).
    """

    features: list[FeatureBody] = Field(min_length=1, max_length=200_000)
    partial: bool = False
    allow_past: bool = False


@router.post(
    "/imports",
    summary="Declare many zones and activities in one step",
    **answered(schemas.Import, 401, 403, 409, 413, 422),
)
def import_features(
    request: Request,
    body: ImportBody,
    credential: Planner,
    key: IdempotencyKey = None,
    signature: Signature = None,
) -> dict[str, Any]:
    items: list[tuple[Feature, Share]] = []
    positions: list[int] = []  # each item's place in the body
    refused: list[Refused] = []
    problems: list[InvalidFeature] = []
    for position, item in enumerate(body.features):
        try:
            feature, share, _ = _read_body(request, item, _kind_of(item), credential.party_id)
        except (InvalidPlan, InvalidFeature) as error:  # Forbidden refuses the whole import
            found = error.problems if isinstance(error, InvalidPlan) else [error]
            problems.extend(found)
            refused.append(Refused(position, item.id, tuple(str(p) for p in found)))
            continue
        items.append((feature, share))
        positions.append(position)
    if problems and not body.partial:
        raise InvalidPlan(problems)
    seen: set[str] = set()
    for position, (feature, _) in zip(positions, items, strict=True):
        if feature.id in seen:
            raise InvalidFeature(
                f"id is used by an earlier feature of this import (feature #{position})",
                feature_id=feature.id,
                field="id",
                value=feature.id,
            )
        seen.add(feature.id)
    result = _line(request).declare_many(
        credential.party_id,
        items,
        partial=body.partial,
        allow_past=body.allow_past,
        idempotency=None if key is None else Idempotency.of(key, "import", body.model_dump()),
        signed=_signed_body(body, signature),
    )
    _committed(request)
    later = [replace(r, index=positions[r.index]) for r in result.refused]
    every = sorted(refused + later, key=lambda r: r.index)
    return replace(result, refused=tuple(every)).document()


CANCELLED = answered(schemas.Cancellation, 401, 403, 404, 409, 413, 422)


@router.post(
    "/features/{feature_id}/cancel",
    summary="Cancel one of your zones or activities",
    **CANCELLED,
)
def cancel_feature(
    request: Request,
    feature_id: FeatureId,
    credential: Planner,
    key: IdempotencyKey = None,
    signature: Signature = None,
) -> dict[str, Any]:
    return _cancel(request, feature_id, credential, key, signature)


@router.post(
    "/parties/{party}/features/{feature_id}/cancel",
    summary="Cancel one of your zones or activities, named with your party",
    **CANCELLED,
)
def cancel_party_feature(
    request: Request,
    party: PartyId,
    feature_id: FeatureId,
    credential: Planner,
    key: IdempotencyKey = None,
    signature: Signature = None,
) -> dict[str, Any]:
    if party != credential.party_id:
        raise Forbidden(
            "a party cancels only its own features",
            code="not_own_feature",
            field="party",
            value=party,
        )
    return _cancel(request, feature_id, credential, key, signature)


def _cancel(
    request: Request,
    feature_id: str,
    credential: Credential,
    key: str | None,
    signature: Signatures | None,
) -> dict[str, Any]:
    idempotency = Idempotency.of(key, "cancel", feature_id)
    signed = _signed({"cancel": feature_id}, signature)
    result = _line(request).cancel(credential.party_id, feature_id, idempotency, signed)
    _committed(request)
    return result.document()


ValidateOnly = Annotated[
    bool,
    Query(
        description='Only read the feature as a declaration would (`{"valid": true}` or 422), '
        "without checking it against the line: no conflicts, not a probe, never refused for a "
        "spent probe budget."
    ),
]


@router.post(
    "/check",
    summary="Dry run: the conflicts a feature would have; declares nothing",
    description="A dry run that meets another party's `contact` zone is a probe: it counts "
    "against your party's budget (429 with Retry-After once spent), is recorded, and the "
    "zone's owner is told who checked what (docs/reference.md, Dry runs and hidden zones).",
    **answered(
        schemas.DryRun | schemas.Valid,
        401,
        403,
        413,
        422,
        429,
        description="The conflicts it would have, or `valid` with `validate_only`.",
    ),
)
def dry_run(
    request: Request,
    body: FeatureBody,
    credential: Duty,
    allow_past: AllowPast = False,
    validate_only: ValidateOnly = False,
) -> dict[str, Any]:
    feature, _, _ = _read_body(request, body, _kind_of(body), credential.party_id)
    if validate_only:
        _line(request).validate(feature, allow_past)
        return {"valid": True}
    result = _line(request).dry_run(credential.party_id, feature, allow_past)
    _committed(request)  # a probe's event for the zone's owner
    return result.document()


@router.get(
    "/features",
    summary="Features you may see: yours, activities, shared zones",
    **answered(schemas.FeatureCollection, 401, 422),
)
def list_features(
    request: Request,
    credential: Duty,
    include_cancelled: bool = False,
    ended: Annotated[
        Literal["exclude", "include"],
        Query(description="`include` lists features whose last occurrence has ended, too."),
    ] = "exclude",
) -> dict[str, Any]:
    visible = [
        feature_view(d)
        for d in _line(request).visible(
            credential.party_id, include_cancelled, include_ended=ended == "include"
        )
    ]
    return {"type": "FeatureCollection", "features": visible}


@router.get(
    "/features/{feature_id}",
    summary="One feature with its version history: yours, else the one of that id you may see",
    **answered(schemas.FeatureHistory, 401, 404, 409, 422),
)
def get_feature(request: Request, feature_id: FeatureId, credential: Duty) -> dict[str, Any]:
    """Your feature with this id; without one, the one feature with this id you may see
    (409 naming the parties when several parties' features have it: name the party)."""
    owner = _line(request).owner_of(credential.party_id, feature_id)
    return _feature_answer(request, credential, owner, feature_id)


@router.get(
    "/parties/{party}/features/{feature_id}",
    summary="One party's feature and its history",
    **answered(schemas.FeatureHistory, 401, 404, 422),
)
def get_party_feature(
    request: Request, party: PartyId, feature_id: FeatureId, credential: Duty
) -> dict[str, Any]:
    return _feature_answer(request, credential, party, feature_id)


def _feature_answer(
    request: Request, credential: Credential, party: str, feature_id: str
) -> dict[str, Any]:
    history = _line(request).history_seen(credential.party_id, party, feature_id)
    return {
        "feature": feature_view(history[-1][2]),
        "history": [version_view(credential.party_id, version) for version in history],
    }


@router.get(
    "/inbox",
    summary="Notices addressed to you, overdue first",
    **answered(schemas.Notices, 401, 403, 422),
)
def inbox(
    request: Request,
    credential: Duty,
    ended: Annotated[
        Literal["exclude", "include"],
        Query(description="`include` keeps notices about features that have ended."),
    ] = "exclude",
    signed: SignedRead = None,
) -> dict[str, Any]:
    """A fetch signed with RFC 9421 is recorded (a `read` entry naming the notices shown)."""
    notices = _line(request).inbox(credential.party_id, ended == "include", signed)
    result = {"notices": [n.document() for n in notices]}
    _committed(request)
    return result


@router.get(
    "/outbox",
    summary="Notices you sent, with their state and responses",
    **answered(schemas.Notices, 401, 422),
)
def outbox(
    request: Request,
    credential: Duty,
    ended: Annotated[
        Literal["exclude", "include"],
        Query(description="`include` keeps notices about features that have ended."),
    ] = "exclude",
) -> dict[str, Any]:
    notices = _line(request).outbox(credential.party_id, ended == "include")
    return {"notices": [n.document() for n in notices]}


@router.get(
    "/notices/{notice_id}",
    summary="One notice and its thread (marks it read)",
    **answered(schemas.NoticeAnswer, 401, 403, 404, 422),
)
def read_notice(
    request: Request, notice_id: NoticeId, credential: Duty, signed: SignedRead = None
) -> dict[str, Any]:
    """A fetch signed with RFC 9421 is recorded (a `read` entry in the notice's thread)."""
    result = _line(request).read(credential.party_id, notice_id, signed)
    _committed(request)
    return result.document()


ANSWERED = answered(schemas.NoticeAnswer, 401, 403, 404, 409, 413, 422, status=201)


@router.post(
    "/notices/{notice_id}/responses",
    status_code=201,
    summary="Answer a notice addressed to you",
    **ANSWERED,
)
def respond(
    request: Request,
    notice_id: NoticeId,
    body: ResponseBody,
    credential: Duty,
    key: IdempotencyKey = None,
    signature: Signature = None,
) -> dict[str, Any]:
    idempotency = Idempotency.of(key, "respond", notice_id, body.model_dump())
    payload = {"notice": notice_id, **body.model_dump(mode="json", exclude_unset=True)}
    result = _line(request).respond(
        credential.party_id,
        notice_id,
        body.response,
        body.reason,
        body.text,
        idempotency,
        _signed(payload, signature),
    )
    _committed(request)
    return result.document()


@router.post(
    "/notices/{notice_id}/replies",
    status_code=201,
    summary="Add free text to a notice's thread",
    **ANSWERED,
)
def reply(
    request: Request,
    notice_id: NoticeId,
    body: ReplyBody,
    credential: Duty,
    key: IdempotencyKey = None,
    signature: Signature = None,
) -> dict[str, Any]:
    idempotency = Idempotency.of(key, "reply", notice_id, body.text)
    signed = _signed({"notice": notice_id, "text": body.text}, signature)
    result = _line(request).reply(credential.party_id, notice_id, body.text, idempotency, signed)
    _committed(request)
    return result.document()


@router.get(
    "/parties",
    summary="The parties on the line and their duty contacts",
    **answered(schemas.Parties, 401),
)
def parties(request: Request, credential: Duty) -> dict[str, Any]:
    return {
        "parties": [
            {"id": p.id, "name": p.name, "language": p.language, "contact": p.contact}
            for p in _line(request).store.parties()
        ]
    }


@router.put(
    "/me/key",
    summary="Register or rotate your party's public signing key (admin)",
    **answered(schemas.PartyKey, 401, 403, 413, 422),
)
def register_key(request: Request, body: KeyBody, credential: Admin) -> dict[str, Any]:
    raw = decode_base64(body.public_key)
    if raw is None or len(raw) != 32:
        raise InvalidFeature(
            "public_key must be base64 of a raw 32-byte Ed25519 key",
            field="public_key",
            value=body.public_key,
        )
    _line(request).store.set_party_key(credential.party_id, body.public_key, _line(request).clock())
    return {"party": credential.party_id, "public_key": body.public_key}


class TokenBody(BaseModel):
    """A new token for your own party, with its role."""

    role: Role = Field(description="duty (reads and answers), planner (also declares), admin.")


@router.post(
    "/me/tokens",
    status_code=201,
    summary="Issue a token for your party (admin)",
    **answered(schemas.TokenIssued, 401, 403, 413, 422, status=201),
)
def issue_party_token(request: Request, body: TokenBody, credential: Admin) -> dict[str, Any]:
    """The token is in this answer only: the line keeps its hash."""
    token = issue_token(
        _party_store(request), credential.party_id, body.role, _line(request).clock()
    )
    return {
        "party": credential.party_id,
        "token_id": token_id_of(token),
        "role": body.role.value,
        "token": token,
    }


TokenId = Annotated[str, Path(description="The token's id: the part after `dcf_` up to `_`.")]


@router.delete(
    "/me/tokens/{token_id}",
    summary="Revoke one of your party's tokens (admin)",
    status_code=200,
    **answered(schemas.TokenRevoked, 401, 403, 404, 422),
)
def revoke_party_token(request: Request, token_id: TokenId, credential: Admin) -> dict[str, Any]:
    """Only your own party's live tokens: another party's token id is no such token."""
    revoke(_party_store(request), credential.party_id, token_id, _line(request).clock())
    return {"party": credential.party_id, "token_id": token_id, "revoked": True}


@router.get("/me", summary="Who your token speaks for", **answered(schemas.Me, 401))
def me(request: Request, credential: Duty) -> dict[str, Any]:
    party = _line(request).store.party(credential.party_id)
    assert party is not None
    return {
        "party": party.id,
        "name": party.name,
        "language": party.language,
        "role": credential.role.value,
    }


TypedText = Annotated[str, Query(min_length=1, max_length=200, description="As a person typed it.")]


@router.get(
    "/position",
    summary="Read a typed position: decimal degrees, DMS or MGRS",
    **answered(schemas.TypedPosition, 401, 422),
)
def read_position(text: TypedText, credential: Duty) -> dict[str, Any]:
    """What the line understands by a typed position, in every form (422 if unreadable)."""
    position = parse_position(text)
    return {
        "text": text,
        "lon_deg": position.lon_deg,
        "lat_deg": position.lat_deg,
        "dms": format_dms(position),
        "mgrs": format_mgrs(position),
    }


@router.get(
    "/time",
    summary="Read a typed time: ISO 8601 with an offset, a DTG, or now+2h",
    **answered(schemas.TypedTime, 401, 422),
)
def read_time(request: Request, text: TypedText, credential: Duty) -> dict[str, Any]:
    """The time in UTC as ISO 8601 and as a DTG (four-digit year outside 2000-2099); 422 if
    unreadable or outside 1970-2199.

    A time from now (`now+2h`) counts from the server's clock.
    """
    moment = parse_moment(text, _line(request).clock())
    dtg = format_dtg(moment)
    return {"text": text, "iso": format_time(moment), "dtg": dtg}


@router.get(
    "/events",
    summary="Live events (server-sent events); resume with Last-Event-ID",
    response_class=StreamingResponse,
    **answered(
        None,
        401,
        422,
        content={"text/event-stream": {"itemSchema": schemas.EVENT}},
        description="Events as they are committed, each with its `id`, its kind (`event`) and "
        "its JSON `data`; a keep-alive comment every 15 s.",
    ),
)
def events(
    request: Request,
    credential: Duty,
    after: Annotated[int | None, Query(ge=0, le=LAST_EVENT_ID)] = None,
) -> StreamingResponse:
    body = stream(request, hub_of(request.app), credential.party_id, start_after(request, after))
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
