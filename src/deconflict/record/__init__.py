"""The record: an append-only, tamper-evident log that anyone can download and check offline.

- `merkle`: RFC 9162 Merkle tree hashes, inclusion and consistency proofs, and
  the stored-node scheme that makes them O(log n) (`MemoryTree` is its reference).
- `canonical`: RFC 8785 canonical JSON bytes of entries and signed payloads.
- `note`: C2SP signed notes and tlog checkpoints signed with the log's Ed25519 key.
- `sealed`: salted commitments to what not every party may read, and their openings.
- `signature`: the parties' own Ed25519 signatures of the commitments of what they send.
- `keys`: Ed25519 keys in PEM and base64.
"""

from deconflict.record.canonical import JsonValue, canonical_bytes
from deconflict.record.errors import (
    InvalidCheckpoint,
    InvalidProof,
    InvalidSignature,
    NoCanonicalForm,
    RecordError,
)
from deconflict.record.keys import (
    load_private_key,
    load_private_key_file,
    private_key_pem,
    public_key_b64,
)
from deconflict.record.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
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
from deconflict.record.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    generate_signer,
    load_signer,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)
from deconflict.record.sealed import SALT_SIZE, Opening, new_salt, seal, signed_bytes
from deconflict.record.signature import (
    generate_party_key,
    party_signature,
    sign_sealed,
    verify_party_signature,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "SALT_SIZE",
    "Checkpoint",
    "InvalidCheckpoint",
    "InvalidProof",
    "InvalidSignature",
    "JsonValue",
    "MemoryTree",
    "NoCanonicalForm",
    "NoteSigner",
    "NoteVerifier",
    "Opening",
    "RecordError",
    "canonical_bytes",
    "consistency_proof",
    "generate_party_key",
    "generate_signer",
    "inclusion_proof",
    "join_subtrees",
    "leaf_hash",
    "load_private_key",
    "load_private_key_file",
    "load_signer",
    "new_salt",
    "node_hash",
    "nodes_completed_by_append",
    "open_checkpoint",
    "open_note",
    "party_signature",
    "perfect_subtrees",
    "private_key_pem",
    "public_key_b64",
    "root",
    "seal",
    "sign_checkpoint",
    "sign_note",
    "sign_sealed",
    "signed_bytes",
    "verify_consistency",
    "verify_inclusion",
    "verify_party_signature",
]
