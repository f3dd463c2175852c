"""The parties' own signatures: Ed25519 over the commitment of what they send.

A party signs the commitment of a request's payload (`sign_sealed`, see
`sealed.py`) with its private key; the line checks it against the public key
the party registered (base64 of the raw 32 bytes) and keeps both in the
record, so anyone can later check that the party, not the line, said it,
without reading what it said. Signatures travel as standard base64 of the 64
signature bytes.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature as _BadEd25519Signature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.canonical import JsonValue
from deconflict.record.errors import InvalidSignature, RecordError
from deconflict.record.keys import (
    generate_private_key,
    public_key_b64,
    public_key_from_bytes,
)
from deconflict.record.sealed import new_salt, seal, signed_bytes

SIGNATURE_SIZE = 64


def generate_party_key() -> tuple[Ed25519PrivateKey, str]:
    """A new party key pair: the private key and its public key in base64 (raw 32 bytes).

    Write the private key with `keys.private_key_pem`; register the public one.
    """
    private_key = generate_private_key()
    return private_key, public_key_b64(private_key)


def party_signature(private_key: Ed25519PrivateKey, payload_bytes: bytes) -> str:
    """The base64 Ed25519 signature of `payload_bytes`, the canonical bytes of a payload.

    >>> from deconflict.record.canonical import canonical_bytes
    >>> key, public_b64 = generate_party_key()
    >>> payload = canonical_bytes({"notice": 7, "response": "ACK"})
    >>> verify_party_signature(public_b64, payload, party_signature(key, payload))
    """
    return encode_base64(private_key.sign(payload_bytes))


def verify_party_signature(public_key_b64: str, payload_bytes: bytes, signature_b64: str) -> None:
    """Check a party's signature of `payload_bytes`; InvalidSignature if it is not theirs.

    Also InvalidSignature for a public key that is not base64 of 32 bytes or a
    signature that is not canonical base64 of 64 bytes.
    """
    raw_key = decode_base64(public_key_b64)
    if raw_key is None:
        raise InvalidSignature(
            "the public key is not canonical base64", field="public_key", value=public_key_b64
        )
    try:
        public_key = public_key_from_bytes(raw_key)
    except RecordError as error:
        raise InvalidSignature(error.message, field="public_key", value=public_key_b64) from None
    signature = decode_base64(signature_b64)
    if signature is None or len(signature) != SIGNATURE_SIZE:
        raise InvalidSignature(
            f"the signature is not canonical base64 of {SIGNATURE_SIZE} bytes", field="signature"
        )
    try:
        public_key.verify(signature, payload_bytes)
    except _BadEd25519Signature:
        raise InvalidSignature(
            "the signature does not verify with the party's key", field="signature"
        ) from None


def sign_sealed(private_key: Ed25519PrivateKey, payload: JsonValue) -> tuple[str, bytes]:
    """Sign what a request sends as the record may seal it: (signature, salt).

    The signature is over `sealed.signed_bytes` of the payload's commitment
    under a fresh salt; send both with the request.

    >>> key, public_b64 = generate_party_key()
    >>> signature, salt = sign_sealed(key, {"cancel": "a-1"})
    >>> verify_party_signature(public_b64, signed_bytes(seal({"cancel": "a-1"}, salt)), signature)
    """
    salt = new_salt()
    return party_signature(private_key, signed_bytes(seal(payload, salt))), salt
