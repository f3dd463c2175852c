"""Benchmarks: one entry point; rewrites docs/BENCHMARKS.md with the figures of this run.

Usage: python -m benchmarks.run [--quick]
Figures are medians of repeated runs; ratios are measured side by side in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.line_api import notices_per_second, push_latency_ms
from benchmarks.plans import random_plan
from benchmarks.record import memory_tree_proofs, sqlite_log, verification_rate
from deconflict.line.check import check_plan
from deconflict.rules.conflicts import find_conflicts
from deconflict.rules.plan import parse_plan
from deconflict.store.sqlite import SqliteStore

REPORT = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"


def _median_s(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plan_check(count: int, repeats: int) -> list[str]:
    """`deconflict check` on a worldwide plan of circles up to 600 km, with and without index."""
    document = json.loads(json.dumps(random_plan(count)))
    features = parse_plan(document)
    indexed = _median_s(lambda: check_plan(features, SqliteStore(":memory:")), repeats)
    conflicts = len(check_plan(features, SqliteStore(":memory:")))
    parse = _median_s(lambda: parse_plan(document), repeats)
    brute = _median_s(lambda: find_conflicts(features), 1)
    return [
        f"| {count:,} features | {conflicts:,} conflicts | parse {parse:.2f} s "
        f"| check {indexed:.2f} s | all-pairs {brute:.2f} s | {brute / indexed:.1f}x |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes")
    quick = parser.parse_args().quick
    repeats = 1 if quick else 3
    rows = plan_check(2000, repeats)
    throughput = notices_per_second(200 if quick else 1000)
    push = push_latency_ms(50 if quick else 300)
    stored = sqlite_log(50_000 if quick else 1_000_000)
    in_memory = [memory_tree_proofs(n) for n in ((100_000,) if quick else (1_000_000, 10_000_000))]
    verify_rate = verification_rate(20_000 if quick else 200_000)
    lines = [
        "# Benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{_cpu_count()} cores. Reproduce: `make bench`"
        f"{' (this run: --quick)' if quick else ''}.",
        "",
        "## Plan check (`deconflict check`)",
        "",
        "Worldwide plan, half in dense clusters (At Tanf, Fiji across the antimeridian, the "
        "North pole, ...), circles up to 600 km, a fifth corridors and areas. Index = 5-D "
        "SQLite R*Tree then the exact rule; all-pairs = the exact rule on every pair. "
        f"Median of {repeats}.",
        "",
        "| plan | found | parse | indexed check | all-pairs check | speed-up |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "## Notices through the HTTP API",
        "",
        "A uvicorn process over a SQLite file (WAL, synchronous=FULL, one commit per request: "
        "a 201 means durable); 16 concurrent clients on loopback POST activities, each "
        "notifying the two other parties. The raw rate is a loop of one-row SQLite commits "
        "with the same settings on the same disk, in the same run.",
        "",
        "| requests/s | notices/s | raw durable commits/s | requests / raw |",
        "| --- | --- | --- | --- |",
        f"| {throughput['requests_per_s']:.0f} | {throughput['notices_per_s']:.0f} "
        f"| {throughput['raw_commits_per_s']:.0f} "
        f"| {throughput['requests_per_s'] / throughput['raw_commits_per_s']:.0%} |",
        "",
        "## Notice to console",
        "",
        "From the moment the sender's POST leaves to the moment the recipient's console "
        "(server-sent events) has the notice, one notice at a time.",
        "",
        "| samples | p50 | p99 |",
        "| --- | --- | --- |",
        f"| {push['received']:.0f}/{push['sent']:.0f} | {push['p50_ms']:.1f} ms "
        f"| {push['p99_ms']:.1f} ms |",
        "",
        "## The record",
        "",
        "Appends to the SQLite log (leaf plus the perfect-subtree nodes it completes), "
        "committed in batches of 1,000 and one per commit (as the line does: each request is "
        "one transaction); proofs generated from the stored nodes at that size; the same "
        "scheme held in memory at larger sizes; offline verification of an exported bundle "
        "(leaf hashes, root, checkpoint signature).",
        "",
        "| leaves | appends/s (batched) | appends/s (one per commit) | inclusion proof "
        "| consistency proof | proof size |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {stored['leaves']:,.0f} | {stored['appends_per_s_batched']:,.0f} "
        f"| {stored['appends_per_s_one_per_commit']:,.0f} | {stored['inclusion_us']:.0f} µs "
        f"| {stored['consistency_us']:.0f} µs | {stored['proof_bytes']:.0f} B |",
        "",
        "| leaves (in memory) | inclusion proof | consistency proof |",
        "| --- | --- | --- |",
        *[
            f"| {m['leaves']:,.0f} | {m['inclusion_us']:.0f} µs | {m['consistency_us']:.0f} µs |"
            for m in in_memory
        ],
        "",
        f"Offline verification (`deconflict verify`): {verify_rate[0]:,.0f} entries/s "
        f"(leaf hashes, root, checkpoint and party signatures); {verify_rate[1]:,.0f} "
        "entries/s with `--canonical` (every entry re-canonicalised as RFC 8785).",
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


def _cpu_count() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
