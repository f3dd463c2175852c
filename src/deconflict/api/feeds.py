"""Feeds for other systems: the features a party may see, as Cursor on Target for TAK.

A TAK client, or a gateway in front of a TAK server, polls `GET /v1/cot` with a bearer
token and draws what it gets. Events of features without an end go stale a day after the
poll (`formats.cot`), so polling every few minutes keeps them drawn and a feature the line
no longer lists fades within a day.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from deconflict.api.routes import Duty
from deconflict.api.schemas import TEXT, answered
from deconflict.formats.cot import write_cot
from deconflict.line.service import Line

feeds_router = APIRouter(prefix="/v1", tags=["feeds"])

Ended = Annotated[
    Literal["exclude", "include"],
    Query(description="Features whose last occurrence has ended are left out unless `include`."),
]


@feeds_router.get(
    "/cot",
    response_class=Response,
    **answered(None, 401, 422, content={"application/xml": TEXT}, description="CoT `<events>`"),
    summary="Features you may see, as Cursor on Target events for TAK",
)
def cot_feed(request: Request, credential: Duty, ended: Ended = "exclude") -> Response:
    """Your features and those you may see (as `GET /v1/features`), as a CoT `<events>` document."""
    line: Line = request.app.state.line
    now = line.clock()
    visible = line.visible(credential.party_id, include_ended=ended == "include")
    features = [declared.feature for declared in visible]
    names = {party.id: party.name for party in line.store.parties()}
    return Response(write_cot(features, names, now), media_type="application/xml")
