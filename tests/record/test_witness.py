"""Specification of the witness (C2SP tlog-witness): it cosigns only consistent checkpoints."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.cosignature import CosignatureVerifier, Cosigner, cosignatures
from deconflict.record.merkle import MemoryTree, leaf_hash
from deconflict.record.note import Checkpoint, NoteSigner, NoteVerifier, sign_checkpoint
from deconflict.record.witness import (
    AddCheckpoint,
    LogSignatureRefused,
    MalformedRequest,
    ProofRefused,
    SizeConflict,
    UnknownLog,
    Witness,
    WitnessRefusal,
)
from deconflict.store.witness_state import WitnessStateFile

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors" / "torchwood-litewitness"
ORIGIN = "deconflict.example/log"
NOW = 1_790_000_000
# litewitness answers an unknown origin 403; C2SP tlog-witness now says 404.
SPEC_STATUS = {"unknown log": 404}
STATUS = {
    MalformedRequest: 400,
    LogSignatureRefused: 403,
    UnknownLog: 404,
    SizeConflict: 409,
    ProofRefused: 422,
}


def txtar(path: Path) -> dict[str, str]:
    """The files of a txtar archive by name."""
    parts = re.split(r"^-- (\S+) --\n", path.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def hurl_requests(hurl: str) -> list[tuple[bytes, int, str]]:
    """(body, status, what the answer must contain or be) of each request in a hurl file."""
    found = re.findall(
        r"```\n(.*?)```\nHTTP (\d+)\n\[Asserts\]\nbody (?:contains|==) \"(.*?)\"",
        hurl,
        flags=re.S,
    )
    return [(body.encode(), int(status), said) for body, status, said in found]


def ssh_cosigner(pem: str, name: str) -> Cosigner:
    key = serialization.load_ssh_private_key(pem.encode(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return Cosigner(name, key)


def answer(witness: Witness, body: bytes) -> tuple[int, str]:
    """The status and body the witness's HTTP app answers with (api/witness_app.py)."""
    try:
        return 200, witness.add_checkpoint(body)
    except SizeConflict as conflict:
        return 409, f"{conflict.size}\n"
    except WitnessRefusal as error:
        return next(s for kind, s in STATUS.items() if isinstance(error, kind)), error.message


class Log:
    """A log in memory that signs its checkpoints, as the line does."""

    def __init__(self, signer: NoteSigner) -> None:
        self.signer = signer
        self.tree = MemoryTree()

    def append(self, *entries: bytes) -> None:
        for entry in entries:
            self.tree.append(leaf_hash(entry))

    @property
    def size(self) -> int:
        return self.tree.size

    def note(self) -> str:
        checkpoint = Checkpoint(self.signer.name, self.size, self.tree.root(self.size))
        return sign_checkpoint(checkpoint, self.signer)

    def request(self, old: int) -> bytes:
        proof = self.tree.consistency_proof(old, self.size) if 0 < old < self.size else []
        return AddCheckpoint(old, tuple(proof), self.note()).body()


@pytest.fixture
def log() -> Log:
    made = Log(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    made.append(b"zero", b"one", b"two")
    return made


@pytest.fixture
def witness(log: Log, tmp_path: Path) -> Witness:
    cosigner = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    state = WitnessStateFile(tmp_path / "state.json")
    return Witness(cosigner, {ORIGIN: [log.signer.verifier]}, state, lambda: NOW)


def test_litewitness_requests_get_the_answers_the_spec_gives(tmp_path: Path) -> None:
    files = txtar(VECTORS / "litewitness.txt")
    public = bytes.fromhex("ffdc2d4d98e4124d3feaf788c0c2f9abfd796083d1f0495437f302ec79cf100f")
    origin = f"sigsum.org/v1/tree/{hashlib.sha256(public).hexdigest()}"
    cosigner = ssh_cosigner(files["witness_key.pem"], "example.com/witness")
    witness = Witness(
        cosigner,
        {origin: [NoteVerifier(origin, public)]},
        WitnessStateFile(tmp_path / "state.json"),
        lambda: NOW,
    )
    cases = hurl_requests(files["add-checkpoint.hurl"])
    assert [status for _, status, _ in cases] == [200, 403, 403, 422, 422, 200, 409, 200, 409]
    for body, status, said in cases:
        got, text = answer(witness, body)
        assert got == SPEC_STATUS.get(said, status), (said, text)
        if status == 409:
            assert text == said.replace("\\n", "\n")  # a hurl string: "5\\n" is 5, newline
        if status == 200:
            assert text.startswith(f"{said} ")
            note = AddCheckpoint.from_body(body).note
            assert cosignatures(note + text, [cosigner.verifier]) == {"example.com/witness": NOW}
    assert WitnessStateFile(tmp_path / "state.json").held()[origin].size == 5


def test_a_go_checksum_database_checkpoint_is_cosigned_from_old_zero(tmp_path: Path) -> None:
    files = txtar(VECTORS / "sumdb.txt")
    log_key = NoteVerifier.from_text(
        "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
    )
    cosigner = ssh_cosigner(files["witness_key.pem"], "example.com/witness")
    state = WitnessStateFile(tmp_path / "state.json")
    witness = Witness(cosigner, {"go.sum database tree": [log_key]}, state, lambda: NOW)
    [(body, status, _)] = hurl_requests(files["add-checkpoint.hurl"])
    assert answer(witness, body)[0] == status == 200
    assert state.held()["go.sum database tree"].size == 35225469
    # The same checkpoint again, from the size now held, is cosigned again; from 0, not.
    again = body.replace(b"old 0\n", b"old 35225469\n", 1)
    assert answer(witness, again)[0] == 200
    assert witness_conflict(witness, body) == 35225469


def witness_conflict(witness: Witness, body: bytes) -> int:
    with pytest.raises(SizeConflict) as refused:
        witness.add_checkpoint(body)
    return refused.value.size


def test_the_witness_follows_a_growing_log_and_its_cosignature_verifies(
    witness: Witness, log: Log
) -> None:
    line = witness.add_checkpoint(log.request(0))
    assert line.startswith("— coalition.example/witness ")
    assert cosignatures(log.note() + line, [witness.cosigner.verifier]) == {
        "coalition.example/witness": NOW
    }
    for more in (b"three", b"four", b"five", b"six", b"seven"):
        old = log.size
        log.append(more)
        assert witness.add_checkpoint(log.request(old))


def test_a_wrong_old_size_is_a_conflict_naming_the_size_held(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.request(0))
    log.append(b"three")
    assert witness_conflict(witness, log.request(0)) == 3
    assert witness_conflict(witness, log.request(2)) == 3
    assert witness.add_checkpoint(log.request(3))


def test_a_forked_log_is_never_cosigned(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.request(0))
    fork = Log(log.signer)
    fork.append(b"zero", b"one", b"TWO")  # same size, other history
    assert witness_conflict(witness, fork.request(3)) == 3
    fork.append(b"three")
    with pytest.raises(ProofRefused):
        witness.add_checkpoint(fork.request(3))
    log.append(b"three")
    assert witness.add_checkpoint(log.request(3))


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        (b"", MalformedRequest),
        (b"old 0\n", MalformedRequest),
        (b"old 00\n\nx\n", MalformedRequest),
        (b"new 0\n\nx\n", MalformedRequest),
        (b"old 0\nnot-base64\n\nx\n", MalformedRequest),
        (b"old 0\n\xff\n\nx\n", MalformedRequest),
        (b"old 0\n\nelsewhere.example/log\n1\nAAAA\n\n\xe2\x80\x94 x AAAA\n", UnknownLog),
    ],
)
def test_malformed_and_unknown_requests_are_refused(
    witness: Witness, body: bytes, refusal: type[WitnessRefusal]
) -> None:
    with pytest.raises(refusal):
        witness.add_checkpoint(body)


def test_a_checkpoint_signed_by_another_key_is_refused(witness: Witness, log: Log) -> None:
    forger = Log(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    forger.append(b"zero")
    with pytest.raises(LogSignatureRefused):
        witness.add_checkpoint(forger.request(0))


def test_old_above_the_size_or_a_proof_from_zero_is_refused(witness: Witness, log: Log) -> None:
    with pytest.raises(MalformedRequest):
        witness.add_checkpoint(AddCheckpoint(4, (), log.note()).body())
    with pytest.raises(ProofRefused):
        witness.add_checkpoint(AddCheckpoint(0, (bytes(32),), log.note()).body())


def test_a_refusal_leaves_the_state_as_it_was(witness: Witness, log: Log, tmp_path: Path) -> None:
    witness.add_checkpoint(log.request(0))
    before = (tmp_path / "state.json").read_bytes()
    log.append(b"three")
    with pytest.raises(ProofRefused):
        witness.add_checkpoint(AddCheckpoint(3, (bytes(32),), log.note()).body())
    assert (tmp_path / "state.json").read_bytes() == before


def test_racing_requests_never_roll_the_witness_back(
    witness: Witness, log: Log, tmp_path: Path
) -> None:
    witness.add_checkpoint(log.request(0))
    requests = []
    for step in range(8):
        log.append(b"entry %d" % step)
        requests.append(log.request(3))  # all from the size held now: one may win
    won: list[int] = []

    def send(size: int, body: bytes) -> None:
        try:
            witness.add_checkpoint(body)
            won.append(size)
        except SizeConflict:
            pass

    threads = [
        threading.Thread(target=send, args=(4 + step, body)) for step, body in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(won) == 1
    assert WitnessStateFile(tmp_path / "state.json").held()[ORIGIN].size == won[0]


def test_a_restarted_witness_holds_what_it_cosigned(
    witness: Witness, log: Log, tmp_path: Path
) -> None:
    witness.add_checkpoint(log.request(0))
    again = Witness(
        witness.cosigner, witness.logs, WitnessStateFile(tmp_path / "state.json"), lambda: NOW
    )
    assert witness_conflict(again, log.request(0)) == 3


def test_the_witness_key_of_the_vectors_has_its_spec_key_id() -> None:
    files = txtar(VECTORS / "litewitness.txt")
    verifier = ssh_cosigner(files["witness_key.pem"], "example.com/witness").verifier
    expected = hashlib.sha256(b"example.com/witness\n\x04" + verifier.public_key).digest()[:4]
    assert verifier.key_id == expected
    assert CosignatureVerifier.from_text(verifier.to_text()) == verifier
