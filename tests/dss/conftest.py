"""A real server with the DSS on, on each backend, and USSs with real RS256 access tokens.

The tokens are signed by a key made for the session, its public half given to the server
as `utm_jwt_keys`, as an operator gives an OAuth authority's; the audience is the host the
USSs reach the server at.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.api.conftest import LiveServer, start_server

AUDIENCE = "127.0.0.1"
SC = "utm.strategic_coordination"
CM = "utm.constraint_management"
CP = "utm.constraint_processing"
CMSA = "utm.conformance_monitoring_sa"
AA = "utm.availability_arbitration"


@dataclass(frozen=True)
class Authority:
    """An OAuth authority of the test: its private key, and its public key's PEM file."""

    key: rsa.RSAPrivateKey
    public_pem: Path

    def token(self, sub: str, *scopes: str, audience: str = AUDIENCE, **claims: Any) -> str:
        now = int(time.time())
        return jwt.encode(
            {
                "sub": sub,
                "scope": " ".join(scopes),
                "aud": audience,
                "iss": "test-authority",
                "nbf": now - 1,
                "exp": now + 3600,
                "jti": str(uuid.uuid4()),
                **claims,
            },
            self.key,
            algorithm="RS256",
        )


def make_authority(folder: Path) -> Authority:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = folder / "authority.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return Authority(key, pem)


@dataclass
class Dss:
    """The server under test, its authority, and clients speaking as USSs."""

    server: LiveServer
    authority: Authority

    def uss(self, name: str, *scopes: str) -> httpx.Client:
        """A client of USS `name` holding `scopes` (strategic coordination by default)."""
        token = self.authority.token(name, *(scopes or (SC,)))
        return httpx.Client(
            base_url=f"{self.server.url}/dss/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    def raw(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=30)


@pytest.fixture(scope="module")
def dss(new_db: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dss]:
    folder = tmp_path_factory.mktemp("dss")
    authority = make_authority(folder)
    server = start_server(
        new_db(folder), {}, utm_jwt_keys=str(authority.public_pem), utm_audiences=AUDIENCE
    )
    yield Dss(server, authority)
    server.stop()


def new_id() -> str:
    return str(uuid.uuid4())


def when(minutes: float) -> dict[str, str]:
    """A Time of the standard, `minutes` from now."""
    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    return {"value": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "format": "RFC3339"}


def altitude(metres: float) -> dict[str, Any]:
    return {"value": metres, "reference": "W84", "units": "M"}


def circle(lng: float, lat: float, radius_m: float) -> dict[str, Any]:
    return {
        "outline_circle": {
            "center": {"lng": lng, "lat": lat},
            "radius": {"value": radius_m, "units": "M"},
        }
    }


def polygon(*points: tuple[float, float]) -> dict[str, Any]:
    return {"outline_polygon": {"vertices": [{"lng": x, "lat": y} for x, y in points]}}


def volume(
    outline: dict[str, Any],
    start_min: float | None = 0,
    end_min: float | None = 60,
    lower_m: float | None = 0,
    upper_m: float | None = 120,
) -> dict[str, Any]:
    """A Volume4D: an outline, a band and a window in minutes from now (None: left out)."""
    inner: dict[str, Any] = dict(outline)
    if lower_m is not None:
        inner["altitude_lower"] = altitude(lower_m)
    if upper_m is not None:
        inner["altitude_upper"] = altitude(upper_m)
    found: dict[str, Any] = {"volume": inner}
    if start_min is not None:
        found["time_start"] = when(start_min)
    if end_min is not None:
        found["time_end"] = when(end_min)
    return found


def intent_body(
    *extents: dict[str, Any], key: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    """An Accepted intent's body with an implicit subscription, unless `fields` say otherwise."""
    body: dict[str, Any] = {
        "extents": list(extents),
        "key": key or [],
        "state": "Accepted",
        "uss_base_url": "https://uss.example.org/utm",
        "new_subscription": {"uss_base_url": "https://uss.example.org/utm"},
    }
    body.update(fields)
    return body
