"""`deconflict witness key` and `deconflict witness serve`, run as a party runs them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.cosignature import CosignatureVerifier, Cosigner, cosignatures
from deconflict.record.note import NoteSigner, NoteVerifier
from tests.api.conftest import free_port, seed_parties, start_server, start_witness, zone_body
from tests.conftest import run_cli
from tests.record.test_witness import Log


def test_witness_key_writes_a_private_key_and_prints_the_witness_key(tmp_path: Path) -> None:
    out = tmp_path / "witness.pem"
    made = run_cli("witness", "key", "--name", "coalition.example/witness", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    verifier = CosignatureVerifier.from_text(made.stdout.split()[-1])
    assert verifier.name == "coalition.example/witness"
    again = run_cli("witness", "key", "--name", "coalition.example/witness", "--out", str(out))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    spaced = run_cli("witness", "key", "--name", "a name", "--out", str(tmp_path / "b.pem"))
    assert spaced.returncode == 2 and "key_name" in spaced.stderr


def test_witness_serve_cosigns_the_log_it_is_given(tmp_path: Path) -> None:
    key = tmp_path / "witness.pem"
    made = run_cli("witness", "key", "--name", "coalition.example/witness", "--out", str(key))
    verifier = CosignatureVerifier.from_text(made.stdout.split()[-1])
    log = Log(NoteSigner("deconflict.example/log", Ed25519PrivateKey.generate()))
    log.append(b"zero", b"one")
    port = free_port()
    state = tmp_path / "state.json"
    with subprocess.Popen(
        [sys.executable, "-c", "from deconflict.cli import main; main()", "witness", "serve",
         "--name", "coalition.example/witness", "--key", str(key),
         "--log-key", log.signer.verifier.to_text(), "--state", str(state),
         "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as serving:  # fmt: skip
        try:
            answer = _post_when_up(f"http://127.0.0.1:{port}/add-checkpoint", log.request(0))
        finally:
            serving.terminate()
            serving.communicate(timeout=10)
    assert answer.status_code == 200, answer.text
    assert cosignatures(log.note() + answer.text, [verifier]) != {}
    assert '"deconflict.example/log"' in state.read_text()


def test_witness_serve_refuses_a_log_key_that_does_not_read(tmp_path: Path) -> None:
    key = tmp_path / "witness.pem"
    run_cli("witness", "key", "--name", "coalition.example/witness", "--out", str(key))
    refused = run_cli(
        "witness", "serve", "--name", "coalition.example/witness", "--key", str(key),
        "--log-key", "not-a-key", "--port", str(free_port()),
    )  # fmt: skip
    assert refused.returncode == 2
    assert "verifier_key" in refused.stderr


def _post_when_up(url: str, body: bytes) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.post(url, content=body, timeout=5)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_export_and_verify_require_the_witnesses_named(tmp_path: Path) -> None:
    db = str(tmp_path / "line.db")
    port = free_port()
    cosigner = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    other = Cosigner("russia.example/witness", Ed25519PrivateKey.generate())
    setting = f"http://127.0.0.1:{port} {cosigner.verifier.to_text()}"
    line = start_server(db, seed_parties(db), witnesses=setting)
    witness = None
    try:
        with line.client("coalition") as coalition:
            assert coalition.post("/v1/zones", json=zone_body()).status_code == 201
            key = NoteVerifier.from_text(coalition.get("/v1/log/key").text.strip())
        witness = start_witness(tmp_path / "witness.json", [key], cosigner, port)
        ours = f"coalition.example/witness={cosigner.verifier.to_text()}"
        theirs = f"russia.example/witness={other.verifier.to_text()}"
        talk = ["--server", line.url, "--token", line.tokens["coalition"]]
        bundle = tmp_path / "bundle"
        exported = run_cli("log", "export", "--out", str(bundle), *talk, "--witness", ours)
        assert exported.returncode == 0, exported.stderr
        saved = run_cli("log", "checkpoint", *talk, "--witness", ours)
        assert saved.returncode == 0 and "— coalition.example/witness " in saved.stdout
        unseen = run_cli("log", "checkpoint", *talk, "--witness", theirs)
        assert unseen.returncode == 1 and "russia.example/witness" in unseen.stderr
        policy = tmp_path / "coalition.policy"
        policy.write_text(
            f"witness coalition.example/witness {cosigner.verifier.to_text()}\n"
            f"witness russia.example/witness {other.verifier.public_key.hex()}\n"
            "group sides any coalition.example/witness russia.example/witness\n"
            "quorum sides\n"
        )
        from_file = run_cli("log", "checkpoint", *talk, "--witness-policy", str(policy))
        assert from_file.returncode == 0 and "— coalition.example/witness " in from_file.stdout
    finally:
        line.stop()
        if witness is not None:
            witness.stop()
    key_flag = ["--server-key", key.to_text()]
    checked = run_cli("verify", str(bundle), *key_flag, "--witness", ours, "--json")
    assert checked.returncode == 0, checked.stderr
    ours_found = json.loads(checked.stdout)["witnesses"]["coalition.example/witness"]
    assert ours_found["cosigned"] is True
    assert abs(ours_found["timestamp"] - time.time()) < 120
    assert ours_found["at"] == datetime.fromtimestamp(ours_found["timestamp"], UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert run_cli("verify", str(bundle), *key_flag).returncode == 0  # as before witnesses
    missing = run_cli("verify", str(bundle), *key_flag, "--witness", ours, "--witness", theirs)
    assert missing.returncode == 1 and "missing: russia.example/witness" in missing.stderr
    one_of_two = ["--witness", ours, "--witness", theirs, "--witnesses-required", "1"]
    told = run_cli("verify", str(bundle), *key_flag, *one_of_two)
    assert told.returncode == 0, told.stderr
    assert "cosigned by 1 of the 2 witnesses named (1 required)" in told.stdout
    assert f"coalition.example/witness: cosigned at {ours_found['at']}" in told.stdout
    assert "russia.example/witness: no valid cosignature" in told.stdout
    each = json.loads(run_cli("verify", str(bundle), *key_flag, *one_of_two, "--json").stdout)
    assert each["witnesses"] == {
        "coalition.example/witness": ours_found,
        "russia.example/witness": {"cosigned": False, "timestamp": None, "at": None},
    }
    bad = run_cli("verify", str(bundle), "--witness", "no-key-here")
    assert bad.returncode == 2 and "NAME=KEY" in bad.stderr
    by_policy = run_cli("verify", str(bundle), *key_flag, "--witness-policy", str(policy))
    assert by_policy.returncode == 0, by_policy.stderr
    assert "cosigned by 1 of the 2 witnesses named (1 required)" in by_policy.stdout
    all_of_them = tmp_path / "all.policy"
    all_of_them.write_text(policy.read_text().replace("any", "all"))
    short = run_cli("verify", str(bundle), *key_flag, "--witness-policy", str(all_of_them))
    assert short.returncode == 1 and "missing: russia.example/witness" in short.stderr
    policy.write_text(policy.read_text().replace("quorum sides", "quorum both"))
    malformed = run_cli("verify", str(bundle), *key_flag, "--witness-policy", str(policy))
    assert malformed.returncode == 2
    assert f"{policy} line 4: 'both' is no witness or group" in malformed.stderr
    twice = run_cli("verify", str(bundle), "--witness", ours, "--witness-policy", str(policy))
    assert twice.returncode == 2 and "not both" in twice.stderr
