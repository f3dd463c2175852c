"""A party's witness over HTTP: `POST /add-checkpoint` as C2SP tlog-witness defines it.

200 with the cosignature line; 409 with the size the witness holds
(`text/x.tlog.size`); 400 a malformed request, 403 a checkpoint no trusted key
signed, 404 a log the witness does not witness, 422 a proof that does not
verify, 413 a body over 64 KiB: these as problem+json, naming the field.
`GET /` answers the witness's verifier key, for parties to compare out of band.
"""

from __future__ import annotations

import logging
import uuid

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from deconflict.api.problems import problem
from deconflict.errors import DeconflictError
from deconflict.record.witness import (
    LogSignatureRefused,
    MalformedRequest,
    ProofRefused,
    SizeConflict,
    UnknownLog,
    Witness,
)

log = logging.getLogger("deconflict.witness")

# An add-checkpoint body is 63 proof lines and a note of a few signatures at most.
MAX_BODY_BYTES = 64 * 1024
SIZE_MEDIA_TYPE = "text/x.tlog.size"
STATUS: dict[type[DeconflictError], int] = {
    MalformedRequest: 400,
    LogSignatureRefused: 403,
    UnknownLog: 404,
    SizeConflict: 409,
    ProofRefused: 422,
}


def create_witness_app(witness: Witness) -> Starlette:
    """The witness's HTTP app (serve it with uvicorn; one process: its state file is locked,
    so several would also be safe, only slower)."""

    async def add_checkpoint(request: Request) -> Response:
        request.state.request_id = uuid.uuid4().hex
        body = await _body(request)
        if body is None:
            return problem(request, 413, f"the body is over {MAX_BODY_BYTES} bytes", field="body")
        try:
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except SizeConflict as error:
            log.info("add-checkpoint conflict held=%d", error.size)
            # Exactly this media type, no charset: the spec names it.
            return Response(f"{error.size}\n", 409, headers={"Content-Type": SIZE_MEDIA_TYPE})
        except DeconflictError as error:
            status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 500)
            if status == 500:
                log.error(
                    "add-checkpoint failed request_id=%s error=%s", request.state.request_id, error
                )
                return problem(request, 500, "the witness failed; quote the request_id")
            log.info("add-checkpoint refused status=%d error=%s", status, error.message)
            return problem(request, status, error.message, field=error.field, value=error.value)
        log.info("add-checkpoint cosigned")
        return PlainTextResponse(line, media_type="text/plain; charset=utf-8")

    async def verifier_key(request: Request) -> Response:
        return PlainTextResponse(witness.cosigner.verifier.to_text() + "\n")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/", verifier_key, methods=["GET"]),
        ]
    )


async def _body(request: Request) -> bytes | None:
    """The body, or None once it grows past MAX_BODY_BYTES (the rest is not read)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)
