"""The check of the state rows against the record: each row rendered as the record holds it.

A row is rendered into its entry with the same builders the line records with
(line/entries.py), and compared field by field with the entry as recorded,
opened with every opening. Rows that change after their first entry (a
volume, a notice's state) are compared with the latest entries that changed
them. A row with no entry, and an entry with no row, are findings too.

The probe budget's rows are what the line's own writes leave of the `probe`
entries: one row per dry run that met `contact` zones (its entries, one per zone
met, follow each other in the record), a party's rows older than the budget's
window forgotten at its next probe.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from deconflict.line.entries import (
    Draft,
    feature_entry,
    message_entry,
    notice_entry,
    party_entry,
)
from deconflict.line.model import ProbeBudget
from deconflict.line.parties import Party
from deconflict.line.views import iso
from deconflict.rules.volume import volume_box
from deconflict.store.audit_dss import DssRecorded, check_dss, gather_dss
from deconflict.store.audit_log import Finding, Opened
from deconflict.store.audit_log import shortened as _short
from deconflict.store.audit_tables import (
    MESSAGE_COLUMNS,
    NOTICE_ROW_COLUMNS,
    PARTY_COLUMNS,
    PROBE_COLUMNS,
    VERSION_COLUMNS,
    VOLUME_COLUMNS,
    Box,
    Row,
    Tables,
)
from deconflict.store.rows import (
    declared_of,
    ends_at_s,
    message_of,
    moment,
    notice_of,
    version_of,
)

FeatureKey = tuple[str, str]
"""A feature: (party, id)."""

PROBES_FORGOTTEN_AFTER = ProbeBudget().window
"""How long a party's probe row is kept: the line forgets those older than its budget's window
at the party's next probe (store/unit.py, `add_probe`)."""

# Where an entry's field is kept in each table, when its column is named otherwise.
_FEATURE_COLUMN = {"feature": "document", "feature_kind": "document", "at": "recorded_at"}
_NOTICE_COLUMN = {"notice": "id", "version": "feature_version", "at": "sent_at"}
_MESSAGE_COLUMN = {"notice": "notice_id", "message": "id", "free_text": "text"}
_PARTY_COLUMN = {"party": "id", "at": "created_at"}


@dataclass
class Recorded:
    """The state the record says the store holds, gathered entry by entry; `complete` when from
    the first entry on (else only rows whose entries were gathered can be compared)."""

    complete: bool

    versions: dict[tuple[str, str, int], Opened] = field(default_factory=dict)
    latest: dict[FeatureKey, Opened] = field(default_factory=dict)
    ended: dict[FeatureKey, dict[str, Any]] = field(default_factory=dict)
    """When each feature was cancelled and closed out (`cancelled_at`, `closed_at`), as of its
    latest entry; absent when no declaration or amendment of it was gathered (so unknown)."""
    notices: dict[int, Opened] = field(default_factory=dict)
    states: dict[int, list[Opened]] = field(default_factory=dict)
    overdue: dict[int, Opened] = field(default_factory=dict)
    messages: dict[int, Opened] = field(default_factory=dict)
    parties: dict[str, Opened] = field(default_factory=dict)
    keys: dict[str, Opened] = field(default_factory=dict)
    probes: list[Opened] = field(default_factory=list)
    dss: DssRecorded = field(default_factory=lambda: DssRecorded(True))


def gather(entries: list[Opened], complete: bool = True) -> Recorded:
    """What the entries record, by the row each decides (entries of unknown shape skipped:
    the log's check has named them). `complete`: the entries are all of the record's."""
    recorded = Recorded(complete)
    for item in entries:
        entry = item.entry
        kind = entry.get("kind")
        if kind == "feature" and "feature_id" in entry:
            key = (entry["party"], entry["feature_id"])
            recorded.versions[(*key, entry["version"])] = item
            recorded.latest[key] = item
            follow_ended(recorded.ended, key, entry)
        elif kind == "notice" and "notice" in entry:
            recorded.notices[entry["notice"]] = item
        elif kind == "notice_state" and "notice" in entry:
            recorded.states.setdefault(entry["notice"], []).append(item)
        elif kind == "overdue" and "notice" in entry:
            recorded.overdue[entry["notice"]] = item
        elif kind == "message" and "message" in entry:
            recorded.messages[entry["message"]] = item
        elif kind == "party":
            recorded.parties[entry["party"]] = item
        elif kind == "party_key":
            recorded.keys[entry["party"]] = item
        elif kind == "probe" and "asker" in entry:
            recorded.probes.append(item)
    recorded.dss = gather_dss(entries, complete)
    return recorded


def follow_ended(
    ended: dict[FeatureKey, dict[str, Any]], key: FeatureKey, entry: dict[str, Any]
) -> None:
    """A declaration or amendment is neither cancelled nor closed; a cancellation keeps when it
    was closed out, and a closing when it was cancelled (as line/service.py makes them)."""
    change = entry.get("change")
    if change in ("declared", "amended"):
        ended[key] = {"cancelled_at": None, "closed_at": None}
    elif key in ended and change in ("cancelled", "closed"):
        ended[key][f"{change}_at"] = entry.get("at")


def check_state(tables: Tables, recorded: Recorded) -> list[Finding]:
    """Every state row against the record, and every recorded row against the tables."""
    return [
        *_versions(tables, recorded),
        *_volumes(tables, recorded),
        *_notices(tables, recorded),
        *_messages(tables, recorded),
        *_parties(tables, recorded),
        *_probes(tables, recorded),
        *check_dss(tables.dss_entities, tables.dss_availability, recorded.dss),
    ]


def label(item: Opened) -> str:
    """An entry as a finding names it: its index, kind and what it is about."""
    entry = item.entry
    kind = entry.get("kind")
    if kind == "feature":
        about = f"feature {entry.get('feature_id')} of {entry.get('party')}"
        about += f", version {entry.get('version')}, {entry.get('change')}"
    elif kind in ("party", "party_key"):
        about = f"party {entry.get('party')}"
    elif kind == "message":
        about = f"message {entry.get('message')} of notice {entry.get('notice')}"
    elif kind == "probe":
        about = f"probe by {entry.get('asker')} at {entry.get('at')}"
    else:
        about = f"notice {entry.get('notice')}"
    return f"entry {item.index} ({kind}: {about})"


def agrees(item: Opened, draft: Draft) -> bool:
    """A row rendered as `draft` says all that the entry `item` says, as the check compares."""
    return next(_differences(item, draft, "", {}), None) is None


def _as_recorded(draft: Draft) -> dict[str, Any]:
    """A draft's fields as JSON values, as the record holds them once opened (tuples become
    lists; a number equals itself whichever way it is written)."""
    fields = dict(draft.public) | dict(draft.sealed or {})
    parsed: dict[str, Any] = json.loads(json.dumps(fields))
    return parsed


def _without_signed(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("signed", "http_signed", "sealed")}


def _differences(
    item: Opened, draft: Draft, row: str, columns: dict[str, str]
) -> Iterator[Finding]:
    """The fields where the row, rendered as `draft`, differs from the entry `item`."""
    rendered = _as_recorded(draft)
    recorded = _without_signed(item.entry)
    for key in sorted(rendered.keys() | recorded.keys()):
        held, wanted = rendered.get(key), recorded.get(key)
        if held != wanted:
            yield Finding(
                label(item),
                f"{row}, column {columns.get(key, key)}",
                f"the row holds {_short(held)}, the record {_short(wanted)}",
            )
    if draft.sealed is not None and item.readers != draft.readers:
        yield Finding(
            label(item),
            f"table log_opening, idx {item.index}",
            f"readers {_short(_sorted(item.readers))}, the row's parties"
            f" {_short(_sorted(draft.readers))}",
        )


def _sorted(readers: frozenset[str] | None) -> list[str] | None:
    return None if readers is None else sorted(readers)


def _named(columns: tuple[str, ...], row: Row) -> dict[str, Any]:
    return dict(zip(columns, row, strict=True))


def _no_row(item: Opened, table: str, key: str) -> Finding:
    return Finding(label(item), f"table {table}, {key}", "no row")


def _no_entry(table: str, key: str, what: str) -> Finding:
    return Finding(f"no entry records {what}", f"table {table}, {key}", "a row without its entry")


def _versions(tables: Tables, recorded: Recorded) -> Iterator[Finding]:
    seen = set()
    for stored in tables.versions:
        row = _named(VERSION_COLUMNS, stored)
        key = (row["party"], row["feature_id"], int(row["version"]))
        seen.add(key)
        where = f"table feature_version, party {key[0]}, feature_id {key[1]}, version {key[2]}"
        item = recorded.versions.get(key)
        if item is None:
            if recorded.complete:
                yield _no_entry(
                    "feature_version", where.split(", ", 1)[1], f"{key[1]} of {key[0]} v{key[2]}"
                )
            continue
        declared = version_of((row["document"], row["version"], row["share"]))
        at = moment(row["recorded_at"])
        assert at is not None
        draft = feature_entry(declared, row["change"], at, None)
        yield from _differences(item, draft, where, _FEATURE_COLUMN)
    for key, item in recorded.versions.items():
        if key not in seen:
            yield _no_row(
                item, "feature_version", f"party {key[0]}, feature_id {key[1]}, version {key[2]}"
            )


def _volumes(tables: Tables, recorded: Recorded) -> Iterator[Finding]:
    seen = set()
    for stored in tables.volumes:
        row = _named(VOLUME_COLUMNS, stored)
        key = (row["party"], row["feature_id"])
        seen.add(key)
        where = f"table volume, party {key[0]}, feature_id {key[1]}"
        item = recorded.latest.get(key)
        if item is None:
            if recorded.complete:
                yield _no_entry(
                    "volume",
                    f"party {key[0]}, feature_id {key[1]}",
                    f"feature {key[1]} of {key[0]}",
                )
            continue
        ended = recorded.ended.get(key)
        yield from _volume(row, item, ended, where, tables.boxes.get(key))
    for key, item in recorded.latest.items():
        if key not in seen:
            yield _no_row(item, "volume", f"party {key[0]}, feature_id {key[1]}")


def _volume(
    row: dict[str, Any],
    item: Opened,
    ended: dict[str, Any] | None,
    where: str,
    box: Box | None,
) -> Iterator[Finding]:
    """A volume row against its feature's latest entry (and when it was cancelled and closed
    out, when known), and its index box against its shape."""
    declared = declared_of(
        (row["document"], row["version"], row["share"], row["cancelled_at"], row["closed_at"])
    )
    change, at_text = item.entry.get("change"), item.entry.get("at")
    at = moment(at_text)
    assert at is not None
    yield from _differences(
        item, feature_entry(declared, str(change), at, None), where, _FEATURE_COLUMN
    )
    feature = declared.feature
    expected = {"party": feature.party, "kind": feature.kind.value, **(ended or {})}
    expected["ends_at_s"] = ends_at_s(feature)
    held = {
        "party": row["party"],
        "kind": row["kind"],
        "cancelled_at": iso(moment(row["cancelled_at"])),
        "closed_at": iso(moment(row["closed_at"])),
        "ends_at_s": row["ends_at_s"],
    }
    for column, value in expected.items():
        if held[column] != value:
            yield Finding(
                label(item),
                f"{where}, column {column}",
                f"the row holds {_short(held[column])}, the record gives {_short(value)}",
            )
    if ended is None and change in ("cancelled", "closed") and held[f"{change}_at"] != at_text:
        yield Finding(
            label(item),
            f"{where}, column {change}_at",
            f"the row holds {_short(held[f'{change}_at'])}, the record gives {_short(at_text)}",
        )
    yield from _index(item, where, declared.cancelled_at is None, volume_box(feature), box)


def _index(
    item: Opened, where: str, indexed: bool, wanted: Box, box: Box | None
) -> Iterator[Finding]:
    """The index must hold the box of the stored shape (or wider: it is a superset), and none
    for a cancelled feature."""
    index = where.replace("table volume,", "the volume index,")
    if not indexed:
        if box is not None:
            yield Finding(label(item), index, "a box for a cancelled feature")
        return
    if box is None:
        yield Finding(label(item), index, "no box: the feature can never be found in conflict")
        return
    low_ok = all(box[d] <= wanted[d] for d in range(0, len(wanted), 2))
    high_ok = all(box[d] >= wanted[d] for d in range(1, len(wanted), 2))
    if not (low_ok and high_ok):
        yield Finding(
            label(item),
            index,
            f"the box {_short(box)} does not hold the stored shape's {_short(wanted)}",
        )


def _notices(tables: Tables, recorded: Recorded) -> Iterator[Finding]:
    seen = set()
    for stored in tables.notices:
        row = _named(NOTICE_ROW_COLUMNS, stored)
        notice_id = int(row["id"])
        seen.add(notice_id)
        where = f"table notice, id {notice_id}"
        item = recorded.notices.get(notice_id)
        if item is None:
            if recorded.complete:
                yield _no_entry("notice", f"id {notice_id}", f"notice {notice_id}")
            continue
        notice = notice_of(stored[:-1], ())
        yield from _differences(item, notice_entry(notice), where, _NOTICE_COLUMN)
        yield from _notice_state(row, item, recorded, where)
    for notice_id, item in recorded.notices.items():
        if notice_id not in seen:
            yield _no_row(item, "notice", f"id {notice_id}")


def _notice_state(
    row: dict[str, Any], item: Opened, recorded: Recorded, where: str
) -> Iterator[Finding]:
    """A notice's state, response, when it last changed, and when it went overdue, against
    its notice_state and overdue entries."""
    notice_id = int(row["id"])
    states = recorded.states.get(notice_id, [])
    last = states[-1] if states else item
    overdue = recorded.overdue.get(notice_id)
    responses = [s.entry.get("response") for s in states if s.entry.get("response")]
    expected = {
        "state": last.entry.get("state", "sent"),
        "response": responses[-1] if responses else None,
        "changed_at": last.entry.get("at"),
        "overdue_at": overdue.entry.get("at") if overdue else None,
    }
    held = {
        "state": row["state"],
        "response": row["response"],
        "changed_at": iso(moment(row["changed_at"])),
        "overdue_at": iso(moment(row["overdue_at"])),
    }
    for column, value in expected.items():
        if held[column] != value:
            deciding = overdue if column == "overdue_at" and overdue else last
            yield Finding(
                label(deciding),
                f"{where}, column {column}",
                f"the row holds {_short(held[column])}, the record gives {_short(value)}",
            )


def _messages(tables: Tables, recorded: Recorded) -> Iterator[Finding]:
    notices = {int(row[0]): notice_of(row[:-1], ()) for row in tables.notices}
    seen = set()
    for stored in tables.messages:
        row = _named(MESSAGE_COLUMNS, stored)
        message_id, notice_id = int(row["id"]), int(row["notice_id"])
        seen.add(message_id)
        where = f"table message, id {message_id}"
        item = recorded.messages.get(message_id)
        if item is None:
            if recorded.complete:
                yield _no_entry("message", f"id {message_id}", f"message {message_id}")
            continue
        notice = notices.get(notice_id)
        if notice is None:
            yield Finding(label(item), f"{where}, column notice_id", f"no notice {notice_id}")
            continue
        message = message_of((stored[0], *stored[2:]))
        yield from _differences(item, message_entry(notice, message, None), where, _MESSAGE_COLUMN)
    for message_id, item in recorded.messages.items():
        if message_id not in seen:
            yield _no_row(item, "message", f"id {message_id}")


def _parties(tables: Tables, recorded: Recorded) -> Iterator[Finding]:
    seen = set()
    for stored in tables.parties:
        row = _named(PARTY_COLUMNS, stored)
        party_id = row["id"]
        seen.add(party_id)
        where = f"table party, id {party_id}"
        item = recorded.parties.get(party_id)
        if item is None:
            if recorded.complete:
                yield _no_entry("party", f"id {party_id}", f"party {party_id}")
            continue
        at = moment(row["created_at"])
        assert at is not None
        party = Party(*stored[:5])
        yield from _differences(item, party_entry(party, at), where, _PARTY_COLUMN)
        key = recorded.keys.get(party_id)
        held = tables.party_keys.get(party_id)
        wanted = key.entry.get("public_key") if key else None
        if held != wanted:
            yield Finding(
                label(key) if key else f"no entry records a key of party {party_id}",
                f"{where}, column public_key",
                f"the row holds {_short(held)}, the record gives {_short(wanted)}",
            )
    for party_id, item in recorded.parties.items():
        if party_id not in seen:
            yield _no_row(item, "party", f"id {party_id}")


@dataclass(frozen=True)
class Probe:
    """One dry run that met `contact` zones: who asked, when, and its entries (one per zone)."""

    asker: str
    at: datetime
    entries: tuple[Opened, ...]

    @property
    def at_s(self) -> float:
        """When, as the budget's row holds it (seconds since the epoch)."""
        return self.at.timestamp()


def probes_of(entries: list[Opened]) -> list[Probe]:
    """The dry runs the `probe` entries record, in order: a run of entries of one asker, moment
    and feature is one dry run until a zone repeats (a dry run meets each zone once)."""
    probes: list[Probe] = []
    zones: set[tuple[Any, Any]] = set()
    for item in entries:
        entry = item.entry
        zone = (entry.get("owner"), entry.get("zone_id"))
        if probes and _same_probe(probes[-1], item) and zone not in zones:
            probes[-1] = replace(probes[-1], entries=(*probes[-1].entries, item))
            zones.add(zone)
            continue
        at = moment(entry.get("at"))
        assert at is not None
        probes.append(Probe(str(entry.get("asker")), at, (item,)))
        zones = {zone}
    return probes


def _same_probe(probe: Probe, item: Opened) -> bool:
    """`item` follows the probe's last entry and is of its asker, moment and feature."""
    last = probe.entries[-1]
    return item.index == last.index + 1 and all(
        item.entry.get(k) == last.entry.get(k) for k in ("asker", "at", "feature")
    )


def budget_rows(probes: list[Probe]) -> list[Probe]:
    """The probes whose rows the budget keeps after them all, as the line's writes leave it: at
    each probe of a party, its probes from before the window are forgotten."""
    kept: dict[str, list[Probe]] = {}
    for probe in probes:
        forget_before = (probe.at - PROBES_FORGOTTEN_AFTER).timestamp()
        mine = [p for p in kept.get(probe.asker, []) if p.at_s >= forget_before]
        kept[probe.asker] = [*mine, probe]
    return [probe for mine in kept.values() for probe in mine]


def _probes(tables: Tables, recorded: Recorded) -> Iterator[Finding]:
    """The budget's rows against the probes the record leaves counted: each kept probe needs its
    row (party and moment), and each row its probe."""
    probes = probes_of(recorded.probes)
    rows: dict[tuple[str, float], list[int]] = {}
    for stored in tables.probes:
        row = _named(PROBE_COLUMNS, stored)
        rows.setdefault((row["party"], float(row["at_s"])), []).append(int(row["id"]))
    for probe in budget_rows(probes):
        held = rows.get((probe.asker, probe.at_s))
        if held:
            held.pop(0)
            continue
        yield Finding(
            label(probe.entries[0]),
            f"table probe, party {probe.asker}, at_s {probe.at_s!r}",
            "no row: the probe does not count against its party's budget",
        )
    if not recorded.complete:
        return  # rows of probes before the entries gathered cannot be told apart
    recorded_at = Counter((p.asker, p.at_s) for p in probes)
    for (party, at_s), ids in sorted(rows.items()):
        for row_id in ids:
            when = iso(datetime.fromtimestamp(at_s, tz=UTC))
            what = "a row without its entry"
            if recorded_at[(party, at_s)]:
                what = "a row of a probe its party's later probe forgot (older than the window)"
            yield Finding(
                f"no entry records a probe by {party} at {when} that the budget keeps",
                f"table probe, id {row_id} (party {party}, at_s {at_s!r})",
                what,
            )
