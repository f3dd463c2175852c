"""Console sessions kept in the store: only a live session's own cookie opens it.

A guessed cookie, the stored hash presented as a cookie, an expired session
and a session whose token was revoked are all refused (both stores); expired
rows go when met and at every sign-in; a session lasts `LIFETIME_S` from
sign-in on the wall clock, to the second.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.line.parties import Credential, hash_token, token_id_of
from deconflict.store import Store, open_store
from deconflict.web.sessions import COOKIE, LIFETIME_S, Sessions, key_hash
from tests.api.conftest import NOW, LiveServer, seed_parties
from tests.backends import run_sql

CONSOLE_READS = ("/console/session", "/v1/inbox", "/v1/features", "/v1/events")


def _sign_in(live: LiveServer, party: str) -> str:
    answer = httpx.post(f"{live.url}/console/sign-in", data={"token": live.tokens[party]})
    assert answer.status_code == 303, answer.text
    assert f"Max-Age={LIFETIME_S}" in answer.headers["set-cookie"]
    return answer.cookies[COOKIE]


def _status(live: LiveServer, key: str, path: str = "/console/session") -> int:
    return httpx.get(f"{live.url}{path}", cookies={COOKIE: key}).status_code


def _stored(live: LiveServer) -> list[str]:
    return [row[0] for row in run_sql(live.db, "SELECT key_hash FROM console_session")]


def test_a_guessed_cookie_or_the_stored_hash_as_a_cookie_is_refused(live: LiveServer) -> None:
    key = _sign_in(live, "russia")
    assert _status(live, key) == 200
    stolen_hash = _stored(live)[0]
    assert stolen_hash == hashlib.sha256(key.encode()).hexdigest()
    guesses = [secrets.token_urlsafe(32), stolen_hash, key[:-1] + ("A" if key[-1] != "A" else "B")]
    for guess in [*guesses, key + "x", ""]:
        for path in CONSOLE_READS:
            assert _status(live, guess, path) == 401, (guess, path)
    assert _status(live, key, "/v1/inbox") == 200


def test_an_expired_session_is_refused_and_its_row_removed(live: LiveServer) -> None:
    key = _sign_in(live, "coalition")
    other = _sign_in(live, "aid")
    run_sql(live.db, "UPDATE console_session SET expires_at_s = 1000")
    assert _status(live, key, "/v1/inbox") == 401
    assert hashlib.sha256(key.encode()).hexdigest() not in _stored(live), "removed when met"
    assert len(_stored(live)) == 1, "the other expired one is left until met or a sign-in"
    fresh = _sign_in(live, "coalition")
    assert _stored(live) == [hashlib.sha256(fresh.encode()).hexdigest()], "swept at sign-in"
    assert _status(live, other) == 401
    assert _status(live, fresh) == 200


def test_a_session_whose_token_is_revoked_is_refused_and_removed(live: LiveServer) -> None:
    key = _sign_in(live, "aid-duty")
    assert _status(live, key, "/v1/inbox") == 200
    with live.client("aid-admin") as admin:
        token_id = token_id_of(live.tokens["aid-duty"])
        assert admin.delete(f"/v1/me/tokens/{token_id}").status_code == 200
    assert _status(live, key, "/v1/inbox") == 401
    assert _stored(live) == []


@pytest.fixture(scope="module")
def on_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Credential]]:
    """A SQLite store with parties, and russia's planner credential."""
    db = str(tmp_path_factory.mktemp("sessions") / "line.db")
    tokens = seed_parties(db)
    store = open_store(db)
    credential = store.credential(hash_token(tokens["russia"]))
    assert credential is not None
    yield store, credential
    store.close()


@settings(max_examples=40, deadline=None)
@given(age_s=st.integers(min_value=0, max_value=2 * LIFETIME_S))
def test_a_session_lives_its_lifetime_from_sign_in_and_not_a_second_more(
    on_file: tuple[Store, Credential], age_s: int
) -> None:
    store, credential = on_file
    now = [NOW.timestamp()]
    sessions = Sessions(store, clock=lambda: now[0])
    session = sessions.open(credential)
    now[0] += age_s
    found = sessions.find(session.key)
    if age_s < LIFETIME_S:
        assert found == session
        assert found.credential == credential
        sessions.close(session.key)
    else:
        assert found is None
    assert sessions.find(session.key) is None
    assert store.console_session(key_hash(session.key)) is None, "closed or removed when met"
