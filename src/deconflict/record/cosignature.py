"""Witness cosignatures of checkpoints (C2SP tlog-cosignature, `cosignature/v1`, Ed25519), and
the policy a party checks them with.

A witness that has checked a checkpoint is consistent with every one it
cosigned before adds a note signature line: "— <witness name> base64(key ID ||
8-byte big-endian timestamp || Ed25519 signature)". The signature is over

    "cosignature/v1\\ntime <unix seconds>\\n" || the checkpoint's note text

and the key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4]: type 0x04
keeps a cosignature from ever passing for the log's own signature (type 0x01),
and lets a note verifier that knows only the log's key (Go's sumdb/note, ours)
ignore the line. A witness's verifier key reads
"<name>+<8 hex key ID>+<base64(0x04 || public key)>".
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.exceptions import InvalidSignature as _BadEd25519Signature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.errors import InvalidSignature, NotWitnessed, RecordError
from deconflict.record.keys import PUBLIC_KEY_SIZE, public_key_bytes, public_key_from_bytes
from deconflict.record.note import (
    KEY_ID_SIZE,
    SIGNATURE_PREFIX,
    Checkpoint,
    NoteVerifier,
    key_id,
    note_signatures,
    open_checkpoint,
    read_verifier_key,
)

COSIGNATURE_TYPE = b"\x04"
HEADER = "cosignature/v1\n"
_TIMESTAMP_SIZE = 8
_SIGNATURE_SIZE = 64
_LATEST_TIMESTAMP = 2**63 - 1


def cosigned_message(text: str, timestamp: int) -> bytes:
    """The bytes a `cosignature/v1` signs: header, time line, then the checkpoint's note text.

    >>> cosigned_message("example.org/log\\n1\\nAAAA\\n", 1679315147)
    b'cosignature/v1\\ntime 1679315147\\nexample.org/log\\n1\\nAAAA\\n'
    """
    return f"{HEADER}time {timestamp}\n{text}".encode()


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness a party trusts: its name and raw 32-byte Ed25519 public key."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        NoteVerifier(self.name, self.public_key)  # the same rules for a name and a key

    @cached_property
    def key_id(self) -> bytes:
        """The 4-byte key ID its cosignature lines carry (type byte 0x04)."""
        return key_id(self.name, self.public_key, COSIGNATURE_TYPE)

    @classmethod
    def from_text(cls, vkey: str) -> CosignatureVerifier:
        """Read "<name>+<8 hex key ID>+<base64(0x04 || key)>"; RecordError if it is malformed,
        of another type, or its key ID does not match its name and key."""
        return cls(*read_verifier_key(vkey, COSIGNATURE_TYPE, "witness key", "witness_key"))

    @classmethod
    def from_flag(cls, flag: str) -> CosignatureVerifier:
        """Read NAME=KEY, KEY a witness verifier key of that name, the base64 of the raw
        32-byte public key or its 64 hex digits; RecordError naming the flag if it reads none
        of these ways."""
        name, equals, key = flag.partition("=")
        if not equals or not name:
            raise RecordError("a witness reads NAME=KEY", field="witness", value=flag)
        raw = _raw_public_key(key)
        if raw is not None:
            return cls(name, raw)
        try:
            verifier = cls.from_text(key)
        except RecordError:
            raise RecordError(
                "a witness's KEY is its verifier key, or the base64 or 64 hex digits of its "
                "32-byte public key",
                field="witness",
                value=flag,
            ) from None
        if verifier.name != name:
            raise RecordError(
                f"the witness key is named {verifier.name!r}, not {name!r}",
                field="witness",
                value=flag,
            )
        return verifier

    def to_text(self) -> str:
        """The witness's verifier key string, as `from_text` reads it."""
        key = encode_base64(COSIGNATURE_TYPE + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{key}"

    def timestamp(self, text: str, signature: bytes) -> int | None:
        """When this witness cosigned `text`, if `signature` (after the key ID) is its valid
        cosignature of it; None if it is not."""
        if len(signature) != _TIMESTAMP_SIZE + _SIGNATURE_SIZE:
            return None
        (timestamp,) = struct.unpack(">Q", signature[:_TIMESTAMP_SIZE])
        if timestamp > _LATEST_TIMESTAMP:
            return None
        try:
            public_key_from_bytes(self.public_key).verify(
                signature[_TIMESTAMP_SIZE:], cosigned_message(text, timestamp)
            )
        except _BadEd25519Signature:
            return None
        return int(timestamp)


def _raw_public_key(key: str) -> bytes | None:
    """The 32 bytes of a public key written in base64 or in hex (as sigsum writes keys)."""
    if len(key) == 2 * PUBLIC_KEY_SIZE and all(c in "0123456789abcdefABCDEF" for c in key):
        return bytes.fromhex(key)
    raw = decode_base64(key)
    return raw if raw is not None and len(raw) == PUBLIC_KEY_SIZE else None


@dataclass(frozen=True, eq=False)
class Cosigner:
    """A witness's key: its name and Ed25519 private key (never shown in a repr)."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        NoteVerifier(self.name, public_key_bytes(self.private_key))

    @cached_property
    def verifier(self) -> CosignatureVerifier:
        """Its verifier, to hand to the parties that require this witness."""
        return CosignatureVerifier(self.name, public_key_bytes(self.private_key))

    def cosignature_line(self, text: str, timestamp: int) -> str:
        """The note signature line cosigning the checkpoint note text `text` at `timestamp`
        (unix seconds), with its newline."""
        if not 0 <= timestamp <= _LATEST_TIMESTAMP:
            raise RecordError("no cosignature at that time", field="timestamp", value=timestamp)
        signature = self.private_key.sign(cosigned_message(text, timestamp))
        raw = self.verifier.key_id + struct.pack(">Q", timestamp) + signature
        return f"{SIGNATURE_PREFIX}{self.name} {encode_base64(raw)}\n"


def cosignatures(note: str | bytes, witnesses: Iterable[CosignatureVerifier]) -> dict[str, int]:
    """The names of the known witnesses whose cosignatures of the note's text verify, each with
    the latest time it cosigned; lines of unknown keys are ignored.

    Raises InvalidSignature if the note is malformed or a known witness's line does not
    verify (a forged line is refused, as a note verifier refuses a bad signature).
    """
    text, signatures = note_signatures(note)
    known = {(w.name, w.key_id): w for w in witnesses}
    found: dict[str, int] = {}
    for name, signature in signatures:
        witness = known.get((name, signature[:KEY_ID_SIZE]))
        if witness is None:
            continue
        timestamp = witness.timestamp(text, signature[KEY_ID_SIZE:])
        if timestamp is None:
            raise InvalidSignature(
                f"the cosignature of witness {name} does not verify",
                field="cosignature",
                value=name,
            )
        found[name] = max(timestamp, found.get(name, timestamp))
    return found


def with_cosignatures(note: str, lines: Iterable[str]) -> str:
    """The signed note with cosignature lines appended (each ends in a newline), none twice."""
    present = set(note.split("\n"))
    return note + "".join(line for line in lines if line.rstrip("\n") not in present)


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint the log signed and enough required witnesses cosigned."""

    note: str
    """The signed note, with its cosignature lines."""
    checkpoint: Checkpoint
    witnesses: dict[str, int]
    """Each required witness that cosigned it, with when (unix seconds)."""


@dataclass(frozen=True)
class WitnessPolicy:
    """Trust a checkpoint only once `required` of the named witnesses have cosigned it.

    A witness may be listed with several keys (while it changes its key); it
    counts once, whichever of its keys cosigned.
    """

    witnesses: tuple[CosignatureVerifier, ...]
    required: int

    def __post_init__(self) -> None:
        named = len(self.names)
        if not 1 <= self.required <= named:
            raise RecordError(
                f"cannot require {self.required} of {named} witnesses",
                field="witnesses_required",
                value=self.required,
            )

    @property
    def names(self) -> list[str]:
        """The witnesses' names, each once, in the order given."""
        return list(dict.fromkeys(w.name for w in self.witnesses))

    @classmethod
    def from_flags(cls, witnesses: Sequence[str], required: int | None) -> WitnessPolicy | None:
        """The policy of `--witness NAME=KEY` flags and `--witnesses-required K` (default: all
        of them); None when no witness is named. RecordError for a flag that does not read."""
        if not witnesses:
            if required is not None:
                raise RecordError(
                    "--witnesses-required needs --witness", field="witnesses_required"
                )
            return None
        verifiers = tuple(CosignatureVerifier.from_flag(flag) for flag in witnesses)
        count = len(dict.fromkeys(v.name for v in verifiers))
        return cls(verifiers, count if required is None else required)

    def check(self, note: str | bytes, log: NoteVerifier) -> Witnessed:
        """The checkpoint of a note signed by `log` and cosigned by enough witnesses.

        Raises InvalidSignature or InvalidCheckpoint as `open_checkpoint` does, and
        NotWitnessed naming the witnesses missing when too few cosigned.
        """
        checkpoint = open_checkpoint(note, [log], origin=log.name)
        found = cosignatures(note, self.witnesses)
        if len(found) < self.required:
            missing = [name for name in self.names if name not in found]
            raise NotWitnessed(
                f"the checkpoint of size {checkpoint.size} is cosigned by {len(found)} of the "
                f"{self.required} witnesses required; missing: {', '.join(missing)}",
                field="cosignature",
                value=missing,
            )
        text = note if isinstance(note, str) else note.decode("utf-8")
        return Witnessed(text, checkpoint, found)
