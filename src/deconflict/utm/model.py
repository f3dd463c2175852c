"""The DSS's entities: operational intents, constraints and subscriptions, with the
documents the standard writes for them and the ones the stores keep."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from deconflict.record.note import NoteSigner
from deconflict.utm.extents import Extent, read_extent, time_document, window

NO_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
"""The subscription id an intent without a subscription is shown with (the field is required)."""

UNKNOWN, NORMAL, DOWN = "Unknown", "Normal", "Down"
AVAILABILITIES = (UNKNOWN, NORMAL, DOWN)


class Kind(StrEnum):
    """What a stored DSS entity is; each kind has its own ids."""

    INTENT = "operational_intent"
    CONSTRAINT = "constraint"
    SUBSCRIPTION = "subscription"
    REPORT = "report"


class State(StrEnum):
    """The states of an operational intent the DSS holds (Ended is a deletion)."""

    ACCEPTED = "Accepted"
    ACTIVATED = "Activated"
    NONCONFORMING = "Nonconforming"
    CONTINGENT = "Contingent"

    @property
    def needs_key(self) -> bool:
        """Accepted and Activated intents must prove they know what they meet."""
        return self in (State.ACCEPTED, State.ACTIVATED)

    @property
    def needs_subscription(self) -> bool:
        """Every state but Accepted must keep its manager informed."""
        return self is not State.ACCEPTED

    @property
    def off_nominal(self) -> bool:
        """Nonconforming and Contingent: conformance monitoring's states."""
        return self in (State.NONCONFORMING, State.CONTINGENT)


def new_version() -> str:
    """A fresh opaque version: an OVN, a subscription's or an availability's version."""
    return secrets.token_urlsafe(24)


def ovn_secret(signer: NoteSigner) -> bytes:
    """The key OVNs are made under: HKDF-SHA256 of the line's log key (the key that signs the
    record's heads), so every node of the line, and a rebuild holding that key, has it."""
    raw = signer.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"deconflict DSS OVN")
    return derive.derive(raw)


def new_ovn(secret: bytes | None, kind: Kind, entity_id: str, version: int, at: datetime) -> str:
    """The OVN of an intent's or a constraint's write: HMAC-SHA256 under `secret` of what the
    write's entry records (kind, id, version, moment), base64url (43 characters). No USS can
    tell it without the key, and a rebuild with the key makes it again from the record, which
    holds only its SHA-256. Without a secret, random."""
    if secret is None:
        return new_version()
    said = "\n".join((kind.value, entity_id, str(version), time_document(at)["value"]))
    digest = hmac.new(secret, said.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class Reference:
    """An operational intent or a constraint reference as the DSS keeps it."""

    kind: Kind
    id: str
    manager: str
    version: int
    ovn: str
    uss_base_url: str
    extents: tuple[Extent, ...]
    state: State | None = None  # intents only
    subscription_id: str | None = None  # intents only

    def shown(self, asker: str, availability: str) -> dict[str, Any]:
        """The reference as the standard writes it; the OVN only for its manager."""
        start, end = window(self.extents)
        assert start is not None and end is not None  # an entity's extents are bounded
        found: dict[str, Any] = {
            "id": self.id,
            "manager": self.manager,
            "uss_availability": availability,
            "version": self.version,
            "time_start": time_document(start),
            "time_end": time_document(end),
            "uss_base_url": self.uss_base_url,
        }
        if asker == self.manager:
            found["ovn"] = self.ovn
        if self.kind is Kind.INTENT:
            assert self.state is not None
            found["state"] = self.state.value
            found["subscription_id"] = self.subscription_id or NO_SUBSCRIPTION
        return found

    def stored(self) -> dict[str, Any]:
        """What the store keeps of it."""
        found = {
            "manager": self.manager,
            "version": self.version,
            "ovn": self.ovn,
            "uss_base_url": self.uss_base_url,
            "extents": [e.document() for e in self.extents],
        }
        if self.state is not None:
            found["state"] = self.state.value
            found["subscription_id"] = self.subscription_id
        return found

    @classmethod
    def from_stored(cls, kind: Kind, entity_id: str, kept: dict[str, Any]) -> Reference:
        state = kept.get("state")
        return cls(
            kind=kind,
            id=entity_id,
            manager=kept["manager"],
            version=int(kept["version"]),
            ovn=kept["ovn"],
            uss_base_url=kept["uss_base_url"],
            extents=_extents(kept["extents"]),
            state=State(state) if state is not None else None,
            subscription_id=kept.get("subscription_id"),
        )


@dataclass(frozen=True)
class Subscription:
    """A USS's interest in a place and a time, and how many notifications it was owed."""

    id: str
    manager: str
    version: str
    notification_index: int
    uss_base_url: str
    notify_for_intents: bool
    notify_for_constraints: bool
    implicit: bool
    extents: tuple[Extent, ...]

    @property
    def start(self) -> datetime:
        start, _ = window(self.extents)
        assert start is not None  # a subscription's window is always settled
        return start

    @property
    def end(self) -> datetime:
        _, end = window(self.extents)
        assert end is not None
        return end

    def shown(self, dependents: list[str]) -> dict[str, Any]:
        """The subscription as the standard writes it."""
        return {
            "id": self.id,
            "version": self.version,
            "notification_index": self.notification_index,
            "time_start": time_document(self.start),
            "time_end": time_document(self.end),
            "uss_base_url": self.uss_base_url,
            "notify_for_operational_intents": self.notify_for_intents,
            "notify_for_constraints": self.notify_for_constraints,
            "implicit_subscription": self.implicit,
            "dependent_operational_intents": dependents,
        }

    def stored(self) -> dict[str, Any]:
        """What the store keeps of it (the notifications owed are counted beside it)."""
        return {
            "manager": self.manager,
            "version": self.version,
            "uss_base_url": self.uss_base_url,
            "notify_for_operational_intents": self.notify_for_intents,
            "notify_for_constraints": self.notify_for_constraints,
            "implicit_subscription": self.implicit,
            "extents": [e.document() for e in self.extents],
        }

    @classmethod
    def from_stored(cls, subscription_id: str, kept: dict[str, Any], notified: int) -> Subscription:
        return cls(
            id=subscription_id,
            manager=kept["manager"],
            version=kept["version"],
            notification_index=notified,
            uss_base_url=kept["uss_base_url"],
            notify_for_intents=bool(kept["notify_for_operational_intents"]),
            notify_for_constraints=bool(kept["notify_for_constraints"]),
            implicit=bool(kept["implicit_subscription"]),
            extents=_extents(kept["extents"]),
        )


def entry(
    at: datetime, uss: str, change: str, entity: str, entity_id: str, document: Any = None
) -> dict[str, Any]:
    """The record's entry of one DSS write (kind `dss`): who changed what, and to what.

    An OVN is proof of knowledge the DSS gives only to the entity's manager, so the entry
    holds its SHA-256, never the OVN itself.
    """
    found: dict[str, Any] = {
        "kind": "dss",
        "at": time_document(at)["value"],
        "uss": uss,
        "change": change,
        "entity": entity,
        "id": entity_id,
    }
    if document is not None:
        kept = {k: v for k, v in document.items() if k != "ovn"}
        if "ovn" in document:
            kept["ovn_sha256"] = hashlib.sha256(document["ovn"].encode()).hexdigest()
        found["document"] = kept
    return found


def _extents(documents: list[dict[str, Any]]) -> tuple[Extent, ...]:
    return tuple(read_extent(d, "stored") for d in documents)
