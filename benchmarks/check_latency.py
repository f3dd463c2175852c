"""Conflict check latency: one new activity against N stored 4-D volumes, in process.

The stored mix is realistic: circles of 1-50 km, corridors and polygons,
worldwide with dense clusters, spread over a month and several altitude
bands. Each check runs as the line runs it: inside the store's transaction,
the index query, then the exact geodesic rule on every candidate.

The stored volumes accumulate over time at a constant density: 1,000 per
30 days (1M volumes span 82 years of a busy line, or a year of a network
that adds ~2,700 a day). The probes fall anywhere in that span, so each
check has a comparable number of true neighbours at every size, and what
grows with N is only the cost of finding them.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.line_api import server_process
from deconflict.geo.shapes import Area, Circle, Corridor, Shape
from deconflict.line.parties import Party, Role, issue_token, register_party
from deconflict.rules.feature import AltitudeBand, Feature, Kind, TimeWindow
from deconflict.rules.plan import feature_to_geojson
from deconflict.store.sqlite import SqliteStore

_EPOCH = datetime(2030, 1, 1, tzinfo=UTC)
_CLUSTERS = [
    (38.64, 33.5),
    (179.5, -17.0),
    (0.0, 89.0),
    (-75.0, 40.0),
    (30.0, -1.0),
    (2.35, 48.85),
    (139.7, 35.7),
    (-58.4, -34.6),
]


def _position(rng: random.Random) -> tuple[float, float]:
    if rng.random() < 0.6:
        lon, lat = rng.choice(_CLUSTERS)
        return (
            max(-180.0, min(180.0, lon + rng.gauss(0, 0.7))),
            max(-89.9, min(89.9, lat + rng.gauss(0, 0.5))),
        )
    return rng.uniform(-180, 180), rng.uniform(-80, 80)


def _shape(rng: random.Random) -> Shape:
    lon, lat = _position(rng)
    pick = rng.random()
    if pick < 0.75 or abs(lat) > 85 or abs(lon) > 179:
        return Circle((lon, lat), rng.uniform(1_000, 50_000))
    if pick < 0.88:
        path = [(lon, lat)]
        for _ in range(rng.randrange(1, 4)):
            lon = max(-179.9, min(179.9, lon + rng.uniform(-0.3, 0.3)))
            lat = max(-84.9, min(84.9, lat + rng.uniform(-0.3, 0.3)))
            path.append((lon, lat))
        return Corridor(tuple(path), rng.uniform(200, 3_000))
    size = rng.uniform(0.02, 0.4)
    ring = ((lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat))
    return Area(((ring,),))


def volumes(count: int, span_days: float, seed: int = 11, prefix: str = "v") -> Iterator[Feature]:
    """`count` stored volumes of five parties over `span_days`, reproducible by seed."""
    rng = random.Random(seed)
    for i in range(count):
        start = _EPOCH + timedelta(hours=rng.uniform(0, 24 * span_days))
        lower = rng.choice([0.0, 0.0, 500.0, 3_000.0])
        yield Feature(
            f"{prefix}{i}",
            Kind.ZONE if rng.random() < 0.3 else Kind.ACTIVITY,
            f"p{rng.randrange(1, 6)}",
            _shape(rng),
            TimeWindow(start, start + timedelta(hours=rng.randrange(1, 72))),
            AltitudeBand(lower, lower + rng.choice([150.0, 1_500.0, 10_000.0])),
            rng.choice([0.0, 500.0, 2_000.0]),
            activity="flight",
        )


def fill(store: Any, features: Iterable[Feature], batch: int = 10_000) -> None:
    """Add `features` to a store (either backend) in transactions of `batch` features."""
    pending: list[Feature] = []
    for feature in features:
        pending.append(feature)
        if len(pending) == batch:
            store.add_features(pending)
            pending = []
    store.add_features(pending)


def check_latency(
    stored: int, checks: int = 500, seed: int = 5, server_rss: bool = False
) -> dict[str, float]:
    """p50/p99 of checking one new activity (a circle of 1-50 km) against `stored` volumes.

    With `server_rss`, also the resident size of an API server over that store
    after it has answered a hundred dry-run checks.
    """
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "line.db"
        store = SqliteStore(db)
        span_days = 30.0 * stored / 1000
        fill(store, volumes(stored, span_days))
        probes = list(volumes(checks, span_days, seed=seed, prefix="probe"))
        times, found = [], 0
        for probe in probes:
            started = time.perf_counter()
            with store.atomic() as tx:
                found += len(tx.conflicts_of(probe))
            times.append((time.perf_counter() - started) * 1000)
        store.close()
        rss_mb = _server_rss_mb(db, probes[:100]) if server_rss else 0.0
    times.sort()
    return {
        "stored": stored,
        "p50_ms": statistics.median(times),
        "p99_ms": times[int(len(times) * 0.99) - 1],
        "conflicts_per_check": found / checks,
        "server_rss_mb": rss_mb,
    }


def _server_rss_mb(db: Path, probes: list[Feature]) -> float:
    """VmRSS of a server process over `db` once it has answered a dry run for each probe."""
    store = SqliteStore(db)
    register_party(store, Party("p9", "Bench", "en"), _EPOCH)
    token = issue_token(store, "p9", Role.DUTY, _EPOCH)
    store.close()
    with server_process(db) as (url, pid):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            for probe in probes:
                body = feature_to_geojson(probe)
                del body["properties"]["party"]  # the token's party checks it
                client.post("/v1/check", json=body).raise_for_status()
        status = Path(f"/proc/{pid}/status").read_text()
    kilobytes = next(
        int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
    )
    return kilobytes / 1024
