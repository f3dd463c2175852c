"""Ed25519 keys of the log and of the parties: made, written and read as PEM (PKCS#8).

A private key is only ever written in PEM and never echoed in an error; a
public key travels as its raw 32 bytes (RFC 8032), in base64 where it is text.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconflict.record.errors import RecordError

PUBLIC_KEY_SIZE = 32


def generate_private_key() -> Ed25519PrivateKey:
    """A new random Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def private_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    """The private key as unencrypted PKCS#8 PEM: keep the file readable by its owner only."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """Read an unencrypted PKCS#8 PEM Ed25519 private key; RecordError if it is anything else.

    >>> key = generate_private_key()
    >>> public_key_bytes(load_private_key(private_key_pem(key))) == public_key_bytes(key)
    True
    """
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The cause is dropped on purpose: its text could quote the key material.
        raise RecordError(
            "cannot read the private key: expected an unencrypted PKCS#8 PEM Ed25519 key",
            field="private_key",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise RecordError(
            f"the private key is {type(key).__name__}, not Ed25519", field="private_key"
        )
    return key


def load_private_key_file(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key from a PEM file; RecordError naming the file if it cannot."""
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise RecordError(
            f"cannot read the private key file {str(path)!r}: {error.strerror}",
            field="private_key",
            value=str(path),
        ) from None
    try:
        return load_private_key(pem)
    except RecordError as error:
        raise RecordError(
            f"{error.message} (in {str(path)!r})", field="private_key", value=str(path)
        ) from None


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key of a private key."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    """The public key as parties exchange it: standard base64 of the raw 32 bytes (44 chars)."""
    return base64.b64encode(public_key_bytes(private_key)).decode("ascii")


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key of 32 raw bytes; RecordError for any other length."""
    if len(raw) != PUBLIC_KEY_SIZE:
        raise RecordError(
            f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes, not {len(raw)}", field="public_key"
        )
    return Ed25519PublicKey.from_public_bytes(raw)
