"""The record through the API: every change recorded, receipts verify, tampering is named."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.record.bundle import BundleInvalid, verify_bundle, write_bundle
from deconflict.record.merkle import leaf_hash, verify_consistency, verify_inclusion
from deconflict.record.note import NoteVerifier, generate_signer, open_checkpoint
from deconflict.record.sealed import Opening, seal, signed_bytes
from deconflict.record.signature import generate_party_key, sign_sealed, verify_party_signature
from deconflict.store import is_postgres_url
from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.backends import run_sql


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _key(live: LiveServer) -> NoteVerifier:
    with live.client("aid") as client:
        return NoteVerifier.from_text(client.get("/v1/log/key").text.strip())


def _entries(client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get("/v1/log/entries").json()["entries"])


def _story(live: LiveServer) -> dict[str, Any]:
    with live.client("coalition") as coalition:
        coalition.post("/v1/zones", json=zone_body())
    with live.client("russia") as russia:
        created = russia.post("/v1/activities", json=strike_body()).json()
    notice = next(n["id"] for n in created["notices"] if n["recipient"] == "coalition")
    with live.client("coalition") as coalition:
        coalition.post(
            f"/v1/notices/{notice}/responses",
            json={"response": "objection", "reason": "forces_present"},
        )
    return dict(created)


def test_every_change_of_the_story_is_an_entry_in_order(live: LiveServer) -> None:
    _story(live)
    with live.client("coalition") as coalition:
        read = [e.get("opened", e["entry"]) for e in _entries(coalition)]
    kinds = [(e["kind"], e.get("change") or e.get("code") or e.get("state")) for e in read]
    assert kinds[:3] == [("party", None), ("party", None), ("party", None)]
    assert ("feature", "declared") in kinds
    assert kinds.index(("feature", "declared")) < kinds.index(("message", "objection"))
    assert ("notice_state", "responded") in kinds


def test_a_third_party_sees_that_a_thread_moved_but_not_what_it_says(live: LiveServer) -> None:
    _story(live)
    with live.client("aid") as aid:
        entries = _entries(aid)
        own = {
            n["id"]
            for box in ("inbox", "outbox")
            for n in aid.get(f"/v1/{box}", params={"ended": "include"}).json()["notices"]
        }
    threads = [e for e in entries if e["entry"]["kind"] in ("notice", "message", "notice_state")]
    assert threads and all(set(e["entry"]) == {"kind", "at", "sealed"} for e in threads)
    opened = [e["opened"]["notice"] for e in threads if "opened" in e]
    assert set(opened) <= own and len(opened) < len(threads)
    served = json.dumps(entries)
    assert "forces_present" not in served and "objection" not in served


def test_receipt_proves_the_declaration_is_in_the_signed_record(live: LiveServer) -> None:
    created = _story(live)
    receipt = created["receipt"]
    checkpoint = open_checkpoint(receipt["checkpoint"], [_key(live)])
    leaf = _b64(receipt["leaf"])
    assert json.loads(leaf)["feature_id"] == "strike-1"
    verify_inclusion(
        leaf_hash(leaf),
        receipt["leaf_index"],
        checkpoint.size,
        [_b64(h) for h in receipt["inclusion_proof"]],
        checkpoint.root_hash,
    )


def test_proofs_from_the_api_verify_against_checkpoints(live: LiveServer) -> None:
    verifier = _key(live)
    with live.client("aid") as aid:
        first = open_checkpoint(aid.get("/v1/log/checkpoint").text, [verifier])
        _story(live)
        second = open_checkpoint(aid.get("/v1/log/checkpoint").text, [verifier])
        proof = aid.get(
            "/v1/log/proof/consistency", params={"first": first.size, "second": second.size}
        ).json()["proof"]
        verify_consistency(
            first.size, second.size, first.root_hash, second.root_hash, [_b64(h) for h in proof]
        )
        entry = _entries(aid)[first.size]
        inclusion = aid.get(
            "/v1/log/proof/inclusion", params={"index": first.size, "size": second.size}
        ).json()["proof"]
    verify_inclusion(
        leaf_hash(_b64(entry["leaf"])),
        first.size,
        second.size,
        [_b64(h) for h in inclusion],
        second.root_hash,
    )


def test_proof_beyond_the_record_is_refused(live: LiveServer) -> None:
    with live.client("aid") as aid:
        response = aid.get("/v1/log/proof/inclusion", params={"index": 0, "size": 10_000})
    assert response.status_code == 422 and response.json()["field"] == "size"


def test_contact_zone_is_committed_to_not_shown(live: LiveServer) -> None:
    secret = zone_body("clinic-7", radius_m=800, share="contact")
    secret["geometry"]["coordinates"] = [36.123456, 35.654321]
    with live.client("aid") as aid:
        assert aid.post("/v1/zones", json=secret).status_code == 201
    with live.client("russia") as russia:
        text = russia.get("/v1/log/entries").text
    assert "clinic-7" not in text and "36.123456" not in text
    entry = next(
        e["entry"] for e in json.loads(text)["entries"] if e["entry"].get("share") == "contact"
    )
    assert len(entry["sealed"]) == 64 and "feature" not in entry and "feature_id" not in entry
    with live.client("aid") as aid:
        owned = next(e for e in _entries(aid) if e["entry"].get("share") == "contact")
    [opening] = [Opening.from_document(o) for o in owned["openings"]]
    assert opening.holds() and opening.commitment == entry["sealed"]
    assert owned["opened"]["feature_id"] == "clinic-7"


def test_a_signed_declaration_keeps_the_party_signature_in_the_record(live: LiveServer) -> None:
    private_key, public_b64 = generate_party_key()
    body = strike_body("signed-strike")
    with live.client("russia-admin") as admin:
        assert admin.put("/v1/me/key", json={"public_key": public_b64}).status_code == 200
    with live.client("russia") as russia:
        signature, salt = sign_sealed(private_key, body)
        response = russia.post(
            "/v1/activities", json=body, headers=_signed_headers(signature, salt)
        )
        assert response.status_code == 201, response.text
        receipt = response.json()["receipt"]
        entry = json.loads(_b64(receipt["leaf"]))
        served = _entries(russia)[receipt["leaf_index"]]
    assert entry["signed"] == {"commitment": seal(body, salt), "signature": signature}
    verify_party_signature(public_b64, signed_bytes(entry["signed"]["commitment"]), signature)
    # The payload is opened to whoever may read the feature: here, a shape-level one, everyone.
    assert Opening(seal(body, salt), salt, body).document() in served["openings"]


def test_a_signature_without_its_salt_is_refused(live: LiveServer) -> None:
    private_key, public_b64 = generate_party_key()
    body = strike_body("unsalted")
    with live.client("russia-admin") as admin:
        admin.put("/v1/me/key", json={"public_key": public_b64}).raise_for_status()
    with live.client("russia") as russia:
        signature, _ = sign_sealed(private_key, body)
        response = russia.post(
            "/v1/activities", json=body, headers={"Deconflict-Signature": signature}
        )
        assert response.status_code == 422
        assert response.json()["field"] == "Deconflict-Signature-Salt"
        assert russia.get("/v1/features/unsalted").status_code == 404


def _signed_headers(signature: str, salt: bytes) -> dict[str, str]:
    return {
        "Deconflict-Signature": signature,
        "Deconflict-Signature-Salt": base64.b64encode(salt).decode(),
    }


def test_a_forged_signature_is_refused_and_nothing_is_stored(live: LiveServer) -> None:
    _, public_b64 = generate_party_key()
    forger, _ = generate_party_key()
    body = strike_body("forged")
    with live.client("russia-admin") as admin:
        admin.put("/v1/me/key", json={"public_key": public_b64}).raise_for_status()
    with live.client("russia") as russia:
        response = russia.post(
            "/v1/activities", json=body, headers=_signed_headers(*sign_sealed(forger, body))
        )
        assert response.status_code == 403
        assert response.json()["field"] == "signature"
        assert russia.get("/v1/features/forged").status_code == 404


def _export(live: LiveServer, folder: Path, party: str = "aid") -> Path:
    with live.client(party) as client:
        entries = _entries(client)
        leaves = [(e["index"], _b64(e["leaf"]), _b64(e["leaf_hash"])) for e in entries]
        openings = {
            e["index"]: [Opening.from_document(o) for o in e["openings"]]
            for e in entries
            if "openings" in e
        }
        checkpoint, key = client.get("/v1/log/checkpoint").text, client.get("/v1/log/key").text
        write_bundle(folder, leaves, checkpoint, key, openings)
    return folder


def _lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "entries.jsonl").read_text().splitlines()]


def _write_lines(folder: Path, lines: list[dict[str, Any]]) -> None:
    (folder / "entries.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_an_untouched_bundle_verifies_with_the_pinned_key(live: LiveServer, tmp_path: Path) -> None:
    _story(live)
    bundle = _export(live, tmp_path / "bundle")
    verified = verify_bundle(bundle, server_key=_key(live).to_text())
    assert verified.size == len(_lines(bundle)) and verified.warnings == []


def test_one_changed_byte_in_an_entry_is_named(live: LiveServer, tmp_path: Path) -> None:
    _story(live)
    bundle = _export(live, tmp_path / "bundle")
    lines = _lines(bundle)
    leaf = bytearray(_b64(lines[5]["leaf"]))
    leaf[-3] ^= 0x01
    lines[5]["leaf"] = base64.b64encode(bytes(leaf)).decode()
    _write_lines(bundle, lines)
    with pytest.raises(BundleInvalid, match="entry 5 was changed") as raised:
        verify_bundle(bundle, server_key=_key(live).to_text())
    assert raised.value.entry == 5


def test_a_dropped_entry_is_named(live: LiveServer, tmp_path: Path) -> None:
    _story(live)
    bundle = _export(live, tmp_path / "bundle")
    lines = _lines(bundle)
    _write_lines(bundle, lines[:4] + lines[5:])
    with pytest.raises(BundleInvalid, match="entry 4 is missing"):
        verify_bundle(bundle, server_key=_key(live).to_text())


def test_two_reordered_entries_are_named(live: LiveServer, tmp_path: Path) -> None:
    _story(live)
    bundle = _export(live, tmp_path / "bundle")
    lines = _lines(bundle)
    lines[6], lines[7] = lines[7], lines[6]
    _write_lines(bundle, lines)
    with pytest.raises(BundleInvalid, match="entry 6 is out of order"):
        verify_bundle(bundle, server_key=_key(live).to_text())


def test_a_replaced_server_key_is_caught(live: LiveServer, tmp_path: Path) -> None:
    _story(live)
    bundle = _export(live, tmp_path / "bundle")
    _, impostor_key, _ = generate_signer("deconflict.line/log")
    with pytest.raises(BundleInvalid, match="not signed by the server key you trust"):
        verify_bundle(bundle, server_key=impostor_key)


def test_an_entry_changed_in_the_store_after_recording_is_named(
    live: LiveServer, tmp_path: Path
) -> None:
    _story(live)
    text = "convert_from(entry, 'UTF8')" if is_postgres_url(live.db) else "entry"
    replaced = f"replace({text}, 'strike-1', 'strike-9')"
    if is_postgres_url(live.db):
        replaced = f"convert_to({replaced}, 'UTF8')"
    run_sql(live.db, f"UPDATE log_leaf SET entry = {replaced} WHERE kind = 'feature'")
    [(changed,)] = run_sql(live.db, f"SELECT min(idx) FROM log_leaf WHERE {text} LIKE '%strike-9%'")
    bundle = _export(live, tmp_path / "bundle")
    with pytest.raises(BundleInvalid, match=f"entry {changed} was changed"):
        verify_bundle(bundle, server_key=_key(live).to_text())


def test_a_saved_checkpoint_must_be_a_prefix_of_the_record(
    live: LiveServer, tmp_path: Path
) -> None:
    with live.client("aid") as aid:
        saved = aid.get("/v1/log/checkpoint").text
    _story(live)
    bundle = _export(live, tmp_path / "bundle")
    key = _key(live).to_text()
    assert verify_bundle(bundle, server_key=key, older_checkpoint=saved).older_size == 3
    lines = _lines(bundle)
    rewritten = bytearray(_b64(lines[1]["leaf"]))
    rewritten[-3] ^= 0x01
    lines[1]["leaf"] = base64.b64encode(bytes(rewritten)).decode()
    lines[1]["leaf_hash"] = base64.b64encode(leaf_hash(bytes(rewritten))).decode()
    _write_lines(bundle, lines)
    with pytest.raises(BundleInvalid):
        verify_bundle(bundle, server_key=key, older_checkpoint=saved)


def test_log_key_file_is_private_and_reused_across_restarts(live: LiveServer) -> None:
    from tests.api.conftest import start_server

    key_file = live.log_key
    assert key_file.stat().st_mode & 0o077 == 0
    before = _key(live).to_text()
    live.stop()
    again = start_server(live.db, live.tokens)
    try:
        assert _key(again).to_text() == before
    finally:
        again.stop()
