"""`deconflict keygen`, `log export`, `log checkpoint`, `verify`: the record from the CLI."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body, zone_body
from tests.conftest import run_cli

NIGHT = ("--start", "062200ZSEP30", "--end", "070300ZSEP30")
INSIDE_AT_TANF = "37SDT 93507 20025"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    db = tmp_path / "line.db"
    server = start_server(db, seed_parties(db))
    with server.client("coalition") as coalition:
        coalition.post("/v1/zones", json=zone_body()).raise_for_status()
    with server.client("russia") as russia:
        russia.post("/v1/activities", json=strike_body()).raise_for_status()
    yield server
    server.stop()


def _as(live: LiveServer, party: str, *args: str) -> list[str]:
    return [*args, "--server", live.url, "--token", live.tokens[party]]


def _server_key(live: LiveServer) -> str:
    with live.client("aid") as aid:
        return aid.get("/v1/log/key").text.strip()


def test_export_then_verify_offline_with_the_pinned_key(live: LiveServer, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    exported = run_cli(*_as(live, "aid", "log", "export", "--out", str(bundle)))
    assert exported.returncode == 0, exported.stderr
    live.stop()  # offline from here on
    result = run_cli("verify", str(bundle), "--server-key", _key_of(bundle), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["entries"] == len((bundle / "entries.jsonl").read_text().splitlines())
    assert summary["warnings"] == []


def _key_of(bundle: Path) -> str:
    return (bundle / "log-key.txt").read_text().strip()


def test_verify_without_a_pinned_key_warns_that_it_trusts_the_bundle(
    live: LiveServer, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    run_cli(*_as(live, "aid", "log", "export", "--out", str(bundle)))
    result = run_cli("verify", str(bundle))
    assert result.returncode == 0
    assert "warning: no --server-key given" in result.stdout


def test_a_tampered_entry_fails_verification_naming_it(live: LiveServer, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    run_cli(*_as(live, "aid", "log", "export", "--out", str(bundle)))
    lines = (bundle / "entries.jsonl").read_text().splitlines()
    line = json.loads(lines[4])
    leaf = bytearray(base64.b64decode(line["leaf"]))
    leaf[10] ^= 0x20
    line["leaf"] = base64.b64encode(bytes(leaf)).decode()
    lines[4] = json.dumps(line)
    (bundle / "entries.jsonl").write_text("\n".join(lines) + "\n")
    result = run_cli("verify", str(bundle), "--server-key", _server_key(live))
    assert result.returncode == 1
    assert "DOES NOT VERIFY" in result.stderr and "entry 4 was changed" in result.stderr


def test_a_saved_checkpoint_is_checked_as_a_prefix(live: LiveServer, tmp_path: Path) -> None:
    saved = tmp_path / "saved.note"
    assert run_cli(*_as(live, "aid", "log", "checkpoint", "--out", str(saved))).returncode == 0
    with live.client("russia") as russia:
        russia.post("/v1/activities", json=strike_body("later", lon=39.9)).raise_for_status()
    bundle = tmp_path / "bundle"
    run_cli(*_as(live, "aid", "log", "export", "--out", str(bundle)))
    result = run_cli(
        "verify", str(bundle), "--checkpoint", str(saved), "--server-key", _server_key(live)
    )
    assert result.returncode == 0, result.stderr
    assert "extends the saved checkpoint" in result.stdout


def test_verify_of_a_missing_folder_is_bad_input(tmp_path: Path) -> None:
    result = run_cli("verify", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "not a bundle folder" in result.stderr


def test_signed_notify_puts_the_party_signature_in_the_record_and_verify_checks_it(
    live: LiveServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "russia.pem"
    made = run_cli(*_as(live, "russia-admin", "keygen", "--out", str(key_file), "--register"))
    assert made.returncode == 0, made.stderr
    assert key_file.stat().st_mode & 0o077 == 0
    sent = run_cli(
        *_as(
            live,
            "russia",
            "notify",
            "--at",
            INSIDE_AT_TANF,
            "--radius-m",
            "500",
            "--activity",
            "strike",
            "--id",
            "signed-1",
            *NIGHT,
            "--key-file",
            str(key_file),
        )
    )
    assert sent.returncode == 1, sent.stderr  # it conflicts with the zone
    assert "receipt verified" in sent.stdout
    bundle = tmp_path / "bundle"
    run_cli(*_as(live, "aid", "log", "export", "--out", str(bundle)))
    result = run_cli("verify", str(bundle), "--server-key", _server_key(live), "--json")
    # The CLI signs a write both ways (Deconflict-Signature and RFC 9421): each is kept and
    # checked.
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["party_signatures"] == 2


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    key_file = tmp_path / "party.pem"
    key_file.write_text("precious")
    result = run_cli("keygen", "--out", str(key_file))
    assert result.returncode == 2 and key_file.read_text() == "precious"


def _verified(live: LiveServer, party: str, bundle: Path) -> dict[str, object]:
    exported = run_cli(*_as(live, party, "log", "export", "--out", str(bundle)))
    assert exported.returncode == 0, exported.stderr
    result = run_cli("verify", str(bundle), "--server-key", _server_key(live), "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _opened_indexes(bundle: Path) -> set[int]:
    lines = [json.loads(line) for line in (bundle / "entries.jsonl").read_text().splitlines()]
    return {line["index"] for line in lines if "openings" in line}


def test_every_party_verifies_its_own_bundle_and_opens_only_its_own_entries(
    live: LiveServer, tmp_path: Path
) -> None:
    with live.client("coalition") as coalition:
        [notice] = coalition.get("/v1/inbox").json()["notices"]
        coalition.post(
            f"/v1/notices/{notice['id']}/replies", json={"text": "Advisers at grid 37S DT 9350"}
        ).raise_for_status()
    seen = {party: _verified(live, party, tmp_path / party) for party in live.tokens}
    assert len({s["entries"] for s in seen.values()}) == 1
    assert len({s["sealed_entries"] for s in seen.values()}) == 1
    # The coalition's one notice (from russia), its states and its thread: theirs, not aid's.
    opened = {party: _opened_indexes(tmp_path / party) for party in live.tokens}
    assert opened["coalition"] and opened["coalition"] <= opened["russia"]
    assert not opened["coalition"] & opened["aid"]
    assert seen["coalition"]["opened_entries"] == len(opened["coalition"])
    assert b"37S DT 9350" not in (tmp_path / "aid" / "entries.jsonl").read_bytes()
    plain = run_cli("verify", str(tmp_path / "aid"), "--server-key", _server_key(live))
    assert "this bundle opens" in plain.stdout


def test_an_opening_handed_to_an_arbiter_proves_the_hidden_entry(
    live: LiveServer, tmp_path: Path
) -> None:
    with live.client("coalition") as coalition:
        [notice] = coalition.get("/v1/inbox").json()["notices"]
        coalition.post(
            f"/v1/notices/{notice['id']}/replies", json={"text": "We told you at 2100Z"}
        ).raise_for_status()
    aid = _verified(live, "aid", tmp_path / "aid")
    _verified(live, "coalition", tmp_path / "coalition")
    # The coalition hands the arbiter its line of the message; the arbiter's copy of the record
    # is aid's (any party's): the leaf is the same, now with the opening beside it.
    coalition_lines = (tmp_path / "coalition" / "entries.jsonl").read_text().splitlines()
    [handed] = [line for line in coalition_lines if "We told you at 2100Z" in line]
    index = json.loads(handed)["index"]
    arbiter = (tmp_path / "aid" / "entries.jsonl").read_text().splitlines()
    arbiter[index] = handed
    (tmp_path / "aid" / "entries.jsonl").write_text("\n".join(arbiter) + "\n")
    result = run_cli("verify", str(tmp_path / "aid"), "--server-key", _server_key(live), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["opened_entries"] == int(str(aid["opened_entries"])) + 1
    # An opening whose text was changed on the way does not verify.
    arbiter[index] = handed.replace("2100Z", "2300Z")
    (tmp_path / "aid" / "entries.jsonl").write_text("\n".join(arbiter) + "\n")
    result = run_cli("verify", str(tmp_path / "aid"), "--server-key", _server_key(live))
    assert result.returncode == 1 and f"entry {index}" in result.stdout + result.stderr
