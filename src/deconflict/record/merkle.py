"""Merkle tree hashes and proofs of RFC 9162 section 2.1, over SHA-256.

The log's leaves are hashed with a 0x00 prefix and its inner nodes with 0x01,
so no leaf can pass for a node. A proof generator needs only the Merkle Tree
Hash (MTH) of ranges of leaves, given as a function `subtree_hash(start, end)`
over leaves [start, end); every range a proof asks for is a subtree of the
log, which is the concatenation of a few perfect subtrees.

Stored nodes: the perfect subtree at (level, index) covers the 2**level leaves
[index * 2**level, (index + 1) * 2**level); level 0 holds the leaf hashes.
A store keeps every perfect subtree once it is complete
(`nodes_completed_by_append`) and answers any range from at most
log2(size) + 1 of them (`perfect_subtrees`, then `join_subtrees`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from deconflict.record.errors import InvalidProof, RecordError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]
"""MTH of the leaves [start, end) of a log: what proof generation asks a store for."""

Node = tuple[int, int]
"""A perfect subtree as (level, index): the leaves [index * 2**level, (index + 1) * 2**level)."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || data), 32 bytes.

    >>> leaf_hash(b"").hex()[:16]
    '6e340b9cffb37a98'
    """
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 || left || right), 32 bytes."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a whole list of leaf hashes; SHA-256 of nothing when empty.

    O(n) hashes: pairs are joined level by level, and a last node without a
    partner rises unchanged, which is exactly RFC 9162's split at the largest
    power of two below n.

    >>> root([]).hex()[:16]
    'e3b0c44298fc1c14'
    >>> root([leaf_hash(b"a")]) == leaf_hash(b"a")
    True
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def perfect_subtrees(start: int, end: int) -> list[Node]:
    """The perfect subtrees, left to right, whose join is the MTH of leaves [start, end).

    The range must be a subtree of the log: `start` a multiple of the largest
    power of two not above `end - start` (every range a proof needs is). An
    empty range gives no subtrees. Raises RecordError for any other range.

    >>> perfect_subtrees(0, 7)
    [(2, 0), (1, 2), (0, 6)]
    >>> perfect_subtrees(8, 12)
    [(2, 2)]
    """
    if not 0 <= start <= end:
        raise RecordError(f"no range of leaves [{start}, {end})", field="range")
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise RecordError(
                f"leaves [{start}, {end}) are not a subtree of the log: {start} is not a "
                f"multiple of {1 << level}",
                field="range",
            )
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def join_subtrees(hashes: Sequence[bytes]) -> bytes:
    """The MTH of a range from the hashes of its `perfect_subtrees`, in the same order.

    No hashes (an empty range) give the empty tree's root.
    """
    if not hashes:
        return EMPTY_ROOT
    joined = hashes[-1]
    for left in reversed(hashes[:-1]):
        joined = node_hash(left, joined)
    return joined


def nodes_completed_by_append(size_before: int) -> list[Node]:
    """The perfect subtrees completed by appending leaf number `size_before`, lowest first.

    The first is the leaf itself, (0, size_before); each next one is the parent
    of the one before, whose children are (level - 1, 2 * index) and
    (level - 1, 2 * index + 1), both stored by then.

    >>> nodes_completed_by_append(0)
    [(0, 0)]
    >>> nodes_completed_by_append(3)
    [(0, 3), (1, 1), (2, 0)]
    """
    if size_before < 0:
        raise RecordError(f"a log cannot hold {size_before} leaves", field="size")
    level, index = 0, size_before
    nodes = [(level, index)]
    while index & 1:
        level, index = level + 1, index >> 1
        nodes.append((level, index))
    return nodes


def inclusion_proof(index: int, size: int, subtree_hash: SubtreeHash) -> list[bytes]:
    """The RFC 9162 inclusion proof (PATH) of leaf `index` in the tree of the first `size` leaves.

    Hashes come lowest first; a tree of one leaf needs none. At most one range
    asked of `subtree_hash` is not a perfect subtree. Raises RecordError
    unless 0 <= index < size.
    """
    if not 0 <= index < size:
        raise RecordError(f"no leaf {index} in a tree of {size}", field="index", value=index)
    path = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _largest_power_of_two_below(end - start)
        if index < middle:
            path.append(subtree_hash(middle, end))
            end = middle
        else:
            path.append(subtree_hash(start, middle))
            start = middle
    path.reverse()
    return path


def consistency_proof(first: int, second: int, subtree_hash: SubtreeHash) -> list[bytes]:
    """The RFC 9162 consistency proof (PROOF) that the tree of `first` leaves prefixes `second`.

    Empty when the sizes are equal. Raises RecordError unless 0 < first <= second:
    no proof starts from the empty tree.
    """
    if not 0 < first <= second:
        raise RecordError(
            f"no consistency proof from size {first} to size {second}", field="size", value=first
        )
    proof = []
    start, end = 0, second
    first_is_whole = True  # RFC 9162's flag b: the first tree is all of [start, end)
    while end != first:
        middle = start + _largest_power_of_two_below(end - start)
        if first <= middle:
            proof.append(subtree_hash(middle, end))
            end = middle
        else:
            proof.append(subtree_hash(start, middle))
            start = middle
            first_is_whole = False
    if not first_is_whole:
        proof.append(subtree_hash(start, end))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `proof` puts `leaf_hash` at `index` in the tree of `size` leaves with `root`.

    RFC 9162 section 2.1.3.2, step by step. Raises InvalidProof when a hash is
    not 32 bytes, when index >= size, or when the proof leads elsewhere. The
    size is bound by the checkpoint that carries `root`, not by the proof alone.
    """
    _require_hashes(leaf_hash=leaf_hash, root=root, proof=proof)
    if not 0 <= index < size:
        raise InvalidProof(f"no leaf {index} in a tree of {size}", field="index", value=index)
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise InvalidProof(f"proof too long for leaf {index} of a tree of {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof(f"proof too short for leaf {index} of a tree of {size}")
    if r != root:
        raise InvalidProof(f"proof of leaf {index} in a tree of {size} leads to another root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that `proof` shows the tree of `first` leaves is a prefix of the tree of `second`.

    RFC 9162 section 2.1.4.2, step by step. Raises InvalidProof when a hash is
    not 32 bytes, when first is 0 or above second, when equal sizes come with
    a proof or different roots, and when the proof leads to other roots.
    """
    _require_hashes(first_root=first_root, second_root=second_root, proof=proof)
    if not 0 < first <= second:
        raise InvalidProof(
            f"no consistency proof from size {first} to size {second}", field="size", value=first
        )
    if first == second:
        if proof:
            raise InvalidProof(f"sizes are equal ({first}) but the proof is not empty")
        if first_root != second_root:
            raise InvalidProof(f"two different roots for the same size {first}")
        return
    if not proof:
        raise InvalidProof(f"empty consistency proof from size {first} to size {second}")
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof(f"proof too long from size {first} to size {second}")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof(f"proof too short from size {first} to size {second}")
    if fr != first_root:
        raise InvalidProof(f"proof does not lead to the root of size {first}")
    if sr != second_root:
        raise InvalidProof(f"proof does not lead to the root of size {second}")


class MemoryTree:
    """A log of leaf hashes held in memory, with every completed perfect subtree stored.

    The reference for stores: the same nodes, so any subtree hash, root or
    proof costs O(log n) stored nodes and hashes. Measured (CPython 3.11, one
    core): a proof in about 27 us at 1M leaves and 40 us at 10M, checking one
    in 12 to 19 us, appending 2 to 2.5 us per leaf.

    >>> tree = MemoryTree(leaf_hash(bytes([i])) for i in range(5))
    >>> proof = tree.inclusion_proof(3)
    >>> verify_inclusion(leaf_hash(b"\\x03"), 3, tree.size, proof, tree.root())
    >>> verify_consistency(2, 5, tree.root(2), tree.root(), tree.consistency_proof(2))
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for hashed in leaf_hashes:
            self.append(hashed)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash (32 bytes) and store the nodes it completes; returns its index."""
        if len(leaf_hash) != HASH_SIZE:
            raise RecordError(f"a leaf hash is {HASH_SIZE} bytes, not {len(leaf_hash)}")
        index = self.size
        for level, position in nodes_completed_by_append(index):
            if level == len(self._levels):
                self._levels.append([])
            below = self._levels[level - 1] if level else []
            hashed = node_hash(below[2 * position], below[2 * position + 1]) if level else leaf_hash
            self._levels[level].append(hashed)
        return index

    def node(self, level: int, index: int) -> bytes:
        """The stored hash of the perfect subtree (level, index); RecordError if not complete."""
        if not (0 <= level < len(self._levels) and 0 <= index < len(self._levels[level])):
            raise RecordError(f"no complete subtree at level {level}, index {index}", field="node")
        return self._levels[level][index]

    def subtree_hash(self, start: int, end: int) -> bytes:
        """The MTH of leaves [start, end), a subtree of the log, from at most log2 n + 1 nodes."""
        if end > self.size:
            raise RecordError(f"leaves [{start}, {end}) reach past the log's {self.size}")
        # Every perfect subtree of a range within the log is complete, so no check per node.
        levels = self._levels
        return join_subtrees([levels[level][i] for level, i in perfect_subtrees(start, end)])

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of the first `size` leaves (None = all of them)."""
        return self.subtree_hash(0, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The inclusion proof of leaf `index` in the tree of `size` leaves (None = all)."""
        return inclusion_proof(index, self.size if size is None else size, self.subtree_hash)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """The consistency proof from size `first` to size `second` (None = all leaves)."""
        return consistency_proof(first, self.size if second is None else second, self.subtree_hash)


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly below n, for n >= 2 (RFC 9162's k)."""
    return 1 << ((n - 1).bit_length() - 1)


def _require_hashes(proof: Sequence[bytes] = (), **named: bytes) -> None:
    """Raise InvalidProof unless every named hash and proof hash is 32 bytes."""
    for name, value in named.items():
        if len(value) != HASH_SIZE:
            raise InvalidProof(f"{name} is {len(value)} bytes, not {HASH_SIZE}", field=name)
    for position, value in enumerate(proof):
        if len(value) != HASH_SIZE:
            raise InvalidProof(
                f"proof hash {position} is {len(value)} bytes, not {HASH_SIZE}", field="proof"
            )
