"""Conflicting writes sent to different nodes at the same instant, round after round.

Three API node processes on one PostgreSQL database, clients on every node. In
each round a zone goes to one node and an activity inside it to another at the
same instant (a barrier), while a third party's activity far away goes to the
third node; some activities are sent twice at once with one idempotency key (to
two nodes), some zones again afterwards with their key to another node. Then:
each conflicting pair was told once (by the later of the two, whichever it
was), nothing answered is missing, nothing is stored twice, every same-key
request was answered alike, the store checks against its record, and each
party's live event stream holds every event of the party in id order.

The same on a SQLite file served by three worker processes of one uvicorn
(`--workers 3`, as the line runs several processes over one file). The workers
share one address and the kernel hands each connection to a worker of its
choice, so a round's "nodes" are its clients' own connections, each held by
one worker or another; the test checks that every worker held some.

Rounds: $DECONFLICT_MULTINODE_ROUNDS (100 on each store in the suite, about 20 s on
SQLite; `make multinode` and `make bench` run 1,000 and print the figures).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from deconflict.record.note import load_signer
from deconflict.store import LogKey, open_store
from deconflict.store.audit import check_store
from deconflict.store.head import HeadFile, head_path
from tests.api.conftest import strike_body, zone_body
from tests.multinode.conftest import (
    ORIGIN,
    Cluster,
    ConsoleStream,
    Node,
    new_store,
    start_cluster,
)

ROUNDS = int(os.environ.get("DECONFLICT_MULTINODE_ROUNDS", "100"))
LANES = 4
"""Rounds run in this many lanes at once, each in its own band of latitude."""
PARTIES = ("coalition", "russia", "aid")
NODES = 3


@dataclass
class Sent:
    """One request of a round and what its node answered."""

    node: int
    party: str
    path: str
    body: dict[str, Any]
    key: str
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class Round:
    """A zone and an activity that meet, a far activity, and the same-key repeats."""

    zone: Sent
    activity: Sent
    far: Sent
    repeats: list[tuple[Sent, Sent]] = field(default_factory=list)
    """(original, repeat) pairs: the repeat bears the original's key."""


@pytest.fixture(scope="module")
def nodes(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Three nodes on one store of their own (on SQLite, three worker processes over one file);
    nothing falls due while the rounds run."""
    folder = tmp_path_factory.mktemp("rounds")
    db = new_store(backend, request, folder)
    made = start_cluster(db, folder, NODES, workers=backend == "sqlite")
    yield made
    made.stop()


def _place(lane: int, index: int) -> tuple[float, float]:
    """Where a round's pair meets: about 100 km from every other round's (lon, lat)."""
    return -170.0 + (index % 300) * 1.1, -50.0 + lane * 12.0 + (index // 300) * 2.0


def _round(lane: int, index: int) -> Round:
    lon, lat = _place(lane, index)
    owner, planner, other = (PARTIES[(index + i) % 3] for i in range(3))
    tag = f"{lane}-{index}"
    zone = zone_body(f"z{tag}", radius_m=5_000)
    zone["geometry"]["coordinates"] = [lon, lat]
    activity = strike_body(f"a{tag}", lon=lon + 0.01)
    activity["geometry"]["coordinates"][1] = lat
    far = strike_body(f"f{tag}", lon=lon)
    far["geometry"]["coordinates"][1] = lat + 6.0  # 660 km north: in no other round's way
    node = index % NODES
    made = Round(
        Sent(node, owner, "/v1/zones", zone, f"k-z{tag}"),
        Sent((node + 1) % NODES, planner, "/v1/activities", activity, f"k-a{tag}"),
        Sent((node + 2) % NODES, other, "/v1/activities", far, f"k-f{tag}"),
    )
    if index % 4 == 0:  # sent twice at the same instant, to two nodes
        twin = Sent((node + 2) % NODES, planner, "/v1/activities", activity, made.activity.key)
        made.repeats.append((made.activity, twin))
    if index % 4 == 2:  # sent again once answered, to another node
        again = Sent((node + 1) % NODES, owner, "/v1/zones", zone, made.zone.key)
        made.repeats.append((made.zone, again))
    return made


def _send(clients: dict[tuple[int, str], httpx.Client], sent: Sent) -> None:
    response = clients[(sent.node, sent.party)].post(
        sent.path, json=sent.body, headers={"Idempotency-Key": sent.key}
    )
    sent.status, sent.answer = response.status_code, response.json()


def _run_lane(cluster: Cluster, lane: int, count: int) -> list[Round]:
    clients = {(n, p): cluster.client(n, p) for n in range(NODES) for p in PARTIES}
    done = []
    try:
        with ThreadPoolExecutor(4) as pool:
            for index in range(count):
                made = _round(lane, index)
                at_once = [made.zone, made.activity, made.far]
                at_once += [twin for original, twin in made.repeats if original is made.activity]
                start = threading.Barrier(len(at_once))

                def send(sent: Sent, start: threading.Barrier = start) -> None:
                    start.wait(30)
                    _send(clients, sent)

                for future in [pool.submit(send, sent) for sent in at_once]:
                    future.result()
                for original, again in made.repeats:
                    if original is made.zone:
                        _send(clients, again)
                done.append(made)
    finally:
        for client in clients.values():
            client.close()
    return done


def test_conflicting_pairs_sent_to_different_nodes_at_once_are_told_once_and_lose_nothing(
    backend: str, nodes: Cluster
) -> None:
    streams = [ConsoleStream(nodes.nodes[i].url, nodes.tokens[p]) for i, p in enumerate(PARTIES)]
    started = time.monotonic()
    connected = _WorkersConnected(nodes.nodes[0]) if backend == "sqlite" else None
    try:
        with ThreadPoolExecutor(LANES) as lanes:
            per_lane = [ROUNDS // LANES + (lane < ROUNDS % LANES) for lane in range(LANES)]
            rounds = [
                made
                for done in lanes.map(lambda n: _run_lane(nodes, n, per_lane[n]), range(LANES))
                for made in done
            ]
        elapsed = time.monotonic() - started
        if connected is not None:
            assert len(connected.stop()) == NODES, "not every worker took requests"
        store = open_store(nodes.db)
        try:
            _check_answers(rounds)
            _check_notices(store, rounds)
            _check_streams(store, streams)
        finally:
            store.close()
    finally:
        for stream in streams:
            stream.close()
    _check_record(nodes)
    requests = sum(3 + len(made.repeats) for made in rounds)
    print(
        f"\n{backend}: {len(rounds)} rounds, {requests} requests on {NODES} nodes"
        f" in {elapsed:.1f} s, {requests / elapsed:.0f} requests/s"
    )


class _WorkersConnected:
    """The worker processes seen holding a client's connection, looked at every 50 ms until
    stopped: on one address, the kernel hands each connection to a worker of its choice."""

    def __init__(self, node: Node) -> None:
        self.seen: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(node,), daemon=True)
        self._thread.start()

    def _watch(self, node: Node) -> None:
        while not self._done.wait(0.05):
            self.seen |= node.workers_connected()

    def stop(self) -> set[int]:
        self._done.set()
        self._thread.join(5)
        return self.seen


def _check_answers(rounds: list[Round]) -> None:
    """Every request answered 201; a repeat with an original's key answered as the original."""
    for made in rounds:
        for sent in (made.zone, made.activity, made.far):
            assert sent.status == 201, (sent.path, sent.body["id"], sent.answer)
        for original, repeat in made.repeats:
            assert (repeat.status, repeat.answer) == (original.status, original.answer)


def _check_notices(store: Any, rounds: list[Round]) -> None:
    """Each pair told once, by whichever was declared second; nothing answered is missing and
    nothing is stored twice."""
    sent = {party: store.outbox(party) for party in PARTIES}
    notices = {(n.sender, n.feature_id, n.recipient): n for party in PARTIES for n in sent[party]}
    counted = Counter((n.sender, n.feature_id, n.recipient) for p in PARTIES for n in sent[p])
    assert max(counted.values()) == 1, "a notice stored twice"
    for made in rounds:
        zone, activity, far = made.zone, made.activity, made.far
        zone_id, activity_id = zone.body["id"], activity.body["id"]
        for declared in (zone, activity, far):
            history = store.history(declared.party, declared.body["id"])
            assert [change for change, *_ in history] == ["declared"], declared.body["id"]
            answered = {n["id"] for n in declared.answer["notices"]}
            stored = {n.id for n in sent[declared.party] if n.feature_id == declared.body["id"]}
            assert answered == stored, declared.body["id"]
        told_by_activity = notices[(activity.party, activity_id, zone.party)]
        told_by_zone = (zone.party, zone_id, activity.party) in notices
        assert bool(told_by_activity.conflicts) != told_by_zone, (zone_id, activity_id)
        seen_by_activity = [c["against"] for c in activity.answer["conflicts"]]
        seen_by_zone = [c["against"] for c in zone.answer["conflicts"]]
        if told_by_zone:
            assert (seen_by_activity, seen_by_zone) == ([], [activity_id])
        else:
            assert (seen_by_activity, seen_by_zone) == ([zone_id], [])
        third = notices[(activity.party, activity_id, far.party)]
        assert not third.conflicts
        assert [n["recipient"] for n in far.answer["notices"]] == sorted(set(PARTIES) - {far.party})
        assert far.answer["conflicts"] == []


def _check_streams(store: Any, streams: list[ConsoleStream]) -> None:
    """Each party's live stream holds every event stored for the party, in id order, once."""
    for party, stream in zip(PARTIES, streams, strict=True):
        stored = [event.id for event in store.events_after(party, 0, 1_000_000)]
        stream.wait_for(len(stored), within_s=60)
        assert [event["id"] for event in stream.events] == stored, party


def _check_record(cluster: Cluster) -> None:
    """With the nodes stopped, the store checks against its record and its signed head."""
    cluster.stop()
    key = LogKey(load_signer(ORIGIN, cluster.log_key.read_bytes()), ORIGIN)
    store = open_store(cluster.db, key)
    try:
        report = check_store(store, HeadFile(head_path(cluster.log_key), key))
    finally:
        store.close()
    assert report.findings == []
