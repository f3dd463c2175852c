"""Reading a request's RFC 9421 signature (`Signature-Input`, `Signature`) off the wire.

The maintained `http-message-signatures` library resolves the covered components
of the request as it arrived (method, path, fields) into the signature base and
checks the signature with the key its `keyid` names (the party's public key in
base64). What comes out is the base, the signature and the body as the record
keeps them; the line then holds them to the party's registered key, its clock
and what a write or a read must cover (record/http_signature.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import http_sf
from fastapi import Header, Request
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.http_signature import HttpSignature, HttpSignatureRefused, body_text
from deconflict.record.keys import public_key_from_bytes


@dataclass(frozen=True)
class _Message:
    """The request as the library reads it: method, absolute URL as sent, header fields."""

    method: str
    url: str
    headers: Any


class _KeyIdIsTheKey(HTTPSignatureKeyResolver):
    """A `keyid` is the base64 of the party's raw public key: read it as the key."""

    def resolve_public_key(self, key_id: str) -> Any:
        raw = decode_base64(key_id)
        if raw is None or len(raw) != 32:
            raise HttpSignatureRefused(
                "the RFC 9421 signature's keyid is not base64 of a 32-byte Ed25519 key",
                field="keyid",
                value=key_id,
                code="http_signature_wrong_key",
            )
        return public_key_from_bytes(raw)


class _Verifier(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        """The line checks `created` against its own clock (record/http_signature.py)."""


async def http_signature(
    request: Request,
    signature_input: Annotated[
        str | None,
        Header(
            alias="Signature-Input",
            description="RFC 9421: one signature's label, covered components and parameters "
            "(`keyid` your party's registered public key in base64, `created`, `alg` "
            "ed25519). A write covers `@method`, `@path`, `content-digest` and "
            "`idempotency-key`; a read `@method` and `@path`. Kept in the record.",
        ),
    ] = None,
    signature: Annotated[
        str | None,
        Header(alias="Signature", description="RFC 9421: the Ed25519 signature of that label."),
    ] = None,
) -> HttpSignature | None:
    """The request's RFC 9421 signature, its base built and checked with its `keyid`;
    None when the request carries none. 403 naming the header when it cannot be read."""
    if signature_input is None and signature is None:
        return None
    if signature_input is None or signature is None:
        missing = "Signature-Input" if signature_input is None else "Signature"
        raise HttpSignatureRefused(
            f"an RFC 9421 signature needs both Signature-Input and Signature; {missing} is missing",
            field=missing,
            code="http_signature_malformed",
        )
    label, raw_signature = _one_signature(signature)
    body = await request.body()
    message = _Message(request.method, _url_as_sent(request), request.headers)
    verifier = _Verifier(signature_algorithm=algorithms.ED25519, key_resolver=_KeyIdIsTheKey())
    try:
        (result,) = verifier.verify(message, max_age=None)
    except HTTPMessageSignaturesException as error:
        cause = error.__cause__
        if isinstance(cause, HttpSignatureRefused):
            raise cause from None
        raise HttpSignatureRefused(
            f"the RFC 9421 signature {label} does not verify: {error}",
            field="Signature",
            value=label,
            code="invalid_signature",
        ) from None
    base = "\n".join(f"{name}: {value}" for name, value in result.covered_components.items())
    sent = body_text(body) if body or request.method not in ("GET", "HEAD") else None
    return HttpSignature(label, base, encode_base64(raw_signature), sent)


def _one_signature(field: str) -> tuple[str, bytes]:
    """The one label of a Signature field and its signature bytes."""
    try:
        parsed: Any = http_sf.parse(field.encode("ascii"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError):
        parsed = None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise HttpSignatureRefused(
            "the Signature field must hold exactly one signature, a structured field "
            "dictionary of one label",
            field="Signature",
            value=field,
            code="http_signature_malformed",
        )
    ((label, (value, _)),) = parsed.items()
    if not isinstance(value, bytes):
        raise HttpSignatureRefused(
            f"the signature {label} is not a byte sequence (:base64:)",
            field="Signature",
            value=label,
            code="http_signature_malformed",
        )
    return label, value


def _url_as_sent(request: Request) -> str:
    """The absolute URL with the path and query exactly as the request line gave them."""
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode("ascii", "replace")
    path = raw_path.decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    host = request.headers.get("host", "localhost")
    return f"{scope.get('scheme', 'http')}://{host}{path}{'?' + query if query else ''}"
