"""A party's witness over HTTP on loopback: C2SP tlog-witness statuses, bodies and media types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.api.witness_app import MAX_BODY_BYTES
from deconflict.record.cosignature import cosignatures
from deconflict.record.note import NoteSigner
from deconflict.record.witness import AddCheckpoint
from tests.api.conftest import LiveWitness, start_witness
from tests.record.test_witness import Log

ORIGIN = "deconflict.example/log"


@pytest.fixture
def log() -> Log:
    made = Log(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    made.append(b"zero", b"one", b"two")
    return made


@pytest.fixture
def witness(log: Log, tmp_path: Path) -> Iterator[LiveWitness]:
    running = start_witness(tmp_path / "state.json", [log.signer.verifier])
    yield running
    running.stop()


def post(witness: LiveWitness, body: bytes) -> httpx.Response:
    return httpx.post(f"{witness.url}/add-checkpoint", content=body, timeout=10)


def test_a_consistent_checkpoint_is_answered_with_its_cosignature(
    witness: LiveWitness, log: Log
) -> None:
    answer = post(witness, log.request(0))
    assert answer.status_code == 200
    assert answer.text.startswith("— party.example/witness ") and answer.text.endswith("\n")
    names = cosignatures(log.note() + answer.text, [witness.cosigner.verifier])
    assert list(names) == ["party.example/witness"]
    log.append(b"three")
    assert post(witness, log.request(3)).status_code == 200
    assert httpx.get(witness.url + "/").text == witness.key + "\n"


def test_a_wrong_old_size_is_409_with_the_size_held_as_text_x_tlog_size(
    witness: LiveWitness, log: Log
) -> None:
    post(witness, log.request(0))
    log.append(b"three")
    answer = post(witness, log.request(0))
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "text/x.tlog.size"
    assert answer.text == "3\n"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"old x\n\n", 400, "old"),
        (b"old 0\n\nelsewhere.example/log\n1\nAAAA\n\n\xe2\x80\x94 x AAAA\n", 404, "origin"),
        (b"x" * (MAX_BODY_BYTES + 1), 413, "body"),
    ],
)
def test_refusals_are_problems_naming_the_field(
    witness: LiveWitness, body: bytes, status: int, field: str
) -> None:
    answer = post(witness, body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


def test_a_forged_checkpoint_is_403_and_a_bad_proof_422(witness: LiveWitness, log: Log) -> None:
    forger = Log(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    forger.append(b"zero")
    assert post(witness, forger.request(0)).status_code == 403
    post(witness, log.request(0))
    log.append(b"three")
    answer = post(witness, AddCheckpoint(3, (bytes(32),), log.note()).body())
    assert answer.status_code == 422
    assert answer.json()["field"] == "proof"
