"""A witness of the line's record (C2SP tlog-witness): it cosigns a checkpoint only if it is
consistent with the latest one it cosigned for that log.

The log asks with `add-checkpoint`, whose body is

    old <size of the checkpoint the log believes the witness holds>\\n
    <one base64 hash of the consistency proof per line, none when old is 0>\\n...
    \\n
    <the checkpoint, a signed note>

The witness answers with its cosignature line(s), or refuses: the request is
malformed (`MalformedRequest`), the origin is not a log it witnesses
(`UnknownLog`), no key it trusts for that log signed it (`LogSignatureRefused`),
`old` is not the size it holds, or the same size comes with another root
(`SizeConflict`, carrying the size it holds), or the proof does not verify
(`ProofRefused`). It holds one checkpoint per log and replaces it, checked and
written durably in one step, before it answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.cosignature import Cosigner
from deconflict.record.errors import (
    InvalidCheckpoint,
    InvalidProof,
    InvalidSignature,
    RecordError,
)
from deconflict.record.merkle import HASH_SIZE, verify_consistency
from deconflict.record.note import Checkpoint, NoteVerifier, open_checkpoint

# The spec lets a client send at most 63 proof lines (a tree of up to 2**63 leaves).
MAX_PROOF_LINES = 63
_SIZE = re.compile("0|[1-9][0-9]{0,19}")


class WitnessRefusal(RecordError):
    """The witness does not cosign what it was sent; the subclass says why."""


class MalformedRequest(WitnessRefusal):
    """The add-checkpoint body does not read as the protocol says, or old is above the size."""


class UnknownLog(WitnessRefusal):
    """The checkpoint's origin is not a log this witness witnesses."""


class LogSignatureRefused(WitnessRefusal):
    """No key the witness trusts for the checkpoint's log signed it."""


class SizeConflict(WitnessRefusal):
    """The log's old size is not the size the witness holds (or the same size has another
    root): `size` is the size it holds, for the log to send the right proof."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message, field="old", value=size)
        self.size = size


class ProofRefused(WitnessRefusal):
    """The consistency proof from the checkpoint the witness holds does not verify."""


@dataclass(frozen=True)
class AddCheckpoint:
    """One add-checkpoint request: the old size, the consistency proof and the signed note."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def body(self) -> bytes:
        """The request body as the protocol spells it."""
        lines = [f"old {self.old_size}", *(encode_base64(h) for h in self.proof)]
        return ("".join(line + "\n" for line in lines) + "\n" + self.note).encode("utf-8")

    @classmethod
    def from_body(cls, body: bytes) -> AddCheckpoint:
        """Read a request body; MalformedRequest naming what does not read."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRequest("the body is not UTF-8", field="body") from None
        head, blank, note = text.partition("\n\n")
        if not blank:
            raise MalformedRequest("no blank line before the checkpoint", field="body")
        first, *proof_lines = head.split("\n")
        size = first.removeprefix("old ")
        if size == first or not _SIZE.fullmatch(size) or int(size) >= 2**63:
            raise MalformedRequest(
                "the first line must be `old <size>`, a decimal without leading zeros",
                field="old",
                value=first[:40],
            )
        if len(proof_lines) > MAX_PROOF_LINES:
            raise MalformedRequest(
                f"{len(proof_lines)} proof lines, more than {MAX_PROOF_LINES}", field="proof"
            )
        proof = [decode_base64(line) for line in proof_lines]
        for number, digest in enumerate(proof, start=1):
            if digest is None or len(digest) != HASH_SIZE:
                raise MalformedRequest(
                    f"proof line {number} is not the base64 of a {HASH_SIZE}-byte hash",
                    field="proof",
                    value=proof_lines[number - 1][:64],
                )
        return cls(int(size), tuple(h for h in proof if h is not None), note)


class WitnessState(Protocol):
    """Where a witness keeps the latest checkpoint it cosigned of each log."""

    def advance(self, origin: str, step: Callable[[Checkpoint | None], Checkpoint]) -> None:
        """Call `step` with the checkpoint held for `origin` (None: none yet) and hold what it
        returns, durably, before returning; all in one step no other caller interleaves
        with. When `step` raises, nothing changes."""


class Witness:
    """A witness: its key, the logs it witnesses (origin to the keys that sign its
    checkpoints), its state and its clock (unix seconds)."""

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Mapping[str, Sequence[NoteVerifier]],
        state: WitnessState,
        clock: Callable[[], int],
    ) -> None:
        self.cosigner = cosigner
        self.logs = {origin: list(keys) for origin, keys in logs.items()}
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> str:
        """Check an add-checkpoint request and answer with the cosignature line; raises a
        WitnessRefusal when it refuses, and then holds what it held before."""
        request = AddCheckpoint.from_body(body)
        checkpoint = self._open(request.note)
        if request.old_size > checkpoint.size:
            raise MalformedRequest(
                f"old size {request.old_size} is above the checkpoint's size {checkpoint.size}",
                field="old",
                value=request.old_size,
            )

        def step(held: Checkpoint | None) -> Checkpoint:
            _check_consistent(held, request, checkpoint)
            return checkpoint

        self.state.advance(checkpoint.origin, step)
        return self.cosigner.cosignature_line(checkpoint.to_text(), self.clock())

    def _open(self, note: str) -> Checkpoint:
        origin = note.partition("\n")[0]
        keys = self.logs.get(origin)
        if keys is None:
            raise UnknownLog(
                f"this witness does not witness the log {origin!r}",
                field="origin",
                value=origin[:200],
            )
        try:
            return open_checkpoint(note, keys, origin=origin)
        except InvalidSignature as error:
            raise LogSignatureRefused(
                f"the checkpoint is not signed by a key of {origin!r}: {error.message}",
                field="checkpoint",
            ) from None
        except InvalidCheckpoint as error:
            raise MalformedRequest(error.message, field=error.field, value=error.value) from None


def _check_consistent(held: Checkpoint | None, request: AddCheckpoint, new: Checkpoint) -> None:
    """Refuse `new` unless it extends `held` as the request's old size and proof show."""
    held_size = 0 if held is None else held.size
    if request.old_size != held_size:
        raise SizeConflict(
            f"this witness holds {new.origin!r} at size {held_size}, not {request.old_size}",
            held_size,
        )
    if held is None or held.size == 0:
        if request.proof:
            raise ProofRefused("a proof from size 0 must be empty", field="proof")
        return
    if held.size == new.size:
        if held.root_hash != new.root_hash:
            raise SizeConflict(
                f"this witness holds another tree of size {held_size} for {new.origin!r}",
                held_size,
            )
        if request.proof:
            raise ProofRefused("a proof between equal sizes must be empty", field="proof")
        return
    try:
        verify_consistency(held.size, new.size, held.root_hash, new.root_hash, request.proof)
    except InvalidProof as error:
        raise ProofRefused(
            f"the proof from size {held.size} to {new.size} does not verify: {error.message}",
            field="proof",
        ) from None
