"""A notice committed by one process reaches a console streaming from another, promptly.

Two nodes on one store: on PostgreSQL, two node processes on one database (NOTIFY wakes
the other); on SQLite, two uvicorn processes over one file (the other's one watcher sees
the file's data version move within 10 ms). Either way a node's streams also look once a
second; a notice must come well before that look, or the consoles on a node of their own
(docs/deployment.md) would lag the writes by up to a second.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import strike_body, zone_body
from tests.multinode.conftest import Cluster, ConsoleStream, new_store, start_cluster

A, B = 0, 1
NOTICES = 8


@pytest.fixture(scope="module")
def nodes(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two nodes on one store of their own."""
    folder = tmp_path_factory.mktemp("push")
    made = start_cluster(new_store(backend, request, folder), folder, 2)
    yield made
    made.stop()


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text


def test_notices_written_through_node_a_reach_a_console_on_node_b_well_within_its_poll(
    nodes: Cluster,
) -> None:
    with nodes.client(A, "coalition") as coalition:
        _post(coalition, "/v1/zones", zone_body("push-zone"))
    on_b = ConsoleStream(nodes.nodes[B].url, nodes.tokens["coalition"])
    sent: dict[str, float] = {}
    try:
        with nodes.client(A, "russia") as russia:
            for index in range(NOTICES):
                feature = f"push-strike-{index}"
                sent[feature] = time.monotonic()
                _post(russia, "/v1/activities", strike_body(feature, lon=38.6 + index * 0.01))
                time.sleep(0.15)  # apart, so each notice waits for its own wake-up
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(_notices(on_b)) < NOTICES:
            time.sleep(0.01)
    finally:
        on_b.close()
    heard = {e["data"]["feature"]: e["at"] for e in _notices(on_b)}
    assert sorted(heard) == sorted(sent), "every notice reached the console on node B"
    latencies = [heard[feature] - at for feature, at in sent.items()]
    assert max(latencies) < 1.0, latencies
    # The streams' own look comes once a second: a notice it brought would wait 0.5 s
    # on the median. The median includes the sender's POST on node A.
    assert statistics.median(latencies) < 0.2, latencies


def _notices(stream: ConsoleStream) -> list[dict[str, Any]]:
    return [e for e in stream.events if e["kind"] == "notice"]
