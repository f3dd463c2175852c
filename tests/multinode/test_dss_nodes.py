"""The DSS on several nodes: two USSs write intents that meet, each to another node at the
same instant, with empty keys; exactly one is accepted and the other is told of it (409),
round after round, as DSS writes are serialised with each other across nodes.

On PostgreSQL, two node processes of their own; on a SQLite file, two worker processes of
one uvicorn (the kernel hands each connection to one or the other)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.dss.conftest import (
    AUDIENCE,
    SC,
    Authority,
    circle,
    intent_body,
    make_authority,
    new_id,
    volume,
)
from tests.multinode.conftest import Cluster, new_store, start_cluster

ROUNDS = 20


@pytest.fixture(scope="module")
def dss_nodes(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cluster, Authority]]:
    folder = tmp_path_factory.mktemp("dss-nodes")
    authority = make_authority(folder)
    keys, audiences = str(authority.public_pem), AUDIENCE
    db = new_store(backend, request, folder)
    made = start_cluster(
        db, folder, 2, workers=backend == "sqlite", utm_jwt_keys=keys, utm_audiences=audiences
    )
    yield made, authority
    made.stop()


def test_two_intents_that_meet_sent_at_once_to_two_nodes_are_never_both_accepted(
    dss_nodes: tuple[Cluster, Authority],
) -> None:
    cluster, authority = dss_nodes
    clients = [
        httpx.Client(
            base_url=f"{cluster.nodes[n].url}/dss/v1",
            headers={"Authorization": f"Bearer {authority.token(uss, SC)}"},
            timeout=30,
        )
        for n, uss in enumerate(("uss-a", "uss-b"))
    ]
    barrier = threading.Barrier(2)

    def send(n: int, place: tuple[float, float]) -> int:
        body = intent_body(volume(circle(*place, 500.0)))
        barrier.wait()
        return clients[n].put(f"/operational_intent_references/{new_id()}", json=body).status_code

    try:
        with ThreadPoolExecutor(2) as pool:
            for r in range(ROUNDS):
                place = (-120.0 + r * 0.5, 40.0)
                answers = sorted(pool.map(send, (0, 1), (place, place)))
                assert answers == [201, 409], (r, answers)
    finally:
        for client in clients:
            client.close()
