"""Fan-out: many live consoles of one party on loopback, notice-to-screen latency.

Each console is a plain HTTP connection reading the party's server-sent
events. A notice is sent every 200 ms; for each console and notice the time
from the sender's POST to the console holding the notice is recorded. Under
load, another process posts activities all the while as fast as the line takes
them (the load of the notices through the API): they are the consoles' own
party's, so their notices go to the two other parties and the consoles carry
only the notices measured, while the load takes the server's CPU, its writer
and the disk.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import statistics
import tempfile
import time
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from benchmarks.line_api import _activity, _seed, cpu_seconds, server_process, write_load

_FEATURE = re.compile(rb'"feature":"([^"]+)"')


async def _console(
    host: str,
    port: int,
    token: str,
    arrived: dict[str, list[float]],
    ready: asyncio.Event,
    connected: list[int],
    total: int,
    stop: asyncio.Event,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /v1/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"retry:"):
                connected[0] += 1
                if connected[0] == total:
                    ready.set()
            elif line.startswith(b"data: "):
                # The console only needs to know which notice came; keep the reader cheap
                # so the figure measures the server, not this load generator.
                found = _FEATURE.search(line)
                if found:
                    arrived.setdefault(found.group(1).decode(), []).append(time.perf_counter())
    finally:
        writer.close()


LOAD_REQUESTS = 100_000
"""At most this many activities from the load (it is stopped when the notices are in)."""
LOAD_WARM_S = 2.0
"""Seconds between starting the load and sending the first notice measured."""
SETTLE_S = 1.0
"""Seconds between the last console connecting and the first notice measured without load:
the server is still answering the consoles' first requests when the last one connects (the
first notice's 1,000 deliveries, a tenth of the samples, took the p99 to 265-291 ms without
it)."""


@dataclass
class Served:
    """What the server did while the notices were sent: activities of the load stored, CPU
    seconds of its process, and the seconds this took."""

    loaded: int = 0
    cpu_s: float = 0.0
    seconds: float = 0.0
    posts_ms: list[float] = field(default_factory=list)
    """How long each of the sender's POSTs took, to its answer (the notice committed)."""


async def _run(
    url: str,
    console_url: str,
    tokens: dict[str, str],
    consoles: int,
    notices: int,
    under_load: bool,
    watch: tuple[Path, list[int]],
) -> tuple[list[float], Served]:
    parsed = urlparse(console_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    arrived: dict[str, list[float]] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    connected = [0]
    tasks = [
        asyncio.create_task(
            _console(host, port, tokens["p2"], arrived, ready, connected, consoles, stop)
        )
        for _ in range(consoles)
    ]
    await asyncio.wait_for(ready.wait(), 60)
    served = Served()
    if under_load:
        with write_load(url, tokens["p2"], LOAD_REQUESTS):
            await asyncio.sleep(LOAD_WARM_S)
            sent = await _notify(url, tokens, notices, watch, served)
    else:
        await asyncio.sleep(SETTLE_S)
        sent = await _notify(url, tokens, notices, watch, served)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(len(arrived.get(f, [])) < consoles for f in sent):
        await asyncio.sleep(0.05)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [(t - sent[f]) * 1000 for f in sent for t in arrived.get(f, [])], served


async def _notify(
    url: str, tokens: dict[str, str], notices: int, watch: tuple[Path, list[int]], served: Served
) -> dict[str, float]:
    """Send `notices` activities from p1, one every 200 ms; when each POST left. What the
    servers did meanwhile goes into `served`."""
    db, pids = watch
    loaded, cpu, started = _loaded(db), _cpu(pids), time.perf_counter()
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {tokens['p1']}"}
    ) as client:
        for i in range(notices):
            feature = f"a{i}"
            sent[feature] = time.perf_counter()
            response = await client.post("/v1/activities", json=_activity(i, 20.0 + i * 0.01))
            served.posts_ms.append((time.perf_counter() - sent[feature]) * 1000)
            assert response.status_code == 201, response.text
            await asyncio.sleep(0.2)
    served.seconds = time.perf_counter() - started
    served.cpu_s = _cpu(pids) - cpu
    served.loaded = _loaded(db) - loaded
    return sent


def _cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def _loaded(db: Path) -> int:
    """How many activities of the load the line has stored (read beside the server)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as reader:
        found = reader.execute("SELECT count(*) FROM volume WHERE feature_id LIKE 'load%'")
        return int(found.fetchone()[0])


def fanout_latency_ms(
    consoles: int, notices: int = 10, under_load: bool = False, console_node: bool = False
) -> dict[str, float]:
    """p50/p99 notice-to-console latency with `consoles` live consoles of the recipient,
    `under_load` with the write load of another process all the while; the load's requests/s
    and the servers' CPU per notice pushed to one console, over the notices sent.

    With `console_node`, the consoles are served by a second server process over the same
    SQLite file (as docs/deployment.md routes /v1/events), the writes by the first;
    otherwise one process serves all."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "line.db"
        tokens = _seed(db)
        with ExitStack() as servers:
            url, pid = servers.enter_context(server_process(db))
            console_url, pids = url, [pid]
            if console_node:
                console_url, console_pid = servers.enter_context(server_process(db))
                pids.append(console_pid)
            measured, served = asyncio.run(
                _run(url, console_url, tokens, consoles, notices, under_load, (db, pids))
            )
    latencies = sorted(measured)
    expected = consoles * notices
    return {
        "consoles": float(consoles),
        "received": float(len(latencies)),
        "expected": float(expected),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)],
        "post_p50_ms": statistics.median(served.posts_ms),
        "load_requests_per_s": served.loaded / served.seconds,
        "server_cpu_us_per_push": served.cpu_s / expected * 1e6,
    }
