"""The line through its HTTP API: durable notices per second, and notice-to-console latency.

The server runs in its own process (uvicorn over a SQLite file); the load
generator and the listening console run here, on loopback only, and stop by
themselves after a fixed number of requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from deconflict.line.parties import Party, Role, issue_token, register_party
from deconflict.store.sqlite import SqliteStore

PARTIES = ("p1", "p2", "p3")
QUIET = ("--log-level", "warning", "--no-access-log")
"""uvicorn says only what goes wrong, and leaves the requests' log to the line, as
`deconflict serve` does."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(db: Path) -> dict[str, str]:
    store = SqliteStore(db)
    now = datetime.now(UTC)
    tokens = {}
    for party in PARTIES:
        register_party(store, Party(party, party.upper(), "en", f"{party} duty"), now)
        tokens[party] = issue_token(store, party, Role.PLANNER, now)
    store.close()
    return tokens


@contextmanager
def server(db: Path) -> Iterator[str]:
    """A uvicorn process serving the line over `db`; yields its URL."""
    with server_process(db) as (url, _):
        yield url


@contextmanager
def server_process(
    db: Path, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """A uvicorn process serving the line over `db` (with `workers` > 1: that many worker
    processes under uvicorn's own), `env` added to its environment; yields its URL and id."""
    port = _free_port()
    env = {**os.environ, "DECONFLICT_DB": str(db), "DECONFLICT_TICK_S": "3600", **(env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "deconflict.server:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *QUIET,
            *(["--workers", str(workers)] if workers > 1 else []),
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while not _healthy(url) or len(_descendants(process.pid)) < workers - 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.1)
        if workers > 1:
            time.sleep(2)  # every worker has checked the store and listens
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(10)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _descendants(pid: int) -> list[int]:
    """The ids of a process's children and theirs (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        children = parents.get(waiting.pop(), [])
        found += children
        waiting += children
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and its descendants."""
    return sum(process_cpu_seconds(each) for each in [pid, *_descendants(pid)])


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by one process; 0 for one that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _activity(i: int, lon: float, prefix: str = "a") -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"{prefix}{i}",
        "geometry": {"type": "Point", "coordinates": [lon, (i % 120) - 60.0]},
        "properties": {
            "kind": "activity",
            "activity": "flight",
            "radius_m": 500,
            "start": "2030-01-01T00:00:00Z",
            "end": "2030-01-01T01:00:00Z",
        },
    }


async def _load(url: str, token: str, count: int, concurrency: int, prefix: str = "a") -> float:
    """POST `count` activities over `concurrency` keep-alive connections; the elapsed seconds.

    Plain HTTP/1.1 over asyncio streams, bodies built before the clock starts:
    a load generator this light leaves the second core to the server. Feature ids are
    `prefix` and a number.
    """
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    requests = [
        _post_request(host, token, _activity(i, (i % 300) - 150.0, prefix)) for i in range(count)
    ]
    pending = iter(requests)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for request in pending:
                writer.write(request)
                status = await _read_response(reader)
                assert status == 201, f"the server answered {status}"
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def _post_request(host: str, token: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST /v1/activities HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response whole; its status code."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


SERVERS = {
    "one process": (1, {}),
    "one process, no head file": (1, {"DECONFLICT_SKIP_CHECK": "true"}),
    "two worker processes": (2, {}),
}
"""The servers measured: worker processes and environment. Without the start's check
(`skip_check`) the server leaves the head file alone: that is the head file's cost."""
PRODUCT = ("one process", "two worker processes")
"""The servers as the line runs them (the head file is not optional)."""


@contextmanager
def write_load(url: str, token: str, count: int, concurrency: int = 16) -> Iterator[None]:
    """The load of `notices_per_second` from a process of its own, while the block runs:
    `count` activities at most (ids "load0", "load1"...), stopped when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.line_api", url, token, str(count), str(concurrency)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(10)


def notices_per_second(
    count: int, concurrency: int = 16, workers: int = 1, env: dict[str, str] | None = None
) -> dict[str, float]:
    """POST `count` activities; each notifies the two other parties (2 notices per request).

    Also the CPU time per request of the server's processes and of this load
    generator, measured over the same requests (after 50 to warm up).
    """
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "line.db"
        tokens = _seed(db)
        with server_process(db, workers, env) as (url, pid):
            asyncio.run(_load(url, tokens["p2"], 50, concurrency))  # warm: p2's own ids
            server_before, here_before = cpu_seconds(pid), time.process_time()
            elapsed = asyncio.run(_load(url, tokens["p1"], count, concurrency))
            server_cpu = cpu_seconds(pid) - server_before
            load_cpu = time.process_time() - here_before
        notices = count * (len(PARTIES) - 1)
        return {
            "requests_per_s": count / elapsed,
            "notices_per_s": notices / elapsed,
            "server_cpu_ms": server_cpu / count * 1000,
            "load_cpu_ms": load_cpu / count * 1000,
        }


def throughput(
    count: int, rounds: int = 3, servers: dict[str, tuple[int, dict[str, str]]] = SERVERS
) -> tuple[dict[str, dict[str, float]], dict[str, list[dict[str, float]]]]:
    """Each of `servers` over `count` requests, in turn for `rounds` (the machine is shared: a
    busy moment falls on all alike): the median of each measure, with the disk's raw rate as
    "raw"; and every run's figures."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    raw = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            raw.append(raw_commit_rate(Path(folder) / "raw.db"))
        for name, (workers, env) in servers.items():
            runs[name].append(notices_per_second(count, workers=workers, env=env))
    figures = {
        name: {key: statistics.median(run[key] for run in taken) for key in taken[0]}
        for name, taken in runs.items()
    }
    figures["raw"] = {"commits_per_s": statistics.median(raw)}
    return figures, runs


def code_at(source: Path) -> dict[str, str]:
    """The environment in which a server runs the code of the `src` folder `source`."""
    return {"PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")])}


def raw_commit_rate(path: Path, commits: int = 500) -> float:
    """One-row SQLite commits per second, WAL and synchronous=FULL: the disk's durable floor."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (x INTEGER)")
    started = time.perf_counter()
    for i in range(commits):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?)", (i,))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return commits / elapsed


def push_latency_ms(samples: int) -> dict[str, float]:
    """From POST sent to the recipient's console receiving the notice over SSE, one at a time."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "line.db"
        tokens = _seed(db)
        with server(db) as url:
            return _measure_push(url, tokens, samples)


def _measure_push(url: str, tokens: dict[str, str], samples: int) -> dict[str, float]:
    arrived: dict[str, float] = {}
    ready = threading.Event()

    def console() -> None:
        headers = {"Authorization": f"Bearer {tokens['p2']}"}
        with httpx.stream("GET", f"{url}/v1/events", headers=headers, timeout=30) as response:
            ready.set()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    feature = json.loads(line[6:]).get("feature")
                    arrived[feature] = time.perf_counter()
                    if len(arrived) >= samples:
                        return

    listener = threading.Thread(target=console, daemon=True)
    listener.start()
    ready.wait(10)
    time.sleep(0.3)
    sent: dict[str, float] = {}
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {tokens['p1']}"}, timeout=30
    ) as client:
        for i in range(samples):
            sent[f"a{i}"] = time.perf_counter()
            client.post("/v1/activities", json=_activity(i, 10.0 + i * 0.01))
            deadline = time.monotonic() + 5
            while f"a{i}" not in arrived and time.monotonic() < deadline:
                time.sleep(0.0005)
    listener.join(10)
    latencies = sorted((arrived[k] - sent[k]) * 1000 for k in sent if k in arrived)
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "received": float(len(latencies)),
        "sent": float(samples),
    }


def main() -> None:
    """Post activities to a running line: `python -m benchmarks.line_api URL TOKEN COUNT
    CONCURRENCY` (the load of `write_load`)."""
    url, token, count, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    asyncio.run(_load(url, token, count, concurrency, prefix="load"))


if __name__ == "__main__":
    main()
