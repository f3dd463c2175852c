"""Specification of the parties' own signatures over canonical payload bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from deconflict.record.base64text import decode_base64, encode_base64
from deconflict.record.canonical import canonical_bytes
from deconflict.record.errors import InvalidSignature, RecordError
from deconflict.record.keys import load_private_key_file, private_key_pem, public_key_b64
from deconflict.record.signature import (
    generate_party_key,
    party_signature,
    verify_party_signature,
)

PAYLOAD = canonical_bytes({"notice": 12, "response": "ACK", "altitude_m": 1500.0})


def test_a_party_signature_verifies_with_the_partys_public_key() -> None:
    key, public_b64 = generate_party_key()
    signature = party_signature(key, PAYLOAD)
    assert len(decode_base64(public_b64) or b"") == 32
    assert len(decode_base64(signature) or b"") == 64
    verify_party_signature(public_b64, PAYLOAD, signature)


def test_a_changed_payload_is_refused() -> None:
    key, public_b64 = generate_party_key()
    signature = party_signature(key, PAYLOAD)
    changed = canonical_bytes({"notice": 12, "response": "NACK", "altitude_m": 1500.0})
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify_party_signature(public_b64, changed, signature)


def test_another_partys_key_is_refused() -> None:
    key, _ = generate_party_key()
    _, other_public_b64 = generate_party_key()
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify_party_signature(other_public_b64, PAYLOAD, party_signature(key, PAYLOAD))


def test_a_tampered_signature_is_refused() -> None:
    key, public_b64 = generate_party_key()
    signature = bytearray(decode_base64(party_signature(key, PAYLOAD)) or b"")
    signature[0] ^= 0x80
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify_party_signature(public_b64, PAYLOAD, encode_base64(bytes(signature)))


@pytest.mark.parametrize(
    ("public_b64", "signature_b64", "field"),
    [
        ("not base64", None, "public_key"),
        (encode_base64(bytes(31)), None, "public_key"),
        (None, "not base64", "signature"),
        (None, encode_base64(bytes(63)), "signature"),
    ],
)
def test_malformed_keys_and_signatures_are_refused_naming_the_field(
    public_b64: str | None, signature_b64: str | None, field: str
) -> None:
    key, good_public_b64 = generate_party_key()
    with pytest.raises(InvalidSignature) as refused:
        verify_party_signature(
            public_b64 or good_public_b64, PAYLOAD, signature_b64 or party_signature(key, PAYLOAD)
        )
    assert refused.value.field == field


def test_a_private_key_is_loaded_from_its_pem_file(tmp_path: Path) -> None:
    key, public_b64 = generate_party_key()
    path = tmp_path / "party.pem"
    path.write_bytes(private_key_pem(key))
    assert public_key_b64(load_private_key_file(path)) == public_b64


def test_a_key_file_that_is_not_an_ed25519_pem_is_refused_without_its_content(
    tmp_path: Path,
) -> None:
    not_pem = tmp_path / "not.pem"
    not_pem.write_bytes(b"secret material, not a key")
    with pytest.raises(RecordError, match="cannot read the private key") as refused:
        load_private_key_file(not_pem)
    assert "secret" not in str(refused.value)

    ecdsa = tmp_path / "ecdsa.pem"
    ecdsa.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(RecordError, match="not Ed25519"):
        load_private_key_file(ecdsa)

    with pytest.raises(RecordError, match="cannot read the private key file"):
        load_private_key_file(tmp_path / "missing.pem")
