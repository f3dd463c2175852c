"""A webhook as Standard Webhooks (standardwebhooks.com) sends one: a JSON POST, signed.

Headers: `webhook-id` (the same on every try of one delivery, for the receiver to
drop repeats), `webhook-timestamp` (seconds since 1970, UTC) and
`webhook-signature`. The signed content is the bytes `{id}.{timestamp}.{body}`,
the body exactly as sent. With an HMAC secret (`whsec_` + base64 key) the
signature is `v1,` + base64(HMAC-SHA256(key, content)); with the line's key it is
`v1a,` + base64(Ed25519 signature), checked with the line's public key (the
verifier key of `GET /v1/log/key`). A receiver recomputes it, compares in
constant time, and refuses a timestamp far from its own clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

import httpx

from deconflict.line.deliveries import Attempt, Destination, Signing, secret_key
from deconflict.line.escalation import Escalation
from deconflict.record.note import NoteSigner

__all__ = ["headers", "post", "signed_content"]


def signed_content(message_id: str, timestamp: int, body: bytes) -> bytes:
    """What the signature covers: `{id}.{timestamp}.{body}`."""
    return f"{message_id}.{timestamp}.".encode() + body


def headers(
    destination: Destination, message_id: str, at: datetime, body: bytes, signer: NoteSigner | None
) -> dict[str, str]:
    """The request's headers, signed as the destination asks (ValueError: a line-key webhook on
    a line without a key)."""
    timestamp = int(at.timestamp())
    content = signed_content(message_id, timestamp, body)
    if destination.signing is Signing.LINE_KEY:
        if signer is None:
            raise ValueError("this line has no key to sign webhooks with")
        signature = "v1a," + base64.b64encode(signer.private_key.sign(content)).decode()
    else:
        assert destination.secret is not None, destination.id
        digest = hmac.new(secret_key(destination.secret), content, hashlib.sha256).digest()
        signature = "v1," + base64.b64encode(digest).decode()
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def post(
    client: httpx.Client, escalation: Escalation, at: datetime, signer: NoteSigner | None
) -> Attempt:
    """POST the escalation to its webhook; delivered on any 2xx answer. A reason never quotes
    the URL (its path or query may hold the receiver's secret)."""
    destination = escalation.delivery.destination
    body = json.dumps(escalation.payload(at), ensure_ascii=False).encode()
    sent = headers(destination, escalation.message_id, at, body, signer)
    try:
        answer = client.post(destination.target, content=body, headers=sent)
    except httpx.TimeoutException:
        return Attempt(False, "the receiver did not answer in time")
    except httpx.ConnectError:
        return Attempt(False, "cannot connect to the receiver")
    except httpx.TransportError as error:
        return Attempt(False, f"the request failed ({type(error).__name__})")
    if answer.is_success:
        return Attempt(True)
    return Attempt(False, f"the receiver answered HTTP {answer.status_code}")
