"""Console sessions: a random id in an HttpOnly cookie, mapped in server memory to a token.

The browser never holds the token itself, only the session id; every request
through a session presents the token to the same check a bearer token gets, so
a revoked token ends its sessions at once. A write made with the cookie must
also carry the session's CSRF token in a header, which another site's page
cannot read. Sessions live in this process: a restart signs everyone out.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request

COOKIE = "deconflict_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LIFETIME_S = 12 * 3600  # one duty shift; then sign in again


@dataclass(frozen=True)
class Session:
    """One signed-in console: the token it acts with and the CSRF token its writes carry."""

    id: str
    token: str
    party_id: str
    csrf: str
    expires_at_s: float  # on the monotonic clock

    def csrf_matches(self, presented: str | None) -> bool:
        """True when `presented` is this session's CSRF token (compared in constant time)."""
        return presented is not None and hmac.compare_digest(presented, self.csrf)


class Sessions:
    """The live sessions of one app; thread-safe, expired ones dropped as they are met."""

    def __init__(
        self, lifetime_s: float = LIFETIME_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, token: str, party_id: str) -> Session:
        """A new session for `token` (a fresh id every sign-in, so an old id is never reused)."""
        now = self.clock()
        session = Session(
            secrets.token_urlsafe(32),
            token,
            party_id,
            secrets.token_urlsafe(32),
            now + self.lifetime_s,
        )
        with self._lock:
            expired = [key for key, s in self._by_id.items() if s.expires_at_s <= now]
            for key in expired:
                del self._by_id[key]
            self._by_id[session.id] = session
        return session

    def find(self, session_id: str) -> Session | None:
        """The live session with this id, or None (unknown or expired)."""
        with self._lock:
            session = self._by_id.get(session_id)
            if session is not None and session.expires_at_s <= self.clock():
                del self._by_id[session_id]
                return None
            return session

    def close(self, session_id: str) -> None:
        """End a session; closing an unknown one is not an error."""
        with self._lock:
            self._by_id.pop(session_id, None)


def install_sessions(app: FastAPI) -> Sessions:
    """Give `app` its session table."""
    sessions = Sessions()
    app.state.console_sessions = sessions
    return sessions


def session_of(request: Request) -> Session | None:
    """The console session the request's cookie names, if the app has sessions and it is live."""
    sessions: Sessions | None = getattr(request.app.state, "console_sessions", None)
    session_id = request.cookies.get(COOKIE)
    if sessions is None or not session_id:
        return None
    return sessions.find(session_id)
