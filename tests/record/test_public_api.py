"""The record's public surface is exactly what its package exports."""

from __future__ import annotations

import deconflict.record
from deconflict.errors import DeconflictError
from deconflict.record import errors


def test_the_record_exports_exactly_its_public_api() -> None:
    assert sorted(deconflict.record.__all__) == sorted(
        [
            "EMPTY_ROOT", "HASH_SIZE", "Checkpoint", "InvalidCheckpoint", "InvalidProof",
            "InvalidSignature", "JsonValue", "MemoryTree", "NoCanonicalForm", "NoteSigner",
            "NoteVerifier", "RecordError", "canonical_bytes", "consistency_proof",
            "generate_party_key", "generate_signer", "inclusion_proof", "join_subtrees",
            "leaf_hash", "load_private_key", "load_private_key_file", "load_signer", "node_hash",
            "nodes_completed_by_append", "open_checkpoint", "open_note", "party_signature",
            "perfect_subtrees", "private_key_pem", "public_key_b64", "root", "sign_checkpoint",
            "sign_note", "verify_consistency", "SALT_SIZE", "Opening", "new_salt", "seal",
            "sign_sealed", "signed_bytes", "verify_inclusion", "verify_party_signature",
        ]
    )  # fmt: skip
    for name in deconflict.record.__all__:
        assert getattr(deconflict.record, name) is not None


def test_every_record_error_is_a_deconflict_error() -> None:
    for error in (
        errors.RecordError,
        errors.InvalidProof,
        errors.InvalidSignature,
        errors.InvalidCheckpoint,
        errors.NoCanonicalForm,
    ):
        assert issubclass(error, errors.RecordError)
        assert issubclass(error, DeconflictError)
