"""Notices, conflicts and features as one party may see them, rendered in its language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from deconflict.geo.construct import outline
from deconflict.geo.geojson import shape_to_geojson
from deconflict.geo.shapes import Orbit, Sector, Track
from deconflict.i18n.dtg import format_dtg
from deconflict.i18n.messages import LANGUAGES, UFN, WITHHELD, render, render_free_text
from deconflict.line.model import ConflictView, Declared, Message, Notice, Share
from deconflict.line.parties import Party
from deconflict.line.results import (
    AltitudeSeen,
    ConflictSeen,
    JsonObject,
    MessageSeen,
    NoticeSeen,
    OccurrencesSeen,
    WindowSeen,
)
from deconflict.rules.altitude import AltitudeMeet
from deconflict.rules.conflicts import Conflict
from deconflict.rules.feature import Feature
from deconflict.rules.plan import feature_to_geojson, format_time
from deconflict.rules.schedule import Overlaps


@lru_cache(maxsize=4096)
def when(moment: datetime | None) -> str:
    """A time as people on the line read it: DTG, then ISO ("until further notice" for None).

    Kept for the times asked again (a notice's window and deadline, in its message, its
    event and its answer): writing one costs about 10 µs, a notification asks for several.
    """
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

    A `contact` zone of another party shows only its party and published contact
    (`see_conflict` drops the rest): no id, no shape, no distance, no window.
    """
    owner = other.feature.party
    hidden = owner != reader and other.share is Share.CONTACT
    mine = other_id(conflict, other.feature.id)
    if hidden:
        party = parties.get(owner)
        return ConflictView(
            owner,
            conflict.window.start,
            conflict.window.end,
            feature_id=mine,
            contact=party.contact if party else None,
            occurrences=conflict.occurrences,
            altitude=conflict.altitude,
        )
    return ConflictView(
        owner,
        conflict.window.start,
        conflict.window.end,
        feature_id=mine,
        other_id=other.feature.id,
        distance_m=round(conflict.distance_m, 3),
        occurrences=conflict.occurrences,
        altitude=conflict.altitude,
    )


def other_id(conflict: Conflict, known: str) -> str:
    """The id of the feature in a conflict that is not the one with id `known`.

    The two belong to different parties, and ids are per party: both may have the same id.
    """
    first, second = conflict.ids
    return second if first == known else first


def see_conflict(view: ConflictView) -> ConflictSeen:
    """A conflict view as it is shown.

    A `contact` zone of another party (no `other_id`) is shown only as a
    protected zone of its party with the party's published contact: no window,
    occurrences or altitude, which would tell when and how high the zone is.
    """
    if view.other_id is None:
        return ConflictSeen(view.party, view.feature_id, None, None, contact=view.contact)
    return ConflictSeen(
        view.party,
        view.feature_id,
        iso(view.start),
        iso(view.end),
        against=view.other_id,
        distance_m=view.distance_m,
        occurrences=None if view.occurrences is None else see_occurrences(view.occurrences),
        altitude=None if view.altitude is None else see_altitude(view.altitude),
    )


def see_altitude(meet: AltitudeMeet) -> AltitudeSeen:
    """How mixed datums were compared: which datums, and how far the bands were widened."""
    return AltitudeSeen(tuple(meet.datums), meet.widened_m)


def see_occurrences(found: Overlaps) -> OccurrencesSeen:
    """Where two features meet: the first occurrences, and how many (None: until further notice)."""
    windows = tuple(WindowSeen(iso(w.start), iso(w.end)) for w in found.windows)
    return OccurrencesSeen(windows, found.total)


def altitude_json(meet: AltitudeMeet) -> JsonObject:
    """`see_altitude` as JSON."""
    return see_altitude(meet).document()


def occurrences_json(found: Overlaps) -> JsonObject:
    """`see_occurrences` as JSON."""
    return see_occurrences(found).document()


PRIVATE = "private"
"""Marks a conflict warning that names the recipient's own `contact` zone."""

ZONE_PARAMS = ("start", "end", "count", "occurrences", "datums", "widened_m")
"""A private warning's parameters that tell when or how high the `contact` zone is."""


def shown_params(message: Message, owner_reads: bool) -> dict[str, str]:
    """A message's parameters as the reader may see them (a private target hidden from others:
    its name, distance, window, occurrences and altitude datums)."""
    params = {k: v for k, v in message.params.items() if k != PRIVATE}
    if message.params.get(PRIVATE) and not owner_reads:
        params.update(target=WITHHELD, distance_km="—")
        params.update({k: WITHHELD for k in ZONE_PARAMS if k in params})
    return params


def see_message(message: Message, language: str, owner_reads: bool = True) -> MessageSeen:
    """One message of a thread, rendered in `language`, its free text marked as such."""
    params = shown_params(message, owner_reads)
    texts = {lang: render(message.code, params, lang) for lang in LANGUAGES}
    return MessageSeen(
        message.id,
        message.code.value,
        message.sender,
        iso(message.at),
        params,
        texts[language] if language in texts else render(message.code, params, language),
        render_free_text(message.text, language) if message.text else None,
        texts,
        message.text or None,
    )


def see_notice(notice: Notice, reader: Party) -> NoticeSeen:
    """A notice as its sender or recipient sees it, in the reader's language."""
    hidden = notice.withheld and reader.id != notice.sender
    owner = reader.id == notice.recipient
    return NoticeSeen(
        notice.id,
        None if hidden else notice.feature_id,
        None if hidden else notice.feature_version,
        notice.sender,
        notice.recipient,
        notice.priority,
        notice.state.value,
        iso(notice.sent_at),
        iso(notice.respond_by),
        notice.overdue_at is not None,
        iso(notice.overdue_at),
        notice.response.value if notice.response else None,
        tuple(see_conflict(c if owner else c.for_others()) for c in notice.conflicts),
        tuple(see_message(m, reader.language, owner) for m in notice.messages),
    )


def drawable(feature: Feature) -> dict[str, Any]:
    """A feature as a GeoJSON Feature for maps: a sector, orbit or track also as the polygons of
    its `outline` (read-only; the plan format ignores it)."""
    document = feature_to_geojson(feature)
    if isinstance(feature.shape, (Sector, Orbit, Track)):
        document["properties"]["outline"] = shape_to_geojson(outline(feature.shape))[0]
    return document


def feature_view(declared: Declared) -> dict[str, Any]:
    """A declared feature as a GeoJSON Feature, with its version, share level and state."""
    document = drawable(declared.feature)
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


Version = tuple[str, datetime, Declared]
"""One version of a feature as its history keeps it: the change, when, and the version."""


def version_view(reader: str, version: Version) -> dict[str, Any]:
    """One version of a feature's history: in full, or withheld if `reader` could not see it."""
    change, at, declared = version
    shown = may_see(reader, declared)
    return {
        "version": declared.version,
        "change": change,
        "at": iso(at),
        "share": declared.share.value,
        "withheld": not shown,
        "feature": feature_view(declared) if shown else None,
    }
