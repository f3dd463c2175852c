"""An exported record, checked offline: no server, no trust in the server or the other side.

A bundle is a folder:

- `entries.jsonl`: one line per entry, in order:
  `{"index": i, "leaf": base64 of the canonical entry bytes, "leaf_hash": base64}`,
  with `"openings"` (record/sealed.py) for the sealed parts its holder may read;
- `checkpoint.note`: the log's signed checkpoint covering those entries;
- `log-key.txt`: the verifier key the server presented (check it out of band:
  `verify --server-key` pins the one you trust).

`verify_bundle` recomputes every leaf hash and the root, checks the
checkpoint's signature, every opening against its commitment, every party
signature it can see (those inside a sealed part it cannot open stay unchecked
and are counted), and that an older saved checkpoint is a prefix of this
record; it names the first entry that fails and why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.canonical import canonical_bytes
from deconflict.record.cosignature import WitnessPolicy
from deconflict.record.errors import RecordError
from deconflict.record.http_signature import (
    READ_COMPONENTS,
    WRITE_COMPONENTS,
    HttpSignature,
    check_http_signature,
)
from deconflict.record.merkle import leaf_hash, root
from deconflict.record.note import Checkpoint, NoteVerifier, open_checkpoint
from deconflict.record.sealed import Opening, commitments_in, opened, signed_bytes
from deconflict.record.signature import verify_party_signature

ENTRIES = "entries.jsonl"
CHECKPOINT = "checkpoint.note"
LOG_KEY = "log-key.txt"


class BundleInvalid(RecordError):
    """The bundle does not prove what it claims; `entry` is the first entry at fault, if any."""

    def __init__(self, message: str, entry: int | None = None) -> None:
        super().__init__(message, field="entry" if entry is not None else "bundle", value=entry)
        self.entry = entry


@dataclass(frozen=True)
class Verified:
    """What a bundle proved: the record up to `size` entries with this root, signed."""

    size: int
    root_hash: bytes
    origin: str
    signatures_checked: int
    older_size: int | None = None
    warnings: list[str] = field(default_factory=list)
    sealed: int = 0
    """Entries with a sealed part."""
    opened: int = 0
    """Of those, the entries whose sealed part this bundle opens (its holder may read them)."""
    witnessed: dict[str, int] = field(default_factory=dict)
    """The required witnesses that cosigned the checkpoint, with when (unix seconds)."""


def write_bundle(
    folder: Path,
    leaves: Iterable[tuple[int, bytes, bytes]],
    checkpoint_note: str,
    log_key: str,
    openings: Mapping[int, Sequence[Opening]] | None = None,
) -> int:
    """Write a bundle of (index, entry bytes, leaf hash as the log stored it) and the openings
    its holder may read, by leaf index; returns the count of entries.

    The stored hash, not one computed now, goes in: then an entry changed in
    the store after it was recorded is named by `verify_bundle`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with (folder / ENTRIES).open("w", encoding="utf-8") as out:
        for index, data, digest in leaves:
            line: dict[str, Any] = {
                "index": index,
                "leaf": encode_base64(data),
                "leaf_hash": encode_base64(digest),
            }
            if openings and openings.get(index):
                line["openings"] = [opening.document() for opening in openings[index]]
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
            count += 1
    (folder / CHECKPOINT).write_text(checkpoint_note, encoding="utf-8")
    (folder / LOG_KEY).write_text(log_key.strip() + "\n", encoding="utf-8")
    return count


def verify_bundle(
    folder: Path,
    server_key: str | None = None,
    older_checkpoint: str | None = None,
    *,
    every_entry_canonical: bool = False,
    witnesses: WitnessPolicy | None = None,
) -> Verified:
    """Check a bundle end to end; raises BundleInvalid naming the first failure.

    `server_key` is the verifier key you trust (else the bundle's own, with a
    warning: a forger would ship their own key). `older_checkpoint` is a
    signed note you saved before: the record must extend it unchanged.

    Integrity rests on the hashes: every leaf is hashed and the root compared
    with the signed one. Entries that carry a party key or a party signature
    are read and must be canonical JSON; `every_entry_canonical` reads and
    re-canonicalises every entry too (about three times slower). `witnesses`: the
    checkpoint must also carry the cosignatures that policy requires.
    """
    warnings: list[str] = []
    if server_key is None:
        server_key = _read(folder / LOG_KEY).strip()
        warnings.append("no --server-key given: trusting the key shipped in the bundle")
    verifier = _verifier(server_key)
    note = _read(folder / CHECKPOINT)
    checkpoint = trusted_checkpoint(note, verifier, "the bundle's checkpoint")
    witnessed = {} if witnesses is None else witnessed_by(note, verifier, witnesses)
    leaves, claimed, openings = _read_entries(folder / ENTRIES)
    _check_size(checkpoint, len(leaves), warnings)
    leaves, claimed = leaves[: checkpoint.size], claimed[: checkpoint.size]
    _check_leaves(leaves, claimed, checkpoint)
    read = [
        (i, entry_of(i, data))
        for i, data in enumerate(leaves)
        if every_entry_canonical or i in openings or _may_hold_keys_or_signatures(data)
    ]
    entries = [(i, opened_entry(i, entry, openings.get(i, []))) for i, entry in read]
    signatures = check_party_signatures(entries)
    sealed = sum(1 for _, entry in read if "sealed" in entry)
    hidden = sum(1 for _, view in entries if "sealed" in view)
    older_size = None
    if older_checkpoint is not None:
        older = trusted_checkpoint(older_checkpoint, verifier, "the saved checkpoint")
        _check_prefix(older, checkpoint, claimed)
        older_size = older.size
    return Verified(
        checkpoint.size,
        checkpoint.root_hash,
        checkpoint.origin,
        signatures,
        older_size,
        warnings,
        sealed=sealed,
        opened=sealed - hidden,
        witnessed=witnessed,
    )


def witnessed_by(
    note: str,
    verifier: NoteVerifier,
    witnesses: WitnessPolicy,
    what: str = "the bundle's checkpoint",
) -> dict[str, int]:
    """The required witnesses that cosigned the note, with when; BundleInvalid naming `what`
    when too few did."""
    try:
        return witnesses.check(note, verifier).witnesses
    except RecordError as error:
        raise BundleInvalid(f"{what}: {error.message}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise BundleInvalid(f"cannot read {path}: {error.strerror}") from None


def _verifier(key: str) -> NoteVerifier:
    try:
        return NoteVerifier.from_text(key)
    except RecordError as error:
        raise BundleInvalid(f"the server key is not a verifier key: {error.message}") from None


def trusted_checkpoint(note: str, verifier: NoteVerifier, what: str) -> Checkpoint:
    """The checkpoint of a note the trusted key signed; BundleInvalid naming `what` if not."""
    try:
        return open_checkpoint(note, [verifier], origin=verifier.name)
    except RecordError as error:
        raise BundleInvalid(
            f"{what} is not signed by the server key you trust ({verifier.name}): {error.message}"
        ) from None


def _read_entries(path: Path) -> tuple[list[bytes], list[bytes], dict[int, list[Opening]]]:
    lines = [_line(text, number) for number, text in enumerate(_read(path).splitlines(), 1)]
    indexes = [line.get("index") for line in lines]
    leaves: list[bytes] = []
    claimed: list[bytes] = []
    openings: dict[int, list[Opening]] = {}
    for position, line in enumerate(lines):
        if indexes[position] != position:
            later = position in indexes[position + 1 :]
            raise BundleInvalid(
                f"entry {position} is {'out of order' if later else 'missing'}: "
                f"line {position + 1} holds entry {indexes[position]}",
                position,
            )
        data = decode_base64(str(line.get("leaf", "")))
        digest = decode_base64(str(line.get("leaf_hash", "")))
        if data is None or digest is None or len(digest) != 32:
            raise BundleInvalid(
                f"entry {position}: leaf or leaf_hash is not valid base64", position
            )
        leaves.append(data)
        claimed.append(digest)
        if "openings" in line:
            openings[position] = openings_of(line["openings"], position)
    return leaves, claimed, openings


def openings_of(documents: Any, index: int) -> list[Opening]:
    """The openings a file holds for entry `index`; BundleInvalid naming it if they do not read."""
    if not isinstance(documents, list):
        raise BundleInvalid(f"entry {index}: its openings are not a list", index)
    try:
        return [Opening.from_document(document) for document in documents]
    except RecordError as error:
        raise BundleInvalid(f"entry {index}: {error.message}", index) from None


def opened_entry(index: int, entry: dict[str, Any], openings: list[Opening]) -> dict[str, Any]:
    """The entry with its sealed part opened when the bundle holds that opening (which must
    hold), as it is when not; every opening must belong to the entry."""
    view = opened(entry, openings)
    shown = set(commitments_in(entry)) | set(commitments_in(view))
    for opening in openings:
        if not opening.holds():
            raise BundleInvalid(
                f"entry {index}: the opening of {opening.commitment[:16]}... does not match "
                "its commitment: its salt or content was changed",
                index,
            )
    for opening in openings:
        if opening.commitment not in shown:
            raise BundleInvalid(
                f"entry {index}: an opening is for {opening.commitment[:16]}..., "
                "a commitment the entry does not hold",
                index,
            )
    _check_signed_text(index, view, openings)
    return view


def _check_signed_text(index: int, view: dict[str, Any], openings: list[Opening]) -> None:
    """A message's free text must be the text its sender signed, when the payload is opened."""
    signed = view.get("signed")
    if view.get("kind") != "message" or not isinstance(signed, dict):
        return
    for opening in openings:
        payload = opening.value
        signs_this = opening.commitment == signed.get("commitment")
        if (
            signs_this
            and isinstance(payload, dict)
            and payload.get("text") != view.get("free_text")
        ):
            raise BundleInvalid(
                f"entry {index}: its free text is not the text {view.get('sender')} signed",
                index,
            )


def _line(text: str, number: int) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise BundleInvalid(f"line {number} of {ENTRIES} is not JSON") from None
    if not isinstance(value, dict):
        raise BundleInvalid(f"line {number} of {ENTRIES} is not an object")
    return value


def _check_size(checkpoint: Checkpoint, held: int, warnings: list[str]) -> None:
    if held < checkpoint.size:
        raise BundleInvalid(
            f"entry {held} is missing: the checkpoint covers {checkpoint.size} entries, "
            f"the bundle holds {held}",
            held,
        )
    if held > checkpoint.size:
        warnings.append(
            f"entries from {checkpoint.size} on are past the checkpoint and were not verified"
        )


def _check_leaves(
    leaves: Sequence[bytes], claimed: Sequence[bytes], checkpoint: Checkpoint
) -> None:
    for index, (data, digest) in enumerate(zip(leaves, claimed, strict=True)):
        if leaf_hash(data) != digest:
            raise BundleInvalid(
                f"entry {index} was changed: its bytes no longer hash to its leaf hash", index
            )
    if root(claimed) != checkpoint.root_hash:
        raise BundleInvalid(
            "the entries do not add up to the signed root: entries were changed, dropped, "
            "added or reordered together with their hashes"
        )


def entry_of(index: int, data: bytes) -> dict[str, Any]:
    """The entry leaf `index` holds; BundleInvalid unless it is canonical JSON of an object."""
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BundleInvalid(f"entry {index} is not JSON", index) from None
    if not isinstance(value, dict) or canonical_bytes(value) != data:
        raise BundleInvalid(f"entry {index} is not in canonical form (RFC 8785)", index)
    return value


def _may_hold_keys_or_signatures(data: bytes) -> bool:
    # Whatever the spacing or escaping, such an entry holds one of these words
    # (a JSON escape of a letter would not be canonical, and is then refused).
    return b"signed" in data or b"sealed" in data or b"party_key" in data or b"\\u" in data


def check_party_signatures(entries: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Every signed entry verifies with the key its party registered before it: the signature
    of the commitment of what it sent (record/sealed.py), checkable without its opening, and
    the RFC 9421 signature of its request (record/http_signature.py), where it can be read."""
    keys: dict[str, str] = {}
    checked = 0
    for index, entry in entries:
        if entry.get("kind") == "party_key":
            keys[str(entry["party"])] = str(entry["public_key"])
        party = str(entry.get("party") or entry.get("sender"))
        signed = entry.get("signed")
        if isinstance(signed, dict):
            _check_commitment_signature(index, party, keys, signed)
            checked += 1
        if "http_signed" in entry:
            _check_http_signed(index, party, keys, entry)
            checked += 1
    return checked


def _key_before(index: int, party: str, keys: dict[str, str]) -> str:
    if party not in keys:
        raise BundleInvalid(f"entry {index} is signed by {party}, who registered no key", index)
    return keys[party]


def _check_commitment_signature(
    index: int, party: str, keys: dict[str, str], signed: dict[str, Any]
) -> None:
    commitment = signed.get("commitment")
    if not isinstance(commitment, str):
        raise BundleInvalid(f"entry {index} is signed but names no commitment", index)
    key = _key_before(index, party, keys)
    try:
        verify_party_signature(key, signed_bytes(commitment), str(signed.get("signature")))
    except RecordError as error:
        raise BundleInvalid(
            f"entry {index}: the signature of {party} does not verify: {error.message}", index
        ) from None


def _check_http_signed(index: int, party: str, keys: dict[str, str], entry: dict[str, Any]) -> None:
    """The request's RFC 9421 signature, held to the key registered before it, to what a read
    or a write must cover, and to the entry's time within the skew the line allows."""
    key = _key_before(index, party, keys)
    required = READ_COMPONENTS if entry.get("kind") == "read" else WRITE_COMPONENTS
    try:
        signed = HttpSignature.from_document(entry["http_signed"])
        at = datetime.fromisoformat(str(entry.get("at")))
        check_http_signature(signed, key, required, at)
    except (RecordError, ValueError) as error:
        said = error.message if isinstance(error, RecordError) else str(error)
        raise BundleInvalid(
            f"entry {index}: the RFC 9421 signature of {party} does not verify: {said}", index
        ) from None


def _check_prefix(older: Checkpoint, newer: Checkpoint, claimed: Sequence[bytes]) -> None:
    if older.origin != newer.origin:
        raise BundleInvalid(f"the saved checkpoint is of {older.origin}, not {newer.origin}")
    if older.size > newer.size:
        raise BundleInvalid(
            f"the saved checkpoint covers {older.size} entries, more than the bundle's "
            f"{newer.size}: the record was cut back"
        )
    if root(claimed[: older.size]) != older.root_hash:
        raise BundleInvalid(
            f"the first {older.size} entries no longer match the saved checkpoint: "
            "the record was rewritten"
        )
