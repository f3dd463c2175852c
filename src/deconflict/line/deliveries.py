"""Escalation's values: where a party's overdue notices go, the job that takes one there, and
what each attempt came to; plain values and their checks (the use cases: line/escalation.py)."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from deconflict.errors import InvalidFeature
from deconflict.line.views import iso
from deconflict.settings import is_loopback

SECRET_PREFIX = "whsec_"
"""Standard Webhooks' prefix of a symmetric secret: `whsec_` then the key in base64."""
_SECRET_BYTES = (24, 64)
_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


class Channel(StrEnum):
    """How an escalation leaves the line."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class Signing(StrEnum):
    """How a webhook's body is signed: an HMAC-SHA256 secret shared with the receiver, or the
    line's Ed25519 key (the one its checkpoints are signed with)."""

    HMAC = "hmac"
    LINE_KEY = "line-key"


class Outcome(StrEnum):
    """What one delivery attempt came to."""

    DELIVERED = "delivered"
    FAILED = "failed"
    GIVEN_UP = "given_up"


class DeliveryState(StrEnum):
    """Where a delivery job stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    GIVEN_UP = "given_up"


@dataclass(frozen=True)
class Destination:
    """Where a party's escalations go: a webhook URL (with its signing) or an e-mail address.

    `secret` is a webhook's HMAC secret: it never leaves the line after it is set.
    """

    id: int
    party: str
    channel: Channel
    target: str
    signing: Signing | None = None
    secret: str | None = None
    created_at: datetime | None = None

    @property
    def shown_target(self) -> str:
        """What the record and the notice's sender are told: an e-mail address, or a webhook
        URL's scheme, host and port only (a path or query may hold a receiver's secret)."""
        if self.channel is Channel.EMAIL:
            return self.target
        parts = urlsplit(self.target)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"

    def document(self) -> dict[str, Any]:
        """As its party's admin reads it: a webhook's secret only as its first characters."""
        found: dict[str, Any] = {"id": self.id, "channel": self.channel.value}
        if self.channel is Channel.EMAIL:
            found["address"] = self.target
        else:
            found["url"] = self.target
            found["signing"] = self.signing.value if self.signing else None
            found["secret_hint"] = secret_hint(self.secret)
        return found | {"created_at": iso(self.created_at)}


def secret_hint(secret: str | None) -> str | None:
    """A secret as it may be shown again: its prefix and four characters, then an ellipsis."""
    if secret is None:
        return None
    return f"{secret[: len(SECRET_PREFIX) + 4]}…"


def new_secret() -> str:
    """A fresh HMAC secret in Standard Webhooks' form: `whsec_` and 32 random bytes, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for (its base64 part, decoded)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def webhook(party: str, url: str, signing: Signing, secret: str | None = None) -> Destination:
    """A new webhook destination (id 0 until stored). An HMAC webhook without a secret gets a
    new one; InvalidFeature naming the field for an unusable URL or secret.

    The URL must be https, or http to a loopback host (a receiver on the same machine)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    plain_ok = parts.scheme == "http" and is_loopback(host)
    if len(url) > 2000 or not host or not (parts.scheme == "https" or plain_ok):
        raise InvalidFeature(
            "a webhook is an https URL (or http to a loopback host) with a host",
            field="url",
            value=url,
        )
    if parts.username or parts.password:
        raise InvalidFeature(
            "a webhook URL carries no user or password; the body is signed instead",
            field="url",
            value=url,
        )
    if signing is Signing.LINE_KEY:
        if secret is not None:
            raise InvalidFeature(
                "a webhook signed with the line's key takes no secret",
                field="secret",
                value=secret_hint(secret),
            )
        return Destination(0, party, Channel.WEBHOOK, url, signing)
    return Destination(0, party, Channel.WEBHOOK, url, signing, _checked_secret(secret))


def email(party: str, address: str) -> Destination:
    """A new e-mail destination (id 0 until stored); InvalidFeature for an unusable address."""
    if len(address) > 254 or not _EMAIL.match(address):
        raise InvalidFeature(
            "an e-mail address reads name@domain.tld (no spaces, no display name)",
            field="address",
            value=address,
        )
    return Destination(0, party, Channel.EMAIL, address)


def _checked_secret(secret: str | None) -> str:
    if secret is None:
        return new_secret()
    try:
        key = secret_key(secret) if secret.startswith(SECRET_PREFIX) else b""
    except ValueError:
        key = b""
    if not _SECRET_BYTES[0] <= len(key) <= _SECRET_BYTES[1]:
        raise InvalidFeature(
            f"an HMAC secret is {SECRET_PREFIX} then base64 of {_SECRET_BYTES[0]} to "
            f"{_SECRET_BYTES[1]} random bytes; leave it out and the line makes one",
            field="secret",
            value=secret_hint(secret),
        )
    return secret


@dataclass(frozen=True)
class Delivery:
    """One job: notice `notice_id`'s escalation to one destination of its recipient."""

    id: int
    notice_id: int
    destination: Destination
    state: DeliveryState
    attempts: int
    queued_at: datetime
    removed: bool = False
    """Its destination was removed after the job was queued."""


@dataclass(frozen=True)
class Attempt:
    """What one try came to, as the transport saw it: delivered, or why not; `permanent`: no
    retry can succeed (a recipient address the mail server refuses, a destination removed)."""

    delivered: bool
    reason: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class Settled:
    """An attempt as recorded: its job, number, outcome, why, when, the next try (None: no
    more), and the record entry that keeps it."""

    delivery: Delivery
    attempt: int
    outcome: Outcome
    reason: str | None
    at: datetime
    next_at: datetime | None
    entry: int = -1

    def document(self, shown_to_recipient: bool = True) -> dict[str, Any]:
        """As an event or a log line: the destination named in full only to its own party."""
        destination = self.delivery.destination
        found: dict[str, Any] = {
            "notice": self.delivery.notice_id,
            "delivery": self.delivery.id,
            "channel": destination.channel.value,
            "attempt": self.attempt,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "at": iso(self.at),
            "next_attempt_at": iso(self.next_at),
            "entry": self.entry,
        }
        if shown_to_recipient:
            found |= {"destination": destination.id, "to": destination.shown_target}
        return found


@dataclass(frozen=True)
class Retries:
    """When a failed job is tried again: `first` after the first failure, doubling each time
    up to `most` between tries; none once `give_up_after` has passed since it was queued."""

    first: timedelta
    most: timedelta
    give_up_after: timedelta

    def next_try(self, delivery: Delivery, attempt: int, now: datetime) -> datetime | None:
        """After failed attempt number `attempt` (1 for the first), when to try again."""
        # Doubled in seconds and capped before it is a timedelta: a late attempt's 2**n
        # would overflow one.
        doubled_s = self.first.total_seconds() * 2.0 ** min(attempt - 1, 64)
        delay = timedelta(seconds=min(doubled_s, self.most.total_seconds()))
        next_at = now + delay
        return None if next_at > delivery.queued_at + self.give_up_after else next_at
