"""Standard base64 (RFC 4648 section 4) read strictly: one text for each byte string.

Notes, checkpoints, keys and party signatures all carry bytes as base64.
Reading only the canonical text (padding present, unused bits zero, nothing
outside the alphabet) means a value has one spelling, so text round-trips
exactly and no variant of a signed line can be passed off as another.
"""

from __future__ import annotations

import base64
import binascii


def encode_base64(raw: bytes) -> str:
    """Standard base64 with padding.

    >>> encode_base64(b"\\x01\\x02")
    'AQI='
    """
    return base64.b64encode(raw).decode("ascii")


def decode_base64(text: str) -> bytes | None:
    """The bytes `text` spells in canonical standard base64, or None if it spells none.

    >>> decode_base64("AQI=")
    b'\\x01\\x02'
    >>> decode_base64("AQJ=") is None  # unused bits set: not the canonical spelling
    True
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if encode_base64(raw) == text else None
