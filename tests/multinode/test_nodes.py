"""Several API nodes on one PostgreSQL database behave as one line.

A console on one node hears what was sent through another, in order and without
gaps, and resumes on any node; a check and the write after it are one step
across nodes; each overdue notice is escalated once, also after a node dies.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.api.conftest import strike_body
from tests.multinode.conftest import Cluster, ConsoleStream

A, B, C = 0, 1, 2


def _post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/activities", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _record(cluster: Cluster, node: int = A) -> list[dict[str, Any]]:
    """The entries of the record russia reads, through `node`: all but the sealed ones of
    notices between other parties (russia sends every notice these tests count)."""
    with cluster.client(node, "russia") as russia:
        size = russia.get("/v1/log/entries", params={"start": 0, "end": 0}).json()["tree_size"]
        entries: list[dict[str, Any]] = []
        while len(entries) < size:
            page = russia.get("/v1/log/entries", params={"start": len(entries)}).json()
            entries += [e.get("opened", e["entry"]) for e in page["entries"]]
    return [entry for entry in entries if "sealed" not in entry]


# -- live push across nodes ----------------------------------------------------------------------


def test_a_console_on_node_b_hears_notices_sent_through_node_a_in_order_and_resumes_on_a(
    cluster: Cluster,
) -> None:
    on_b = ConsoleStream(cluster.nodes[B].url, cluster.tokens["coalition"])
    sent: list[tuple[str, float]] = []
    try:
        with cluster.client(A, "russia") as russia:
            for index in range(6):
                sent.append((f"push-{index}", time.monotonic()))
                _post(russia, strike_body(f"push-{index}", lon=60.0 + index))
                time.sleep(0.05)
        notices = _wait_for_kind(on_b, "notice", 6)
    finally:
        on_b.close()
    assert [e["data"]["feature"] for e in notices] == [fid for fid, _ in sent]
    latencies = [e["at"] - at for e, (_, at) in zip(notices, sent, strict=True)]
    # Nodes poll every second anyway; NOTIFY brings a notice in a few milliseconds.
    assert statistics.median(latencies) < 0.3, latencies

    heard_on_b = on_b.events
    ids = [e["id"] for e in heard_on_b]
    assert ids == sorted(set(ids)), "in order, none twice"
    everything = _stream_from(cluster, A, None, len(heard_on_b))
    assert [e["id"] for e in everything[: len(ids)]] == ids, "nothing skipped on node B"

    middle = ids[len(ids) // 2]
    resumed = _stream_from(cluster, A, middle, len(ids) - len(ids) // 2 - 1)
    expected = [e for e in heard_on_b if e["id"] > middle]
    assert [(e["id"], e["kind"], e["data"]) for e in resumed[: len(expected)]] == [
        (e["id"], e["kind"], e["data"]) for e in expected
    ]


def _wait_for_kind(stream: ConsoleStream, kind: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [e for e in stream.events if e["kind"] == kind]
        if len(found) >= count:
            return found[:count]
        time.sleep(0.01)
    raise AssertionError(f"{kind}: {len(found)} of {count} came")


def _stream_from(
    cluster: Cluster, node: int, last_event_id: int | None, count: int
) -> list[dict[str, Any]]:
    stream = ConsoleStream(cluster.nodes[node].url, cluster.tokens["coalition"], last_event_id)
    try:
        return stream.wait_for(count)
    finally:
        stream.close()


# -- check and store: one step across nodes ------------------------------------------------------


def test_conflicting_pairs_sent_to_both_nodes_at_once_are_never_both_unseen(
    cluster: Cluster,
) -> None:
    pairs = 16

    def post(node: int, party: str, body: dict[str, Any], start: threading.Barrier) -> Any:
        with cluster.client(node, party) as client:
            start.wait(10)
            return _post(client, body)

    with ThreadPoolExecutor(2 * pairs) as pool:
        sent = []
        for pair in range(pairs):
            start = threading.Barrier(2)
            lon = -60.0 - pair  # each pair meets only itself
            sent.append(
                (
                    pool.submit(post, A, "coalition", strike_body(f"ca{pair}", lon=lon), start),
                    pool.submit(post, B, "russia", strike_body(f"rb{pair}", lon=lon), start),
                )
            )
        for pair, (through_a, through_b) in enumerate(sent):
            seen_by_a = [c["against"] for c in through_a.result()["conflicts"]]
            seen_by_b = [c["against"] for c in through_b.result()["conflicts"]]
            assert (seen_by_a, seen_by_b) in (([f"rb{pair}"], []), ([], [f"ca{pair}"])), pair


# -- escalation: exactly once, whoever ticks -----------------------------------------------------


def test_each_overdue_notice_is_escalated_once_with_both_nodes_ticking(cluster: Cluster) -> None:
    notices = []
    for index in range(6):
        with cluster.client(index % 2, "russia") as russia:
            body = strike_body(f"late-{index}", lon=90.0 + index)
            notices += [n["id"] for n in _post(russia, body)["notices"]]
    assert len(notices) == 12  # to the coalition and to aid
    _wait_until_overdue(cluster, notices)
    time.sleep(2.2)  # two more ticks on each node: none may escalate again
    record = _record(cluster, B)
    overdue = Counter(e["notice"] for e in record if e["kind"] == "overdue")
    assert {notice: overdue[notice] for notice in notices} == dict.fromkeys(notices, 1)
    assert max(overdue.values()) == 1
    escalations = Counter(
        e["notice"] for e in record if e["kind"] == "message" and e["code"] == "escalation"
    )
    assert max(escalations.values()) == 1


def _wait_until_overdue(
    cluster: Cluster, notices: list[int], node: int = A, within_s: float = 10.0
) -> None:
    """Wait until the record read through `node` holds an overdue entry for every notice."""
    deadline = time.monotonic() + within_s
    waiting = set(notices)
    while waiting and time.monotonic() < deadline:
        time.sleep(0.2)
        waiting -= {e["notice"] for e in _record(cluster, node) if e["kind"] == "overdue"}
    assert not waiting, f"not escalated within {within_s} s: {sorted(waiting)}"


def test_a_node_killed_mid_write_leaves_the_others_escalating(cluster: Cluster) -> None:
    stop = threading.Event()
    sent_through_c: list[int] = []

    def keep_posting() -> None:
        with cluster.client(C, "russia") as russia:
            for index in range(1000):
                if stop.is_set():
                    return
                try:
                    answer = _post(russia, strike_body(f"a-{index}", lon=-120.0 + index / 10))
                except httpx.TransportError:
                    return  # the node died under us
                sent_through_c.extend(n["id"] for n in answer["notices"])

    writer = threading.Thread(target=keep_posting)
    writer.start()
    time.sleep(0.5)
    cluster.nodes[C].kill()
    stop.set()
    writer.join(10)
    assert sent_through_c, "node C answered nothing before it died"
    with cluster.client(B, "russia") as russia:
        later = [n["id"] for n in _post(russia, strike_body("b-after", lon=150.0))["notices"]]
    _wait_until_overdue(cluster, sent_through_c + later, node=B)
    overdue = Counter(e["notice"] for e in _record(cluster, B) if e["kind"] == "overdue")
    assert max(overdue.values()) == 1
