"""Properties of the Merkle tree, checked against RFC 9162's recursive definitions as the oracle."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.record.errors import InvalidProof, RecordError
from deconflict.record.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    join_subtrees,
    leaf_hash,
    node_hash,
    nodes_completed_by_append,
    perfect_subtrees,
    root,
    verify_consistency,
    verify_inclusion,
)

property_settings = settings(max_examples=200, deadline=None, database=None)
# Trees hold up to 300 leaves; a few more are kept so a size can be altered upwards.
MAX_SIZE = 300
EXTRA = 8


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 MTH, as the RFC writes it."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 PATH(m, D[n])."""
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 SUBPROOF(m, D[n], b)."""
    if m == len(leaves):
        return [] if whole else [mth(leaves)]
    k = split(len(leaves))
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def flip_bit(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def refused(check: Callable[[], None]) -> bool:
    try:
        check()
    except InvalidProof:
        return True
    return False


@st.composite
def logs(draw: st.DrawFn) -> tuple[MemoryTree, list[bytes], int]:
    """A tree of random leaves (MAX_SIZE + EXTRA of them) and a size of interest, 1..300."""
    salt = draw(st.binary(max_size=8))
    leaves = [leaf_hash(salt + i.to_bytes(2, "big")) for i in range(MAX_SIZE + EXTRA)]
    size = draw(st.integers(min_value=1, max_value=MAX_SIZE))
    return MemoryTree(leaves), leaves, size


@property_settings
@given(logs())
def test_every_root_is_the_rfc_merkle_tree_hash(log: tuple[MemoryTree, list[bytes], int]) -> None:
    tree, leaves, size = log
    assert tree.root(size) == root(leaves[:size]) == mth(leaves[:size])


@property_settings
@given(logs(), st.data())
def test_inclusion_proof_is_rfc_path_and_verifies(
    log: tuple[MemoryTree, list[bytes], int], data: st.DataObject
) -> None:
    tree, leaves, size = log
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    assert proof == path(index, leaves[:size])
    verify_inclusion(leaves[index], index, size, proof, tree.root(size))


@property_settings
@given(logs(), st.data())
def test_inclusion_proof_fails_for_any_altered_hash_index_size_or_length(
    log: tuple[MemoryTree, list[bytes], int], data: st.DataObject
) -> None:
    tree, leaves, size = log
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    good_root = tree.root(size)
    bit = data.draw(st.integers(0, 255))

    def verify(
        leaf: bytes = leaves[index],
        at: int = index,
        of: int = size,
        hashes: list[bytes] = proof,
        expected: bytes = good_root,
    ) -> Callable[[], None]:
        return lambda: verify_inclusion(leaf, at, of, hashes, expected)

    assert refused(verify(leaf=flip_bit(leaves[index], bit)))
    assert refused(verify(expected=flip_bit(good_root, bit)))
    for position in range(len(proof)):
        hashes = list(proof)
        hashes[position] = flip_bit(hashes[position], bit)
        assert refused(verify(hashes=hashes))
    other_index = data.draw(st.integers(-2, size + 2).filter(lambda i: i != index))
    assert refused(verify(at=other_index))
    # An altered size is checked against the real root of that size: the checkpoint pairs them.
    other_size = data.draw(st.integers(0, size + EXTRA).filter(lambda n: n != size))
    assert refused(verify(of=other_size, expected=tree.root(other_size)))
    if proof:
        assert refused(verify(hashes=proof[:-1]))
        assert refused(verify(hashes=proof[1:]))
    assert refused(verify(hashes=[*proof, proof[-1] if proof else good_root]))
    assert refused(verify(hashes=[good_root, *proof]))


@property_settings
@given(logs(), st.data())
def test_consistency_proof_is_rfc_proof_and_verifies(
    log: tuple[MemoryTree, list[bytes], int], data: st.DataObject
) -> None:
    tree, leaves, second = log
    first = data.draw(st.integers(1, second))
    proof = tree.consistency_proof(first, second)
    assert proof == subproof(first, leaves[:second], True)
    verify_consistency(first, second, tree.root(first), tree.root(second), proof)


@property_settings
@given(logs(), st.data())
def test_consistency_proof_fails_for_any_altered_hash_size_or_length(
    log: tuple[MemoryTree, list[bytes], int], data: st.DataObject
) -> None:
    tree, _, second = log
    first = data.draw(st.integers(1, second))
    proof = tree.consistency_proof(first, second)
    bit = data.draw(st.integers(0, 255))

    def verify(
        old: int = first, new: int = second, hashes: list[bytes] = proof, *, flip: str = ""
    ) -> Callable[[], None]:
        old_root, new_root = tree.root(old), tree.root(new)
        old_root = flip_bit(old_root, bit) if flip == "old" else old_root
        new_root = flip_bit(new_root, bit) if flip == "new" else new_root
        return lambda: verify_consistency(old, new, old_root, new_root, hashes)

    assert refused(verify(flip="old"))
    assert refused(verify(flip="new"))
    for position in range(len(proof)):
        hashes = list(proof)
        hashes[position] = flip_bit(hashes[position], bit)
        assert refused(verify(hashes=hashes))
    other_first = data.draw(st.integers(0, second + EXTRA).filter(lambda n: n != first))
    assert refused(verify(old=other_first))
    other_second = data.draw(st.integers(1, second + EXTRA).filter(lambda n: n != second))
    assert refused(verify(new=other_second))
    if proof:
        assert refused(verify(hashes=proof[:-1]))
        assert refused(verify(hashes=proof[1:]))
    assert refused(verify(hashes=[*proof, tree.root(first)]))
    assert refused(verify(hashes=[tree.root(first), *proof]))


@property_settings
@given(st.integers(0, 2**40), st.integers(0, 2**40))
def test_perfect_subtrees_of_a_subtree_cover_exactly_its_leaves(start: int, length: int) -> None:
    # Any range whose start is a multiple of the largest power of two in its length.
    start -= start % (1 << max(length.bit_length() - 1, 0))
    covered = start
    for level, index in perfect_subtrees(start, start + length):
        assert index << level == covered
        covered += 1 << level
    assert covered == start + length
    assert len(perfect_subtrees(start, start + length)) == length.bit_count()


@property_settings
@given(st.integers(1, 600))
def test_appends_complete_exactly_the_perfect_subtrees_of_the_log(size: int) -> None:
    completed = {node for n in range(size) for node in nodes_completed_by_append(n)}
    assert completed == {
        (level, index) for level in range(size.bit_length()) for index in range(size >> level)
    }


def test_a_range_that_is_not_a_subtree_is_refused() -> None:
    with pytest.raises(RecordError, match="not a subtree"):
        perfect_subtrees(1, 3)


def test_an_empty_range_joins_to_the_empty_root() -> None:
    assert perfect_subtrees(5, 5) == []
    assert join_subtrees([]) == EMPTY_ROOT == MemoryTree().root()


def test_an_inclusion_proof_alone_does_not_bind_the_tree_size() -> None:
    # Leaf 0 of 3 and leaf 0 of 4 chain the same way, so a proof and the root of size 3 also pass
    # as size 4. Only the signed checkpoint, which pairs a size with its root, settles the size.
    tree = MemoryTree(leaf_hash(bytes([i])) for i in range(4))
    verify_inclusion(tree.node(0, 0), 0, 4, tree.inclusion_proof(0, 3), tree.root(3))
    with pytest.raises(InvalidProof):
        verify_inclusion(tree.node(0, 0), 0, 4, tree.inclusion_proof(0, 3), tree.root(4))


def test_proofs_are_refused_for_leaves_and_sizes_outside_the_log() -> None:
    tree = MemoryTree(leaf_hash(bytes([i])) for i in range(4))
    with pytest.raises(RecordError):
        tree.inclusion_proof(4)
    with pytest.raises(RecordError):
        tree.consistency_proof(0, 4)
    with pytest.raises(RecordError):
        tree.consistency_proof(3, 2)
    with pytest.raises(RecordError):
        tree.root(5)


def test_a_consistency_proof_from_the_empty_tree_is_refused() -> None:
    with pytest.raises(InvalidProof, match="from size 0"):
        verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_a_proof_at_ten_million_leaves_reads_few_stored_nodes() -> None:
    # A store answers subtree hashes from its stored perfect subtrees; count how many it reads.
    size = 10_000_000
    reads = 0

    def stored(level: int, index: int) -> bytes:
        nonlocal reads
        reads += 1
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    def subtree_hash(start: int, end: int) -> bytes:
        return join_subtrees([stored(*node) for node in perfect_subtrees(start, end)])

    bound = 2 * size.bit_length()
    for index in (0, 1, size // 2, size - 2, size - 1):
        reads = 0
        inclusion_proof(index, size, subtree_hash)
        assert reads <= bound
    for first in (1, 2, 3, size // 3, size - 1, size):
        reads = 0
        consistency_proof(first, size, subtree_hash)
        assert reads <= bound
