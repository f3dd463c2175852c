"""A notice's evidence: which of the record's entries prove its thread, as one party reads them.

The record itself says who may have it: a notice's entry is sealed to its
sender and recipient (line/entries.py), so a party that cannot open it is told
there is no such notice, exactly as when it reads the notice. The thread is the
notice; the notices of the same feature between the same two parties (its
amendments, cancellation and close-out are sent as notices of new versions);
the messages, states and escalations of each; the feature's versions as the
record holds them in clear; and both parties' `party` and `party_key` entries,
which name them and hold the keys their signatures are checked with. A
`contact` zone's notice names no feature (its id is withheld), so its
evidence holds that notice's own thread only: nothing in it says which hidden
zone it is about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from deconflict.errors import NotFound
from deconflict.record.evidence import (
    PARTY_KINDS,
    THREAD_KINDS,
    ProvenEntry,
    evidence_document,
    notices_named,
)
from deconflict.record.sealed import Opening, opened

WINDOW = 2_000
"""Leaves read at a time while the record is searched for a thread (bounds the memory used)."""


class RecordReads(Protocol):
    """What finding and proving a thread reads of the record."""

    def log_leaves(self, start: int, end: int) -> list[tuple[int, bytes, bytes]]: ...

    def log_openings(self, start: int, end: int, party: str) -> dict[int, list[Opening]]: ...

    def log_inclusion(self, index: int, tree_size: int) -> list[bytes]: ...


@dataclass
class _Found:
    """What one pass over the record found that a thread may be made of (leaf indexes)."""

    notices: dict[Any, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    in_threads: list[tuple[int, Any]] = field(default_factory=list)
    parties: list[tuple[int, Any]] = field(default_factory=list)
    features: list[tuple[int, Any, Any]] = field(default_factory=list)


def notice_evidence(
    record: RecordReads, party: str, notice_id: int, note: str, size: int
) -> dict[str, Any]:
    """The evidence file (record/evidence.py) of `notice_id` as `party` may read it, proven
    against the checkpoint `note` of the record's first `size` entries.

    NotFound when `party` is not the notice's sender or recipient, or there is no
    such notice. One pass over the record, `WINDOW` leaves at a time.
    """
    found = _scan(record, party, size)
    main = found.notices.get(notice_id)
    if main is None or party not in (main[1].get("sender"), main[1].get("recipient")):
        raise NotFound("no such notice", field="notice", value=notice_id)
    indexes = _thread(found, main[1])
    entries = [_proven(record, party, index, size) for index in sorted(indexes)]
    return evidence_document(notice_id, party, note, entries)


def _scan(record: RecordReads, party: str, size: int) -> _Found:
    found = _Found()
    for index, view in _views(record, party, size):
        kind = view.get("kind")
        if kind in PARTY_KINDS:
            found.parties.append((index, view.get("party")))
        elif "sealed" in view:
            continue  # a part this party may not read: of no thread it may prove
        elif kind == "notice":
            found.notices[view.get("notice")] = (index, view)
        elif kind in THREAD_KINDS:
            found.in_threads.extend((index, notice) for notice in notices_named(view))
        elif kind == "feature":
            found.features.append((index, view.get("party"), view.get("feature_id")))
    return found


def _views(record: RecordReads, party: str, size: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each entry of the first `size` as `party` reads it (its sealed part opened if it may)."""
    for start in range(0, size, WINDOW):
        end = min(size, start + WINDOW)
        openings = record.log_openings(start, end, party)
        for index, data, _ in record.log_leaves(start, end):
            try:
                entry = json.loads(data)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a damaged leaf: `db check` names it; no thread is made of it
            if isinstance(entry, dict):
                yield index, opened(entry, openings.get(index, []))


def _thread(found: _Found, main: dict[str, Any]) -> set[int]:
    """The leaf indexes of the thread of the notice entry `main`."""
    sender, recipient, feature_id = (
        main.get("sender"),
        main.get("recipient"),
        main.get("feature_id"),
    )
    ids = {main.get("notice")}
    if feature_id is not None:
        ids |= {
            notice
            for notice, (_, view) in found.notices.items()
            if (view.get("sender"), view.get("recipient"), view.get("feature_id"))
            == (sender, recipient, feature_id)
        }
    indexes = {found.notices[notice][0] for notice in ids}
    indexes |= {index for index, notice in found.in_threads if notice in ids}
    indexes |= {index for index, owner in found.parties if owner in (sender, recipient)}
    if feature_id is not None:
        indexes |= {
            index for index, owner, fid in found.features if (owner, fid) == (sender, feature_id)
        }
    return indexes


def _proven(record: RecordReads, party: str, index: int, size: int) -> ProvenEntry:
    ((_, data, _),) = record.log_leaves(index, index + 1)
    openings = record.log_openings(index, index + 1, party).get(index, [])
    proof = record.log_inclusion(index, size)
    return ProvenEntry(index, data, tuple(proof), tuple(openings))
