"""A party's request signed as RFC 9421 (HTTP Message Signatures) says, as the record keeps it.

The record keeps the signature base (the exact ASCII text the party signed, its
last line the `@signature-params`), the signature, and the body as it was sent,
so anyone can check offline that the party's key signed that method, path,
body digest (RFC 9530) and idempotency key at that time. `check_http_signature`
is the one check: the line runs it before it stores a request, `verify` and
`evidence verify` run it on the record's entries.

The key id (`keyid`) is the party's registered public key itself (base64 of
the raw 32 bytes, as its `party_key` entry holds it), so the signature names
which of its keys signed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import http_sf
from cryptography.exceptions import InvalidSignature as _BadEd25519Signature

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.errors import InvalidSignature, RecordError
from deconflict.record.keys import public_key_from_bytes

SKEW = timedelta(minutes=5)
"""How far a signature's `created` may lie from the line's clock, either way."""

ALGORITHM = "ed25519"
WRITE_COMPONENTS = ("@method", "@path", "content-digest", "idempotency-key")
"""What a signed write must cover."""
READ_COMPONENTS = ("@method", "@path")
"""What a signed read must cover."""

_PARAMS_LINE = '"@signature-params": '
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class HttpSignatureRefused(InvalidSignature):
    """An RFC 9421 signature cannot be accepted; `code` says why."""


@dataclass(frozen=True)
class HttpSignature:
    """A request's RFC 9421 signature: its label, the signature base, the base64 signature
    (64 bytes) and the base64 body as sent (None: a request without a body)."""

    label: str
    base: str
    signature: str
    body: str | None

    def document(self) -> dict[str, Any]:
        """The signature as the record's entry holds it (`http_signed`)."""
        return {"label": self.label, "base": self.base, "signature": self.signature} | (
            {} if self.body is None else {"body": self.body}
        )

    @classmethod
    def from_document(cls, document: Any) -> HttpSignature:
        """Read `document()` back; HttpSignatureRefused naming the field that is not right."""
        if not isinstance(document, dict):
            raise _malformed("the RFC 9421 signature is not an object", "http_signed")
        for name in ("label", "base", "signature"):
            if not isinstance(document.get(name), str):
                raise _malformed(f"the RFC 9421 signature has no text `{name}`", name)
        body = document.get("body")
        if body is not None and not isinstance(body, str):
            raise _malformed("the signed body is not base64 text", "body")
        return cls(document["label"], document["base"], document["signature"], body)

    def body_bytes(self) -> bytes | None:
        """The body the party sent (None: none was sent)."""
        if self.body is None:
            return None
        raw = decode_base64(self.body)
        if raw is None:
            raise _malformed("the signed body is not canonical base64", "body")
        return raw


@dataclass(frozen=True)
class SignatureInput:
    """What the `@signature-params` line of a base says: the covered components in order
    (their names; parameters on a component are refused) and the signature's parameters."""

    components: tuple[str, ...]
    params: dict[str, Any]

    @property
    def created(self) -> datetime:
        created = self.params.get("created")
        if type(created) is not int:
            raise _malformed("the signature has no `created` time (an integer)", "created")
        return datetime.fromtimestamp(created, UTC)


def signature_input(params_text: str) -> SignatureInput:
    """Read a serialized `@signature-params` value (an inner list with parameters)."""
    try:
        parsed = _parse_dictionary(f"s={params_text}")
    except (ValueError, TypeError, UnicodeEncodeError):
        raise _malformed(
            "the signature parameters are not a structured field inner list", "Signature-Input"
        ) from None
    member, params = parsed["s"] if isinstance(parsed, dict) and "s" in parsed else (None, {})
    if not isinstance(member, list):
        raise _malformed("the signature parameters are not an inner list", "Signature-Input")
    names = []
    for name, component_params in member:
        if not isinstance(name, str) or component_params:
            raise _malformed(
                "a covered component is not a plain lowercase name",
                "Signature-Input",
                str(name),
            )
        names.append(name)
    return SignatureInput(tuple(names), dict(params))


def check_http_signature(
    signed: HttpSignature,
    public_key_b64: str,
    required: Sequence[str],
    at: datetime,
) -> SignatureInput:
    """Check `signed` as the line's answer at `at` requires; its parameters if it holds.

    Refused (HttpSignatureRefused, a 403 naming it): a base whose lines are not the
    components its `@signature-params` lists, a `required` component not covered, an
    algorithm other than ed25519, a `keyid` that is not `public_key_b64`, a `created`
    more than SKEW before `at` (stale) or after it (future), a content digest that does
    not match the body, and a signature that does not verify with the key.
    """
    values, given = _read_base(signed.base)
    for name in required:
        if name not in given.components:
            raise HttpSignatureRefused(
                f"the RFC 9421 signature does not cover `{name}`",
                field="Signature-Input",
                value=name,
                code="http_signature_component_missing",
                params={"component": name},
            )
    algorithm = given.params.get("alg", ALGORITHM)
    if algorithm != ALGORITHM:
        raise _malformed(f"the signature's algorithm is {algorithm!r}, not ed25519", "alg")
    keyid = given.params.get("keyid")
    if keyid != public_key_b64:
        raise HttpSignatureRefused(
            "the RFC 9421 signature's keyid is not the party's registered key",
            field="keyid",
            value=keyid,
            code="http_signature_wrong_key",
        )
    _check_time(given, at)
    _check_digest(values.get("content-digest"), signed.body_bytes())
    _check_ed25519(public_key_b64, signed)
    return given


def _read_base(base: str) -> tuple[dict[str, str], SignatureInput]:
    """The component values of a base, by name, and its parameters; the base's lines must be
    exactly the components listed, in order, then the parameters."""
    lines = base.split("\n")
    if not lines[-1].startswith(_PARAMS_LINE):
        raise _malformed("the signature base does not end with its @signature-params", "base")
    given = signature_input(lines[-1].removeprefix(_PARAMS_LINE))
    if len(lines) - 1 != len(given.components):
        raise _malformed("the signature base's lines are not its covered components", "base")
    values: dict[str, str] = {}
    for line, name in zip(lines[:-1], given.components, strict=True):
        prefix = f"{http_sf.ser(name)}: "
        if not line.startswith(prefix):
            raise _malformed(f"the signature base does not give `{name}` in its place", "base")
        values[name] = line.removeprefix(prefix)
    return values, given


def _check_time(given: SignatureInput, at: datetime) -> None:
    created = given.created
    if created < at - SKEW:
        code, said = "http_signature_stale", "before"
    elif created > at + SKEW:
        code, said = "http_signature_future", "after"
    else:
        return
    raise HttpSignatureRefused(
        f"the RFC 9421 signature was created {created.isoformat()}, more than "
        f"{SKEW.total_seconds():g} s {said} the line's time {at.isoformat()}",
        field="created",
        value=int(created.timestamp()),
        code=code,
        params={"skew_s": int(SKEW.total_seconds())},
    )


def _check_digest(field: str | None, body: bytes | None) -> None:
    """Every digest of a covered Content-Digest must be of the body (an absent body: empty)."""
    if field is None:
        return
    try:
        members = _parse_dictionary(field)
    except (ValueError, TypeError, UnicodeEncodeError):
        members = None
    if not isinstance(members, dict) or not members:
        raise _malformed("Content-Digest is not a structured field dictionary", "Content-Digest")
    for algorithm, (digest, _) in members.items():
        hasher = _DIGESTS.get(algorithm)
        if hasher is None or not isinstance(digest, bytes):
            raise _malformed(
                f"Content-Digest has {algorithm!r}, not sha-256 or sha-512",
                "Content-Digest",
                algorithm,
            )
        if not hmac.compare_digest(digest, hasher(body or b"").digest()):
            raise HttpSignatureRefused(
                f"the Content-Digest's {algorithm} is not the digest of the body",
                field="Content-Digest",
                value=field,
                code="content_digest_mismatch",
            )


def _check_ed25519(public_key_b64: str, signed: HttpSignature) -> None:
    raw_key = decode_base64(public_key_b64)
    signature = decode_base64(signed.signature)
    if raw_key is None or signature is None or len(signature) != 64:
        raise InvalidSignature(
            "the RFC 9421 signature or its key is not canonical base64 of an Ed25519 value",
            field="Signature",
        )
    try:
        public_key_from_bytes(raw_key).verify(signature, signed.base.encode("ascii"))
    except (RecordError, _BadEd25519Signature, UnicodeEncodeError):
        raise InvalidSignature(
            f"the RFC 9421 signature {signed.label} does not verify with the party's key",
            field="Signature",
            value=signed.label,
        ) from None


def _parse_dictionary(text: str) -> Any:
    """A structured field dictionary (RFC 9651), as http_sf gives it: name to (value, params),
    an inner list's value a list of (item, params). Any: its shape is checked where read."""
    return http_sf.parse(text.encode("ascii"), tltype="dictionary")


def _malformed(message: str, field: str, value: Any = None) -> HttpSignatureRefused:
    return HttpSignatureRefused(message, field=field, value=value, code="http_signature_malformed")


def body_text(body: bytes | None) -> str | None:
    """A body as the record keeps it beside its signature: base64 (None: no body)."""
    return None if body is None else encode_base64(body)
