"""More nodes, more throughput: 1, 2 and 3 API nodes on one PostgreSQL database.

Each measurement starts a new database and new uvicorn node processes (each
ticking every 5 s, as deployed), then POSTs activities from this process, a
load generator on loopback spreading its keep-alive connections over the
nodes. Two workloads: activities spread over the world (none meets another:
the steps lock different places) and activities packed into one area near At
Tanf (each meets several others: every step waits for the one before it in
that place). Per run: requests/s, latency p50/p99 as the clients saw it, and
the CPU time per request of the nodes, of the PostgreSQL backends serving
them and of this load generator, over the same requests. Also measured once:
the raw rate of one-row durable commits on the same PostgreSQL, and what the
record and the whole database grow by per request.

Call `nodes_section()` from benchmarks/run.py, or run this module alone.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from benchmarks.backends import _seed, node_processes, postgres_database, source_at
from benchmarks.line_api import (
    PARTIES,
    _post_request,
    _read_response,
    cpu_seconds,
    process_cpu_seconds,
)
from deconflict.store.postgres.locks import Kind

NODE_COUNTS = (1, 2, 3)
CONCURRENCY = 16
TICK_S = 5
"""The nodes tick as deployed (the default `tick_s`)."""
WARM_UP = 30
"""Requests per node before the clock starts (imports, pools, caches)."""

Activity = Callable[[int], dict[str, Any]]


def _feature(
    i: int, lon: float, lat: float, radius_m: float, start_min: int, minutes: int
) -> dict[str, Any]:
    start = 30 * 24 * 60 + start_min  # minutes after 2030-01-01T00:00Z, a month in
    return {
        "type": "Feature",
        "id": f"a{i}",
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
        "properties": {
            "kind": "activity",
            "activity": "flight",
            "radius_m": radius_m,
            "start": _moment(start),
            "end": _moment(start + minutes),
        },
    }


def _moment(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    return f"2030-{1 + days // 28:02d}-{1 + days % 28:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"


def spread(i: int) -> dict[str, Any]:
    """Activity `i` of the spread workload: 500 m circles on a grid a degree apart over the
    world (longitude -170 to 169, latitude -60 to 59), each at its own point: none meets
    another, and no two lock the same finest cell."""
    return _feature(i, -170.0 + i % 340, -60.0 + (i // 340) % 120, 500, 0, 60)


AREA = (38.6, 33.5)
"""Near At Tanf: the one area of the concentrated workload."""


def one_area(i: int) -> dict[str, Any]:
    """Activity `i` of the concentrated workload: 2 km circles within about 10 km of one
    point, each 20 minutes long and starting a minute after the one before: each meets
    several of those near it in time."""
    lon = AREA[0] + 0.1 * ((i * 0.618034) % 1.0 - 0.5)
    lat = AREA[1] + 0.1 * ((i * 0.414214) % 1.0 - 0.5)
    return _feature(i, lon, lat, 2000, i, 20)


SPREAD = "spread over the world"
WORKLOADS: dict[str, Activity] = {SPREAD: spread, "one area": one_area}


@dataclass(frozen=True)
class Run:
    """One measurement: a workload on a number of nodes."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    node_cpu_ms: float
    postgres_cpu_ms: float
    load_cpu_ms: float
    conflicts_per_request: float
    waiting: dict[str, float]
    """Backends waiting for a lock, on average over the run, by what the lock is on."""
    record_held: float
    """The share of the run during which a step held the record's lock."""


def measure(
    workload: Activity,
    node_count: int,
    requests: int,
    source: Path | None = None,
    clients: int = CONCURRENCY,
) -> Run:
    """`requests` activities of `workload` (sent by each party in turn) by `clients` clients
    over `node_count` new nodes on a new database. `source`: the `src` folder of the code the
    nodes run (None: this code)."""
    with tempfile.TemporaryDirectory() as folder, postgres_database() as db:
        tokens = _seed(db)
        with node_processes(db, node_count, Path(folder), source, TICK_S) as started:
            urls = [url for url, _ in started]
            warm = [_warm_up(i) for i in range(WARM_UP * node_count)]
            asyncio.run(_drive(urls, tokens, warm, CONCURRENCY))
            bodies = [workload(i) for i in range(requests)]
            nodes_before = sum(cpu_seconds(pid) for _, pid in started)
            postgres_before = backend_cpu(db, {})
            load_before = time.process_time()
            with LockWaits(db) as waits:
                elapsed, latencies = asyncio.run(_drive(urls, tokens, bodies, clients))
            load_cpu = time.process_time() - load_before
            postgres_cpu = sum(backend_cpu(db, postgres_before).values())
            node_cpu = sum(cpu_seconds(pid) for _, pid in started) - nodes_before
        conflicts = _conflicts_per_request(db, requests)
    latencies.sort()
    return Run(
        requests_per_s=requests / elapsed,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[math.ceil(len(latencies) * 0.99) - 1],
        node_cpu_ms=node_cpu / requests * 1000,
        postgres_cpu_ms=postgres_cpu / requests * 1000,
        load_cpu_ms=load_cpu / requests * 1000,
        conflicts_per_request=conflicts,
        waiting=waits.mean(),
        record_held=waits.record_held(),
    )


WAITED_ON = {int(Kind.CELL): "places", int(Kind.RECORD): "record"}
"""Two-key locks reported by what they are on; the other names (keys, ids) as "names", the
line's one-key lock as "line"."""


class LockWaits:
    """Who waits for which advisory lock in `db`: pg_locks looked at every `every_s` seconds
    from a thread of its own, while the block runs."""

    def __init__(self, db: str, every_s: float = 0.05) -> None:
        self.db = db
        self.every_s = every_s
        self.samples: list[dict[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def mean(self) -> dict[str, float]:
        """Backends waiting, on average over the samples, by what their lock is on."""
        names = ("places", "record", "names", "line")
        count = max(len(self.samples), 1)
        return {name: sum(s.get(name, 0) for s in self.samples) / count for name in names}

    def _run(self) -> None:
        with psycopg.connect(self.db, autocommit=True) as connection:
            while not self._stop.wait(self.every_s):
                rows = connection.execute(
                    "SELECT classid::int8, objsubid, granted FROM pg_locks"
                    " WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ).fetchall()
                sample: dict[str, int] = {}
                for kind, keys, granted in rows:
                    what = "line" if keys == 1 else WAITED_ON.get(int(kind), "names")
                    if not granted:
                        sample[what] = sample.get(what, 0) + 1
                    elif what == "record":
                        sample["record held"] = 1
                self.samples.append(sample)

    def record_held(self) -> float:
        """The share of the samples in which a step held the record's lock."""
        return sum(s.get("record held", 0) for s in self.samples) / max(len(self.samples), 1)


def _warm_up(i: int) -> dict[str, Any]:
    """A warm-up activity: a year after every measured one, so none meets them."""
    body = spread(i)
    properties = body["properties"]
    body["id"] = f"w{i}"
    for bound in ("start", "end"):
        properties[bound] = properties[bound].replace("2030", "2031", 1)
    return body


async def _drive(
    urls: list[str], tokens: dict[str, str], bodies: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float]]:
    """POST every body (body `k` sent by party `k` mod 3) over `concurrency` keep-alive
    connections spread over the nodes; the elapsed seconds and each request's milliseconds.
    The requests are made before the clock starts."""
    host = urlsplit(urls[0]).hostname or "127.0.0.1"
    made = [
        _post_request(host, tokens[PARTIES[k % len(PARTIES)]], body)
        for k, body in enumerate(bodies)
    ]
    pending = iter(made)
    latencies: list[float] = []

    async def client(url: str) -> None:
        reader, writer = await asyncio.open_connection(host, urlsplit(url).port)
        try:
            for request in pending:
                sent = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append((time.perf_counter() - sent) * 1000)
                assert status == 201, f"the node at {url} answered {status}"
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(urls[i % len(urls)]) for i in range(concurrency)))
    return time.perf_counter() - started, latencies


def backend_cpu(db: str, before: dict[int, float]) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends connected to `db` now (those in `before`: since
    then), read from /proc; this query's own backend left out."""
    name = urlsplit(db).path.lstrip("/")
    with psycopg.connect(db) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return {pid: process_cpu_seconds(pid) - before.get(pid, 0.0) for (pid,) in rows}


def _conflicts_per_request(db: str, requests: int) -> float:
    """Conflicts the measured requests' notices list, per request (a notice lists those with
    its recipient's features; a party is not told of its own)."""
    with psycopg.connect(db) as connection:
        row = connection.execute(
            "SELECT coalesce(sum(json_array_length(conflicts::json)), 0) FROM notice"
            " WHERE feature_id LIKE 'a%%'"
        ).fetchone()
    return float(row[0]) / requests if row else 0.0


def raw_commits_per_s(commits: int = 500) -> float:
    """One-row durable commits a second on this PostgreSQL (synchronous_commit on), one
    connection: the floor under every write that commits."""
    with postgres_database() as db, psycopg.connect(db, autocommit=True) as connection:
        connection.execute("CREATE TABLE raw (id BIGINT PRIMARY KEY, at DOUBLE PRECISION)")
        started = time.perf_counter()
        for i in range(commits):
            connection.execute("INSERT INTO raw VALUES (%s, %s)", (i, time.time()))
        return commits / (time.perf_counter() - started)


def record_growth(requests: int) -> dict[str, float]:
    """What `requests` spread activities add, per request, on one node: leaves of the record,
    the bytes of an entry, the record's tables (leaves, Merkle nodes, the openings of sealed
    parts, their indexes) and the database."""
    with tempfile.TemporaryDirectory() as folder, postgres_database() as db:
        tokens = _seed(db)
        with node_processes(db, 1, Path(folder), tick_s=TICK_S) as started:
            before = _sizes(db)
            asyncio.run(_drive([started[0][0]], tokens, [spread(i) for i in range(requests)], 8))
            after = _sizes(db)
    grown = {name: after[name] - before[name] for name in before}
    return {
        "leaves_per_request": grown["leaves"] / requests,
        "entry_bytes": grown["entry_bytes"] / grown["leaves"],
        "record_bytes_per_request": grown["record_bytes"] / requests,
        "database_bytes_per_request": grown["database_bytes"] / requests,
    }


def _sizes(db: str) -> dict[str, float]:
    with psycopg.connect(db) as connection:
        row = connection.execute(
            "SELECT count(*), coalesce(sum(octet_length(entry)), 0),"
            " pg_total_relation_size('log_leaf') + pg_total_relation_size('log_node')"
            " + pg_total_relation_size('log_opening'),"
            " pg_database_size(current_database()) FROM log_leaf"
        ).fetchone()
    assert row is not None
    names = ("leaves", "entry_bytes", "record_bytes", "database_bytes")
    return dict(zip(names, map(float, row), strict=True))


def measure_all(requests: int, rounds: int) -> dict[tuple[str, int], list[Run]]:
    """Every workload on every node count, `rounds` times, the counts alternating within each
    round (the machine's load drifts; alternation spreads it over all of them)."""
    runs: dict[tuple[str, int], list[Run]] = {}
    for _ in range(rounds):
        for name, workload in WORKLOADS.items():
            for count in NODE_COUNTS:
                runs.setdefault((name, count), []).append(measure(workload, count, requests))
    return runs


def _waiting(runs: list[Run]) -> str:
    """Backends waiting for each kind of lock, on average over a run (medians of the runs)."""
    kinds = runs[0].waiting
    return " / ".join(f"{statistics.median(run.waiting[k] for run in runs):.2f}" for k in kinds)


def _median_wait(runs: list[Run], kind: str) -> float:
    return statistics.median(run.waiting[kind] for run in runs)


def _median(runs: list[Run], field: str) -> float:
    return statistics.median(float(getattr(run, field)) for run in runs)


def nodes_section(requests: int = 600, rounds: int = 2) -> list[str]:
    """1, 2 and 3 nodes on both workloads, and the sizes of the record, as a section of
    docs/BENCHMARKS.md."""
    runs = measure_all(requests, rounds)
    alone = measure(spread, 1, max(requests // 2, 100), clients=1)
    alone_held_ms = alone.record_held / alone.requests_per_s * 1000
    raw = raw_commits_per_s()
    growth = record_growth(max(requests // 2, 100))
    rows = []
    for (name, count), got in runs.items():
        one = _median(runs[(name, 1)], "requests_per_s")
        rows.append(
            f"| {name} | {count} | {', '.join(f'{run.requests_per_s:.0f}' for run in got)} "
            f"| {_median(got, 'requests_per_s') / one:.2f}x | {_median(got, 'p50_ms'):.0f} ms "
            f"| {_median(got, 'p99_ms'):.0f} ms | {_median(got, 'conflicts_per_request'):.1f} "
            f"| {_median(got, 'node_cpu_ms'):.1f} ms | {_median(got, 'postgres_cpu_ms'):.1f} ms "
            f"| {_median(got, 'load_cpu_ms'):.2f} ms | {_waiting(got)} "
            f"| {_median(got, 'record_held'):.0%} |"
        )
    spread_name = "spread over the world"
    spread_all = [run for (name, _), got in runs.items() if name == spread_name for run in got]
    node_ms = _median(spread_all, "node_cpu_ms")
    postgres_ms = _median(spread_all, "postgres_cpu_ms")
    load_ms = _median(spread_all, "load_cpu_ms")
    total_ms = node_ms + postgres_ms + load_ms
    cores = os.cpu_count() or 1
    two = _median(runs[(spread_name, 2)], "requests_per_s") / _median(
        runs[(spread_name, 1)], "requests_per_s"
    )
    most = NODE_COUNTS[-1]
    most_runs = runs[(spread_name, most)]
    held = _median(most_runs, "record_held")
    held_ms = held / _median(most_runs, "requests_per_s") * 1000
    return [
        "## More nodes on one PostgreSQL",
        "",
        f"1, 2 and 3 API nodes (uvicorn processes, each ticking every {TICK_S} s) on one new "
        f"PostgreSQL database per run; {requests:,} activities POSTed by {CONCURRENCY} "
        "keep-alive clients of a load generator in another process on loopback, spread over "
        f"the nodes, after {WARM_UP} warm-up requests per node; the three parties send in "
        "turn, each activity notifying the two others. *Spread over the world*: 500 m "
        "circles a degree apart, none meeting another. *One area*: 2 km circles within "
        "about 10 km near At Tanf, each 20 minutes long and starting a minute after the one "
        "before, so each meets several (conflicts: those the notices list, per request). "
        f"{rounds} rounds, node counts alternating within each; requests/s of every run, "
        "medians of the rest. CPU per request: all the nodes' processes, the PostgreSQL "
        "backends serving them and the load generator, over the same requests. Waiting: "
        "backends of the database waiting for an advisory lock, by what it is on, on average "
        "over the run, and the share of the run during which a step held the record's lock "
        "(pg_locks looked at every 50 ms).",
        "",
        "| workload | nodes | requests/s | vs 1 node | p50 | p99 | conflicts / request "
        "| nodes' CPU / request | PostgreSQL CPU / request | load generator CPU / request "
        "| waiting for places / record / names / line | record's lock held |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"Two nodes over one on the spread workload: {two:.2f}x (target 1.6x), not met here, "
        f"for two reasons this run measures. The CPU: the {cores} cores run the nodes, "
        "PostgreSQL and the load generator together, and a request costs "
        f"{total_ms:.1f} ms of CPU in all ({node_ms:.1f} ms in a node, {postgres_ms:.1f} ms "
        f"in PostgreSQL, {load_ms:.2f} ms in the load generator), so they serve at most about "
        f"{cores * 1000 / total_ms:.0f} requests/s however many nodes share them (and the "
        f"machine is shared with other work besides). The record's lock: with {most} nodes "
        f"on the spread workload a step held it {held:.0%} of the time, {held_ms:.1f} ms per "
        f"request, while {_median_wait(most_runs, 'record'):.1f} backends waited for it on "
        f"average and {_median_wait(most_runs, 'places'):.2f} for a place. Writes far apart do "
        "not wait for each other's places; they wait for the record, which a step takes at "
        "its end, for two round trips: the log's edge read with the lock, then its leaves, "
        "openings and events sent with its COMMIT. On paper, per core: a node's core serves about "
        f"{1000 / node_ms:.0f} requests/s and a PostgreSQL core about "
        f"{1000 / postgres_ms:.0f}; n nodes on cores of their own serve about n x "
        f"{1000 / node_ms:.0f}, up to what PostgreSQL's cores serve and what the record's lock "
        "lets through: one step at a time, so at most 1,000 / (ms held per request) "
        "requests/s. One client alone on one node (no step waiting for another) took "
        f"{alone.p50_ms:.1f} ms a request (p50), of which a step held the record's lock "
        f"{alone_held_ms:.1f} ms: about {1000 / alone_held_ms:.0f} requests/s is the line's "
        "ceiling on this machine however many nodes and cores serve it, and more where the "
        "holder never waits for a core (one-row durable commits, the floor under any hold, "
        f"ran at {raw:,.0f}/s on this PostgreSQL during the run). "
        "The one-area workload does not scale with nodes by design: every write "
        "there takes the same places' locks, so they run one at a time whichever node takes "
        "them; the decision is serialised where it must be.",
        "",
        f"What a request adds (spread workload, one node): {growth['leaves_per_request']:.1f} "
        f"entries of the record of {growth['entry_bytes']:,.0f} bytes each on average; the "
        "record's tables (leaves, Merkle nodes, the openings of its sealed parts, indexes) "
        f"grow by {growth['record_bytes_per_request']:,.0f} bytes and the whole database by "
        f"{growth['database_bytes_per_request']:,.0f} bytes (PostgreSQL's pages; the sizing "
        "in docs/deployment.md uses these).",
        "",
    ]


def against_revision_section(
    revision: str,
    requests: int = 600,
    rounds: int = 3,
    counts: tuple[int, ...] = (1, 2),
    workloads: tuple[str, ...] = (SPREAD,),
) -> list[str]:
    """Each of `workloads` on each of `counts` nodes, and the spread workload by one client
    alone on one node, the code at `revision` and this code alternately, `rounds` times each:
    requests/s, p99, the CPU a request costs (nodes, PostgreSQL, load generator), and how long
    the record's lock was held per request."""
    setups = [("one client", SPREAD, 1, 1)]
    setups += [
        (f"{n} node{'s' * (n > 1)}", name, n, CONCURRENCY) for name in workloads for n in counts
    ]
    runs: dict[tuple[str, str, str], list[Run]] = {}
    with source_at(revision) as before:
        for _ in range(rounds):
            for setup, name, count, clients in setups:
                for code, source in (("before", before), ("after", None)):
                    got = runs.setdefault((setup, name, code), [])
                    got.append(measure(WORKLOADS[name], count, requests, source, clients))
    rows = []
    for setup, name, _, _ in setups:
        old = _median(runs[(setup, name, "before")], "requests_per_s")
        for code in ("before", "after"):
            got = runs[(setup, name, code)]
            held_ms = [run.record_held / run.requests_per_s * 1000 for run in got]
            rows.append(
                f"| {setup} | {name} | {code} "
                f"| {', '.join(f'{run.requests_per_s:.0f}' for run in got)} "
                f"| {_median(got, 'requests_per_s') / old:.2f}x "
                f"| {_median(got, 'p99_ms'):.0f} ms | {_median(got, 'node_cpu_ms'):.1f} ms "
                f"| {_median(got, 'postgres_cpu_ms'):.1f} ms "
                f"| {_median(got, 'load_cpu_ms'):.2f} ms "
                f"| {_median(got, 'record_held'):.0%} | {statistics.median(held_ms):.1f} ms |"
            )
    return [
        f"{requests:,} activities a run ({CONCURRENCY} clients, or one client alone), the code "
        f"at {revision} (before) and this code (after), alternately, {rounds} run"
        f"{'s' * (rounds > 1)} each, every run on a new database with new node processes. "
        "CPU per request: all the nodes' processes, the PostgreSQL backends serving them and "
        "the load generator, over the same requests. Held: the share of the run during which "
        "a step held the record's lock (pg_locks looked at every 50 ms), and that share of the "
        "run per request.",
        "",
        "| setup | workload | code | requests/s | vs before (medians) | p99 "
        "| nodes' CPU / request | PostgreSQL CPU / request | load generator CPU / request "
        "| record's lock held | held per request |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests, one round")
    parser.add_argument(
        "--against", metavar="COMMIT", help="1 and 2 nodes, this code against the code there"
    )
    parser.add_argument(
        "--counts", type=int, nargs="+", default=[1, 2], help="with --against: node counts"
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --against: runs of each")
    parser.add_argument(
        "--both-workloads",
        action="store_true",
        help="with --against: the one-area workload too, not only the spread one",
    )
    arguments = parser.parse_args()
    if arguments.against:
        lines = against_revision_section(
            arguments.against,
            300 if arguments.quick else 600,
            arguments.rounds,
            tuple(arguments.counts),
            tuple(WORKLOADS) if arguments.both_workloads else (SPREAD,),
        )
    else:
        lines = nodes_section(150, 1) if arguments.quick else nodes_section()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
