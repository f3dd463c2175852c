"""Fan-out: many live consoles of one party on loopback, notice-to-screen latency.

Each console is a plain HTTP connection reading the party's server-sent
events. A notice is sent every 200 ms; for each console and notice the time
from the sender's POST to the console holding the notice is recorded.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from benchmarks.line_api import _activity, _seed, server

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


async def _run(url: str, tokens: dict[str, str], consoles: int, notices: int) -> list[float]:
    parsed = urlparse(url)
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
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {tokens['p1']}"}
    ) as client:
        for i in range(notices):
            feature = f"a{i}"
            sent[feature] = time.perf_counter()
            response = await client.post("/v1/activities", json=_activity(i, 20.0 + i * 0.01))
            assert response.status_code == 201, response.text
            await asyncio.sleep(0.2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(len(arrived.get(f, [])) < consoles for f in sent):
        await asyncio.sleep(0.05)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [(t - sent[f]) * 1000 for f in sent for t in arrived.get(f, [])]


def fanout_latency_ms(consoles: int, notices: int = 10) -> dict[str, float]:
    """p50/p99 notice-to-console latency with `consoles` live consoles of the recipient."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "line.db"
        tokens = _seed(db)
        with server(db) as url:
            latencies = sorted(asyncio.run(_run(url, tokens, consoles, notices)))
    expected = consoles * notices
    return {
        "consoles": float(consoles),
        "received": float(len(latencies)),
        "expected": float(expected),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)],
    }
