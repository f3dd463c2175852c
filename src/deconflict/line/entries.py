"""The record's entries: every message and state change on the line, as plain JSON values.

Each entry is hashed as its RFC 8785 canonical bytes, so anyone can recompute
a leaf from the entry. What not every party may read is sealed (record/sealed.py):
a `contact` zone's id and shape, and everything about a notice (who sent it to
whom, its conflicts, its thread, its state) go into the leaf as a salted
commitment, opened only to the parties entitled to it. A builder here says what
is public, what is sealed and who may open it; the unit of work draws the salt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from deconflict.line.deliveries import Settled
from deconflict.line.model import Declared, Message, Notice, NoticeState, ResponseKind, Share
from deconflict.line.parties import Party
from deconflict.line.views import iso, see_conflict, shown_params
from deconflict.record import merkle
from deconflict.record.canonical import canonical_bytes
from deconflict.record.http_signature import HttpSignature
from deconflict.record.sealed import Opening
from deconflict.rules.feature import Feature
from deconflict.rules.plan import feature_to_geojson

ENTRY_KINDS = (
    "party",
    "party_key",
    "feature",
    "notice",
    "message",
    "notice_state",
    "overdue",
    "probe",
    "delivery",
    "read",
    "dss",
)
"""Every kind of entry the record holds (docs/record.md describes each; `dss` entries are
made by utm/model.py's `entry`)."""

Entry = dict[str, Any]

Readers = frozenset[str] | None
"""The parties that may read an opening; None: every party."""

EVERY_PARTY: Readers = None


@dataclass(frozen=True)
class Signed:
    """A request as its party signed it: the payload, and one signature or both.

    `signature` is the base64 Ed25519 signature of the payload's commitment under
    `salt` (record/sealed.py, header `Deconflict-Signature`); `http` the request's
    RFC 9421 signature (record/http_signature.py, headers `Signature-Input` and
    `Signature`).
    """

    payload: dict[str, Any]
    signature: str | None = None
    salt: bytes | None = None
    http: HttpSignature | None = None

    @cached_property
    def opening(self) -> Opening | None:
        """The payload sealed under the request's salt (sealed once, however often asked);
        None without a signed commitment."""
        return None if self.salt is None else Opening.of(self.payload, self.salt)


@dataclass(frozen=True)
class Draft:
    """An entry before it is recorded: its public fields, and what is sealed from whom.

    `sealed` (if any) becomes one commitment in the leaf, opened to `readers`
    (None: every party). A `signed` request's commitment and signature go beside
    the public fields, or inside the sealed part when `signer_sealed` (then not
    even who signed shows); its payload is opened to the same readers. Its RFC
    9421 signature goes inside the sealed part when there is one (its path and
    body may name what is sealed), else beside the public fields.
    """

    public: Entry
    sealed: Entry | None = None
    readers: Readers = EVERY_PARTY
    signed: Signed | None = None
    signer_sealed: bool = False


@dataclass(frozen=True)
class Leaf:
    """An entry made ready for the record before its place in the log is known: its
    canonical bytes and their leaf hash (an append's own work), the openings of its
    commitments, and its kind and time (the columns it is stored with)."""

    kind: str
    at: str
    data: bytes
    digest: bytes
    openings: tuple[tuple[Opening, Readers], ...] = ()

    @classmethod
    def of(cls, entry: Entry, openings: tuple[tuple[Opening, Readers], ...] = ()) -> Leaf:
        data = canonical_bytes(entry)
        return cls(entry["kind"], entry["at"], data, merkle.leaf_hash(data), openings)


def party_entry(party: Party, at: datetime) -> Draft:
    """A party joined the line (public: every party may know who is on the line)."""
    return Draft(
        {
            "kind": "party",
            "at": iso(at),
            "party": party.id,
            "name": party.name,
            "language": party.language,
            "contact": party.contact,
        }
    )


def party_key_entry(party_id: str, public_key_b64: str, at: datetime) -> Draft:
    """A party registered the public key its signatures are checked with from now on."""
    return Draft(
        {"kind": "party_key", "at": iso(at), "party": party_id, "public_key": public_key_b64}
    )


def feature_entry(declared: Declared, change: str, at: datetime, signed: Signed | None) -> Draft:
    """A zone or activity was declared, amended, cancelled or closed (this version).

    A `contact` zone's id and GeoJSON are sealed, opened to its owner only.
    """
    public: Entry = {
        "kind": "feature",
        "at": iso(at),
        "change": change,
        "party": declared.feature.party,
        "feature_kind": declared.feature.kind.value,
        "version": declared.version,
        "share": declared.share.value,
    }
    shown = {
        "feature_id": declared.feature.id,
        "feature": feature_to_geojson(declared.feature),
    }
    if declared.share is Share.CONTACT:
        return Draft(public, shown, frozenset({declared.feature.party}), signed)
    return Draft(public | shown, signed=signed)


def notice_entry(notice: Notice) -> Draft:
    """A notice was sent (its conflicts as a party other than a hidden zone's owner sees them),
    sealed to its two parties."""
    return Draft(
        {"kind": "notice", "at": iso(notice.sent_at)},
        {
            "notice": notice.id,
            "feature_id": None if notice.withheld else notice.feature_id,
            "version": None if notice.withheld else notice.feature_version,
            "sender": notice.sender,
            "recipient": notice.recipient,
            "priority": notice.priority,
            "respond_by": iso(notice.respond_by),
            "conflicts": [see_conflict(c.for_others()).document() for c in notice.conflicts],
        },
        _parties_of(notice),
    )


def message_entry(notice: Notice, message: Message, signed: Signed | None) -> Draft:
    """A message joined a notice's thread (structured code and parameters, free text apart)."""
    return Draft(
        {"kind": "message", "at": iso(message.at)},
        {
            "notice": notice.id,
            "message": message.id,
            "sender": message.sender,
            "code": message.code.value,
            "params": shown_params(message, owner_reads=False),
            "free_text": message.text,
        },
        _parties_of(notice),
        signed,
        signer_sealed=True,
    )


def state_entry(
    notice: Notice, state: NoticeState, at: datetime, response: ResponseKind | None
) -> Draft:
    """A notice moved on: delivered, read or responded (with the response)."""
    return Draft(
        {"kind": "notice_state", "at": iso(at)},
        {
            "notice": notice.id,
            "state": state.value,
            "response": response.value if response else None,
        },
        _parties_of(notice),
    )


def overdue_entry(notice: Notice, at: datetime) -> Draft:
    """A notice passed its respond-by time unanswered and was escalated."""
    return Draft({"kind": "overdue", "at": iso(at)}, {"notice": notice.id}, _parties_of(notice))


def probe_entry(at: datetime, asker: str, zone: Declared, feature: Feature) -> Draft:
    """A party's dry run met another party's `contact` zone: who asked, with what feature, and
    which zone, sealed to the zone's owner (the asker may not learn the zone's id)."""
    return Draft(
        {"kind": "probe", "at": iso(at)},
        {
            "asker": asker,
            "owner": zone.feature.party,
            "feature": feature_to_geojson(feature),
            "zone_id": zone.feature.id,
        },
        frozenset({zone.feature.party}),
    )


def delivery_entry(notice: Notice, settled: Settled) -> Draft:
    """An overdue notice's escalation was sent to one of its recipient's destinations (or the
    line gave up on it): which, the attempt's number, what came of it and why, sealed to the
    notice's two parties. A webhook is named by its scheme, host and port only."""
    destination = settled.delivery.destination
    return Draft(
        {"kind": "delivery", "at": iso(settled.at)},
        {
            "notice": notice.id,
            "delivery": settled.delivery.id,
            "party": destination.party,
            "destination": destination.id,
            "channel": destination.channel.value,
            "to": destination.shown_target,
            "attempt": settled.attempt,
            "outcome": settled.outcome.value,
            "reason": settled.reason,
            "next_attempt_at": iso(settled.next_at),
        },
        _parties_of(notice),
    )


def read_entry(
    party: str, at: datetime, signed: HttpSignature, notice: Notice | None, shown: list[int]
) -> Draft:
    """A party fetched a notice (sealed to its two parties) or its inbox (sealed to itself,
    with the notices it was shown), and signed the request (RFC 9421)."""
    content: Entry = {"party": party, "notice": None if notice is None else notice.id}
    if notice is None:
        content["notices"] = shown
    readers = frozenset({party}) if notice is None else _parties_of(notice)
    return Draft({"kind": "read", "at": iso(at)}, content, readers, Signed({}, http=signed))


def _parties_of(notice: Notice) -> frozenset[str]:
    return frozenset({notice.sender, notice.recipient})
