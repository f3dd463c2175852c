"""The record's entries: every message and state change on the line, as plain JSON values.

Each entry is hashed as its RFC 8785 canonical bytes, so anyone can recompute
a leaf from the entry. What one party may not see is committed to, not shown:
a `contact` zone appears as a salted SHA-256 commitment that its owner can
open later with the salt, and notices about it name no feature.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deconflict.line.model import Declared, Message, Notice, NoticeState, ResponseKind, Share
from deconflict.line.parties import Party
from deconflict.line.views import iso, see_conflict, shown_params
from deconflict.record.canonical import canonical_bytes
from deconflict.rules.plan import feature_to_geojson

ENTRY_KINDS = (
    "party",
    "party_key",
    "feature",
    "notice",
    "message",
    "notice_state",
    "overdue",
)
"""Every kind of entry the record holds (docs/record.md describes each)."""

Entry = dict[str, Any]


@dataclass(frozen=True)
class Signed:
    """A request as its party signed it: the payload and the base64 Ed25519 signature."""

    payload: dict[str, Any]
    signature: str


def party_entry(party: Party, at: datetime) -> Entry:
    """A party joined the line."""
    return {
        "kind": "party",
        "at": iso(at),
        "party": party.id,
        "name": party.name,
        "language": party.language,
        "contact": party.contact,
    }


def party_key_entry(party_id: str, public_key_b64: str, at: datetime) -> Entry:
    """A party registered the public key its signatures are checked with from now on."""
    return {"kind": "party_key", "at": iso(at), "party": party_id, "public_key": public_key_b64}


def commitment(declared: Declared, salt: bytes) -> str:
    """SHA-256 of salt || canonical feature, hex: binds a withheld shape without showing it."""
    return hashlib.sha256(salt + canonical_bytes(feature_to_geojson(declared.feature))).hexdigest()


def feature_entry(
    declared: Declared, change: str, at: datetime, salt: bytes, signed: Signed | None
) -> Entry:
    """A zone or activity was declared, amended, cancelled or closed (this version)."""
    entry: Entry = {
        "kind": "feature",
        "at": iso(at),
        "change": change,
        "party": declared.feature.party,
        "feature_kind": declared.feature.kind.value,
        "version": declared.version,
        "share": declared.share.value,
    }
    if declared.share is Share.CONTACT:
        entry.update(feature_id=None, feature=None, commitment=commitment(declared, salt))
    else:
        entry.update(feature_id=declared.feature.id, feature=feature_to_geojson(declared.feature))
    return _with_signature(entry, signed)


def notice_entry(notice: Notice) -> Entry:
    """A notice was sent (its conflicts as the recipient sees them)."""
    return {
        "kind": "notice",
        "at": iso(notice.sent_at),
        "notice": notice.id,
        "feature_id": None if notice.withheld else notice.feature_id,
        "version": None if notice.withheld else notice.feature_version,
        "sender": notice.sender,
        "recipient": notice.recipient,
        "priority": notice.priority,
        "respond_by": iso(notice.respond_by),
        "conflicts": [see_conflict(c.for_others()).document() for c in notice.conflicts],
    }


def message_entry(notice_id: int, message: Message, signed: Signed | None) -> Entry:
    """A message joined a notice's thread (structured code and parameters, free text apart)."""
    entry: Entry = {
        "kind": "message",
        "at": iso(message.at),
        "notice": notice_id,
        "message": message.id,
        "sender": message.sender,
        "code": message.code.value,
        "params": shown_params(message, owner_reads=False),
        "free_text": message.text,
    }
    return _with_signature(entry, signed)


def state_entry(
    notice_id: int, state: NoticeState, at: datetime, response: ResponseKind | None
) -> Entry:
    """A notice moved on: delivered, read or responded (with the response)."""
    return {
        "kind": "notice_state",
        "at": iso(at),
        "notice": notice_id,
        "state": state.value,
        "response": response.value if response else None,
    }


def overdue_entry(notice_id: int, at: datetime) -> Entry:
    """A notice passed its respond-by time unanswered and was escalated."""
    return {"kind": "overdue", "at": iso(at), "notice": notice_id}


def _with_signature(entry: Entry, signed: Signed | None) -> Entry:
    if signed is not None:
        entry["signed"] = {"payload": signed.payload, "signature": signed.signature}
    return entry
