"""The API's answers as OpenAPI documents them: GeoJSON features, notices, receipts, the record.

These models describe the bodies the routes send; they are not used to build
them (the line's `document()` methods and views do that), so the wire format
is exactly what the line renders and the documents here are checked against
it by the test suite's schemathesis run. Fixed shapes forbid unknown keys, so
a key the line starts to send is documented before that run passes again.
"""

from __future__ import annotations

from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.problems import COMPONENTS, refusals
from deconflict.geo.shapes import Side
from deconflict.i18n.messages import MessageCode
from deconflict.line.model import NoticeState, ResponseKind, Share
from deconflict.line.parties import Role
from deconflict.rules.altitude import Datum
from deconflict.rules.feature import Kind
from deconflict.rules.schedule import Every


class Answer(BaseModel):
    """A JSON object of a fixed shape: no keys beyond those documented."""

    model_config = ConfigDict(extra="forbid")


Longitude = Annotated[float, Field(ge=-180, le=180, description="Degrees east.")]
Latitude = Annotated[float, Field(ge=-90, le=90, description="Degrees north.")]
Position = tuple[Longitude, Latitude]
"""A GeoJSON position as the line writes it: [lon, lat] (RFC 7946 order)."""


class Point(Answer):
    """A point: the centre of a circle (`radius_m`) or of a sector (`sector`)."""

    type: Literal["Point"]
    coordinates: Position


class LineString(Answer):
    """A path: a corridor (`half_width_m`), a track (`track`) or an orbit's two points (`orbit`)."""

    type: Literal["LineString"]
    coordinates: list[Position]


class Polygon(Answer):
    """An area: its outer ring, then its holes."""

    type: Literal["Polygon"]
    coordinates: list[list[Position]]


class MultiPolygon(Answer):
    """Several areas, each a polygon's rings."""

    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


Geometry = Annotated[Point | LineString | Polygon | MultiPolygon, Field(discriminator="type")]
Area = Annotated[Polygon | MultiPolygon, Field(discriminator="type")]


class AltitudeBand(Answer):
    """A feature's altitude band in metres in its datum (a bound None: unbounded that way)."""

    lower_m: float | None
    upper_m: float | None
    datum: Datum
    upper_datum: Datum | None = Field(
        default=None, description="The upper bound's datum, when it differs from `datum`."
    )
    ground_m: tuple[float, float] | None = Field(
        default=None, description="The ground's [lowest, highest] metres above sea level beneath."
    )


class Repeat(Answer):
    """A feature's recurrence: every `interval` days, weeks or hours, `until` a time or UFN."""

    every: Every
    interval: int = Field(ge=1, le=366)
    on: list[str] | None = Field(default=None, description="Weekdays: mon, tue, ... sun.")
    until: str = Field(description='ISO 8601 UTC, or "UFN" (until further notice).')


class SectorExtent(Answer):
    """A sector around its Point: outer and inner radius, from and to bearings."""

    outer_m: float
    inner_m: float
    from_deg: float
    to_deg: float


class OrbitExtent(Answer):
    """An orbit (racetrack) along its two points: its width and where it lies."""

    width_m: float
    side: Side


class TrackExtent(Answer):
    """A track along its path: how far it reaches on each side."""

    left_m: float
    right_m: float


class PlanProperties(BaseModel):
    """A feature's properties in the plan format, with the party's own extra properties as given.

    The shape's extent is one of `radius_m` (Point), `half_width_m` (LineString),
    `sector`, `orbit` or `track`; a Polygon or MultiPolygon has none.
    """

    model_config = ConfigDict(extra="allow")
    kind: Kind
    party: str
    start: datetime
    end: datetime | None = Field(description="None: until further notice.")
    buffer_m: float
    radius_m: float | None = None
    half_width_m: float | None = None
    sector: SectorExtent | None = None
    orbit: OrbitExtent | None = None
    track: TrackExtent | None = None
    altitude: AltitudeBand | None = Field(default=None, description="Absent: unbounded.")
    repeat: Repeat | None = None
    name: str | None = None
    activity: str | None = None
    outline: Area | None = Field(
        default=None, description="A sector, orbit or track drawn as an area (read only)."
    )


class FeatureProperties(PlanProperties):
    """A declared feature's properties: the plan's, with its version, share level and state."""

    version: int = Field(ge=1)
    share: Share
    cancelled_at: datetime | None
    closed_at: datetime | None


class Feature(Answer):
    """A zone or activity as a GeoJSON Feature (RFC 7946), with its version and state."""

    type: Literal["Feature"]
    id: str
    geometry: Geometry
    properties: FeatureProperties


class PlannedFeature(Answer):
    """A feature in the plan format (what `deconflict check` reads), as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: str
    geometry: Geometry
    properties: PlanProperties


class Plan(Answer):
    """Features in the plan format, as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"]
    features: list[PlannedFeature]


class FeatureCollection(Answer):
    """The features a party may see."""

    type: Literal["FeatureCollection"]
    features: list[Feature]


class FeatureVersion(Answer):
    """One version of a feature's history; `feature` None when the reader may not see it."""

    version: int = Field(ge=1)
    change: str = Field(description="declared, amended, cancelled or closed.")
    at: datetime | None
    share: Share
    withheld: bool
    feature: Feature | None


class FeatureHistory(Answer):
    """A feature as it stands, and every version of it."""

    feature: Feature
    history: list[FeatureVersion]


class Window(Answer):
    """One time window, ISO 8601 UTC (end None: until further notice)."""

    start: datetime | None
    end: datetime | None


class Occurrences(Answer):
    """Where two repeating features meet: the first occurrences, and how many (None: UFN)."""

    windows: list[Window]
    total: int | None


class AltitudeMet(Answer):
    """How bands in different datums were compared: which datums, how far they were widened."""

    datums: list[str]
    widened_m: float


class ConflictWithFeature(Answer):
    """A conflict with a feature the reader may see: its id and the distance between the two."""

    party: str = Field(description="The other feature's party.")
    feature: str | None = Field(description="The reader's feature in the conflict.")
    start: datetime | None
    end: datetime | None
    against: str = Field(description="The other feature's id.")
    distance_m: float | None
    occurrences: Occurrences | None = None
    altitude: AltitudeMet | None = None


class ConflictWithContact(Answer):
    """A conflict with another party's `contact` zone: only its party and published contact."""

    party: str
    feature: str | None
    start: None
    end: None
    contact: str | None
    shape_withheld: Literal[True]


Conflict = ConflictWithFeature | ConflictWithContact


class Receipt(Answer):
    """Proof of the first record entry a step wrote: the leaf, its inclusion proof, and the
    signed checkpoint of the record it is included in (docs/record.md)."""

    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf: str = Field(description="The leaf's bytes, base64.")
    inclusion_proof: list[str] = Field(description="RFC 9162 hashes, base64.")
    checkpoint: str = Field(description="A C2SP checkpoint in a signed note.")


class NoticeSent(Answer):
    """A notice a declaration sent."""

    id: int
    recipient: str
    priority: bool
    respond_by: datetime | None


class Declaration(Answer):
    """A feature declared or amended: as stored, its conflicts as you may see them, the notices
    it sent and the receipt of its record entry."""

    feature: Feature
    conflicts: list[Conflict]
    notices: list[NoticeSent]
    receipt: Receipt | None = None


class Imported(Answer):
    """One feature of an import stored."""

    id: str
    conflicts: int = Field(ge=0)
    notices: int = Field(ge=0)


class RefusedFeature(Answer):
    """One feature of an import not stored (with `partial`): its place (from 0) and why."""

    index: int = Field(ge=0)
    id: str
    errors: list[str]


class Import(Answer):
    """An import: the features stored, and those refused."""

    imported: list[Imported]
    refused: list[RefusedFeature]
    receipt: Receipt | None = None


class Cancellation(Answer):
    """A feature cancelled: its new, cancelled version."""

    feature: Feature
    receipt: Receipt | None = None


class DryRun(Answer):
    """The conflicts a feature would have, as you would see them."""

    conflicts: list[Conflict]


class Valid(Answer):
    """The feature reads as a declaration would (`validate_only`)."""

    valid: Literal[True]


class ThreadMessage(Answer):
    """One message of a notice's thread, rendered in the reader's language."""

    id: int
    code: MessageCode
    sender: str
    at: datetime | None
    params: dict[str, str]
    text: str
    free_text: str | None = Field(description="Free text as its sender wrote it, marked as such.")
    texts: dict[str, str] = Field(
        default_factory=dict,
        description="The message rendered in each language the line speaks (en, ru, ar), from "
        "its code and params; `text` is the one in the reader's language.",
    )
    as_typed: str | None = Field(
        default=None,
        description="The free text exactly as its sender typed it, unmarked and untranslated.",
    )


class Notice(Answer):
    """A notice as its sender or recipient sees it (`feature` and `version` None when withheld)."""

    id: int
    feature: str | None
    version: int | None
    sender: str
    recipient: str
    priority: bool
    state: NoticeState
    sent_at: datetime | None
    respond_by: datetime | None
    overdue: bool
    overdue_at: datetime | None
    response: ResponseKind | None
    conflicts: list[Conflict]
    thread: list[ThreadMessage]


class Notices(Answer):
    """Notices, overdue first."""

    notices: list[Notice]


class NoticeAnswer(Answer):
    """A notice after a read, a response or a reply."""

    notice: Notice
    receipt: Receipt | None = None


class EscalatedNotice(Notice):
    """A notice escalated as overdue, with the contact it was escalated to."""

    escalation_contact: str


class Probe(Answer):
    """What a `contact` zone's owner is told of a dry run that met it."""

    at: datetime | None
    party: str = Field(description="The party that checked.")
    party_name: str
    zone: str
    zone_name: str | None
    feature: PlannedFeature = Field(description="The feature checked.")
    entry: int = Field(ge=0, description="The record entry that keeps the probe.")


class PartyListed(Answer):
    """A party on the line and its duty contact."""

    id: str
    name: str
    language: str
    contact: str | None


class Parties(Answer):
    """The parties on the line."""

    parties: list[PartyListed]


class Me(Answer):
    """Who a token speaks for."""

    party: str
    name: str
    language: str
    role: Role


class PartyKey(Answer):
    """A party's registered public signing key."""

    party: str
    public_key: str


class TokenIssued(Answer):
    """A new token: shown in this answer only."""

    party: str
    token_id: str
    role: Role
    token: str


class TokenRevoked(Answer):
    """A token revoked."""

    party: str
    token_id: str
    revoked: Literal[True]


class Destination(Answer):
    """Where a party's overdue notices go: a webhook (`url`, `signing`, `secret_hint`) or an
    e-mail address (`address`)."""

    id: int
    channel: Literal["webhook", "email"]
    url: str | None = None
    signing: Literal["hmac", "line-key"] | None = None
    secret_hint: str | None = Field(
        default=None, description="A webhook's HMAC secret: its first characters only."
    )
    address: str | None = None
    created_at: datetime | None


class Destinations(Answer):
    """A party's escalation destinations, oldest first."""

    destinations: list[Destination]


class DestinationAdded(Answer):
    """A destination added; `secret`: the HMAC secret the line made, shown in this answer only."""

    destination: Destination
    secret: str | None


class DestinationRemoved(Answer):
    """A destination removed."""

    destination: int
    removed: Literal[True]


class DeliveryAttempt(Answer):
    """One attempt at a delivery, as the record keeps it (`entry`)."""

    attempt: int = Field(ge=1)
    outcome: Literal["delivered", "failed", "given_up"]
    reason: str | None
    at: datetime | None
    next_attempt_at: datetime | None
    entry: int = Field(ge=0)


class Delivery(Answer):
    """A notice's escalation to one destination, and every attempt at it."""

    id: int
    notice: int
    destination: Destination
    state: Literal["pending", "delivered", "given_up"]
    queued_at: datetime | None
    attempts: list[DeliveryAttempt]


class DeliveryEvent(DeliveryAttempt):
    """An attempt at sending a notice's escalation beyond the line; `destination` and `to` only
    for the recipient, whose destination it is."""

    notice: int
    delivery: int
    channel: Literal["webhook", "email"]
    destination: int | None = None
    to: str | None = None


class Deliveries(Answer):
    """A party's escalation deliveries, newest first."""

    deliveries: list[Delivery]


class TypedPosition(Answer):
    """A typed position in every form the line reads."""

    text: str
    lon_deg: Longitude
    lat_deg: Latitude
    dms: str
    mgrs: str


class TypedTime(Answer):
    """A typed time in UTC: ISO 8601 and a DTG."""

    text: str
    iso: datetime
    dtg: str


class Opening(Answer):
    """The salt and value behind one commitment of a leaf."""

    commitment: str = Field(description="Hex SHA-256 of salt and value.")
    salt: str = Field(description="Base64 of 32 bytes.")
    value: Any


class LogEntry(Answer):
    """One leaf of the record: its bytes and hash (base64), its entry, and the openings of its
    sealed parts you may read with the entry as you read it (`opened`)."""

    index: int = Field(ge=0)
    leaf: str
    leaf_hash: str
    entry: dict[str, Any]
    openings: list[Opening] | None = None
    opened: dict[str, Any] | None = None


class LogEntries(Answer):
    """Entries [start, end) of a record of `tree_size` entries."""

    tree_size: int = Field(ge=0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    entries: list[LogEntry]


class InclusionProof(Answer):
    """RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves (hashes, base64)."""

    index: int = Field(ge=0)
    size: int = Field(ge=1)
    proof: list[str]


class ConsistencyProof(Answer):
    """RFC 9162 consistency proof between sizes `first` and `second` (hashes, base64)."""

    first: int = Field(ge=1)
    second: int = Field(ge=1)
    proof: list[str]


class WitnessStatus(Answer):
    """One of the line's witnesses, as this node last heard from it."""

    name: str = Field(description="The witness's name, as its cosignature lines carry it.")
    cosigned: bool = Field(description="Whether it cosigned the checkpoint the line serves now.")
    cosigned_size: int = Field(
        ge=0, description="The size of the last checkpoint it cosigned (0: none yet)."
    )
    cosigned_at: datetime | None = Field(
        description="When it cosigned that checkpoint, by its cosignature's time (null: none)."
    )
    behind_since: datetime | None = Field(
        description="Since when the record's head has been ahead of what it cosigned "
        "(null: it cosigned the head)."
    )
    lagging: bool = Field(description="Whether it has been behind for `witness_alert_s` or more.")
    error: str | None = Field(
        description="Why asking it last failed, until it next cosigns (null: it did not fail)."
    )


class Witnesses(Answer):
    """The line's witnesses and whether each cosigned the checkpoint served now (of `size`)."""

    size: int = Field(ge=0, description="The size of the checkpoint the line serves now.")
    alert_s: int = Field(ge=1, description="`witness_alert_s`: behind this long is lagging.")
    witnesses: list[WitnessStatus]


class EvidenceEntry(Answer):
    """One entry of a notice's thread: its leaf index, the leaf's bytes and its RFC 9162
    inclusion proof (base64) in the tree of the evidence's checkpoint, and the openings of its
    sealed parts you may read."""

    index: int = Field(ge=0)
    leaf: str
    proof: list[str]
    openings: list[Opening] | None = None


class Evidence(Answer):
    """A notice's evidence for an arbiter (docs/record.md, Evidence of a notice): every entry of
    its thread proven against one signed checkpoint, in leaf order."""

    format: Literal["deconflict-evidence/v1"]
    notice: int
    exported_by: str = Field(description="The party whose openings the file holds.")
    checkpoint: str = Field(
        description="The signed note the proofs verify against, with the cosignatures of the "
        "line's witnesses that cosigned exactly it."
    )
    entries: list[EvidenceEntry]


def answered(
    answer: type[BaseModel] | UnionType | None,
    *refused: int,
    status: int = 200,
    content: dict[str, dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """A route's documented answers, as keyword arguments of its decorator: `answer` (or the
    media types of `content`) with `status`, and a problem for each of `refused`.

    The route's own return value is sent as it is (`response_model=None`): the model documents
    the body, it does not rebuild it.
    """
    summary = answer.__doc__.split("\n")[0] if isinstance(answer, type) and answer.__doc__ else ""
    success: dict[str, Any] = {"description": description or summary}
    if answer is not None:
        success["model"] = answer
    if content:
        success["content"] = content
    if headers:
        success["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return {"response_model": None, "responses": {status: success, **refusals(*refused)}}


TEXT = {"schema": {"type": "string"}}
"""A media type's body that is text (KML, CSV, XML, a NOTAM...)."""


def body_of(component: str) -> dict[str, Any]:
    """A media type's body that is the JSON of `component`."""
    return {"schema": {"$ref": COMPONENTS + component}}


def _event(kinds: tuple[str, ...], component: str, meaning: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": meaning,
        "required": ["id", "event", "data"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9]+$", "description": "For Last-Event-ID."},
            "event": {"enum": list(kinds)},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": COMPONENTS + component},
            },
        },
    }


EVENT = {
    "oneOf": [
        _event(
            ("notice", "state", "response", "message"),
            "Notice",
            "A notice sent, delivered or read, answered or replied to, as the party sees it.",
        ),
        _event(("escalation",), "EscalatedNotice", "A notice escalated as overdue."),
        _event(("probe",), "Probe", "A dry run of another party met one of your contact zones."),
        _event(
            ("delivery",),
            "DeliveryEvent",
            "An overdue notice's escalation was sent beyond the line, or given up on.",
        ),
    ]
}
"""One server-sent event: its id, its kind and its JSON data."""

DOCUMENTED: tuple[type[BaseModel], ...] = (Plan, EscalatedNotice, Probe, DeliveryEvent)
"""Models that media types refer to by name, beyond those FastAPI finds in the routes."""
