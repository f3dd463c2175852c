"""Exports: what a party may see on the line, in the formats its other tools read.

`GET /v1/export/{format}` writes the features `GET /v1/features` lists (yours,
activities, shared zones; never another party's `contact` zone) as KML, site
CSV, CoT XML, a USMTF ACO, NOTAM-style text or GeoJSON. `GET
/v1/parties/{party}/features/{id}/notam` (or `/v1/features/{id}/notam`) renders one activity
for the people who brief pilots.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from deconflict.api.routes import Duty, FeatureId, PartyId
from deconflict.api.schemas import TEXT, answered, body_of
from deconflict.errors import InvalidFeature
from deconflict.formats.notam import notam_text
from deconflict.formats.registry import MEDIA_TYPES, WRITERS
from deconflict.line.model import Share
from deconflict.line.service import Line

exports_router = APIRouter(prefix="/v1", tags=["exports"])

ExportFormat = Literal["geojson", "kml", "csv", "cot", "aco", "notam"]
NOTAM = MEDIA_TYPES["notam"]
_SUFFIX = {"geojson": "geojson", "kml": "kml", "csv": "csv", "cot": "xml", "aco": "txt"}


@exports_router.get(
    "/export/{file_format}",
    response_class=Response,
    summary="What you may see, as KML, site CSV, CoT, a USMTF ACO, NOTAM text or GeoJSON",
    **answered(
        None,
        401,
        422,
        content={
            media: body_of("Plan") if media == MEDIA_TYPES["geojson"] else TEXT
            for media in MEDIA_TYPES.values()
        },
        description="A file in the format asked for (Content-Disposition names it).",
    ),
)
def export(
    request: Request,
    credential: Duty,
    file_format: Annotated[ExportFormat, Path(description="The format to write.")],
    mine: Annotated[bool, Query(description="Only your own party's features.")] = False,
    ended: Annotated[
        Literal["exclude", "include"],
        Query(description="`include` keeps features whose last occurrence has ended."),
    ] = "exclude",
) -> Response:
    line: Line = request.app.state.line
    features = [
        declared.feature
        for declared in line.visible(credential.party_id, include_ended=ended == "include")
        if not mine or declared.feature.party == credential.party_id
    ]
    names = {party.id: party.name for party in line.store.parties()}
    text = WRITERS[file_format](features, names)
    filename = f"deconflict-{credential.party_id}.{_SUFFIX.get(file_format, 'txt')}"
    return Response(
        text,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


Fir = Annotated[str, Query(description="The FIR's four-letter ICAO code.")]
NotamNumber = Annotated[str | None, Query(description="Series, number and year, e.g. A0042/26.")]


@exports_router.get(
    "/features/{feature_id}/notam",
    response_class=Response,
    summary="One activity as NOTAM-style text: yours, else the one of that id you may see",
    **answered(None, 401, 404, 409, 422, content={NOTAM: TEXT}, description="The NOTAM."),
)
def notam(
    request: Request,
    credential: Duty,
    feature_id: FeatureId,
    fir: Fir = "XXXX",
    number: NotamNumber = None,
) -> Response:
    line: Line = request.app.state.line
    owner = line.owner_of(credential.party_id, feature_id)
    return _notam(line, credential.party_id, owner, feature_id, fir, number)


@exports_router.get(
    "/parties/{party}/features/{feature_id}/notam",
    response_class=Response,
    summary="One party's activity as NOTAM-style text (ICAO-like Q-line and items A-G)",
    **answered(None, 401, 404, 422, content={NOTAM: TEXT}, description="The NOTAM."),
)
def party_notam(
    request: Request,
    credential: Duty,
    party: PartyId,
    feature_id: FeatureId,
    fir: Fir = "XXXX",
    number: NotamNumber = None,
) -> Response:
    line: Line = request.app.state.line
    return _notam(line, credential.party_id, party, feature_id, fir, number)


def _notam(
    line: Line, reader: str, party: str, feature_id: str, fir: str, number: str | None
) -> Response:
    declared = line.history_seen(reader, party, feature_id)[-1][2]
    if declared.share is Share.CONTACT:
        raise InvalidFeature(
            "this zone is shared only as a contact; a NOTAM would show its shape to everyone",
            feature_id=feature_id,
            field="share",
            value=declared.share.value,
        )
    names = {party.id: party.name for party in line.store.parties()}
    text = notam_text(declared.feature, names, number=number, fir=fir)
    return Response(text + "\n", media_type=NOTAM)
