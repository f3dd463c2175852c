"""The record's right edge within one write transaction: appends and receipts computed in memory.

The first append reads the log's size and its frontier (the perfect subtrees
of the whole log, at most log2(n) + 1 nodes); every node an append completes
then joins a left sibling that is on that frontier or was made in this
transaction, and so does every hash of a receipt for a leaf of this
transaction. The store writes what is new (`unwritten`) its own way: SQLite
at once, PostgreSQL in one statement before it commits. Only one transaction
appends at a time: it holds the store's write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deconflict.line.entries import Leaf
from deconflict.record import merkle
from deconflict.record.merkle import Node
from deconflict.record.note import Checkpoint, NoteSigner, sign_checkpoint
from deconflict.record.receipt import make_receipt

LeafRow = tuple[int, str, bytes, str]
"""A leaf as stored: index, entry kind, canonical entry bytes, the entry's time."""
NodeRow = tuple[int, int, bytes]
"""A perfect subtree's node as stored: level, index at that level, hash."""


class LogEdge:
    """The log's right edge in one transaction, read through `read_edge`: the log's size and
    the stored hashes of its frontier (`merkle.perfect_subtrees(0, size)`, every one)."""

    def __init__(self, read_edge: Callable[[], tuple[int, dict[Node, bytes]]]) -> None:
        self._read_edge = read_edge
        self.size: int | None = None
        self._nodes: dict[Node, bytes] = {}
        self._data: dict[int, bytes] = {}
        self._unwritten: list[LeafRow] = []
        self._made: list[NodeRow] = []

    def append(self, entry: dict[str, Any]) -> int:
        """Add `entry` (as its canonical bytes) as the log's next leaf; returns its index."""
        return self.add(Leaf.of(entry))

    def add(self, leaf: Leaf) -> int:
        """Add a leaf made ready beforehand as the log's next; returns its index."""
        if self.size is None:
            self.size, self._nodes = self._read_edge()
        index = self.size
        digest = leaf.digest
        self._nodes[(0, index)] = digest
        self._made.append((0, index, digest))
        for level, position in merkle.nodes_completed_by_append(index)[1:]:
            # Each node completed is the parent of the one before: its right child.
            digest = merkle.node_hash(self._nodes[(level - 1, 2 * position)], digest)
            self._nodes[(level, position)] = digest
            self._made.append((level, position, digest))
        self._data[index] = leaf.data
        self._unwritten.append((index, leaf.kind, leaf.data, leaf.at))
        self.size += 1
        return index

    def frontier(self) -> tuple[int, dict[Node, bytes]] | None:
        """The log's size and frontier as they now stand in this transaction (what `read_edge`
        would read now); None if the log was not read here."""
        if self.size is None:
            return None
        wanted = merkle.perfect_subtrees(0, self.size)
        return self.size, {node: self._nodes[node] for node in wanted}

    @property
    def appended(self) -> bool:
        """Whether a leaf was appended here."""
        return bool(self._data)

    def _subtree(self, start: int, end: int) -> bytes:
        width = end - start
        if width > 0 and not width & (width - 1) and not start % width:
            # A perfect subtree is one node: most ranges a receipt's proof asks for are.
            level = width.bit_length() - 1
            return self._nodes[(level, start >> level)]
        wanted = merkle.perfect_subtrees(start, end)
        return merkle.join_subtrees([self._nodes[node] for node in wanted])

    def receipt(self, index: int, signer: NoteSigner, origin: str) -> dict[str, Any]:
        """Proof that leaf `index` (appended here) is in the log as it now stands, signed."""
        assert self.size is not None and index in self._data
        return make_receipt(index, self.size, self._data[index], self._subtree, signer, origin)

    def checkpoint(self, signer: NoteSigner, origin: str) -> str:
        """The log's head as it now stands, signed (after an append: its root is in memory)."""
        assert self.size is not None and self._data
        return sign_checkpoint(Checkpoint(origin, self.size, self._subtree(0, self.size)), signer)

    def unwritten(self) -> tuple[list[LeafRow], list[NodeRow]]:
        """The leaves appended since the last call and the nodes they completed; then none.

        Kept as they are made: a store that writes after every append (SQLite) would
        otherwise look over every node of the transaction each time, and a bulk import of
        50,000 features took minutes.
        """
        leaves, self._unwritten = self._unwritten, []
        made, self._made = self._made, []
        return leaves, made
