"""The errors of the record: a proof, signature, checkpoint or value that cannot be trusted."""

from __future__ import annotations

from deconflict.errors import DeconflictError


class RecordError(DeconflictError):
    """Root of the record's errors: a request the record cannot serve, or a key it cannot read."""

    code = "record_refused"


class InvalidProof(RecordError):
    """An inclusion or consistency proof does not prove what it claims."""

    code = "invalid_proof"


class InvalidSignature(RecordError):
    """A signature does not verify, comes from no known key, or its note is malformed."""

    code = "invalid_signature"


class InvalidCheckpoint(RecordError):
    """A checkpoint's text breaks the C2SP tlog-checkpoint format or names another log."""

    code = "invalid_checkpoint"


class NoCanonicalForm(RecordError):
    """A value has no RFC 8785 canonical JSON form (NaN, infinity, a huge integer, a bad key)."""

    code = "no_canonical_form"


class NotWitnessed(RecordError):
    """A checkpoint carries fewer valid cosignatures of the witnesses required than the policy
    asks: it may be a view of the record that other parties were not shown."""
