"""Who is asking: the bearer token, its party and its role."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request

from deconflict.line.parties import Credential, PartyStore, Role, authenticate

_RANK = {Role.DUTY: 0, Role.PLANNER: 1, Role.ADMIN: 2}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="deconflict"'}


def requires(role: Role) -> Callable[[Request], Credential]:
    """A dependency that admits a live token of at least `role`, and names its party."""

    def credential(request: Request) -> Credential:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "send Authorization: Bearer <token>", headers=_CHALLENGE)
        store: PartyStore = request.app.state.store
        found = authenticate(store, token.strip())
        if found is None:
            raise HTTPException(401, "unknown or revoked token", headers=_CHALLENGE)
        if _RANK[found.role] < _RANK[role]:
            raise HTTPException(
                403, f"this needs a {role.value} token; yours is {found.role.value}"
            )
        request.state.party = found.party_id
        return found

    return credential
