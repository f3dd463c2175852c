"""Offline verification of a bundle catches what the server's own operator could forge."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from deconflict.record.bundle import BundleInvalid, verify_bundle, write_bundle
from deconflict.record.canonical import JsonValue
from deconflict.record.note import generate_signer
from deconflict.record.sealed import Opening, new_salt
from deconflict.record.signature import generate_party_key, sign_sealed
from deconflict.store.sqlite import log
from deconflict.store.sqlite.migrations import migrate

ORIGIN = "test.line/log"


def _bundle(
    folder: Path,
    entries: list[dict[str, Any]],
    openings: dict[int, list[Opening]] | None = None,
) -> str:
    """A log of `entries` exported as a bundle with `openings`; returns the trusted server key."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    migrate(db)
    for entry in entries:
        log.append(db, entry)
    signer, key, _ = generate_signer(ORIGIN)
    leaves = log.leaves(db, 0, len(entries))
    write_bundle(folder, leaves, log.checkpoint(db, signer, ORIGIN), key, openings)
    return key


def _signed_message(
    private_key: Any, text: str, forged_text: str | None = None
) -> tuple[dict[str, Any], list[Opening]]:
    """A sealed reply signed by russia, and its two openings (the thread's parties hold them):
    the payload russia signed, and the sealed content, where the operator may write
    `forged_text` in place of what was signed."""
    payload: dict[str, JsonValue] = {"notice": 1, "text": text}
    signature, salt = sign_sealed(private_key, payload)
    signed = Opening.of(payload, salt)
    content: dict[str, JsonValue] = {
        "notice": 1,
        "message": 1,
        "sender": "russia",
        "code": "reply",
        "params": {},
        "free_text": forged_text or text,
        "signed": {"commitment": signed.commitment, "signature": signature},
    }
    sealed = Opening.of(content, new_salt())
    entry = {"kind": "message", "at": "2026-09-07T00:00:00Z", "sealed": sealed.commitment}
    return entry, [signed, sealed]


def _key_entry(public_b64: str) -> dict[str, Any]:
    return {
        "kind": "party_key",
        "at": "2026-09-06T00:00:00Z",
        "party": "russia",
        "public_key": public_b64,
    }


def test_a_genuine_party_signature_verifies_once_opened(tmp_path: Path) -> None:
    private_key, public_b64 = generate_party_key()
    message, openings = _signed_message(private_key, "We warned.")
    key = _bundle(tmp_path, [_key_entry(public_b64), message], {1: openings})
    verified = verify_bundle(tmp_path, server_key=key)
    assert (verified.signatures_checked, verified.sealed, verified.opened) == (1, 1, 1)


def test_a_third_party_verifies_the_record_without_the_openings(tmp_path: Path) -> None:
    private_key, public_b64 = generate_party_key()
    message, _ = _signed_message(private_key, "We warned.")
    key = _bundle(tmp_path, [_key_entry(public_b64), message])
    verified = verify_bundle(tmp_path, server_key=key)
    assert (verified.signatures_checked, verified.sealed, verified.opened) == (0, 1, 0)
    assert b"We warned" not in (tmp_path / "entries.jsonl").read_bytes()


def test_a_message_the_operator_rewrote_no_longer_says_what_was_signed(tmp_path: Path) -> None:
    private_key, public_b64 = generate_party_key()
    forged, openings = _signed_message(private_key, "We warned you at 2100Z.", "No warning.")
    key = _bundle(tmp_path, [_key_entry(public_b64), forged], {1: openings})
    with pytest.raises(BundleInvalid, match="entry 1: its free text is not the text russia signed"):
        verify_bundle(tmp_path, server_key=key)


def test_an_opening_changed_after_export_is_caught(tmp_path: Path) -> None:
    private_key, public_b64 = generate_party_key()
    message, (signed, sealed) = _signed_message(private_key, "We warned.")
    assert isinstance(sealed.value, dict)
    changed = Opening(sealed.commitment, sealed.salt, {**sealed.value, "free_text": "Nothing."})
    key = _bundle(tmp_path, [_key_entry(public_b64), message], {1: [signed, changed]})
    with pytest.raises(BundleInvalid, match=r"entry 1: the opening of .* does not match"):
        verify_bundle(tmp_path, server_key=key)


def test_an_opening_of_another_entry_is_refused(tmp_path: Path) -> None:
    private_key, public_b64 = generate_party_key()
    message, _ = _signed_message(private_key, "We warned.")
    _, elsewhere = _signed_message(private_key, "Elsewhere.")
    key = _bundle(tmp_path, [_key_entry(public_b64), message], {1: elsewhere})
    with pytest.raises(BundleInvalid, match="a commitment the entry does not hold"):
        verify_bundle(tmp_path, server_key=key)


def test_a_forged_signature_fails_even_without_the_opening(tmp_path: Path) -> None:
    _, public_b64 = generate_party_key()
    other_key, _ = generate_party_key()
    signature, salt = sign_sealed(other_key, {"cancel": "z1"})
    entry = {
        "kind": "feature",
        "at": "2026-09-07T00:00:00Z",
        "party": "russia",
        "sealed": Opening.of({"feature_id": "z1"}, new_salt()).commitment,
        "signed": {
            "commitment": Opening.of({"cancel": "z1"}, salt).commitment,
            "signature": signature,
        },
    }
    key = _bundle(tmp_path, [_key_entry(public_b64), entry])
    with pytest.raises(BundleInvalid, match="entry 1: the signature of russia does not verify"):
        verify_bundle(tmp_path, server_key=key)


def test_a_signed_entry_before_any_registered_key_is_refused(tmp_path: Path) -> None:
    private_key, _ = generate_party_key()
    message, openings = _signed_message(private_key, "hello")
    key = _bundle(tmp_path, [message], {0: openings})
    with pytest.raises(BundleInvalid, match="registered no key"):
        verify_bundle(tmp_path, server_key=key)


def test_every_entry_canonical_catches_a_non_canonical_entry(tmp_path: Path) -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    migrate(db)
    log.append(db, {"kind": "overdue", "at": "2026-09-07T00:00:00Z", "notice": 1})
    # Written by hand, as a careless or hostile writer might: keys out of order.
    data = b'{"notice":2,"kind":"overdue","at":"2026-09-07T00:00:00Z"}'
    from deconflict.record.merkle import leaf_hash, node_hash, nodes_completed_by_append

    db.execute("INSERT INTO log_leaf VALUES (1, 'overdue', ?, 'x')", (data,))
    for level, index in nodes_completed_by_append(1):
        if level == 0:
            digest = leaf_hash(data)
        else:
            left = db.execute(
                "SELECT hash FROM log_node WHERE level=? AND idx=?", (level - 1, 2 * index)
            ).fetchone()[0]
            right = db.execute(
                "SELECT hash FROM log_node WHERE level=? AND idx=?", (level - 1, 2 * index + 1)
            ).fetchone()[0]
            digest = node_hash(left, right)
        db.execute("INSERT INTO log_node VALUES (?, ?, ?)", (level, index, digest))
    signer, key, _ = generate_signer(ORIGIN)
    write_bundle(tmp_path, log.leaves(db, 0, 2), log.checkpoint(db, signer, ORIGIN), key)
    assert verify_bundle(tmp_path, server_key=key).size == 2
    with pytest.raises(BundleInvalid, match="entry 1 is not in canonical form"):
        verify_bundle(tmp_path, server_key=key, every_entry_canonical=True)
