"""Specification of cosignatures (C2SP tlog-cosignature) and of the witness policy."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.base64text import encode_base64
from deconflict.record.cosignature import (
    CosignatureVerifier,
    Cosigner,
    WitnessPolicy,
    cosignatures,
    with_cosignatures,
)
from deconflict.record.errors import InvalidSignature, NotWitnessed, RecordError
from deconflict.record.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    open_note,
    sign_checkpoint,
)
from tests.record.test_note import GO_NOTE, GO_TEXT, GO_VERIFIER_KEY

ORIGIN = "deconflict.example/log"
LOG = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
TIME = 1_790_000_000


def cosigner(name: str) -> Cosigner:
    return Cosigner(name, Ed25519PrivateKey.generate())


def checkpoint_note(size: int = 5) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, hashlib.sha256(b"%d" % size).digest()), LOG)


def text_of(note: str) -> str:
    return note[: note.index("\n\n") + 1]


def cosigned(note: str, *witnesses: Cosigner, at: int = TIME) -> str:
    return with_cosignatures(note, [w.cosignature_line(text_of(note), at) for w in witnesses])


def test_a_cosignature_is_key_id_timestamp_and_signature_of_the_spec_message() -> None:
    witness = cosigner("coalition.example/witness")
    note = checkpoint_note()
    line = witness.cosignature_line(text_of(note), TIME)
    name, encoded = line.removeprefix("— ").rstrip("\n").split(" ")
    raw = base64.b64decode(encoded)
    assert name == "coalition.example/witness" and len(raw) == 4 + 8 + 64
    public = witness.verifier.public_key
    assert raw[:4] == hashlib.sha256(b"coalition.example/witness\n\x04" + public).digest()[:4]
    assert struct.unpack(">Q", raw[4:12]) == (TIME,)
    message = f"cosignature/v1\ntime {TIME}\n{text_of(note)}".encode()
    witness.private_key.public_key().verify(raw[12:], message)  # raises if it does not verify


def test_the_witness_key_string_carries_type_4_and_round_trips() -> None:
    verifier = cosigner("w.example/one").verifier
    name, key_id, key = verifier.to_text().split("+", 2)
    assert name == "w.example/one" and key_id == verifier.key_id.hex()
    assert base64.b64decode(key)[:1] == b"\x04"
    assert CosignatureVerifier.from_text(verifier.to_text()) == verifier
    with pytest.raises(RecordError):  # a log's key (type 1) is not a witness key
        CosignatureVerifier.from_text(GO_VERIFIER_KEY)


def test_a_witness_flag_takes_a_key_string_or_a_bare_public_key() -> None:
    verifier = cosigner("w.example/one").verifier
    bare = encode_base64(verifier.public_key)
    assert CosignatureVerifier.from_flag(f"w.example/one={verifier.to_text()}") == verifier
    assert CosignatureVerifier.from_flag(f"w.example/one={bare}") == verifier
    for flag in ("w.example/one", f"w.example/two={verifier.to_text()}", "w=AAAA", f"={bare}"):
        with pytest.raises(RecordError):
            CosignatureVerifier.from_flag(flag)


def test_a_note_verifier_that_knows_only_the_log_key_ignores_cosignatures() -> None:
    note = cosigned(checkpoint_note(), cosigner("w.example/one"), cosigner("w.example/two"))
    assert open_note(note, [LOG.verifier]) == (text_of(note), [ORIGIN])
    assert open_checkpoint(note, [LOG.verifier], origin=ORIGIN).size == 5
    # And Go's own reference note, cosigned: its key alone still opens it.
    go = with_cosignatures(GO_NOTE, [cosigner("w.example/one").cosignature_line(GO_TEXT, TIME)])
    assert open_note(go, [NoteVerifier.from_text(GO_VERIFIER_KEY)])[1] == ["PeterNeumann"]


def test_a_cosignature_never_passes_for_the_log_signature() -> None:
    witness = Cosigner(ORIGIN, LOG.private_key)  # the log's own key, used as a witness key
    note = checkpoint_note()
    forged = text_of(note) + "\n" + witness.cosignature_line(text_of(note), TIME)
    with pytest.raises(InvalidSignature):
        open_note(forged, [LOG.verifier])


def test_cosignatures_name_the_known_witnesses_and_ignore_the_rest() -> None:
    one, two, stranger = cosigner("w.example/one"), cosigner("w.example/two"), cosigner("x/y")
    note = cosigned(checkpoint_note(), one, stranger)
    assert cosignatures(note, [one.verifier, two.verifier]) == {"w.example/one": TIME}


def test_a_cosignature_of_another_checkpoint_or_a_changed_time_is_refused() -> None:
    one = cosigner("w.example/one")
    line = one.cosignature_line(text_of(checkpoint_note(6)), TIME)
    with pytest.raises(InvalidSignature):
        cosignatures(checkpoint_note(5) + line, [one.verifier])
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # the timestamp's last byte
    moved = f"— w.example/one {encode_base64(bytes(raw))}\n"
    with pytest.raises(InvalidSignature):
        cosignatures(checkpoint_note(6) + moved, [one.verifier])


def test_the_policy_asks_k_of_n_distinct_witnesses() -> None:
    one, two, three = cosigner("w.example/one"), cosigner("w.example/two"), cosigner("w/three")
    policy = WitnessPolicy((one.verifier, two.verifier, three.verifier), 2)
    assert policy.check(cosigned(checkpoint_note(), one, three), LOG.verifier).witnesses == {
        "w.example/one": TIME,
        "w/three": TIME,
    }
    with pytest.raises(NotWitnessed) as refused:
        policy.check(cosigned(checkpoint_note(), two), LOG.verifier)
    assert refused.value.value == ["w.example/one", "w/three"]
    with pytest.raises(RecordError):
        WitnessPolicy((one.verifier,), 2)


def test_a_witness_changing_its_key_counts_once_under_either_key() -> None:
    old, new = cosigner("w.example/one"), cosigner("w.example/one")
    other = cosigner("w.example/two")
    policy = WitnessPolicy((old.verifier, new.verifier, other.verifier), 2)
    assert policy.names == ["w.example/one", "w.example/two"]
    policy.check(cosigned(checkpoint_note(), old, other), LOG.verifier)
    policy.check(cosigned(checkpoint_note(), new, other), LOG.verifier)
    with pytest.raises(NotWitnessed):  # both keys of one witness are still one witness
        policy.check(cosigned(checkpoint_note(), old, new), LOG.verifier)
    with pytest.raises(NotWitnessed):  # a party that knows only the old key
        WitnessPolicy((old.verifier,), 1).check(cosigned(checkpoint_note(), new), LOG.verifier)


def test_the_policy_of_flags_requires_all_witnesses_unless_told() -> None:
    one, two = cosigner("w.example/one"), cosigner("w.example/two")
    flags = [f"w.example/one={one.verifier.to_text()}", f"w.example/two={two.verifier.to_text()}"]
    assert WitnessPolicy.from_flags(flags, None) == WitnessPolicy((one.verifier, two.verifier), 2)
    assert WitnessPolicy.from_flags(flags, 1) == WitnessPolicy((one.verifier, two.verifier), 1)
    assert WitnessPolicy.from_flags([], None) is None
    with pytest.raises(RecordError):
        WitnessPolicy.from_flags([], 1)
    with pytest.raises(RecordError):
        WitnessPolicy.from_flags(flags, 3)
