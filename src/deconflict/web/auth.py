"""Who is asking: the bearer token (or the console session behind a cookie), its party and role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from deconflict.errors import Forbidden
from deconflict.line.parties import Credential, PartyStore, Role, authenticate
from deconflict.web.sessions import CSRF_HEADER, SAFE_METHODS, session_of

_RANK = {Role.DUTY: 0, Role.PLANNER: 1, Role.ADMIN: 2}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="deconflict"'}


def requires(role: Role) -> Callable[[Request], Awaitable[Credential]]:
    """A dependency that admits a live token of at least `role`, and names its party."""

    async def credential(request: Request) -> Credential:
        store: PartyStore = request.app.state.store
        if store.reads_in_process:
            # One indexed row of a local file costs less than a thread hop (0.35 ms of CPU
            # a request, measured through the API).
            found = _presented(request, store)
        else:
            found = await run_in_threadpool(_presented, request, store)
        if found is None:
            raise HTTPException(401, "unknown or revoked token", headers=_CHALLENGE)
        if _RANK[found.role] < _RANK[role]:
            raise Forbidden(
                f"this needs a {role.value} token; yours is {found.role.value}",
                code="role_needed",
                params={"role": role.value, "yours": found.role.value},
            )
        request.state.party = found.party_id
        return found

    return credential


def _presented(request: Request, store: PartyStore) -> Credential | None:
    """The credential of the bearer token; without an Authorization header, that of the
    console session (None for an unknown or revoked token).

    A write through a session cookie must carry the session's CSRF token, so a
    page on another site cannot make the browser write with the cookie.
    """
    header = request.headers.get("authorization")
    session = session_of(request) if header is None else None
    if session is not None:
        if request.method not in SAFE_METHODS and not session.csrf_matches(
            request.headers.get(CSRF_HEADER)
        ):
            raise Forbidden(
                f"a write from the console needs its {CSRF_HEADER} header",
                code="csrf_missing",
                params={"header": CSRF_HEADER},
            )
        return session.credential
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "send Authorization: Bearer <token>", headers=_CHALLENGE)
    return authenticate(store, token.strip())
