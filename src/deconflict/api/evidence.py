"""A notice's evidence over HTTP: its thread's entries of the record, proven, for an arbiter.

Only the notice's sender and recipient get it; any other party is told there
is no such notice, as when it reads one (line/evidence.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from deconflict.api import schemas
from deconflict.api.cosigning import Cosigning
from deconflict.api.routes import Duty
from deconflict.api.schemas import answered
from deconflict.line.evidence import notice_evidence
from deconflict.record.note import Checkpoint, note_signatures
from deconflict.store import Store

evidence_router = APIRouter(prefix="/v1", tags=["record"])


@evidence_router.get(
    "/notices/{notice_id}/evidence",
    summary="Evidence of a notice's thread for an arbiter: its entries of the record with their "
    "inclusion proofs, one signed checkpoint (cosigned when the line has witnesses), and the "
    "openings you may read (`deconflict evidence verify` checks it offline)",
    **answered(schemas.Evidence, 401, 404, 422),
)
def evidence(
    request: Request,
    notice_id: Annotated[int, Path(description="The notice's number.")],
    credential: Duty,
) -> dict[str, Any]:
    store: Store = request.app.state.store
    cosigning: Cosigning = request.app.state.cosigning
    note = cosigning.cosigned(store.log_checkpoint())
    size = Checkpoint.from_text(note_signatures(note)[0]).size
    return notice_evidence(store, credential.party_id, notice_id, note, size)
