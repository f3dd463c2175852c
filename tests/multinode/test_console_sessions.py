"""A console signed in on one node is served by every node: its session lives in the store.

Two nodes on one store: on PostgreSQL, two node processes on one database; on
SQLite, two uvicorn processes over one file (as the worker processes of one
uvicorn are, but at two addresses, so the test chooses which node serves).
No load balancer keeps a browser on one node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deconflict.store import open_store
from deconflict.web.sessions import COOKIE, CSRF_HEADER
from tests.api.conftest import strike_body, zone_body
from tests.multinode.conftest import Cluster, ConsoleStream, new_store, start_cluster

A, B = 0, 1
OUTLINE = {"geometry": {"type": "Point", "coordinates": [38.0, 33.0]}, "properties": {}}


@pytest.fixture(scope="module")
def nodes(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two nodes on one store of their own."""
    folder = tmp_path_factory.mktemp("sessions")
    made = start_cluster(new_store(backend, request, folder), folder, 2)
    yield made
    made.stop()


def _sign_in(cluster: Cluster, node: int, party: str) -> str:
    """Sign in through the console's own form on `node`; the session cookie's value."""
    answer = httpx.post(
        f"{cluster.nodes[node].url}/console/sign-in", data={"token": cluster.tokens[party]}
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/"
    return answer.cookies[COOKIE]


def _console(cluster: Cluster, node: int, key: str) -> httpx.Client:
    """A browser of a signed-in console, talking to `node`."""
    return httpx.Client(base_url=cluster.nodes[node].url, cookies={COOKIE: key}, timeout=10)


def _stored_sessions(db: str) -> list[tuple[Any, ...]]:
    """Every column of every stored console session."""
    store = open_store(db)
    try:
        with store.snapshot() as rows:
            return [tuple(row) for row in rows.execute("SELECT * FROM console_session")]
    finally:
        store.close()


def test_a_console_signed_in_on_node_a_reads_writes_and_streams_on_b_and_signs_out_of_both(
    nodes: Cluster,
) -> None:
    key = _sign_in(nodes, A, "coalition")
    with _console(nodes, A, key) as on_a, _console(nodes, B, key) as on_b:
        session = on_b.get("/console/session")
        assert session.status_code == 200, session.text
        assert (session.json()["party"], session.json()["role"]) == ("coalition", "planner")
        csrf = session.json()["csrf"]
        assert on_a.get("/console/session").json()["csrf"] == csrf, "one CSRF token on all"

        # A write through B carries the CSRF token the console read from either node.
        zone = on_b.post("/v1/zones", json=zone_body("base-b"), headers={CSRF_HEADER: csrf})
        assert zone.status_code == 201, zone.text
        refused = on_b.post("/console/outline", json=OUTLINE)
        assert (refused.status_code, refused.json()["code"]) == (403, "csrf_missing")
        assert on_b.get("/v1/features").status_code == 200

        # The console's event stream on B hears a notice sent through A.
        stream = ConsoleStream(nodes.nodes[B].url, "", cookies={COOKIE: key})
        try:
            with nodes.client(A, "russia") as russia:
                sent = russia.post("/v1/activities", json=strike_body("strike-near-base"))
                assert sent.status_code == 201, sent.text
            heard = stream.wait_for(1)
        finally:
            stream.close()
        assert heard[0]["kind"] == "notice"
        assert heard[0]["data"]["feature"] == "strike-near-base"

        # Signing out on B ends the session on A too.
        assert on_b.post("/console/sign-out", headers={CSRF_HEADER: csrf}).status_code == 204
        assert on_a.get("/console/session").status_code == 401
        assert on_a.get("/v1/features").status_code == 401
        assert on_a.get("/v1/events").status_code == 401
        assert on_b.get("/v1/inbox").status_code == 401
    hashed = hashlib.sha256(key.encode()).hexdigest()
    assert hashed not in [row[0] for row in _stored_sessions(nodes.db)], "the row is gone"


def test_the_store_holds_a_hash_of_the_cookie_never_the_cookie_nor_the_token(
    nodes: Cluster,
) -> None:
    key = _sign_in(nodes, B, "russia-duty")
    with _console(nodes, A, key) as on_a:
        csrf = on_a.get("/console/session").json()["csrf"]
    rows = _stored_sessions(nodes.db)
    hashed = hashlib.sha256(key.encode()).hexdigest()
    assert [row[0] for row in rows if row[0] == hashed] == [hashed]
    for secret in (key, csrf, nodes.tokens["russia-duty"]):
        assert all(secret not in str(value) for row in rows for value in row)
