"""Our Merkle tree against the reference vectors: RFC 9162 trees and transparency-dev's cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deconflict.record.errors import InvalidProof
from deconflict.record.merkle import (
    MemoryTree,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from tests.record.rfc9162_reference import vectors as rfc9162_by_definition
from tests.record.vectors import VECTORS, b64, b64_list, case_id, cases, load

RFC9162_FILE = VECTORS / "rfc9162-merkle.json"
RFC9162 = load(RFC9162_FILE)
INCLUSION_CASES = cases("inclusion")
CONSISTENCY_CASES = cases("consistency")

# Upstream compares the roots of equal sizes without looking at their length, and this case
# uses 12-byte placeholders for them. A root is a SHA-256 hash, so we refuse any other length;
# the same case with real roots (consistency/0/happy-path.json) is accepted.
REFUSED_FOR_HASH_LENGTH = {"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"}


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


@pytest.fixture(scope="module")
def rfc_tree() -> MemoryTree:
    return MemoryTree(leaf_hash(bytes.fromhex(data)) for data in RFC9162["leaf_inputs_hex"])


def test_the_vectors_are_all_there() -> None:
    assert len(RFC9162["inclusion"]) == 36
    assert len(RFC9162["consistency"]) == 36
    assert len(INCLUSION_CASES) == 98
    assert len(CONSISTENCY_CASES) == 98


def test_the_rfc9162_file_is_what_the_rfcs_own_definitions_give() -> None:
    assert rfc9162_by_definition() == RFC9162


def test_roots_of_every_size_from_0_to_8_match_rfc9162(rfc_tree: MemoryTree) -> None:
    leaves = [leaf_hash(bytes.fromhex(data)) for data in RFC9162["leaf_inputs_hex"]]
    for size, expected in enumerate(hexes(RFC9162["root_hashes_hex_by_size"])):
        assert root(leaves[:size]) == expected
        assert rfc_tree.root(size) == expected


@pytest.mark.parametrize(
    "case", RFC9162["inclusion"], ids=lambda c: f"leaf{c['leaf_index']}-of-{c['tree_size']}"
)
def test_rfc9162_inclusion_proof_is_generated_exactly_and_verifies(
    rfc_tree: MemoryTree, case: dict[str, Any]
) -> None:
    proof = rfc_tree.inclusion_proof(case["leaf_index"], case["tree_size"])
    assert proof == hexes(case["proof_hex"])
    verify_inclusion(
        leaf_hash(bytes.fromhex(case["leaf_input_hex"])),
        case["leaf_index"],
        case["tree_size"],
        proof,
        bytes.fromhex(case["root_hex"]),
    )


@pytest.mark.parametrize(
    "case", RFC9162["consistency"], ids=lambda c: f"{c['first_size']}-to-{c['second_size']}"
)
def test_rfc9162_consistency_proof_is_generated_exactly_and_verifies(
    rfc_tree: MemoryTree, case: dict[str, Any]
) -> None:
    proof = rfc_tree.consistency_proof(case["first_size"], case["second_size"])
    assert proof == hexes(case["proof_hex"])
    verify_consistency(
        case["first_size"],
        case["second_size"],
        bytes.fromhex(case["first_root_hex"]),
        bytes.fromhex(case["second_root_hex"]),
        proof,
    )


@pytest.mark.parametrize("path", INCLUSION_CASES, ids=case_id)
def test_transparency_dev_inclusion_case_is_refused_exactly_when_it_is_wrong(path: Path) -> None:
    case = load(path)

    def verify() -> None:
        verify_inclusion(
            b64(case["leafHash"]),
            case["leafIdx"],
            case["treeSize"],
            b64_list(case["proof"]),
            b64(case["root"]),
        )

    if case["wantErr"]:
        with pytest.raises(InvalidProof):
            verify()
    else:
        verify()


@pytest.mark.parametrize("path", CONSISTENCY_CASES, ids=case_id)
def test_transparency_dev_consistency_case_is_refused_exactly_when_it_is_wrong(
    path: Path,
) -> None:
    case = load(path)

    def verify() -> None:
        verify_consistency(
            case["size1"],
            case["size2"],
            b64(case["root1"]),
            b64(case["root2"]),
            b64_list(case["proof"]),
        )

    if case["wantErr"] or case_id(path) in REFUSED_FOR_HASH_LENGTH:
        with pytest.raises(InvalidProof):
            verify()
    else:
        verify()


def test_equal_sizes_with_placeholder_roots_are_refused_for_their_length() -> None:
    placeholder = b"don't care 2"
    with pytest.raises(InvalidProof, match="12 bytes, not 32"):
        verify_consistency(1, 1, placeholder, placeholder, [])
