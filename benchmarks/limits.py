"""The line's limits: the largest imports the defaults accept, and a polygon far beyond them.

Each case runs against a fresh uvicorn process over a SQLite file on loopback
(so the process's peak resident memory, VmHWM, is that case's), with the
default limits: 10,000 vertices per feature, 500,000 per request, 50,000
features per import.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.line_api import _seed, server_process
from deconflict.rules.limits import Limits
from deconflict.settings import Settings


@dataclass(frozen=True)
class Case:
    """One import: `features` polygons of `vertices` positions each, and the status expected."""

    name: str
    features: int
    vertices: int
    status: int


def cases(scale: float = 1.0) -> tuple[Case, ...]:
    """The largest accepted imports (at the limits), the refused 1,000,000-vertex polygon and
    the largest body a refusal reads; `scale` < 1 shrinks the accepted ones for a quick run."""
    limits = Limits.of(Settings())
    per_request = int(limits.max_vertices_per_request * scale)
    most_features = int(limits.max_features_per_import * scale)
    return (
        Case(
            "most features, each of 10 vertices",
            most_features,
            per_request // most_features,
            200,
        ),
        Case(
            "largest features",
            per_request // limits.max_vertices_per_feature,
            limits.max_vertices_per_feature,
            200,
        ),
        Case("one polygon of 1,000,000 vertices", 1, 1_000_000, 413),
        Case(
            f"one polygon filling max_import_bytes ({Settings().max_import_bytes >> 20} MiB)",
            1,
            # A vertex takes about 23.7 bytes of the body (two rounded numbers, brackets).
            int(Settings().max_import_bytes * 0.95 / 23.7),
            413,
        ),
    )


def _ring(vertices: int, lon: float, lat: float) -> list[list[float]]:
    """A closed ring of `vertices` positions, 2 km across, rounded as files carry them."""
    corners = vertices - 1
    points = [
        [
            round(lon + 0.01 * math.cos(2 * math.pi * k / corners), 6),
            round(lat + 0.01 * math.sin(2 * math.pi * k / corners), 6),
        ]
        for k in range(corners)
    ]
    return [*points, points[0]]


def import_body(case: Case) -> bytes:
    """An import of the case's polygons, spread over a grid of 0.05° cells."""
    features: list[dict[str, Any]] = []
    for i in range(case.features):
        lon, lat = 30.0 + 0.05 * (i % 200), 20.0 + 0.05 * (i // 200)
        features.append(
            {
                "type": "Feature",
                "id": f"area-{i}",
                "geometry": {"type": "Polygon", "coordinates": [_ring(case.vertices, lon, lat)]},
                "properties": {"kind": "zone", "start": "2030-01-01T00:00:00Z"},
            }
        )
    return json.dumps({"features": features}).encode()


def _memory_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now (VmRSS) and at its peak so far (VmHWM), in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def measure(case: Case) -> dict[str, float]:
    """Seconds to the answer, and the server's peak memory before and during the request."""
    body = import_body(case)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "line.db"
        tokens = _seed(db)
        with (
            server_process(db) as (url, pid),
            httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {tokens['p1']}"}, timeout=900
            ) as client,
        ):
            before = _memory_mb(pid)
            started = time.perf_counter()
            answer = client.post(
                "/v1/imports", content=body, headers={"Content-Type": "application/json"}
            )
            seconds = time.perf_counter() - started
            after = _memory_mb(pid)
    assert answer.status_code == case.status, f"{answer.status_code} {answer.text[:300]}"
    return {
        "seconds": seconds,
        "body_mb": len(body) / 1_048_576,
        "rss_before_mb": before["VmRSS"],
        "peak_mb": after["VmHWM"],
    }


def limits_section(scale: float = 1.0) -> list[str]:
    """The limits' section of docs/BENCHMARKS.md."""
    rows = [(case, measure(case)) for case in cases(scale)]
    return [
        "## Limits: the largest imports accepted, and a polygon refused",
        "",
        "One `POST /v1/imports` of polygons to a fresh uvicorn process over a SQLite file on "
        "loopback, with the default limits (10,000 vertices per feature, 500,000 per request, "
        f"50,000 features per import, {Settings().max_import_bytes >> 20} MiB per import body): "
        "the server's resident memory "
        "before the request and its peak (VmHWM) by the answer. The time is from sending the "
        "body to the answer. A refused body is read whole (as JSON) before it is counted, so "
        "its peak follows the body's size, which `max_import_bytes` bounds. One run on a "
        "shared, noisy machine.",
        "",
        "| import | features | vertices | body | answer | time | memory before | peak |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *[
            f"| {case.name} | {case.features:,} | {case.features * case.vertices:,} "
            f"| {row['body_mb']:.1f} MB | {case.status} | {row['seconds']:.1f} s "
            f"| {row['rss_before_mb']:.0f} MB | {row['peak_mb']:.0f} MB |"
            for case, row in rows
        ],
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the accepted sizes")
    print("\n".join(limits_section(0.1 if parser.parse_args().quick else 1.0)))


if __name__ == "__main__":
    main()
