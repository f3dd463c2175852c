"""PostgreSQL beside SQLite: durable notices per second through the API, and check latency.

The same load on both backends: uvicorn processes serving the line, 16
keep-alive clients on loopback POSTing activities that each notify the two
other parties (check + store + record + push, one durable commit per request),
then the in-process conflict check against N stored volumes, inside the
store's write transaction as the line runs it. PostgreSQL runs with one node
and with two nodes on one database (clients split between them). The
PostgreSQL server is reached at $DECONFLICT_BENCH_POSTGRES (an admin URL; a
throwaway database is made there and dropped).

Call `backends_section()` from benchmarks/run.py, or run this module alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

from benchmarks.check_latency import fill, volumes
from benchmarks.line_api import (
    PARTIES,
    QUIET,
    _activity,
    _free_port,
    _post_request,
    _read_response,
)
from deconflict.line.parties import Party, Role, issue_token, register_party
from deconflict.record.note import generate_signer
from deconflict.rules.feature import Feature
from deconflict.store import LogKey, Store, open_store
from deconflict.store.head import HeadFile, head_path

ORIGIN = "deconflict.bench/log"
ADMIN_URL = os.environ.get(
    "DECONFLICT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new PostgreSQL database for one measurement; dropped afterwards."""
    name = f"deconflict_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
        try:
            yield urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'.encode())


@contextmanager
def store_at(backend: str, folder: Path) -> Iterator[str]:
    """An empty store location: a SQLite file in `folder`, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield str(folder / "line.db")
    else:
        with postgres_database() as url:
            yield url


def _seed(db: str) -> dict[str, str]:
    store = open_store(db)
    now = datetime.now(UTC)
    tokens = {}
    try:
        for party in PARTIES:
            register_party(store, Party(party, party.upper(), "en", f"{party} duty"), now)
            tokens[party] = issue_token(store, party, Role.PLANNER, now)
    finally:
        store.close()
    return tokens


@contextmanager
def nodes(db: str, count: int, folder: Path, source: Path | None = None) -> Iterator[list[str]]:
    """`count` uvicorn processes serving the line over `db`, one log key; their URLs.
    `source`: the `src` folder of the code they run (None: this code)."""
    with node_processes(db, count, folder, source) as started:
        yield [url for url, _ in started]


@contextmanager
def node_processes(
    db: str, count: int, folder: Path, source: Path | None = None, tick_s: int = 3600
) -> Iterator[list[tuple[str, int]]]:
    """`count` uvicorn processes serving the line over `db`, one log key, each ticking every
    `tick_s` seconds; the URL and process id of each. `source`: the `src` folder of the code
    they run (None: this code)."""
    log_key = folder / "log-key.pem"
    signer, _, pem = generate_signer(ORIGIN)
    log_key.write_bytes(pem)
    _sign_head(db, LogKey(signer, ORIGIN), log_key)
    environ = {
        **os.environ,
        "DECONFLICT_DB": db,
        "DECONFLICT_LOG_KEY": str(log_key),
        "DECONFLICT_LOG_ORIGIN": ORIGIN,
        "DECONFLICT_TICK_S": str(tick_s),
    }
    if source is not None:
        environ["PYTHONPATH"] = os.pathsep.join([str(source), environ.get("PYTHONPATH", "")])
    ports = [_free_port() for _ in range(count)]
    command = [sys.executable, "-m", "uvicorn", "--factory", "deconflict.server:app_from_env"]
    with ExitStack() as stack:
        started = []
        for port in ports:
            process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(port), *QUIET],
                env=environ,
            )
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
            started.append((f"http://127.0.0.1:{port}", process.pid))
        for url, _ in started:
            _wait_until_serving(url)
        yield started


def _sign_head(db: str, key: LogKey, log_key: Path) -> None:
    """Sign the head of the store the parties were seeded into before the key existed, as
    `deconflict db check --accept-head` does (a node does not start on a store without one)."""
    store = open_store(db, key)
    try:
        HeadFile(head_path(log_key), key).write(store.log_checkpoint())
    finally:
        store.close()


def _wait_until_serving(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the benchmark server at {url} did not start")


def notices_per_second(
    backend: str,
    requests: int,
    node_count: int = 1,
    concurrency: int = 16,
    source: Path | None = None,
) -> dict[str, float]:
    """POST `requests` activities spread over the nodes; each notifies the two other parties.
    The activities are a degree or more apart (longitude -150 to 149, latitude -60 to 59).
    `source`: the `src` folder of the code the nodes run (None: this code)."""
    with tempfile.TemporaryDirectory() as folder, store_at(backend, Path(folder)) as db:
        tokens = _seed(db)
        with nodes(db, node_count, Path(folder), source) as urls:
            bodies = [_activity(i, (i % 300) - 150.0) for i in range(requests)]
            elapsed = asyncio.run(_post_all(urls, tokens["p1"], bodies, concurrency))
    return {"requests_per_s": requests / elapsed, "notices_per_s": requests * 2 / elapsed}


async def _post_all(
    urls: list[str], token: str, bodies: list[dict[str, Any]], concurrency: int
) -> float:
    """POST every body over `concurrency` keep-alive connections spread over the nodes; the
    elapsed seconds (plain HTTP/1.1 on asyncio streams, as benchmarks.line_api loads)."""
    requests = iter(bodies)

    async def worker(url: str) -> None:
        parsed = urlsplit(url)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for body in requests:
                writer.write(_post_request(host, token, body))
                status = await _read_response(reader)
                assert status == 201, f"the server answered {status}"
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(urls[i % len(urls)]) for i in range(concurrency)))
    return time.perf_counter() - started


def check_latency_ms(backend: str, stored: int, checks: int) -> dict[str, float]:
    """p50/p99 of one check against `stored` volumes: lock, index query, exact rule, commit."""
    with tempfile.TemporaryDirectory() as folder, store_at(backend, Path(folder)) as db:
        store = open_store(db)
        try:
            _fill(store, stored)
            span_days = 30.0 * stored / 1000
            probes = list(volumes(checks, span_days, seed=5, prefix="probe"))
            times = _timed(store, probes)
        finally:
            store.close()
    times.sort()
    return {"p50_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99) - 1]}


def _fill(store: Store, stored: int) -> None:
    fill(store, volumes(stored, 30.0 * stored / 1000))


def _timed(store: Store, probes: list[Feature]) -> list[float]:
    times = []
    for probe in probes:
        started = time.perf_counter()
        with store.atomic() as tx:
            tx.conflicts_of(probe)
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(requests: int, stored: int, checks: int) -> dict[str, dict[str, float]]:
    """Every figure of the comparison, by configuration."""
    return {
        "SQLite": {
            **notices_per_second("sqlite", requests),
            **check_latency_ms("sqlite", stored, checks),
        },
        "PostgreSQL, 1 node": {
            **notices_per_second("postgres", requests),
            **check_latency_ms("postgres", stored, checks),
        },
        "PostgreSQL, 2 nodes": notices_per_second("postgres", requests, node_count=2),
    }


def backends_section(requests: int = 1000, stored: int = 10_000, checks: int = 500) -> list[str]:
    """The comparison as a section of docs/BENCHMARKS.md."""
    figures = measure(requests, stored, checks)
    rows = []
    for name, got in figures.items():
        latency = f"{got['p50_ms']:.2f} ms | {got['p99_ms']:.2f} ms" if "p50_ms" in got else "— | —"
        rows.append(
            f"| {name} | {got['requests_per_s']:.0f} | {got['notices_per_s']:.0f} | {latency} |"
        )
    return [
        "## PostgreSQL beside SQLite",
        "",
        f"The same load on both stores: {requests:,} activities POSTed by 16 keep-alive clients "
        "on loopback, each notifying the two other parties, one durable commit per request "
        "(PostgreSQL: synchronous_commit on, every write locking its place, its names and, for "
        "its last two round trips (its appends, then COMMIT), the record). "
        "With two nodes, the clients are split between two uvicorn processes on one database. "
        f"Check latency: one new activity against {stored:,} stored volumes, in process, inside "
        "the store's write transaction (PostgreSQL: BEGIN, advisory locks, GiST query on the "
        "5-D cube, exact rule, COMMIT over loopback).",
        "",
        "| store | requests/s | notices/s | check p50 | check p99 |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


@contextmanager
def source_at(revision: str) -> Iterator[Path]:
    """The `src` folder of the repository at `revision` (a commit), in a temporary folder."""
    repository = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "-C", str(repository), "archive", revision, "src"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        yield Path(folder) / "src"


def against_revision_section(revision: str, requests: int = 1000, rounds: int = 3) -> list[str]:
    """PostgreSQL with 1 and 2 nodes running the code at `revision` and this code, alternately,
    `rounds` times: requests/s of each, and this code's over the other's."""
    figures: dict[tuple[str, int], list[float]] = {}
    with source_at(revision) as before:
        for _ in range(rounds):
            for code, source in (("before", before), ("after", None)):
                for count in (1, 2):
                    got = notices_per_second("postgres", requests, count, source=source)
                    figures.setdefault((code, count), []).append(got["requests_per_s"])
    rows = []
    for count in (1, 2):
        was, now = figures[("before", count)], figures[("after", count)]
        ratio = statistics.median(now) / statistics.median(was)
        rows.append(
            f"| {count} | {', '.join(f'{v:.0f}' for v in was)} "
            f"| {', '.join(f'{v:.0f}' for v in now)} | {ratio:.2f}x |"
        )
    two_nodes = statistics.median(figures[("after", 2)]) / statistics.median(figures[("after", 1)])
    was_two = statistics.median(figures[("before", 2)]) / statistics.median(figures[("before", 1)])
    return [
        f"PostgreSQL, {requests:,} activities a run POSTed by 16 keep-alive clients (split "
        "between the nodes), each a degree or more from the others and notifying the two other "
        f"parties; the code at {revision} (before) and this code (after), alternately, "
        f"{rounds} runs each, every run on a new database with new node processes.",
        "",
        "| nodes | before, requests/s | after, requests/s | after / before (medians) |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
        f"Two nodes over one: before {was_two:.2f}x, after {two_nodes:.2f}x.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests and volumes")
    parser.add_argument(
        "--against", metavar="COMMIT", help="only PostgreSQL, this code against the code there"
    )
    arguments = parser.parse_args()
    if arguments.against:
        lines = against_revision_section(arguments.against, 300 if arguments.quick else 1000)
    else:
        lines = backends_section(300, 2_000, 200) if arguments.quick else backends_section()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
