"""Offline verification of a bundle catches what the server's own operator could forge."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from deconflict.record.bundle import BundleInvalid, verify_bundle, write_bundle
from deconflict.record.canonical import JsonValue, canonical_bytes
from deconflict.record.note import generate_signer
from deconflict.record.signature import generate_party_key, party_signature
from deconflict.store.sqlite import log
from deconflict.store.sqlite.migrations import migrate

ORIGIN = "test.line/log"


def _bundle(folder: Path, entries: list[dict[str, Any]]) -> str:
    """A log of `entries` exported as a bundle; returns the trusted server key."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    migrate(db)
    for entry in entries:
        log.append(db, entry)
    signer, key, _ = generate_signer(ORIGIN)
    write_bundle(folder, log.leaves(db, 0, len(entries)), log.checkpoint(db, signer, ORIGIN), key)
    return key


def _signed_message(private_key: Any, text: str, forged_text: str | None = None) -> dict[str, Any]:
    payload: dict[str, JsonValue] = {"notice": 1, "text": text}
    shown = {"notice": 1, "text": forged_text or text}
    return {
        "kind": "message",
        "at": "2026-09-07T00:00:00Z",
        "notice": 1,
        "message": 1,
        "sender": "russia",
        "code": "reply",
        "params": {},
        "free_text": forged_text or text,
        "signed": {
            "payload": shown,
            "signature": party_signature(private_key, canonical_bytes(payload)),
        },
    }


def _key_entry(public_b64: str) -> dict[str, Any]:
    return {
        "kind": "party_key",
        "at": "2026-09-06T00:00:00Z",
        "party": "russia",
        "public_key": public_b64,
    }


def test_a_genuine_party_signature_verifies(tmp_path: Path) -> None:
    private_key, public_b64 = generate_party_key()
    key = _bundle(tmp_path, [_key_entry(public_b64), _signed_message(private_key, "We warned.")])
    assert verify_bundle(tmp_path, server_key=key).signatures_checked == 1


def test_a_message_the_operator_rewrote_fails_its_party_signature(tmp_path: Path) -> None:
    private_key, public_b64 = generate_party_key()
    forged = _signed_message(private_key, "We warned you at 2100Z.", forged_text="No warning.")
    key = _bundle(tmp_path, [_key_entry(public_b64), forged])
    with pytest.raises(BundleInvalid, match="entry 1: the signature of russia does not verify"):
        verify_bundle(tmp_path, server_key=key)


def test_a_signed_entry_before_any_registered_key_is_refused(tmp_path: Path) -> None:
    private_key, _ = generate_party_key()
    key = _bundle(tmp_path, [_signed_message(private_key, "hello")])
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
