"""The record over HTTP: checkpoints, entries and proofs, readable by every party.

Every party reads every leaf; the openings of sealed parts go only to the
parties entitled to them (line/entries.py says who).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from deconflict.api import schemas
from deconflict.api.cosigning import Cosigning
from deconflict.api.routes import Duty
from deconflict.api.schemas import answered
from deconflict.record.base64text import encode_base64
from deconflict.record.errors import RecordError
from deconflict.record.sealed import Opening, opened
from deconflict.store import Store

log_router = APIRouter(prefix="/v1/log", tags=["record"])

MAX_ENTRIES = 1000


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@log_router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="The record's head: a C2SP checkpoint in a signed note, with the cosignatures of "
    "the line's witnesses that cosigned exactly this checkpoint",
    **answered(None, 401, description="The checkpoint (docs/record.md)."),
)
def checkpoint(request: Request, credential: Duty) -> PlainTextResponse:
    cosigning: Cosigning = request.app.state.cosigning
    return PlainTextResponse(cosigning.cosigned(_store(request).log_checkpoint()))


@log_router.get(
    "/witnesses",
    summary="The line's witnesses: whether each cosigned the checkpoint served now, what it "
    "last cosigned, since when it is behind, whether it lags, and why asking it last failed",
    **answered(schemas.Witnesses, 401),
)
async def witnesses(request: Request, credential: Duty) -> dict[str, Any]:
    cosigning: Cosigning = request.app.state.cosigning
    note = await run_in_threadpool(_store(request).log_checkpoint)
    size, found = cosigning.status(note)
    return {
        "size": size,
        "alert_s": cosigning.alert_s,
        "witnesses": [witness.document() for witness in found],
    }


@log_router.get(
    "/key",
    response_class=PlainTextResponse,
    summary="The verifier key of the record (compare it out of band, then pin it)",
    **answered(None, 401, description="The verifier key, one line."),
)
def key(request: Request, credential: Duty) -> PlainTextResponse:
    log_key = _store(request).log_key
    assert log_key is not None
    return PlainTextResponse(log_key.signer.verifier.to_text() + "\n")


@log_router.get(
    "/entries",
    summary="Entries [start, end): leaf bytes in base64, the entry, and the openings of its "
    "sealed parts that your party may read",
    **answered(schemas.LogEntries, 401, 422),
)
def entries(
    request: Request,
    credential: Duty,
    start: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    end: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
) -> dict[str, Any]:
    size = _store(request).log_size()
    stop = min(size if end is None else end, start + MAX_ENTRIES, size)
    if end is not None and end < start:
        raise RecordError("end must not be below start", field="end", value=end)
    leaves = _store(request).log_leaves(start, stop)
    openings = _store(request).log_openings(start, stop, credential.party_id)
    return {
        "tree_size": size,
        "start": start,
        "end": stop,
        "entries": [
            _entry(index, data, digest, openings.get(index, [])) for index, data, digest in leaves
        ],
    }


def _entry(index: int, data: bytes, digest: bytes, openings: list[Opening]) -> dict[str, Any]:
    """One leaf as served: its bytes, hash and entry; with the openings the caller may read,
    and the entry as they read it (`opened`) when its sealed part is one of them."""
    entry = json.loads(data)
    served = {
        "index": index,
        "leaf": encode_base64(data),
        "leaf_hash": encode_base64(digest),
        "entry": entry,
    }
    if openings:
        served["openings"] = [opening.document() for opening in openings]
        view = opened(entry, openings)
        if view is not entry:
            served["opened"] = view
    return served


@log_router.get(
    "/proof/inclusion",
    summary="RFC 9162 inclusion proof of leaf `index` at `size`",
    **answered(schemas.InclusionProof, 401, 422),
)
def inclusion(
    request: Request,
    credential: Duty,
    index: Annotated[int, Query(ge=0, le=2**63 - 1)],
    size: Annotated[int, Query(ge=1, le=2**63 - 1)],
) -> dict[str, Any]:
    _within(request, size)
    proof = _store(request).log_inclusion(index, size)
    return {"index": index, "size": size, "proof": [encode_base64(h) for h in proof]}


@log_router.get(
    "/proof/consistency",
    summary="RFC 9162 consistency proof between sizes `first` and `second`",
    **answered(schemas.ConsistencyProof, 401, 422),
)
def consistency(
    request: Request,
    credential: Duty,
    first: Annotated[int, Query(ge=1, le=2**63 - 1)],
    second: Annotated[int, Query(ge=1, le=2**63 - 1)],
) -> dict[str, Any]:
    _within(request, second)
    if first > second:
        raise RecordError("first must not be above second", field="first", value=first)
    proof = _store(request).log_consistency(first, second)
    return {"first": first, "second": second, "proof": [encode_base64(h) for h in proof]}


def _within(request: Request, size: int) -> None:
    held = _store(request).log_size()
    if size > held:
        raise RecordError(f"the record holds {held} entries, not {size}", field="size", value=size)
