"""The DSS in its worst case: operational-intent writes per second in one congested area.

N operational intents of two USSs overlap in space, altitude and time (circles of 500 m
within 100 m of one centre), each with its implicit subscription. Then one client updates
them in turn, each write carrying the OVNs of all N (as the key requires) and answered
with all N subscriptions to notify. The server runs in its own process (uvicorn over a
SQLite file, or over a PostgreSQL database); the load stops after a fixed number of
writes, on loopback only. The reference DSS (InterUSS, Go on CockroachDB) accepts about
6 to 8 such writes per second in one congested cell (its issue #1512).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from benchmarks.backends import postgres_database
from benchmarks.line_api import cpu_seconds, server_process

USSS = ("uss-a", "uss-b")
CENTRE = (7.0, 46.0)


class _Authority:
    """Signs the USSs' access tokens; its public key goes to the server."""

    def __init__(self, folder: Path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pem = folder / "authority.pem"
        self.pem.write_bytes(
            self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def headers(self, uss: str) -> dict[str, str]:
        now = int(time.time())
        claims = {
            "sub": uss,
            "scope": "utm.strategic_coordination",
            "aud": "127.0.0.1",
            "exp": now + 3600,
        }
        return {"Authorization": f"Bearer {jwt.encode(claims, self.key, algorithm='RS256')}"}


def _time(moment: datetime) -> dict[str, str]:
    return {"value": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "format": "RFC3339"}


def _body(i: int, start: datetime, key: list[str], subscription: str | None) -> dict[str, Any]:
    """Intent `i`'s body: a 500 m circle within about 100 m of the centre, 0-120 m, 2 hours."""
    lng = CENTRE[0] + 0.001 * (i % 10) / 10
    lat = CENTRE[1] + 0.001 * (i // 10 % 10) / 10
    body: dict[str, Any] = {
        "extents": [
            {
                "volume": {
                    "outline_circle": {
                        "center": {"lng": lng, "lat": lat},
                        "radius": {"value": 500.0, "units": "M"},
                    },
                    "altitude_lower": {"value": 0.0, "reference": "W84", "units": "M"},
                    "altitude_upper": {"value": 120.0, "reference": "W84", "units": "M"},
                },
                "time_start": _time(start),
                "time_end": _time(start + timedelta(hours=2)),
            }
        ],
        "key": key,
        "state": "Accepted",
        "uss_base_url": "https://uss.example.org",
    }
    if subscription is None:
        body["new_subscription"] = {"uss_base_url": "https://uss.example.org"}
    else:
        body["subscription_id"] = subscription
    return body


def congested_writes(
    url: str, pid: int, authority: _Authority, n: int, writes: int
) -> dict[str, float]:
    """Fill the area with `n` intents, then time `writes` updates carrying every OVN."""
    start = datetime.now(UTC) + timedelta(minutes=10)
    ovns: dict[str, str] = {}
    owner: dict[str, str] = {}
    subscription: dict[str, str] = {}
    clients = {
        uss: httpx.Client(base_url=f"{url}/dss/v1", headers=authority.headers(uss), timeout=60)
        for uss in USSS
    }
    try:
        for i in range(n):
            entity, uss = str(uuid.uuid4()), USSS[i % 2]
            answer = clients[uss].put(
                f"/operational_intent_references/{entity}",
                json=_body(i, start, list(ovns.values()), None),
            )
            answer.raise_for_status()
            made = answer.json()["operational_intent_reference"]
            ovns[entity], owner[entity] = made["ovn"], uss
            subscription[entity] = made["subscription_id"]
        ids = list(ovns)
        latencies = []
        cpu_before = cpu_seconds(pid)
        began = time.perf_counter()
        for w in range(writes):
            entity = ids[w % n]
            sent = time.perf_counter()
            answer = clients[owner[entity]].put(
                f"/operational_intent_references/{entity}/{ovns[entity]}",
                json=_body(w % n, start, list(ovns.values()), subscription[entity]),
            )
            latencies.append(time.perf_counter() - sent)
            answer.raise_for_status()
            assert len(answer.json()["subscribers"][0]["subscriptions"]) == n
            ovns[entity] = answer.json()["operational_intent_reference"]["ovn"]
        elapsed = time.perf_counter() - began
        server_cpu = cpu_seconds(pid) - cpu_before
    finally:
        for client in clients.values():
            client.close()
    latencies.sort()
    return {
        "writes_per_s": writes / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "server_cpu_ms": 1000 * server_cpu / writes,
    }


def _measured(
    store: str, folder: Path, authority: _Authority, n: int, writes: int
) -> dict[str, float]:
    env = {
        "DECONFLICT_UTM_JWT_KEYS": str(authority.pem),
        "DECONFLICT_UTM_AUDIENCES": "127.0.0.1",
        "DECONFLICT_LOG_KEY": str(folder / f"{store}-{n}.log-key.pem"),
    }
    if store == "SQLite":
        with server_process(folder / f"dss-{n}.db", env=env) as (url, pid):
            return congested_writes(url, pid, authority, n, writes)
    with postgres_database() as database:
        # The URL goes in the environment as given (a Path would fold its "//").
        served = server_process(folder / "unused", env={**env, "DECONFLICT_DB": database})
        with served as (url, pid):
            return congested_writes(url, pid, authority, n, writes)


def dss_section(sizes: tuple[int, ...], writes: int) -> list[str]:
    """The section of the report: writes/s in one congested area, on each store."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        authority = _Authority(folder)
        for n in sizes:
            for store in ("SQLite", "PostgreSQL"):
                found = _measured(store, folder, authority, n, writes)
                rows.append(
                    f"| {store} | {n} | {found['writes_per_s']:.1f} | {found['p50_ms']:.1f} ms"
                    f" | {found['p99_ms']:.1f} ms | {found['server_cpu_ms']:.1f} ms |"
                )
    return [
        "## The DSS in one congested area",
        "",
        f"Operational-intent writes through `/dss/v1` (ASTM F3548-21), one node: N intents of two"
        f" USSs overlap in space, altitude and time (500 m circles within 100 m of one centre,"
        f" 0-120 m, the same two hours), each with its implicit subscription; then one client"
        f" makes {writes} updates in turn, each carrying the OVNs of all N in its key (checked"
        f" by the exact engine against all N) and answered with all N subscriptions to notify"
        f" (each notification index counted up), each an entry of the record. The server is"
        f" its own uvicorn process (SQLite: WAL, synchronous=FULL; PostgreSQL on the same"
        f" machine); server CPU per write from /proc. Reference: InterUSS's DSS accepts about"
        f" 6 to 8 such writes per second in one congested cell (its issue #1512; not run"
        f" here).",
        "",
        "| store | N intents | writes/s | p50 | p99 | server CPU / write |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "The time a write waits beyond the server's CPU is durability: the commit, and the"
        " record's signed head file written after it (about 9 ms of fsync a write on this disk,"
        " measured in process), which one client's writes in turn cannot share; the CPU grows"
        " with N, as each write decides its key and its subscribers against every intent and"
        " subscription in the area.",
        "",
    ]
