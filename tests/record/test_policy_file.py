"""Specification of the witness policy file: sigsum's witness, group and quorum lines, with the
witnesses' own names and keys; anything it cannot read is refused naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.base64text import encode_base64
from deconflict.record.cosignature import Cosigner, WitnessPolicy
from deconflict.record.errors import NotWitnessed, RecordError
from deconflict.record.policy_file import parse_witness_policy, read_witness_policy
from tests.record.test_cosignature import LOG, checkpoint_note, cosigned

ONE = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
TWO = Cosigner("russia.example/witness", Ed25519PrivateKey.generate())
THREE = Cosigner("aid.example/witness", Ed25519PrivateKey.generate())


def witnesses() -> str:
    return (
        f"# the three sides' witnesses\n"
        f"witness {ONE.name} {ONE.verifier.to_text()}\n"
        f"witness {TWO.name} {TWO.verifier.public_key.hex()}  # as sigsum writes a key\n"
        f"witness {THREE.name} {encode_base64(THREE.verifier.public_key)} https://aid.example/w\n"
    )


def test_a_quorum_of_one_witness_requires_that_witness() -> None:
    policy = parse_witness_policy(witnesses() + f"\nquorum {TWO.name}\n")
    assert policy == WitnessPolicy((TWO.verifier,), 1)


def test_a_group_requires_k_of_its_members_and_any_and_all_are_1_and_n() -> None:
    two_of_three = parse_witness_policy(
        witnesses() + f"group sides 2 {ONE.name} {TWO.name} {THREE.name}\nquorum sides\n"
    )
    assert two_of_three == WitnessPolicy((ONE.verifier, TWO.verifier, THREE.verifier), 2)
    assert two_of_three is not None
    two_of_three.check(cosigned(checkpoint_note(), ONE, THREE), LOG.verifier)
    with pytest.raises(NotWitnessed):
        two_of_three.check(cosigned(checkpoint_note(), TWO), LOG.verifier)
    anyone = parse_witness_policy(witnesses() + f"group g any {ONE.name} {TWO.name}\nquorum g")
    assert anyone == WitnessPolicy((ONE.verifier, TWO.verifier), 1)
    every = parse_witness_policy(witnesses() + f"group g all {ONE.name} {TWO.name}\nquorum g")
    assert every == WitnessPolicy((ONE.verifier, TWO.verifier), 2)


def test_a_witness_named_twice_is_one_witness_with_two_keys() -> None:
    new = Cosigner(ONE.name, Ed25519PrivateKey.generate())
    text = witnesses() + f"witness {ONE.name} {new.verifier.to_text()}\n"
    policy = parse_witness_policy(text + f"group g 2 {ONE.name} {TWO.name}\nquorum g\n")
    assert policy == WitnessPolicy((ONE.verifier, new.verifier, TWO.verifier), 2)


def test_quorum_none_requires_no_witness() -> None:
    assert parse_witness_policy(witnesses() + "quorum none\n") is None


@pytest.mark.parametrize(
    ("tail", "line", "said"),
    [
        ("", 4, "no quorum line"),
        ("quorum nobody\n", 5, "'nobody' is no witness or group"),
        (f"quorum {ONE.name}\nquorum {TWO.name}\n", 6, "one quorum line"),
        ("group g 4 coalition.example/witness russia.example/witness\n", 5, "from 1 to 2"),
        ("group g 0 coalition.example/witness\n", 5, "from 1 to 1"),
        ("group g some coalition.example/witness\n", 5, "K is any, all or a number"),
        ("group g any stranger.example/w\n", 5, "no witness defined on an earlier line"),
        ("group g any coalition.example/witness coalition.example/witness\n", 5, "once"),
        ("group g any aid.example/witness\ngroup h any g\n", 6, "'g' is a group"),
        ("group g any\n", 5, "group NAME K|any|all MEMBER"),
        ("witness w.example/x\n", 5, "witness NAME KEY [URL]"),
        ("witness w.example/x AAAA\n", 5, "base64 or 64 hex digits"),
        (f"witness other.example/w {ONE.verifier.to_text()}\n", 5, "is named"),
        ("log deconflict.example/log+01234567+AQID\n", 5, "a log line is not read here"),
        ("quorum\n", 5, "quorum NAME"),
        ("witnesses 2\n", 5, "'witnesses' is not witness, group or quorum"),
    ],
)
def test_a_policy_that_does_not_read_is_refused_naming_its_line(
    tail: str, line: int, said: str
) -> None:
    with pytest.raises(RecordError) as refused:
        parse_witness_policy(witnesses() + tail, "coalition.policy")
    assert f"coalition.policy line {line}: " in refused.value.message
    assert said in refused.value.message
    assert refused.value.field == "witness_policy"


def test_a_policy_file_is_read_from_its_path(tmp_path: Path) -> None:
    path = tmp_path / "coalition.policy"
    path.write_text(witnesses() + f"quorum {ONE.name}\n", encoding="utf-8")
    assert read_witness_policy(path) == WitnessPolicy((ONE.verifier,), 1)
    with pytest.raises(RecordError, match="cannot read the witness policy"):
        read_witness_policy(tmp_path / "missing.policy")
