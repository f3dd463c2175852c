"""The DSS's rows (utm/, store/dss.py) against their `dss` entries, both ways.

Each DSS write is an entry of kind `dss` (utm/model.py, `entry`): who, what, and
the document kept, its OVN as its SHA-256 only; a report by its digest. Replayed
in order, the entries give each entity's row: its document, the subscription an
intent relies on, the box it is found by, and (for a subscription) how many
notifications it is owed, which follow from the intents and constraints written
where it lies while it was live; and each USS's availability.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from deconflict.store.audit_log import Finding, Opened, shortened
from deconflict.store.audit_tables import AVAILABILITY_COLUMNS, ENTITY_COLUMNS
from deconflict.utm.extents import Box, Extent, box, meet, read_extent, window
from deconflict.utm.model import Kind

NOWHERE: Box = (0.0,) * 10
"""The box a report is kept with (it is found by its id alone)."""
_NOTIFYING = {
    Kind.INTENT.value: "notify_for_operational_intents",
    Kind.CONSTRAINT.value: ("notify_for_constraints"),
}

EntityKey = tuple[str, str]
"""An entity: (kind, id)."""


@dataclass
class Kept:
    """An entity as its entries leave it: its latest `put` entry, and the notifications owed
    to it (a subscription) since it was made."""

    item: Opened
    notified: int = 0

    @property
    def document(self) -> dict[str, Any]:
        """The document as recorded: an OVN as `ovn_sha256`, a report as its `sha256`."""
        document: dict[str, Any] = self.item.entry.get("document") or {}
        return document

    @cached_property
    def extents(self) -> tuple[Extent, ...]:
        """Read once: a subscription's are met by every write after it."""
        return extents_of(self.document)

    @cached_property
    def box(self) -> Box:
        """The box the entity is found by (the DSS's candidates are those whose boxes meet)."""
        extents = self.extents
        return box(extents) if extents else NOWHERE

    @property
    def subscription_id(self) -> str | None:
        """The subscription column: an intent's, None for the other kinds."""
        if self.item.entry.get("entity") != Kind.INTENT.value:
            return None
        found = self.document.get("subscription_id")
        return str(found) if found is not None else None


@dataclass(frozen=True)
class Watching:
    """A subscription as a write's notifications need it: its box, what it is notified of
    (the flags of its document set), and when it ends."""

    kept: Kept
    box: Box
    flags: frozenset[str]
    end: datetime | None

    @classmethod
    def of(cls, kept: Kept) -> Watching:
        flags = frozenset(flag for flag in _NOTIFYING.values() if kept.document.get(flag))
        return cls(kept, kept.box, flags, window(kept.extents)[1])


@dataclass
class DssRecorded:
    """The DSS's rows the `dss` entries give; `complete` when gathered from the first entry on
    (else rows whose entries were not gathered cannot be compared, nor notifications counted,
    so they are not)."""

    complete: bool
    entities: dict[EntityKey, Kept] = field(default_factory=dict)
    deleted: dict[EntityKey, Opened] = field(default_factory=dict)
    subscriptions: dict[str, Watching] = field(default_factory=dict)
    """The subscriptions among the entities, by id, read for the notifications they are owed."""
    availability: dict[str, Opened] = field(default_factory=dict)


def gather_dss(entries: Sequence[Opened], complete: bool = True) -> DssRecorded:
    """Replay the `dss` entries in order (others skipped)."""
    recorded = DssRecorded(complete)
    for item in entries:
        entry = item.entry
        if entry.get("kind") != "dss" or "entity" not in entry:
            continue
        if entry["entity"] == "uss_availability":
            recorded.availability[str(entry["id"])] = item
            continue
        key = (str(entry["entity"]), str(entry["id"]))
        old = recorded.entities.pop(key, None)
        if entry["entity"] in _NOTIFYING and complete:
            _notify(recorded, entry, old)
        if entry.get("change") == "put":
            recorded.entities[key] = Kept(item, old.notified if old else 0)
            recorded.deleted.pop(key, None)
        else:
            recorded.deleted[key] = item
        if key[0] == Kind.SUBSCRIPTION.value:
            recorded.subscriptions.pop(key[1], None)
            if key in recorded.entities:
                recorded.subscriptions[key[1]] = Watching.of(recorded.entities[key])
    return recorded


def _notify(recorded: DssRecorded, entry: dict[str, Any], old: Kept | None) -> None:
    """Owe one more notification to each live subscription the write meets, where the entity
    is and where it was (as utm/service.py does, at the moment of the entry)."""
    made = extents_of(entry.get("document") or {}) if entry.get("change") == "put" else ()
    changed = made + (old.extents if old else ())
    if not changed:
        return
    at = datetime.fromisoformat(str(entry["at"]))
    flag = _NOTIFYING[str(entry["entity"])]
    t0, t1, alt0, alt1, x0, x1, y0, y1, z0, z1 = box(changed)
    for watching in recorded.subscriptions.values():
        # Candidates as the stores find them: boxes meet, each low end at most the other's
        # high end on every axis (written out: this runs for each subscription at each write).
        b = watching.box
        if (
            flag not in watching.flags
            or b[0] > t1
            or b[1] < t0
            or b[2] > alt1
            or b[3] < alt0
            or b[4] > x1
            or b[5] < x0
            or b[6] > y1
            or b[7] < y0
            or b[8] > z1
            or b[9] < z0
        ):
            continue
        live = watching.end is not None and watching.end >= at
        if live and meet(watching.kept.extents, changed):
            watching.kept.notified += 1


def extents_of(document: dict[str, Any]) -> tuple[Extent, ...]:
    """The extents a recorded or stored document gives (none for a report)."""
    return tuple(read_extent(d, "stored") for d in document.get("extents", []))


def check_dss(
    entities: list[tuple[Any, ...]], availability: list[tuple[Any, ...]], recorded: DssRecorded
) -> list[Finding]:
    """Every DSS row against the record, and every recorded row against the tables."""
    return [*_entities(entities, recorded), *_availability(availability, recorded)]


def dss_label(item: Opened) -> str:
    """A `dss` entry as a finding names it."""
    entry = item.entry
    about = f"{entry.get('entity')} {entry.get('id')} of {entry.get('uss')}, {entry.get('change')}"
    return f"entry {item.index} (dss: {about})"


def as_recorded(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """A stored document as its entry records it: an OVN by its SHA-256, a report by the
    SHA-256 of its text."""
    if kind == Kind.REPORT.value:
        text = json.dumps(document.get("report"), sort_keys=True)
        return {"sha256": hashlib.sha256(text.encode()).hexdigest()}
    found = {k: v for k, v in document.items() if k != "ovn"}
    if "ovn" in document:
        found["ovn_sha256"] = hashlib.sha256(str(document["ovn"]).encode()).hexdigest()
    return found


def _entities(rows: list[tuple[Any, ...]], recorded: DssRecorded) -> Iterator[Finding]:
    seen = set()
    for stored in rows:
        row = dict(zip(ENTITY_COLUMNS, stored, strict=True))
        key = (str(row["kind"]), str(row["id"]))
        seen.add(key)
        where = f"table utm_entity, kind {key[0]}, id {key[1]}"
        kept = recorded.entities.get(key)
        if kept is None:
            gone = recorded.deleted.get(key)
            if gone is not None:
                yield Finding(dss_label(gone), where, "a row of an entity the record deleted")
            elif recorded.complete:
                yield Finding(
                    f"no entry records {key[0]} {key[1]}", where, "a row without its entry"
                )
            continue
        yield from _entity(row, kept, where, recorded.complete)
    for key, kept in recorded.entities.items():
        if key not in seen:
            yield Finding(
                dss_label(kept.item), f"table utm_entity, kind {key[0]}, id {key[1]}", "no row"
            )


def _entity(row: dict[str, Any], kept: Kept, where: str, complete: bool) -> Iterator[Finding]:
    """One entity's row against its latest entry: the document (with who manages it), the
    subscription it relies on, its box and the notifications owed to it."""
    label = dss_label(kept.item)
    try:
        held_document = as_recorded(row["kind"], json.loads(row["document"]))
    except (ValueError, AttributeError):
        yield Finding(label, f"{where}, column document", "not a JSON object")
        return
    wanted_document = kept.document
    for name in sorted(held_document.keys() | wanted_document.keys()):
        held, wanted = held_document.get(name), wanted_document.get(name)
        if held != wanted:
            yield _differs(label, f"{where}, column document, field {name}", held, wanted)
    manager = json.loads(row["document"]).get("manager")
    if row["kind"] == Kind.REPORT.value and manager != kept.item.entry.get("uss"):
        yield _differs(
            label, f"{where}, column document, field manager", manager, kept.item.entry.get("uss")
        )
    if row["subscription_id"] != kept.subscription_id:
        yield _differs(
            label, f"{where}, column subscription_id", row["subscription_id"], kept.subscription_id
        )
    held_box = tuple(float(row[c]) for c in ENTITY_COLUMNS[5:])
    if held_box != kept.box:
        yield Finding(
            label,
            f"{where}, columns t0 to z1",
            f"the box {shortened(held_box)} is not the recorded extents' {shortened(kept.box)}",
        )
    if complete and row["kind"] == Kind.SUBSCRIPTION.value and row["notified"] != kept.notified:
        yield _differs(label, f"{where}, column notified", row["notified"], kept.notified)


def _availability(rows: list[tuple[Any, ...]], recorded: DssRecorded) -> Iterator[Finding]:
    seen = set()
    for stored in rows:
        row = dict(zip(AVAILABILITY_COLUMNS, stored, strict=True))
        uss = str(row["uss"])
        seen.add(uss)
        where = f"table utm_availability, uss {uss}"
        item = recorded.availability.get(uss)
        if item is None:
            if recorded.complete:
                yield Finding(
                    f"no entry records the availability of {uss}", where, "a row without its entry"
                )
            continue
        wanted = item.entry.get("document") or {}
        for column in ("availability", "version"):
            if row[column] != wanted.get(column):
                label = dss_label(item)
                yield _differs(label, f"{where}, column {column}", row[column], wanted.get(column))
    for uss, item in recorded.availability.items():
        if uss not in seen:
            yield Finding(dss_label(item), f"table utm_availability, uss {uss}", "no row")


def _differs(label: str, where: str, held: Any, wanted: Any) -> Finding:
    return Finding(label, where, f"the row holds {shortened(held)}, the record {shortened(wanted)}")
