"""Signed notes and checkpoints: C2SP signed-note and tlog-checkpoint, with Ed25519 keys.

A note is text ending in a newline, a blank line, then one signature line
per key: an em dash (U+2014), a space, the key name, a space, and
base64(4-byte key ID || Ed25519 signature of the text's UTF-8 bytes). The
key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
A verifier is configured with the standard verifier key string
"<name>+<8 hex key ID>+<base64(0x01 || public key)>", the form used by Go's
golang.org/x/mod/sumdb/note, so other tools read our keys and notes.

A checkpoint is the note text "<origin>\\n<size>\\n<base64 root hash>\\n" of the
log's Merkle tree at that size, signed by the log.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.exceptions import InvalidSignature as _BadEd25519Signature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.errors import InvalidCheckpoint, InvalidSignature, RecordError
from deconflict.record.keys import (
    PUBLIC_KEY_SIZE,
    generate_private_key,
    load_private_key,
    private_key_pem,
    public_key_bytes,
    public_key_from_bytes,
)
from deconflict.record.merkle import HASH_SIZE

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "\u2014 "
KEY_ID_SIZE = 4
# The spec asks verifiers to accept at least 16 signatures and to cap them; Go's cap is 100.
MAX_SIGNATURES = 100
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_TREE_SIZE = re.compile("0|[1-9][0-9]{0,19}")


def key_id(name: str, public_key: bytes, key_type: bytes = ED25519_TYPE) -> bytes:
    """The 4-byte key ID of a key: SHA-256(name || 0x0A || type || public key)[:4]; the type is
    0x01 for a note's Ed25519 key, 0x04 for a cosigner's (record/cosignature.py)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + key_type + public_key).digest()[
        :KEY_ID_SIZE
    ]


def read_verifier_key(
    vkey: str, key_type: bytes, what: str = "verifier key", field: str = "verifier_key"
) -> tuple[str, bytes]:
    """The name and raw 32-byte Ed25519 public key a verifier key string
    "<name>+<8 hex key ID>+<base64(type || key)>" spells, for keys of `key_type`.

    Raises RecordError (naming `what`, in `field`) if it is malformed, of another
    type, or its key ID does not match its name and key.
    """
    parts = vkey.split("+", 2)  # the base64 key may hold "+" itself
    raw = decode_base64(parts[2]) if len(parts) == 3 else None
    if raw is None or not re.fullmatch("[0-9a-fA-F]{8}", parts[1]):
        raise RecordError(
            f"a {what} reads <name>+<8 hex digits>+<base64 key>",
            field=field,
            value=vkey,
        )
    if raw[:1] != key_type or len(raw) != 1 + PUBLIC_KEY_SIZE:
        raise RecordError(
            f"the {what} is not an Ed25519 key of type 0x{key_type.hex()}",
            field=field,
            value=vkey,
        )
    name, public_key, given_id = parts[0], raw[1:], parts[1].lower()
    expected = key_id(name, public_key, key_type).hex()
    if given_id != expected:
        raise RecordError(
            f"the {what}'s ID {given_id} does not match its name and key (expected {expected})",
            field=field,
            value=vkey,
        )
    return name, public_key


@dataclass(frozen=True)
class NoteVerifier:
    """A key trusted to sign notes: its name and raw 32-byte Ed25519 public key."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _require_key_name(self.name)
        public_key_from_bytes(self.public_key)

    @cached_property
    def key_id(self) -> bytes:
        """The 4-byte key ID that signature lines carry."""
        return key_id(self.name, self.public_key)

    @classmethod
    def from_text(cls, vkey: str) -> NoteVerifier:
        """Read a verifier key string "<name>+<8 hex key ID>+<base64(0x01 || key)>".

        Raises RecordError if it is malformed, not Ed25519, or its key ID does
        not match its name and key.
        """
        return cls(*read_verifier_key(vkey, ED25519_TYPE))

    def to_text(self) -> str:
        """The verifier key string, as `from_text` reads it."""
        return f"{self.name}+{self.key_id.hex()}+{encode_base64(ED25519_TYPE + self.public_key)}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        """Whether `signature` is this key's Ed25519 signature of `text`."""
        try:
            public_key_from_bytes(self.public_key).verify(signature, text)
        except _BadEd25519Signature:
            return False
        return True


@dataclass(frozen=True, eq=False)
class NoteSigner:
    """A key that signs notes: its name and Ed25519 private key (never shown in a repr)."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        _require_key_name(self.name)

    @cached_property
    def verifier(self) -> NoteVerifier:
        """The verifier of this signer's notes, to hand to everyone who checks them (made once:
        every signature line carries its key ID)."""
        return NoteVerifier(self.name, public_key_bytes(self.private_key))

    def signature_line(self, text: str) -> str:
        """The signature line of this key over `text` (the text's UTF-8 bytes), with its newline."""
        signature = self.verifier.key_id + self.private_key.sign(text.encode("utf-8"))
        return f"{SIGNATURE_PREFIX}{self.name} {encode_base64(signature)}\n"


def generate_signer(name: str) -> tuple[NoteSigner, str, bytes]:
    """A new signer `name`, its verifier key string, and its private key as PKCS#8 PEM."""
    signer = NoteSigner(name, generate_private_key())
    return signer, signer.verifier.to_text(), private_key_pem(signer.private_key)


def load_signer(name: str, pem: bytes) -> NoteSigner:
    """The signer `name` with the Ed25519 private key of an unencrypted PKCS#8 PEM."""
    return NoteSigner(name, load_private_key(pem))


def sign_note(text: str, signer: NoteSigner) -> str:
    """The signed note of `text` by `signer`.

    The text must be non-empty UTF-8 ending in a newline, with no control
    character but newline; RecordError otherwise.

    >>> signer = NoteSigner("example.org/log", Ed25519PrivateKey.generate())
    >>> note = sign_note("hello\\n", signer)
    >>> note.startswith("hello\\n\\n\u2014 example.org/log ")
    True
    >>> open_note(note, [signer.verifier])
    ('hello\\n', ['example.org/log'])
    """
    problem = _text_problem(text)
    if problem:
        raise RecordError(f"cannot sign this text: {problem}", field="text")
    return f"{text}\n{signer.signature_line(text)}"


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> tuple[str, list[str]]:
    """The text of a signed note and the names of the known keys whose signatures verify.

    Signatures by unknown keys are ignored, as the spec requires. Raises
    InvalidSignature if the note is malformed, if a known key's signature
    fails (the whole note is refused), or if no known key signed it.
    """
    text, signatures = note_signatures(note)
    known = {(verifier.name, verifier.key_id): verifier for verifier in verifiers}
    text_bytes = text.encode("utf-8")
    verified: list[str] = []
    seen: set[tuple[str, bytes]] = set()
    for name, signature in signatures:
        identity = (name, signature[:KEY_ID_SIZE])
        verifier = known.get(identity)
        if verifier is None or identity in seen:
            continue
        seen.add(identity)
        if not verifier.verifies(text_bytes, signature[KEY_ID_SIZE:]):
            raise InvalidSignature(
                f"the signature of {name} does not verify", field="signature", value=name
            )
        verified.append(name)
    if not verified:
        raise InvalidSignature("the note has no signature from a known key", field="signature")
    return text, verified


def note_signatures(note: str | bytes) -> tuple[str, list[tuple[str, bytes]]]:
    """The text of a note and each signature line's key name and bytes (key ID first),
    unchecked; InvalidSignature if the note is malformed."""
    note = _decode_note(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise _malformed("no blank line between the text and the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise _malformed("no signature lines after the blank line")
    if not block.endswith("\n"):
        raise _malformed("the signatures do not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed(f"{len(lines)} signatures, more than {MAX_SIGNATURES}")
    return text, [_parse_signature_line(number, line) for number, line in enumerate(lines, 1)]


@dataclass(frozen=True)
class Checkpoint:
    """The head of a log at a size: its origin line, size in leaves and 32-byte root hash.

    Extension lines (rare, and not recommended by the spec) are kept so a
    checkpoint's text round-trips exactly.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or _CONTROL.search(self.origin):
            raise InvalidCheckpoint(
                "the origin must be one non-empty line", field="origin", value=self.origin
            )
        if not 0 <= self.size < 2**64:
            raise InvalidCheckpoint(f"no tree of {self.size} leaves", field="size", value=self.size)
        if len(self.root_hash) != HASH_SIZE:
            raise InvalidCheckpoint(
                f"the root hash is {len(self.root_hash)} bytes, not {HASH_SIZE}", field="root_hash"
            )
        for line in self.extensions:
            if not line or "\n" in line or _CONTROL.search(line):
                raise InvalidCheckpoint(
                    "each extension must be one non-empty line", field="extensions", value=line
                )

    def to_text(self) -> str:
        """The checkpoint's note text: origin, size and base64 root, one per line.

        >>> Checkpoint("example.org/log", 0, bytes(32)).to_text()
        'example.org/log\\n0\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\n'
        """
        lines = [self.origin, str(self.size), encode_base64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Read a checkpoint's note text; InvalidCheckpoint for anything but the exact format.

        The size is decimal without leading zeros; the root is canonical
        base64 of 32 bytes.
        """
        lines = text[:-1].split("\n") if text.endswith("\n") else []
        if len(lines) < 3:
            raise InvalidCheckpoint(
                "a checkpoint is at least three lines (origin, size, root), each ending in a "
                "newline",
                field="checkpoint",
            )
        origin, size, root_b64, *extensions = lines
        if not _TREE_SIZE.fullmatch(size):
            raise InvalidCheckpoint(
                "the size must be a decimal number without leading zeros", field="size", value=size
            )
        root_hash = decode_base64(root_b64)
        if root_hash is None:
            raise InvalidCheckpoint(
                "the root hash is not canonical base64", field="root_hash", value=root_b64
            )
        return cls(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a note signed by the log's key (whose name should be the origin).

    >>> signer = NoteSigner("example.org/log", Ed25519PrivateKey.generate())
    >>> note = sign_checkpoint(Checkpoint("example.org/log", 1, bytes(32)), signer)
    >>> open_checkpoint(note, [signer.verifier], origin="example.org/log").size
    1
    """
    return sign_note(checkpoint.to_text(), signer)


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """The checkpoint of a signed note, once a known key's signature verifies.

    Give `origin` to also require that the checkpoint is of that log: a key
    could sign for more than one. Raises InvalidSignature (see `open_note`) or
    InvalidCheckpoint.
    """
    text, _ = open_note(note, verifiers)
    checkpoint = Checkpoint.from_text(text)
    if origin is not None and checkpoint.origin != origin:
        raise InvalidCheckpoint(
            f"the checkpoint is of {checkpoint.origin!r}, not {origin!r}",
            field="origin",
            value=checkpoint.origin,
        )
    return checkpoint


def _require_key_name(name: str) -> None:
    """Raise RecordError unless `name` is a valid key name: non-empty, no space, no plus."""
    if (
        not name
        or "+" in name
        or any(character.isspace() for character in name)
        or _text_problem(name + "\n")
    ):
        raise RecordError(
            "a key name must be non-empty, without spaces, plus signs or control characters",
            field="key_name",
            value=name,
        )


def _text_problem(text: str) -> str | None:
    """What makes `text` unfit as a note's text, or None if nothing does."""
    if not text.endswith("\n"):
        return "it must be non-empty and end in a newline"
    if _CONTROL.search(text):
        return "it holds a control character other than newline"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid Unicode (a lone surrogate)"
    return None


def _decode_note(note: str | bytes) -> str:
    """The note as text, checked for what the spec forbids anywhere in a note."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("it is not valid UTF-8") from None
    problem = _text_problem(note)
    if problem:
        raise _malformed(problem)
    return note


def _parse_signature_line(number: int, line: str) -> tuple[str, bytes]:
    """The key name and decoded signature (key ID first) of one signature line."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise _malformed(f"signature line {number} does not start with an em dash and a space")
    name, _, signature_b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    signature = decode_base64(signature_b64)
    if signature is None or len(signature) <= KEY_ID_SIZE:
        raise _malformed(f"signature line {number} has no base64 key ID and signature")
    try:
        _require_key_name(name)
    except RecordError:
        raise _malformed(f"signature line {number} has no valid key name") from None
    return name, signature


def _malformed(problem: str) -> InvalidSignature:
    return InvalidSignature(f"malformed note: {problem}", field="note")
