"""Console sessions: a random key in an HttpOnly cookie, kept in the store only as its hash.

The browser holds the session's key, never the token. The store keeps the
key's SHA-256 hash, the id of the token the session acts with and when it
expires: any node serves any console, and a copy of the database hands nobody
a working session. Each request through a session reads its row with its
token's, so a revoked token ends its sessions at once. A write made with the
cookie must also carry the session's CSRF token in a header, which another
site's page cannot read; it is an HMAC of the key, so it is stored nowhere
either. A session ends when it is signed out of, or 12 hours after sign-in;
expired rows are removed when met and at every sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request

from deconflict.line.parties import Credential, SessionStore

COOKIE = "deconflict_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LIFETIME_S = 12 * 3600  # one duty shift; then sign in again
_KEY_CHARS = 43  # secrets.token_urlsafe(32)
_CSRF_LABEL = b"deconflict console CSRF token"


def key_hash(key: str) -> str:
    """The stored form of a session's key: hex SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """One signed-in console: its key (the cookie's value) and the credential it acts with."""

    key: str
    credential: Credential

    @property
    def csrf(self) -> str:
        """The CSRF token its writes carry: an HMAC of the key, the same on every node."""
        return hmac.new(self.key.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()

    def csrf_matches(self, presented: str | None) -> bool:
        """True when `presented` is this session's CSRF token (compared in constant time)."""
        return presented is not None and hmac.compare_digest(presented, self.csrf)


class Sessions:
    """The console sessions of a store, on the wall clock (shared by every node)."""

    def __init__(
        self,
        store: SessionStore,
        lifetime_s: float = LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.lifetime_s = lifetime_s
        self.clock = clock

    def open(self, credential: Credential) -> Session:
        """A new session acting with `credential`'s token (a fresh key every sign-in)."""
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), credential)
        self.store.add_console_session(
            key_hash(session.key), credential.token_id, now + self.lifetime_s, now
        )
        return session

    def find(self, key: str) -> Session | None:
        """The live session with this key, or None (unknown, expired, or its token revoked:
        then its row is removed)."""
        if len(key) != _KEY_CHARS:
            return None
        hashed = key_hash(key)
        found = self.store.console_session(hashed)
        if found is None:
            return None
        expires_at_s, credential = found
        if credential is None or expires_at_s <= self.clock():
            self.store.remove_console_session(hashed)
            return None
        return Session(key, credential)

    def close(self, key: str) -> None:
        """End a session; closing an unknown one is not an error."""
        self.store.remove_console_session(key_hash(key))


def install_sessions(app: FastAPI) -> Sessions:
    """Give `app` its sessions, kept in its store."""
    sessions = Sessions(app.state.store)
    app.state.console_sessions = sessions
    return sessions


def session_of(request: Request) -> Session | None:
    """The console session the request's cookie names, if the app has sessions and it is live
    (a read of the store)."""
    sessions: Sessions | None = getattr(request.app.state, "console_sessions", None)
    key = request.cookies.get(COOKIE)
    if sessions is None or not key:
        return None
    return sessions.find(key)
