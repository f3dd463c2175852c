"""Sealed parts of entries: committed to in the record, opened only to who may read them.

A value one party may not read (a `contact` zone's shape, a bilateral
notice's thread, a signed request that holds either) goes into the leaf as its
commitment, the lowercase hex of SHA-256(salt || canonical bytes of the value)
with a 32-byte random salt: hiding (the salt is secret) and binding (SHA-256).
Its opening, the salt and the value, is served only to the parties entitled to
it; any of them can hand it to an arbiter, who checks it against the leaf.

A party signs the commitment of what it sends, not the plaintext: the bytes
signed are `SIGNED_CONTEXT` followed by the commitment's hex. Anyone can then
check that a party signed a leaf's commitment without reading what it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.canonical import JsonValue, canonical_bytes
from deconflict.record.errors import RecordError

SALT_SIZE = 32
"""Bytes of random salt in every commitment."""

SIGNED_CONTEXT = b"deconflict signed commitment v1\n"
"""What a party's signature bytes start with, before the commitment's hex."""


def new_salt() -> bytes:
    """A fresh random salt for one commitment."""
    return os.urandom(SALT_SIZE)


def seal(value: JsonValue, salt: bytes) -> str:
    """The commitment to `value` under `salt`: hex SHA-256(salt || canonical bytes of value).

    >>> seal({"a": 1}, bytes(32))[:16]
    'b06a229070741292'
    """
    return _commitment(canonical_bytes(value), salt)


def _commitment(value_bytes: bytes, salt: bytes) -> str:
    if len(salt) != SALT_SIZE:
        raise RecordError(f"a salt is {SALT_SIZE} bytes, not {len(salt)}", field="salt")
    return hashlib.sha256(salt + value_bytes).hexdigest()


def signed_bytes(commitment: str) -> bytes:
    """The bytes a party signs to vouch for the value behind `commitment`."""
    return SIGNED_CONTEXT + commitment.encode("ascii")


@dataclass(frozen=True)
class Opening:
    """The salt and value behind one commitment: proof of what a sealed part holds."""

    commitment: str
    salt: bytes
    value: JsonValue
    known_bytes: bytes | None = field(default=None, compare=False, repr=False)
    """The value's canonical bytes when they were computed already (by `of`)."""

    @classmethod
    def of(cls, value: JsonValue, salt: bytes) -> Opening:
        """The opening of a value sealed under `salt` now."""
        value_bytes = canonical_bytes(value)
        return cls(_commitment(value_bytes, salt), salt, value, value_bytes)

    def value_bytes(self) -> bytes:
        """The canonical bytes of the value (computed once where the opening was sealed)."""
        return self.known_bytes if self.known_bytes is not None else canonical_bytes(self.value)

    def holds(self) -> bool:
        """Whether the salt and value hash to the commitment."""
        return len(self.salt) == SALT_SIZE and hmac.compare_digest(
            seal(self.value, self.salt), self.commitment
        )

    def document(self) -> dict[str, Any]:
        """As JSON: `commitment` (hex), `salt` (base64), `value`."""
        salt = encode_base64(self.salt)
        return {"commitment": self.commitment, "salt": salt, "value": self.value}

    @classmethod
    def from_document(cls, document: Any) -> Opening:
        """Read `document()`'s JSON back; RecordError naming the part that is wrong."""
        if not isinstance(document, dict) or set(document) != {"commitment", "salt", "value"}:
            raise RecordError(
                "an opening is an object of commitment, salt and value", field="opening"
            )
        salt = decode_base64(str(document["salt"]))
        if salt is None or len(salt) != SALT_SIZE:
            raise RecordError(f"an opening's salt is base64 of {SALT_SIZE} bytes", field="salt")
        return cls(str(document["commitment"]), salt, document["value"])


def commitments_in(entry: dict[str, Any]) -> list[str]:
    """The commitments an entry shows: its sealed part's and its signed request's."""
    found = []
    if isinstance(entry.get("sealed"), str):
        found.append(entry["sealed"])
    signed = entry.get("signed")
    if isinstance(signed, dict) and isinstance(signed.get("commitment"), str):
        found.append(signed["commitment"])
    return found


def opened(entry: dict[str, Any], openings: list[Opening]) -> dict[str, Any]:
    """The entry as its reader sees it: the sealed part's fields in place of its commitment.

    Only openings that hold and match the entry's commitment are used; the
    entry is returned as it is when none does.
    """
    for opening in openings:
        matches = opening.commitment == entry.get("sealed")
        if matches and isinstance(opening.value, dict) and opening.holds():
            view = {k: v for k, v in entry.items() if k != "sealed"}
            view.update(opening.value)
            return view
    return entry
