"""`deconflict db rebuild`: a new store made from the record of another, once the record verifies.

The state rows are an index of the record (docs/record.md). A rebuild reads
the source store's log with every opening and checks it as `db check` does
(every leaf, node and opening; the head the line last signed), and refuses to
write anything if it does not verify. It then replays each entry, in order,
through the same row writes the line made the state with (store/unit.py):
parties and their keys, features with their versions and index boxes, notices
with their states and overdue marks, messages, the probe budget, the DSS's
entities (each subscription with the notifications the record says it is owed)
and USSs' availability; and copies
the log itself, leaf for leaf and node for node, so the new store holds the
same record under the same root.

What the record holds only as another party may read it (a `contact` zone's
conflicts in full, a private warning's parameters, the feature a `contact`
zone's notice is about) is taken from the source's row when that row agrees
with its entry; a `contact` zone's notice whose row does not is given the
feature the sender declared in the step that sent it (the entry just before).
A DSS entity's OVN, which the record holds only by its SHA-256, is made again
under the line's key as the DSS made it (utm/model.py, `new_ovn`), or taken from
the source's row, whichever hashes to the recorded digest, so a rebuilt DSS
answers the same OVNs; a USS's report, held by its digest alone, is taken from
the source's row when it hashes to it. Without either, it cannot be rebuilt.
What the record does not hold at all (tokens, events, answers kept for
retried requests, escalation contacts and destinations, delivery jobs) is
copied from the source and said to be unproven. Console sessions are not
copied: a console signed in to the source signs in again. Everything is
written in one transaction of the target and checked against the record as
`db check` would before it commits: a rebuild that would differ leaves no
target behind (a SQLite file is made under a temporary name and renamed into
place only then).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from deconflict.errors import StateConflict
from deconflict.i18n.messages import WITHHELD, MessageCode
from deconflict.line.entries import message_entry, notice_entry, party_entry
from deconflict.line.model import (
    ConflictView,
    Declared,
    Message,
    Notice,
    NoticeState,
    ResponseKind,
    Share,
)
from deconflict.line.parties import Party
from deconflict.line.results import ConflictSeen
from deconflict.line.unit import UnitOfWork
from deconflict.record.base64text import encode_base64
from deconflict.record.note import Checkpoint
from deconflict.rules.altitude import AltitudeMeet
from deconflict.rules.plan import parse_feature
from deconflict.rules.schedule import Overlaps, TimeWindow
from deconflict.settings import is_postgres_url
from deconflict.store import Store, open_store, shown
from deconflict.store.audit import Report, StoreInconsistent, check_record, held_to, read_head
from deconflict.store.audit_dss import DssRecorded, Kept, as_recorded
from deconflict.store.audit_log import Finding, Opened
from deconflict.store.audit_state import (
    PROBES_FORGOTTEN_AFTER,
    FeatureKey,
    agrees,
    check_state,
    follow_ended,
    gather,
    probes_of,
)
from deconflict.store.audit_tables import Tables, read_tables
from deconflict.store.connection import Connection
from deconflict.store.dss import SqlDssTx
from deconflict.store.head import HeadFile
from deconflict.store.rows import (
    NEW_MESSAGE_COLUMNS,
    NEW_NOTICE_COLUMNS,
    message_of,
    message_row,
    moment,
    notice_of,
    notice_row,
    opening_row,
)
from deconflict.store.sqlite.turn import turn_path
from deconflict.store.unit import SqlTx
from deconflict.utm.model import Kind, new_ovn, ovn_secret

__all__ = ["Rebuilt", "RecordUnverified", "rebuild", "rebuilt_lines"]

UNPROVEN = {
    "token": ("id", "hash", "party_id", "role", "created_at", "revoked_at"),
    "event": ("id", "party", "kind", "payload", "at"),
    "idempotency": ("party", "key", "fingerprint", "result"),
    "escalation_destination": (
        "id",
        "party",
        "channel",
        "target",
        "signing",
        "secret",
        "created_at",
        "removed_at",
    ),
    "escalation_delivery": (
        "id",
        "notice_id",
        "destination_id",
        "state",
        "attempts",
        "queued_at",
        "next_at_s",
        "lease_until_s",
        "lease_owner",
    ),
    "escalation_attempt": (
        "delivery_id",
        "attempt",
        "at",
        "outcome",
        "reason",
        "next_at",
        "entry",
    ),
}
"""The tables the record holds nothing of, copied from the source as they are."""

_STATE_TABLES = (
    "party",
    "token",
    "volume",
    "feature_version",
    "notice",
    "message",
    "event",
    "idempotency",
    "probe",
    "escalation_destination",
    "escalation_delivery",
    "escalation_attempt",
    "utm_entity",
    "utm_availability",
    "log_leaf",
    "log_node",
    "log_opening",
)


class RecordUnverified(StoreInconsistent):
    """The source's record does not verify (a leaf, node, opening or the signed head): nothing
    is rebuilt from it; the message lists every finding, one a line."""


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild made: the record it was made from (its size, the head it was held to, its
    root), the rows made from it and those copied, notes on what came from the source rather
    than the record, how the source differed from its record, and the check of the new store."""

    entries: int
    head: Checkpoint | None
    root: bytes
    derived: dict[str, int]
    copied: dict[str, int]
    notes: list[str]
    source_findings: list[Finding]
    report: Report

    def document(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "entries": self.entries,
            "head": None if self.head is None else self.head.size,
            "root": encode_base64(self.root),
            "derived": self.derived,
            "copied": self.copied,
            "notes": self.notes,
            "source_findings": [str(finding) for finding in self.source_findings],
            "seconds": round(self.report.seconds, 3),
        }


def rebuild(source: Store, head: HeadFile | None, target: str) -> Rebuilt:
    """Make the store `target` (a SQLite file that does not exist yet, or an empty PostgreSQL
    database) from the record of `source`, held to the head file `head` (None: no log key).

    Raises RecordUnverified when the record does not verify, StateConflict when `target` holds
    a store already, StoreInconsistent when the rebuilt store would differ from its record;
    in each case nothing is left at `target`.
    """
    started = time.perf_counter()
    checkpoint, findings = read_head(head)
    with source.snapshot() as db:
        tables = read_tables(db, source.index_boxes)
        unproven = {table: _select(db, table, columns) for table, columns in UNPROVEN.items()}
        sessions = int(db.execute("SELECT count(*) FROM console_session").fetchone()[0])
    log = check_record(tables, checkpoint, head, True, findings)
    if findings:
        raise RecordUnverified(_listed("the record does not verify", findings))
    recorded = gather(log.entries)
    with _made(target) as store, store.atomic() as unit:
        assert isinstance(unit, UnitOfWork)
        rows = unit.rows
        assert isinstance(rows, SqlTx)  # both stores' transactions are
        replay = _Replay(rows, tables, None if head is None else ovn_secret(head.key.signer))
        replay.entries(log.entries, recorded.probes)
        replay.dss(recorded.dss)
        copied = replay.unproven(unproven)
        replay.log(tables)
        made = read_tables(rows.db, store.index_boxes)
        after: list[Finding] = []
        log_made = check_record(made, checkpoint, head, True, after)
        after += check_state(made, gather(log_made.entries))
        if after:
            what = f"{shown(target)} rebuilt from the record would differ from it"
            raise StoreInconsistent(_listed(what, after, replay.notes))
    report = Report(log.size, 0, checkpoint, [], time.perf_counter() - started)
    return Rebuilt(
        log.size,
        checkpoint,
        log.tree.root(log.size),
        _counts(made),
        copied,
        [*replay.notes, *_sessions_left(sessions)],
        check_state(tables, recorded),
        report,
    )


@dataclass
class _Replay:
    """The record's entries replayed, in order, through a store's row writes (never recorded
    again: the log is copied as it is)."""

    rows: SqlTx
    source: Tables
    ovn_secret: bytes | None
    """The key the line makes its OVNs under (utm/model.py), from its log key."""
    notes: list[str] = field(default_factory=list)
    parties: set[str] = field(default_factory=set)
    ended: dict[FeatureKey, dict[str, Any]] = field(default_factory=dict)
    last_feature: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Each party's latest feature entry so far: (id, version)."""
    notices: dict[int, Notice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._parties = {row[0]: row for row in self.source.parties}
        self._notices = {int(row[0]): row for row in self.source.notices}
        self._messages = {int(row[0]): row for row in self.source.messages}

    def entries(self, entries: list[Opened], probes: list[Opened]) -> None:
        """Write the state rows every entry makes, in the record's order, then the probe
        budget's from the `probe` entries; the identity columns then follow the ids given."""
        writes = {
            "party": self.party,
            "party_key": self.party_key,
            "feature": self.feature,
            "notice": self.notice,
            "message": self.message,
            "notice_state": self.state,
            "overdue": self.overdue,
        }
        for item in entries:
            write = writes.get(str(item.entry.get("kind")))
            if write is not None:
                write(item)
        for probe in probes_of(probes):
            self.rows.add_probe(probe.asker, probe.at, probe.at - PROBES_FORGOTTEN_AFTER)
        for table in ("notice", "message"):
            self.rows.ids_follow(table)

    def party(self, item: Opened) -> None:
        entry = item.entry
        at = _at(entry)
        party = Party(entry["party"], entry["name"], entry["language"], entry["contact"])
        stored = self._parties.get(party.id)
        if stored is not None and agrees(item, party_entry(Party(*stored[:5]), _at_row(stored))):
            party = replace(party, escalation_contact=stored[4])
        elif stored is not None and stored[4] is not None:
            self.notes.append(
                f"party {party.id}: its escalation contact is not in the record and its source"
                " row differs from its entry, so it was left out"
            )
        self.rows.add_party(party, at)
        self.parties.add(party.id)

    def party_key(self, item: Opened) -> None:
        self.rows.set_party_key(item.entry["party"], item.entry["public_key"])

    def feature(self, item: Opened) -> None:
        entry = item.entry
        if "feature_id" not in entry:
            return
        feature, _ = parse_feature(entry["feature"])
        assert feature is not None, entry  # only validated features are ever recorded
        key = (entry["party"], entry["feature_id"])
        follow_ended(self.ended, key, entry)
        ended = self.ended.get(key, {})
        declared = Declared(
            feature,
            int(entry["version"]),
            Share(entry["share"]),
            moment(ended.get("cancelled_at")),
            moment(ended.get("closed_at")),
        )
        self.rows.put_feature(declared)
        self.rows.add_version(declared, entry["change"], _at(entry))
        self.last_feature[feature.party] = (feature.id, declared.version)

    def notice(self, item: Opened) -> None:
        notice_id = int(item.entry["notice"])
        stored = self._notices.get(notice_id)
        held = None if stored is None else notice_of(stored[:-1], ())
        if held is not None and agrees(item, notice_entry(held)):
            notice = replace(
                held, state=NoticeState.SENT, overdue_at=None, response=None, messages=()
            )
        else:
            found = self._notice_of(item)
            if found is None:
                return
            notice = found
        self.rows.insert_row(
            "notice", ("id", *NEW_NOTICE_COLUMNS), (notice.id, *notice_row(notice)), True
        )
        self.notices[notice.id] = notice

    def _notice_of(self, item: Opened) -> Notice | None:
        """The notice as its entry (and, for a `contact` zone's, the record's order) gives it;
        None, with a note, when the entry hides what the row must hold."""
        entry = item.entry
        notice_id = int(entry["notice"])
        if any("against" not in seen for seen in entry["conflicts"]):
            self.notes.append(
                f"notice {notice_id}: the record holds its conflicts with a `contact` zone only"
                " as the other party sees them, and its source row is gone or differs from its"
                " entry: it cannot be rebuilt"
            )
            return None
        feature_id, version = entry["feature_id"], entry["version"]
        withheld = feature_id is None
        if withheld:
            if entry["sender"] not in self.last_feature:
                self.notes.append(f"notice {notice_id}: no feature of its sender before it")
                return None
            feature_id, version = self.last_feature[entry["sender"]]
            self.notes.append(
                f"notice {notice_id}: its feature ({feature_id} v{version}, withheld from the"
                " recipient) is the sender's feature entry just before it, in the step that sent"
                " it"
            )
        sent_at = _at(entry)
        return Notice(
            notice_id,
            feature_id,
            int(version),
            entry["sender"],
            entry["recipient"],
            bool(entry["priority"]),
            NoticeState.SENT,
            sent_at,
            moment(entry["respond_by"]),
            tuple(_view_of(ConflictSeen.from_document(seen)) for seen in entry["conflicts"]),
            withheld=withheld,
        )

    def message(self, item: Opened) -> None:
        entry = item.entry
        message_id, notice_id = int(entry["message"]), int(entry["notice"])
        notice = self.notices.get(notice_id)
        if notice is None:
            self.notes.append(f"message {message_id}: its notice {notice_id} was not rebuilt")
            return
        stored = self._messages.get(message_id)
        held = None if stored is None else message_of((stored[0], *stored[2:]))
        if (
            stored is not None
            and held is not None
            and int(stored[1]) == notice_id
            and agrees(item, message_entry(notice, held, None))
        ):
            message = held
        elif entry["params"].get("target") == WITHHELD:
            self.notes.append(
                f"message {message_id}: the record holds this warning of a `contact` zone only"
                " as the other party reads it, and its source row is gone or differs from its"
                " entry: it cannot be rebuilt"
            )
            return
        else:
            message = Message(
                MessageCode(entry["code"]),
                entry["params"],
                entry["sender"],
                _at(entry),
                entry["free_text"],
                message_id,
            )
        self.rows.insert_row(
            "message",
            ("id", *NEW_MESSAGE_COLUMNS),
            (message_id, *message_row(notice_id, message)),
            True,
        )

    def state(self, item: Opened) -> None:
        entry = item.entry
        if int(entry["notice"]) in self.notices:
            response = ResponseKind(entry["response"]) if entry["response"] else None
            self.rows.set_state(
                int(entry["notice"]), NoticeState(entry["state"]), _at(entry), response
            )

    def overdue(self, item: Opened) -> None:
        if int(item.entry["notice"]) in self.notices:
            self.rows.set_overdue(int(item.entry["notice"]), _at(item.entry))

    def dss(self, recorded: DssRecorded) -> None:
        """The DSS's entities as their latest entries leave them, with the notifications owed
        to each subscription, and each USS's availability. What the record holds only by its
        SHA-256 (an OVN, a report) is taken from the source's row when it hashes to it."""
        tx = SqlDssTx(self.rows.db, None)
        held = {
            (str(row[0]), str(row[1])): _read_document(row[2]) for row in self.source.dss_entities
        }
        for (kind, entity_id), kept in recorded.entities.items():
            document = self._dss_document(kind, entity_id, kept, held.get((kind, entity_id)))
            if document is None:
                continue
            tx.put(Kind(kind), entity_id, document, kept.box, kept.subscription_id)
            self.rows.db.execute(
                "UPDATE utm_entity SET notified = ? WHERE kind = ? AND id = ?",
                (kept.notified, kind, entity_id),
            )
        for uss, item in recorded.availability.items():
            document = item.entry["document"]
            tx.set_availability(uss, document["availability"], document["version"])

    def _dss_document(
        self, kind: str, entity_id: str, kept: Kept, held: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The stored document of the entity: the source's when it agrees with the entry, else
        the entry's with its OVN made again under the line's key, or the source's, whichever
        hashes to the recorded one; None (with a note) when neither does, or for a report the
        source no longer holds as recorded."""
        if held is not None and as_recorded(kind, held) == kept.document:
            return held
        if kind != Kind.REPORT.value and "ovn_sha256" not in kept.document:
            return dict(kept.document)
        document = {k: v for k, v in kept.document.items() if k != "ovn_sha256"}
        for ovn in (self._made_ovn(kind, entity_id, kept), (held or {}).get("ovn")):
            if kind != Kind.REPORT.value and ovn is not None:
                document["ovn"] = ovn
                if as_recorded(kind, document) == kept.document:
                    return document
        what = "report" if kind == Kind.REPORT.value else "OVN"
        self.notes.append(
            f"{kind} {entity_id}: the record holds its {what} only by its SHA-256, and its"
            " source row is gone or holds another: it cannot be rebuilt"
        )
        return None

    def _made_ovn(self, kind: str, entity_id: str, kept: Kept) -> str | None:
        """The OVN the line made for the entity's latest write, made again under its key."""
        if self.ovn_secret is None or kind == Kind.REPORT.value:
            return None
        at = _at(kept.item.entry)
        version = int(kept.document.get("version", 0))
        return new_ovn(self.ovn_secret, Kind(kind), entity_id, version, at)

    def unproven(self, rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
        """Copy what the record holds nothing of from the source: tokens (of the parties
        rebuilt), events and answers kept for retried requests. How many rows of each."""
        tokens = [row for row in rows["token"] if row[2] in self.parties]
        if len(tokens) < len(rows["token"]):
            self.notes.append(
                f"{len(rows['token']) - len(tokens)} tokens of parties the record does not hold"
                " were left out"
            )
        copied = {
            "token": self.rows.insert_rows("token", UNPROVEN["token"], tokens),
            "event": self.rows.insert_rows("event", UNPROVEN["event"], rows["event"], True),
            "idempotency": self.rows.insert_rows(
                "idempotency", UNPROVEN["idempotency"], rows["idempotency"]
            ),
        }
        for table in ("escalation_destination", "escalation_delivery", "escalation_attempt"):
            numbered = table != "escalation_attempt"
            copied[table] = self.rows.insert_rows(table, UNPROVEN[table], rows[table], numbered)
        for table in ("event", "escalation_destination", "escalation_delivery"):
            self.rows.ids_follow(table)
        return copied

    def log(self, tables: Tables) -> None:
        """The log as it is: every leaf, node and opening (the same record, the same root)."""
        self.rows.insert_rows(
            "log_leaf",
            ("idx", "kind", "entry", "at"),
            ((leaf.index, leaf.kind, leaf.data, leaf.at) for leaf in tables.leaves),
        )
        self.rows.insert_rows(
            "log_node",
            ("level", "idx", "hash"),
            ((level, index, digest) for (level, index), digest in tables.nodes.items()),
        )
        self.rows.insert_rows(
            "log_opening",
            ("idx", "commitment", "salt", "value", "readers"),
            (
                opening_row(index, opening, readers)
                for index, openings in tables.openings.items()
                for opening, readers in openings
            ),
        )


def _view_of(seen: ConflictSeen) -> ConflictView:
    """A conflict shown in full (with `against`) back as the view the notice row keeps."""
    start = moment(seen.start)
    assert start is not None
    occurrences = None
    if seen.occurrences is not None:
        windows = []
        for window in seen.occurrences.windows:
            begins = moment(window.start)
            assert begins is not None
            windows.append(TimeWindow(begins, moment(window.end)))
        occurrences = Overlaps(tuple(windows), seen.occurrences.total)
    altitude = None
    if seen.altitude is not None:
        altitude = AltitudeMeet(True, seen.altitude.datums, seen.altitude.widened_m)
    return ConflictView(
        seen.party,
        start,
        moment(seen.end),
        feature_id=seen.feature,
        other_id=seen.against,
        distance_m=seen.distance_m,
        occurrences=occurrences,
        altitude=altitude,
    )


@contextmanager
def _made(target: str) -> Iterator[Store]:
    """The empty store at `target`, kept only if the block ends well: a PostgreSQL database's
    transaction rolls back (the schema stays); a SQLite file is made under a temporary name,
    renamed into place once closed. Opened without the log key: it signs nothing, and a
    PostgreSQL database records the key it is signed with when a node first opens it."""
    if is_postgres_url(target):
        store = open_store(target)
        try:
            _refuse_unless_empty(store, target)
            yield store
        finally:
            store.close()
        return
    path = Path(target)
    if path.exists() and path.stat().st_size > 0:
        raise _taken(target)
    temporary = path.with_name(f".{path.name}.rebuilding-{os.getpid()}")
    _remove(temporary)
    store = open_store(temporary)
    try:
        yield store
    except BaseException:
        store.close()
        _remove(temporary)
        raise
    store.close()
    os.replace(temporary, path)
    Path(turn_path(str(temporary))).unlink(missing_ok=True)


def _refuse_unless_empty(store: Store, target: str) -> None:
    with store.snapshot() as db:
        for table in _STATE_TABLES:
            if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                raise _taken(target)


def _taken(target: str) -> StateConflict:
    return StateConflict(
        f"{shown(target)} holds a store already; a rebuild makes a new one: give a file that"
        " does not exist yet, or an empty database",
        field="to",
        value=shown(target),
    )


def _remove(path: Path) -> None:
    for made in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-writer"))):
        made.unlink(missing_ok=True)


def _select(db: Connection, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.execute(f"SELECT {', '.join(columns)} FROM {table}")]


def _read_document(text: str) -> dict[str, Any] | None:
    """A source row's DSS document, or None when it is no JSON object (edited by hand)."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _at(entry: dict[str, Any]) -> datetime:
    at = moment(entry["at"])
    assert at is not None
    return at


def _at_row(row: tuple[Any, ...]) -> datetime:
    at = moment(row[5])
    assert at is not None
    return at


def _counts(tables: Tables) -> dict[str, int]:
    return {
        "party": len(tables.parties),
        "party_key": sum(1 for key in tables.party_keys.values() if key is not None),
        "feature_version": len(tables.versions),
        "volume": len(tables.volumes),
        "notice": len(tables.notices),
        "message": len(tables.messages),
        "probe": len(tables.probes),
        "utm_entity": len(tables.dss_entities),
        "utm_availability": len(tables.dss_availability),
        "log_leaf": len(tables.leaves),
        "log_node": len(tables.nodes),
        "log_opening": sum(len(openings) for openings in tables.openings.values()),
    }


def _sessions_left(count: int) -> list[str]:
    """The note that the source's console sessions were left behind, if it had any."""
    if count == 0:
        return []
    return [f"{count} console sessions were not copied: those consoles sign in again"]


def _listed(what: str, findings: list[Finding], notes: list[str] | None = None) -> str:
    count = len(findings)
    lines = [
        f"{what} ({count} finding{'s' if count != 1 else ''}); nothing was written:",
        *(f"  {finding}" for finding in findings),
        *(f"  note: {note}" for note in notes or []),
    ]
    return "\n".join(lines)


_SAID = {
    "party": "parties",
    "party_key": "party keys",
    "feature_version": "feature versions",
    "volume": "volumes",
    "notice": "notices",
    "message": "messages",
    "probe": "probe budget rows",
    "utm_entity": "DSS entities",
    "utm_availability": "USS availabilities",
    "log_leaf": "leaves",
    "log_node": "nodes",
    "log_opening": "openings",
    "token": "tokens",
    "event": "events",
    "idempotency": "answers kept for retried requests",
    "escalation_destination": "escalation destinations",
    "escalation_delivery": "escalation deliveries",
    "escalation_attempt": "delivery attempts",
}


def rebuilt_lines(source: str, target: str, rebuilt: Rebuilt, head: HeadFile | None) -> list[str]:
    """What a rebuild did, as an operator reads it: what it was held to, what it made from the
    record, what it copied unproven, what came from the source's rows, how the source differed."""
    held = held_to(head, rebuilt.head)
    if rebuilt.head is not None:
        held = f"held to {held}"
    lines = [
        f"{target} rebuilt from the record of {source}: {rebuilt.entries} entries under the"
        f" same root {encode_base64(rebuilt.root)}, {held}; it matches its record"
        f" ({rebuilt.report.seconds:.2f} s).",
        f"Made from the record: {_said(rebuilt.derived)}.",
        f"Copied from {source}, not proven by the record: {_said(rebuilt.copied)}.",
        *(f"Note: {note}." for note in rebuilt.notes),
    ]
    if rebuilt.source_findings:
        count = len(rebuilt.source_findings)
        lines.append(
            f"{source} differs from its record ({count} finding{'s' if count != 1 else ''});"
            f" `deconflict db check --db {source}` lists them."
        )
    return lines


def _said(counts: dict[str, int]) -> str:
    return ", ".join(f"{_SAID[table]} {count}" for table, count in counts.items())
