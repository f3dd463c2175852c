"""Where a party's overdue notices go beyond the line, over HTTP: its admin's own business.

Every route names the party in its path and admits only an admin token of that
party: another party's admin, and every duty or planner token, is refused (403).
Each path answers one method (a second would need its own `Allow` on 405).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from deconflict.api import schemas
from deconflict.api.routes import Admin
from deconflict.api.schemas import answered
from deconflict.line.deliveries import Signing, email, webhook
from deconflict.line.escalation import (
    Escalations,
    add_destination,
    may_configure,
    remove_destination,
)
from deconflict.line.parties import Credential
from deconflict.store import Store

escalation_router = APIRouter(prefix="/v1/parties/{party}/escalation", tags=["escalation"])

Party = Annotated[str, Path(description="Your party's id.", max_length=64)]
DestinationId = Annotated[int, Path(description="The destination's number.")]


class WebhookBody(BaseModel):
    """A webhook: escalations are POSTed to it as JSON, signed (docs/deployment.md)."""

    channel: Literal["webhook"]
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="https, or http to a loopback host; no user or password in it.",
    )
    signing: Signing = Field(
        default=Signing.HMAC,
        description="`hmac`: with a secret shared with the receiver; `line-key`: with the "
        "line's Ed25519 key (GET /v1/log/key).",
    )
    secret: str | None = Field(
        default=None,
        max_length=200,
        description="For `hmac`: `whsec_` and base64 of 24 to 64 random bytes; left out, the "
        "line makes one and shows it in this answer only.",
    )


class EmailBody(BaseModel):
    """An e-mail address: escalations are mailed to it, in your party's language."""

    channel: Literal["email"]
    address: str = Field(min_length=3, max_length=254)


DestinationBody = Annotated[WebhookBody | EmailBody, Field(discriminator="channel")]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _own(credential: Credential, party: str) -> None:
    may_configure(credential.party_id, party)


@escalation_router.get(
    "",
    summary="Where your party's overdue notices go (admin)",
    **answered(schemas.Destinations, 401, 403, 422),
)
def list_destinations(request: Request, party: Party, credential: Admin) -> dict[str, Any]:
    """A webhook's secret shows only as its first characters."""
    _own(credential, party)
    return {"destinations": [d.document() for d in _store(request).destinations(party)]}


@escalation_router.post(
    "/destinations",
    status_code=201,
    summary="Send your party's overdue notices to a webhook or an e-mail address (admin)",
    **answered(schemas.DestinationAdded, 401, 403, 404, 413, 422, status=201),
)
def add(request: Request, party: Party, body: DestinationBody, credential: Admin) -> dict[str, Any]:
    """A secret the line made is in this answer only; one you gave is never shown back."""
    _own(credential, party)
    if isinstance(body, WebhookBody):
        destination = webhook(party, body.url, body.signing, body.secret)
    else:
        destination = email(party, body.address)
    stored = add_destination(_store(request), destination, request.app.state.line.clock())
    made = isinstance(body, WebhookBody) and body.signing is Signing.HMAC and body.secret is None
    return {"destination": stored.document(), "secret": stored.secret if made else None}


@escalation_router.delete(
    "/destinations/{destination}",
    summary="Stop sending your party's overdue notices to a destination (admin)",
    **answered(schemas.DestinationRemoved, 401, 403, 404, 422),
)
def remove(
    request: Request, party: Party, destination: DestinationId, credential: Admin
) -> dict[str, Any]:
    """Deliveries still queued for it are given up at their next try."""
    _own(credential, party)
    remove_destination(_store(request), party, destination, request.app.state.line.clock())
    return {"destination": destination, "removed": True}


@escalation_router.get(
    "/deliveries",
    summary="Your party's escalation deliveries and every attempt (admin)",
    **answered(schemas.Deliveries, 401, 403, 422),
)
def deliveries(
    request: Request,
    party: Party,
    credential: Admin,
    limit: Annotated[int, Query(ge=1, le=1000, description="The latest this many.")] = 200,
) -> dict[str, Any]:
    """Newest first; each attempt names the record entry that keeps it."""
    _own(credential, party)
    escalations: Escalations = request.app.state.escalations
    return {"deliveries": escalations.log(party, limit)}
