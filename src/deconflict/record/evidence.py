"""Evidence of one notice's thread, for an arbiter: checked offline with the line's key alone.

An evidence file (JSON, `FORMAT`) holds the record's entries of one notice's
thread, each with its inclusion proof against one checkpoint the line signed
(with its witnesses' cosignatures when it has them), and the openings of their
sealed parts that the party who exported it may read:

    {"format": "deconflict-evidence/v1", "notice": 12, "exported_by": "coalition",
     "checkpoint": "<signed note>",
     "entries": [{"index": 7, "leaf": "<base64>", "proof": ["<base64>", ...],
                  "openings": [{"commitment": ..., "salt": ..., "value": ...}]}, ...]}

`verify_evidence` checks every proof against the checkpoint, the checkpoint
against the log key (and the witnesses a policy requires), every opening
against its commitment, every party signature against the key its party
registered in the record, and that every entry belongs to the notice's thread
between its two parties; it names the first entry at fault. What a file does
not prove: that nothing was left out of it (the other side's file, or the
whole record, shows that).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.bundle import (
    BundleInvalid,
    check_party_signatures,
    entry_of,
    opened_entry,
    openings_of,
    trusted_checkpoint,
    witnessed_by,
)
from deconflict.record.cosignature import WitnessPolicy
from deconflict.record.errors import InvalidProof, RecordError
from deconflict.record.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from deconflict.record.note import Checkpoint, NoteVerifier
from deconflict.record.sealed import Opening

FORMAT = "deconflict-evidence/v1"

THREAD_KINDS = frozenset({"message", "notice_state", "overdue", "delivery", "read"})
"""Entries that belong to a notice by the `notice` their sealed part names (a signed fetch of
an inbox, a `read` entry naming no notice, by the `notices` it was shown)."""

PARTY_KINDS = frozenset({"party", "party_key"})
"""Entries that say who a party is and which key its signatures are checked with."""


@dataclass(frozen=True)
class ProvenEntry:
    """One leaf of the record with its inclusion proof, and the openings its reader may read."""

    index: int
    leaf: bytes
    proof: tuple[bytes, ...]
    openings: tuple[Opening, ...] = ()

    def document(self) -> dict[str, Any]:
        """As the evidence file holds it."""
        document: dict[str, Any] = {
            "index": self.index,
            "leaf": encode_base64(self.leaf),
            "proof": [encode_base64(h) for h in self.proof],
        }
        if self.openings:
            document["openings"] = [opening.document() for opening in self.openings]
        return document


def evidence_document(
    notice: int, exported_by: str, note: str, entries: Sequence[ProvenEntry]
) -> dict[str, Any]:
    """The evidence file of `notice` as `exported_by` may read it: `entries` proven against
    the checkpoint `note` (a signed note, with cosignature lines if any), in leaf order."""
    return {
        "format": FORMAT,
        "notice": notice,
        "exported_by": exported_by,
        "checkpoint": note,
        "entries": [entry.document() for entry in sorted(entries, key=lambda e: e.index)],
    }


@dataclass(frozen=True)
class EvidenceFile:
    """An evidence file as read, before anything in it is checked."""

    notice: int
    exported_by: str
    note: str
    entries: tuple[Mapping[str, Any], ...]


def read_evidence(text: str | bytes) -> EvidenceFile:
    """Read an evidence file's JSON; RecordError naming what is not there or not of its type.

    Only the file's frame is read here: an entry whose contents do not read is
    named by `verify_evidence`.
    """
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RecordError("the evidence file is not JSON", field="evidence") from None
    return evidence_from(document)


def evidence_from(document: Any) -> EvidenceFile:
    """An evidence file's frame from its JSON value, as `read_evidence` reads it."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RecordError(f"not an evidence file of format {FORMAT}", field="format")
    frame = {"notice": int, "exported_by": str, "checkpoint": str, "entries": list}
    for name, kind in frame.items():
        value = document.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise RecordError(
                f"the evidence file's {name} is not a {kind.__name__}", field=name, value=value
            )
    entries = document["entries"]
    for position, entry in enumerate(entries):
        index = entry.get("index") if isinstance(entry, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise RecordError(
                f"entry {position + 1} of the file has no leaf index", field="index", value=index
            )
    return EvidenceFile(
        document["notice"], document["exported_by"], document["checkpoint"], tuple(entries)
    )


@dataclass(frozen=True)
class ProvenThread:
    """What an evidence file proved: these entries, as opened, are in the record the log key
    signed at `checkpoint`, and form the thread of `notice` between its two parties."""

    notice: int
    exported_by: str
    checkpoint: Checkpoint
    entries: tuple[tuple[int, dict[str, Any]], ...]
    """Each entry's leaf index and the entry as its sealed part opens, in the record's order."""
    signatures_checked: int
    witnessed: dict[str, int] = field(default_factory=dict)
    """The required witnesses that cosigned the checkpoint, with when (unix seconds)."""

    @property
    def names(self) -> dict[str, str]:
        """Each party's display name, as its `party` entry in the file says."""
        return {
            str(entry["party"]): str(entry["name"])
            for _, entry in self.entries
            if entry.get("kind") == "party"
        }


def verify_evidence(
    evidence: EvidenceFile, log_key: NoteVerifier, witnesses: WitnessPolicy | None = None
) -> ProvenThread:
    """Check an evidence file end to end; BundleInvalid naming the first entry at fault (or the
    checkpoint, or the thread when its notice is not in it)."""
    checkpoint = trusted_checkpoint(evidence.note, log_key, "the evidence's checkpoint")
    witnessed = (
        {}
        if witnesses is None
        else witnessed_by(evidence.note, log_key, witnesses, "the evidence's checkpoint")
    )
    views: list[tuple[int, dict[str, Any]]] = []
    for raw in evidence.entries:
        previous = views[-1][0] if views else -1
        views.append((int(raw["index"]), _proven(raw, previous, checkpoint)))
    signatures = check_party_signatures(views)
    _check_thread(evidence.notice, evidence.exported_by, views)
    return ProvenThread(
        evidence.notice, evidence.exported_by, checkpoint, tuple(views), signatures, witnessed
    )


def _proven(raw: Mapping[str, Any], previous: int, checkpoint: Checkpoint) -> dict[str, Any]:
    """One entry of the file, proven in the record and opened."""
    index = int(raw["index"])
    if index <= previous:
        raise BundleInvalid(
            f"entry {index} is out of order: it comes after entry {previous} in the file", index
        )
    leaf = decode_base64(str(raw.get("leaf", "")))
    proof_text = raw.get("proof")
    proof = [decode_base64(str(h)) for h in proof_text] if isinstance(proof_text, list) else None
    if leaf is None or proof is None or any(h is None or len(h) != HASH_SIZE for h in proof):
        raise BundleInvalid(f"entry {index}: its leaf or proof is not base64 as it must be", index)
    try:
        verify_inclusion(
            leaf_hash(leaf),
            index,
            checkpoint.size,
            [h for h in proof if h is not None],
            checkpoint.root_hash,
        )
    except InvalidProof as error:
        raise BundleInvalid(
            f"entry {index} is not in the record the checkpoint signs ({error.message}): it was "
            "changed, moved, or its proof was",
            index,
        ) from None
    entry = entry_of(index, leaf)
    view = opened_entry(index, entry, openings_of(raw.get("openings", []), index))
    if "sealed" in view:
        raise BundleInvalid(f"entry {index}: the file does not open its sealed part", index)
    return view


def _check_thread(
    notice: int, exported_by: str, views: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """Every entry is of the notice's thread: its notice, the notices of the same feature
    between the same two parties, their messages and states, that feature's versions, and
    the two parties' `party` and `party_key` entries."""
    notices = {v.get("notice"): v for _, v in views if v.get("kind") == "notice"}
    main = notices.get(notice)
    if main is None:
        raise BundleInvalid(f"the file holds no entry of notice {notice} being sent")
    pair = (main.get("sender"), main.get("recipient"))
    if exported_by not in pair:
        raise BundleInvalid(
            f"the file says {exported_by} exported it, who is neither the sender nor the "
            f"recipient of notice {notice}"
        )
    for index, view in views:
        belongs = _belongs(view, main, notices)
        if not belongs:
            raise BundleInvalid(
                f"entry {index} ({view.get('kind')}) is not of the thread of notice {notice} "
                f"between {pair[0]} and {pair[1]}",
                index,
            )


def notices_named(view: Mapping[str, Any]) -> list[Any]:
    """The notices a thread entry is of: the one it names, else those a signed inbox fetch
    was shown."""
    shown = view.get("notices")
    if view.get("notice") is None and isinstance(shown, list):
        return shown
    return [view.get("notice")]


def _belongs(view: Mapping[str, Any], main: Mapping[str, Any], notices: Mapping[Any, Any]) -> bool:
    kind = view.get("kind")
    sender, recipient, feature_id = (
        main.get("sender"),
        main.get("recipient"),
        main.get("feature_id"),
    )
    if kind == "notice":
        same = view.get("sender") == sender and view.get("recipient") == recipient
        return view is main or (
            same and feature_id is not None and view.get("feature_id") == feature_id
        )
    if kind in THREAD_KINDS:
        return any(notice in notices for notice in notices_named(view))
    if kind == "feature":
        return feature_id is not None and (view.get("party"), view.get("feature_id")) == (
            sender,
            feature_id,
        )
    return kind in PARTY_KINDS and view.get("party") in (sender, recipient)
