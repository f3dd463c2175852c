"""RFC 9421 signatures as the record keeps and checks them: the library and our use of it agree
with the RFC's own Ed25519 example, and every way a kept signature can be wrong is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)

from deconflict.record.base64text import encode_base64
from deconflict.record.errors import InvalidSignature
from deconflict.record.http_signature import (
    WRITE_COMPONENTS,
    HttpSignature,
    check_http_signature,
    signature_input,
)
from deconflict.record.keys import public_key_b64

VECTOR = Path(__file__).parents[1] / "data" / "vectors" / "rfc9421" / "b26-ed25519.json"


class _Request:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, headers


def _vector() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(VECTOR.read_text())
    return value


def _vector_request() -> _Request:
    request = _vector()["request"]
    return _Request(request["method"], request["url"], dict(request["headers"]))


def _raw_public(key: Ed25519PublicKey) -> str:
    return encode_base64(key.public_bytes_raw())


def test_the_library_builds_rfc_9421_b26s_signature_base_and_signature() -> None:
    vector = _vector()
    private = load_pem_private_key(vector["private_key_pem"].encode(), None)
    assert isinstance(private, Ed25519PrivateKey)
    request = _vector_request()
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519)
    prepared = signer.prepare(
        request,
        key_id=vector["key_id"],
        created=datetime.fromtimestamp(vector["created"], UTC),
        label="sig-b26",
        include_alg=False,
        covered_component_ids=vector["covered_components"],
        use_existing_digest=True,
    )
    assert prepared.signature_base == vector["signature_base"].encode()
    signer.apply(request, prepared, private.sign(prepared.signature_base))
    # Ed25519 is deterministic: the RFC's own signature, byte for byte.
    assert request.headers["Signature"] == vector["signature"]
    assert request.headers["Signature-Input"] == vector["signature_input"]


def test_the_library_verifies_rfc_9421_b26_and_our_check_agrees_on_its_base() -> None:
    vector = _vector()
    public = load_pem_public_key(vector["public_key_pem"].encode())
    assert isinstance(public, Ed25519PublicKey)
    request = _vector_request()
    request.headers["Signature-Input"] = vector["signature_input"]
    request.headers["Signature"] = vector["signature"]

    class AtItsTime(HTTPMessageVerifier):
        def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
            """The vector was made in 2021."""

    keys = MappingKeyResolver(public_keys={vector["key_id"]: public}, private_keys={})
    verifier = AtItsTime(signature_algorithm=algorithms.ED25519, key_resolver=keys)
    (result,) = verifier.verify(request, max_age=None)
    base = "\n".join(f"{name}: {value}" for name, value in result.covered_components.items())
    assert base == vector["signature_base"]
    signature = vector["signature"].split(":")[1]
    kept = HttpSignature("sig-b26", base, signature, None)
    public.verify(base64.b64decode(signature), kept.base.encode())
    params = kept.base.split("\n")[-1].removeprefix('"@signature-params": ')
    assert signature_input(params).components == tuple(vector["covered_components"])
    # The vector's keyid is a name, not the key: as a party's signature it is the wrong key.
    at = datetime.fromtimestamp(vector["created"], UTC)
    with pytest.raises(InvalidSignature) as refused:
        check_http_signature(kept, _raw_public(public), ("@method", "@path"), at)
    assert refused.value.code == "http_signature_wrong_key"


def _signed_write(key: Ed25519PrivateKey, body: bytes, created: datetime) -> HttpSignature:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    keyid = public_key_b64(key)
    params = (
        '("@method" "@path" "content-digest" "idempotency-key")'
        f';created={int(created.timestamp())};keyid="{keyid}";alg="ed25519"'
    )
    base = "\n".join(
        [
            '"@method": POST',
            '"@path": /v1/notices/4/replies',
            f'"content-digest": sha-256=:{digest}:',
            '"idempotency-key": k-1',
            f'"@signature-params": {params}',
        ]
    )
    return HttpSignature("sig1", base, encode_base64(key.sign(base.encode())), encode_base64(body))


NOW = datetime(2026, 10, 3, 22, 1, tzinfo=UTC)


def _refusal(signed: HttpSignature, key: str, at: datetime = NOW) -> str:
    with pytest.raises(InvalidSignature) as refused:
        check_http_signature(signed, key, WRITE_COMPONENTS, at)
    return refused.value.code


def test_a_kept_write_signature_holds_and_each_fault_is_named() -> None:
    key = Ed25519PrivateKey.generate()
    public = public_key_b64(key)
    body = b'{"text": "Advisers there."}'
    good = _signed_write(key, body, NOW)
    assert check_http_signature(good, public, WRITE_COMPONENTS, NOW).created == NOW
    assert _refusal(good, public, NOW + timedelta(minutes=6)) == "http_signature_stale"
    assert _refusal(good, public, NOW - timedelta(minutes=6)) == "http_signature_future"
    other = public_key_b64(Ed25519PrivateKey.generate())
    assert _refusal(good, other) == "http_signature_wrong_key"
    changed_body = replace(good, body=encode_base64(b'{"text": "Nobody there."}'))
    assert _refusal(changed_body, public) == "content_digest_mismatch"
    changed_base = replace(good, base=good.base.replace("k-1", "k-2"))
    assert _refusal(changed_base, public) == "invalid_signature"
    dropped = replace(good, base=good.base.replace('"idempotency-key": k-1\n', ""))
    assert _refusal(dropped, public) == "http_signature_malformed"
    narrow = _signed_write(key, body, NOW)
    narrow = replace(
        narrow,
        base=narrow.base.replace('"idempotency-key": k-1\n', "").replace(
            ' "idempotency-key")', ")"
        ),
    )
    assert _refusal(narrow, public) == "http_signature_component_missing"


def test_signature_parameters_are_read_as_structured_fields() -> None:
    given = signature_input('("@method" "@path");created=5;keyid="k"')
    assert given.components == ("@method", "@path")
    assert given.params == {"created": 5, "keyid": "k"}
    for broken in ('"@method"', '("@method";req)', "(@method"):
        with pytest.raises(InvalidSignature) as refused:
            signature_input(broken)
        assert refused.value.code == "http_signature_malformed"
