"""Who asks the DSS: a USS with an OAuth 2 bearer token (a JWT signed RS256 by an
authority whose public key the operator configures), and the scopes it was granted.

The token's `sub` is the USS, the manager of what it writes; its `scope` (separated by
spaces) says which operations it may call; its `aud` must be one the operator accepts.
PyJWT checks the signature, the expiry (`exp`, required), `nbf` when present and the
audience.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from deconflict.utm.refusals import NotAuthenticated, NotPermitted

_LEEWAY_S = 30  # clocks of the authority and the DSS may disagree this much


@dataclass(frozen=True)
class Uss:
    """The USS a verified token names, and the scopes it holds."""

    id: str
    scopes: frozenset[str]

    def needs_one_of(self, scopes: Sequence[str]) -> None:
        """Refuse (403) unless the token holds at least one of `scopes`."""
        if self.scopes.isdisjoint(scopes):
            raise NotPermitted(
                f"the token needs one of the scopes {', '.join(scopes)}",
                params={"scopes": list(scopes)},
            )


class TokenCheck:
    """Verifies USSs' bearer tokens against the configured keys and audiences."""

    def __init__(self, keys: Sequence[Any], audiences: Sequence[str]) -> None:
        self.keys = tuple(keys)
        self.audiences = tuple(audiences)

    @classmethod
    def from_files(cls, files: Sequence[Path], audiences: Sequence[str]) -> TokenCheck:
        """The check with the public keys in these PEM files (ValueError names a bad one)."""
        keys = []
        for path in files:
            try:
                keys.append(load_pem_public_key(path.read_bytes()))
            except (OSError, ValueError) as error:
                raise ValueError(f"cannot read the public key {path}: {error}") from None
        return cls(keys, audiences)

    def uss(self, authorization: str | None) -> Uss:
        """The USS of an `Authorization: Bearer` header (401 when absent or not valid)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("a bearer access token is needed")
        claims = self._claims(token.strip())
        subject, scope = claims.get("sub"), claims.get("scope", "")
        if not isinstance(subject, str) or not subject or not isinstance(scope, str):
            raise NotAuthenticated("the token names no subject or has an unreadable scope")
        return Uss(subject, frozenset(scope.split()))

    def _claims(self, token: str) -> dict[str, Any]:
        if not self.keys or not self.audiences:
            raise NotAuthenticated("this DSS accepts no tokens (no keys or audiences configured)")
        failure = "the token does not verify"
        for key in self.keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=["RS256"],
                    audience=list(self.audiences),
                    leeway=_LEEWAY_S,
                    options={"require": ["exp", "sub"]},
                )
                return claims
            except jwt.InvalidSignatureError:
                continue  # signed by another of the configured authorities, perhaps
            except jwt.PyJWTError as error:
                failure = f"the token is not valid: {error}"
                break
        raise NotAuthenticated(failure)
