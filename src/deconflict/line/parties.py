"""Parties on the line and the API tokens they act with.

A token is shown once, when issued, and only its SHA-256 hash is stored, so a
copy of the database hands nobody a working token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from deconflict.errors import InvalidFeature, NotFound

LANGUAGES = ("en", "ru", "ar")
_PARTY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TOKEN_PREFIX = "dcf_"


class Role(StrEnum):
    """What a token may do: duty reads and responds, planner also declares, admin manages."""

    DUTY = "duty"
    PLANNER = "planner"
    ADMIN = "admin"


@dataclass(frozen=True)
class Party:
    """An organisation on the line."""

    id: str
    name: str
    language: str
    contact: str | None = None
    escalation_contact: str | None = None


@dataclass(frozen=True)
class Credential:
    """Who a presented token speaks for, and with which role."""

    party_id: str
    role: Role
    token_id: str


class PartyStore(Protocol):
    """What party management needs of a store."""

    @property
    def reads_in_process(self) -> bool:
        """Whether a read is answered in this process, never waiting on a network or a writer
        (a SQLite file in WAL mode: readers never wait), so it may run on an event loop."""
        ...

    def add_party(self, party: Party, at: datetime) -> None: ...

    def party(self, party_id: str) -> Party | None: ...

    def add_token(
        self, token_id: str, token_hash: str, party_id: str, role: Role, at: datetime
    ) -> None: ...

    def revoke_tokens(self, party_id: str, token_id: str | None, at: datetime) -> int: ...

    def credential(self, token_hash: str) -> Credential | None: ...


class SessionStore(Protocol):
    """What console sessions (web/sessions.py) need of a store: each session a stand-in for
    the token it acts with, kept by the hash of its key."""

    def add_console_session(
        self, key_hash: str, token_id: str, expires_at_s: float, now_s: float
    ) -> None:
        """Keep a new session, and remove every session expired by `now_s`."""
        ...

    def console_session(self, key_hash: str) -> tuple[float, Credential | None] | None:
        """(when it expires, its token's credential or None once revoked), or None."""
        ...

    def remove_console_session(self, key_hash: str) -> None: ...


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def validate_party(party: Party) -> None:
    """Raise InvalidFeature naming the field when a party's registration is unusable."""
    if not _PARTY_ID.match(party.id):
        raise InvalidFeature(
            "a party id is 1-64 lower-case letters, digits, '-' or '_'", field="id", value=party.id
        )
    if not party.name.strip():
        raise InvalidFeature("a party needs a display name", field="name", value=party.name)
    if party.language not in LANGUAGES:
        raise InvalidFeature(
            f"language must be one of {', '.join(LANGUAGES)}",
            field="language",
            value=party.language,
        )


def register_party(store: PartyStore, party: Party, at: datetime) -> str:
    """Add a party with a first admin token; returns that token (shown once)."""
    validate_party(party)
    store.add_party(party, at)
    return issue_token(store, party.id, Role.ADMIN, at)


def issue_token(store: PartyStore, party_id: str, role: Role, at: datetime) -> str:
    """A new token for the party; returns it (shown once, stored only as a hash)."""
    if store.party(party_id) is None:
        raise NotFound("no such party", field="party", value=party_id)
    token_id = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    store.add_token(token_id, hash_token(token), party_id, role, at)
    return token


def token_id_of(token: str) -> str:
    """The public id inside a token `dcf_<id>_<secret>` (what revoking names it by)."""
    return token.removeprefix(TOKEN_PREFIX).split("_", 1)[0]


def revoke(store: PartyStore, party_id: str, token_id: str | None, at: datetime) -> int:
    """Revoke one token (by its id) or, with None, every token of the party; returns how many."""
    if store.party(party_id) is None:
        raise NotFound("no such party", field="party", value=party_id)
    count = store.revoke_tokens(party_id, token_id, at)
    if token_id is not None and count == 0:
        raise NotFound("no such live token for this party", field="token", value=token_id)
    return count


def authenticate(store: PartyStore, token: str) -> Credential | None:
    """The credential a presented token stands for, or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return store.credential(hash_token(token))
