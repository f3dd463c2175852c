"""Receipts: what the line answers every accepted write with, checked by the client.

A receipt holds the leaf (the canonical bytes of the write's first record
entry), its index, an inclusion proof and a checkpoint signed by the log's
key. Checked against the log key the client pinned, it proves the write is in
the record at that index for good: any later checkpoint must extend this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.errors import InvalidProof
from deconflict.record.merkle import SubtreeHash, inclusion_proof, leaf_hash, verify_inclusion
from deconflict.record.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)


def make_receipt(
    index: int,
    tree_size: int,
    leaf: bytes,
    subtree: SubtreeHash,
    signer: NoteSigner,
    origin: str,
) -> dict[str, Any]:
    """The receipt of leaf `index` (its canonical bytes `leaf`) in the tree of `tree_size`
    leaves, whose subtree hashes `subtree` gives, with that tree's checkpoint signed."""
    return {
        "leaf_index": index,
        "tree_size": tree_size,
        "leaf": encode_base64(leaf),
        "inclusion_proof": [encode_base64(h) for h in inclusion_proof(index, tree_size, subtree)],
        "checkpoint": sign_checkpoint(Checkpoint(origin, tree_size, subtree(0, tree_size)), signer),
    }


def verify_receipt(receipt: Mapping[str, Any], verifier: NoteVerifier) -> Checkpoint:
    """The checkpoint the receipt proves inclusion in; raises a RecordError when it does not."""
    checkpoint = open_checkpoint(
        str(receipt.get("checkpoint", "")), [verifier], origin=verifier.name
    )
    leaf = decode_base64(str(receipt.get("leaf", "")))
    proof = [decode_base64(str(h)) for h in receipt.get("inclusion_proof", [])]
    index = receipt.get("leaf_index")
    if leaf is None or not isinstance(index, int) or any(h is None for h in proof):
        raise InvalidProof("the receipt is incomplete or not base64", field="receipt")
    verify_inclusion(
        leaf_hash(leaf),
        index,
        checkpoint.size,
        [h for h in proof if h is not None],
        checkpoint.root_hash,
    )
    return checkpoint
