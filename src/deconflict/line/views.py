"""Notices, conflicts and features as one party may see them, rendered in its language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deconflict.geo.construct import outline
from deconflict.geo.geojson import shape_to_geojson
from deconflict.geo.shapes import Orbit, Sector, Track
from deconflict.i18n.dtg import format_dtg
from deconflict.i18n.messages import UFN, WITHHELD, render, render_free_text
from deconflict.line.model import ConflictView, Declared, Message, Notice, Share
from deconflict.line.parties import Party
from deconflict.rules.altitude import AltitudeMeet
from deconflict.rules.conflicts import Conflict
from deconflict.rules.plan import feature_to_geojson, format_time
from deconflict.rules.schedule import Overlaps


def when(moment: datetime | None) -> str:
    """A time as people on the line read it: DTG, then ISO ("until further notice" for None)."""
    if moment is None:
        return UFN
    return f"{format_dtg(moment)} ({format_time(moment.replace(microsecond=0))})"


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with Z, or None."""
    return format_time(moment) if moment is not None else None


def conflict_for(
    reader: str, conflict: Conflict, other: Declared, parties: Mapping[str, Party]
) -> ConflictView:
    """What `reader` may know of a conflict with `other` (another party's feature).

    A `contact` zone of another party shows only its party, duty contact and
    the overlapping window: no id, no shape, no distance (which would locate it).
    """
    owner = other.feature.party
    hidden = owner != reader and other.share is Share.CONTACT
    mine = [i for i in conflict.ids if i != other.feature.id]
    if hidden:
        party = parties.get(owner)
        return ConflictView(
            owner,
            conflict.window.start,
            conflict.window.end,
            feature_id=mine[0] if mine else None,
            contact=party.contact if party else None,
            occurrences=conflict.occurrences,
            altitude=conflict.altitude,
        )
    return ConflictView(
        owner,
        conflict.window.start,
        conflict.window.end,
        feature_id=mine[0] if mine else None,
        other_id=other.feature.id,
        distance_m=round(conflict.distance_m, 3),
        occurrences=conflict.occurrences,
        altitude=conflict.altitude,
    )


def conflict_view(view: ConflictView) -> dict[str, Any]:
    """A conflict view as JSON."""
    body: dict[str, Any] = {
        "party": view.party,
        "feature": view.feature_id,
        "start": iso(view.start),
        "end": iso(view.end),
    }
    if view.other_id is not None:
        body["against"] = view.other_id
        body["distance_m"] = view.distance_m
    else:
        body["contact"] = view.contact
        body["shape_withheld"] = True
    if view.occurrences is not None:
        body["occurrences"] = occurrences_json(view.occurrences)
    if view.altitude is not None:
        body["altitude"] = altitude_json(view.altitude)
    return body


def altitude_json(meet: AltitudeMeet) -> dict[str, Any]:
    """How mixed datums were compared: which datums, and how far the bands were widened."""
    return {"datums": list(meet.datums), "widened_m": meet.widened_m}


def occurrences_json(found: Overlaps) -> dict[str, Any]:
    """Where two features meet: the first occurrences, and how many (None: until further notice)."""
    return {
        "windows": [{"start": iso(w.start), "end": iso(w.end)} for w in found.windows],
        "total": found.total,
    }


PRIVATE = "private"
"""Marks a conflict warning that names the recipient's own `contact` zone."""


def shown_params(message: Message, owner_reads: bool) -> dict[str, str]:
    """A message's parameters as the reader may see them (a private target hidden from others)."""
    params = {k: v for k, v in message.params.items() if k != PRIVATE}
    if message.params.get(PRIVATE) and not owner_reads:
        params.update(target=WITHHELD, distance_km="—")
    return params


def message_view(message: Message, language: str, owner_reads: bool = True) -> dict[str, Any]:
    """One message of a thread, rendered in `language`, its free text marked as such."""
    params = shown_params(message, owner_reads)
    return {
        "id": message.id,
        "code": message.code.value,
        "sender": message.sender,
        "at": iso(message.at),
        "params": params,
        "text": render(message.code, params, language),
        "free_text": render_free_text(message.text, language) if message.text else None,
    }


def notice_view(notice: Notice, reader: Party) -> dict[str, Any]:
    """A notice as its sender or recipient sees it, in the reader's language."""
    hidden = notice.withheld and reader.id != notice.sender
    owner = reader.id == notice.recipient
    return {
        "id": notice.id,
        "feature": None if hidden else notice.feature_id,
        "version": None if hidden else notice.feature_version,
        "sender": notice.sender,
        "recipient": notice.recipient,
        "priority": notice.priority,
        "state": notice.state.value,
        "sent_at": iso(notice.sent_at),
        "respond_by": iso(notice.respond_by),
        "overdue": notice.overdue_at is not None,
        "overdue_at": iso(notice.overdue_at),
        "response": notice.response.value if notice.response else None,
        "conflicts": [conflict_view(c if owner else c.for_others()) for c in notice.conflicts],
        "thread": [message_view(m, reader.language, owner) for m in notice.messages],
    }


def feature_view(declared: Declared) -> dict[str, Any]:
    """A declared feature as a GeoJSON Feature, with its version, share level and state."""
    document = feature_to_geojson(declared.feature)
    shape = declared.feature.shape
    if isinstance(shape, (Sector, Orbit, Track)):
        # For maps: the shape as polygons (read-only; the plan format ignores it).
        document["properties"]["outline"] = shape_to_geojson(outline(shape))[0]
    document["properties"].update(
        version=declared.version,
        share=declared.share.value,
        cancelled_at=iso(declared.cancelled_at),
        closed_at=iso(declared.closed_at),
    )
    return document


def may_see(reader: str, declared: Declared) -> bool:
    """Own features, other parties' activities, and zones shared at `shape` level."""
    return declared.feature.party == reader or declared.share is Share.SHAPE
