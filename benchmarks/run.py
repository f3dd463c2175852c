"""Benchmarks: one entry point; rewrites docs/BENCHMARKS.md (and its plots) with this run.

Usage: python -m benchmarks.run [--quick] [--only-notices] [--only-consoles]
[--only-concurrency] [--only-nodes] [--only-dss] [--only-sessions]
Figures are medians of repeated runs; ratios are measured side by side in one run.
Load generators target loopback only and stop after a fixed amount of work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.audit import audit_section
from benchmarks.backends import backends_section, check_latency_ms, source_at
from benchmarks.baselines import postgis_comparison, shapely_scan
from benchmarks.check_latency import check_latency
from benchmarks.concurrency import concurrency_section, rounds_on_each_store
from benchmarks.conventions import FULL, QUICK, conventions_section
from benchmarks.dss import dss_section
from benchmarks.engine import engine_section
from benchmarks.fanout import fanout_latency_ms
from benchmarks.limits import limits_section
from benchmarks.line_api import PRODUCT, SERVERS, code_at, push_latency_ms, throughput
from benchmarks.nodes import nodes_section
from benchmarks.plans import random_plan
from benchmarks.record import memory_tree_proofs, sqlite_log, verification_rate
from benchmarks.sessions import sessions_section
from deconflict.line.check import check_plan
from deconflict.rules.conflicts import find_conflicts
from deconflict.rules.plan import parse_plan

DOCS = Path(__file__).resolve().parents[1] / "docs"
REPORT = DOCS / "BENCHMARKS.md"
PLOT = DOCS / "check-latency.png"
# Figures measured with the code before a change, kept beside the new ones.
HISTORY = Path(__file__).resolve().parent / "history.md"


def _median_s(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plan_check_section(count: int, repeats: int) -> list[str]:
    """`deconflict check` on a worldwide plan of circles up to 600 km, with and without index."""
    document = json.loads(json.dumps(random_plan(count)))
    features = parse_plan(document)
    indexed = _median_s(lambda: check_plan(features), repeats)
    conflicts = len(check_plan(features))
    parse = _median_s(lambda: parse_plan(document), repeats)
    brute = _median_s(lambda: find_conflicts(features), 1)
    return [
        "## Plan check (`deconflict check`)",
        "",
        "Worldwide plan, half in dense clusters (At Tanf, Fiji across the antimeridian, the "
        "North pole, ...), circles up to 600 km, a fifth corridors and areas. Index = 5-D "
        "volume boxes in memory (an STRtree on x, y, then z, time and altitude) then the "
        "exact rule; all-pairs = the exact rule on every pair. "
        f"Median of {repeats}. Target: 2,000 features in under 5 s.",
        "",
        "| plan | found | parse | indexed check | all-pairs check | speed-up |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {count:,} features | {conflicts:,} conflicts | {parse:.2f} s | {indexed:.2f} s "
        f"| {brute:.2f} s | {brute / indexed:.1f}x |",
        "",
    ]


def check_latency_section(sizes: tuple[int, ...], checks: int) -> list[str]:
    """One activity checked against N stored volumes: the index's scaling, and a plot."""
    rows = [check_latency(n, checks, server_rss=(n == sizes[-1])) for n in sizes]
    postgres = [check_latency_ms("postgres", n, checks) for n in sizes]
    _plot(rows, postgres)
    first, last = rows[0], rows[-1]
    lines = [
        "## Conflict check against stored volumes (in process, SQLite and PostgreSQL)",
        "",
        "One new activity (a circle of 1-50 km) checked against N stored 4-D volumes "
        "(circles 1-50 km, corridors, polygons; worldwide, 60% in eight dense clusters; "
        "altitude bands; accumulating at 1,000 per 30 days so each check meets a comparable "
        "number of neighbours at every N), as the line runs it: inside the store's "
        f"transaction, the R*Tree query, then the exact rule. {checks} checks per size. "
        "Targets: p99 <= 2 ms at 1M, growth from 1k to 1M at most 3x.",
        "",
        "PostgreSQL: the same volumes and probes, inside its write transaction (BEGIN, the "
        "line's advisory lock, GiST query on the 5-D cube, exact rule, COMMIT over loopback).",
        "",
        "| stored volumes | SQLite p50 | SQLite p99 | PostgreSQL p50 | PostgreSQL p99 "
        "| conflicts per check |",
        "| --- | --- | --- | --- | --- | --- |",
        *[
            f"| {r['stored']:,.0f} | {r['p50_ms']:.3f} ms | {r['p99_ms']:.3f} ms "
            f"| {pg['p50_ms']:.3f} ms | {pg['p99_ms']:.3f} ms | {r['conflicts_per_check']:.2f} |"
            for r, pg in zip(rows, postgres, strict=True)
        ],
        "",
        f"Growth of p99 from {first['stored']:,.0f} to {last['stored']:,.0f}: SQLite "
        f"{last['p99_ms'] / first['p99_ms']:.2f}x (p50: {last['p50_ms'] / first['p50_ms']:.2f}x), "
        f"PostgreSQL {postgres[-1]['p99_ms'] / postgres[0]['p99_ms']:.2f}x "
        f"(p50: {postgres[-1]['p50_ms'] / postgres[0]['p50_ms']:.2f}x).",
        "",
        "![check latency](check-latency.png)",
        "",
        "## Memory",
        "",
        f"Resident size of an API server process over {last['stored']:,.0f} stored volumes, "
        f"after answering 100 dry-run checks: {last['server_rss_mb']:.0f} MB (the volumes "
        "live in the SQLite file; the process holds SQLite's page cache and Python).",
        "",
    ]
    return lines


def _plot(rows: list[dict[str, float]], postgres: list[dict[str, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 4), dpi=100)
    stored = [r["stored"] for r in rows]
    axes.loglog(stored, [r["p50_ms"] for r in rows], "o-", label="SQLite p50")
    axes.loglog(stored, [r["p99_ms"] for r in rows], "s-", label="SQLite p99")
    axes.loglog(stored, [r["p50_ms"] for r in postgres], "o--", label="PostgreSQL p50")
    axes.loglog(stored, [r["p99_ms"] for r in postgres], "s--", label="PostgreSQL p99")
    axes.axhline(2.0, color="red", linestyle="--", linewidth=1, label="p99 target (2 ms)")
    axes.set_xlabel("stored volumes")
    axes.set_ylabel("check latency (ms)")
    axes.set_title("One activity against N stored volumes")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(PLOT)
    pyplot.close(figure)


def baselines_section(sizes: tuple[int, ...], checks: int) -> list[str]:
    """The same checks, same data, same answers, by PostGIS and by a naive vectorised scan."""
    rows = []
    for n in sizes:
        postgis = postgis_comparison(n, checks)
        scan = shapely_scan(n, checks)
        rows.append(
            f"| {n:,} | {postgis['ours_p50_ms']:.3f} / {postgis['ours_p99_ms']:.3f} ms "
            f"| {postgis['postgis_p50_ms']:.3f} / {postgis['postgis_p99_ms']:.3f} ms "
            f"| {postgis['speedup_p50']:.1f}x / {postgis['speedup_p99']:.1f}x "
            f"| {scan['scan_p50_ms']:.3f} / {scan['scan_p99_ms']:.3f} ms "
            f"| {postgis['probes_agreeing']}/{checks} |"
        )
    return [
        "## Against PostGIS and a naive scan",
        "",
        "The same probes against the same stored volumes: ours (R*Tree + exact rule, in "
        "process) beside PostGIS (`ST_DWithin` on `geography` with one GiST index over "
        "window, altitude and shape, edges densified to 1 km in lon/lat so its geodesic "
        "edges follow ours; one query per probe over loopback) and beside a vectorised "
        "Shapely/numpy scan of every volume then the exact rule. Timed in alternating blocks "
        "of 50 probes. Target: at least 3x faster than PostGIS.",
        "",
        "| stored | ours p50 / p99 | PostGIS p50 / p99 | PostGIS / ours | naive scan p50 / p99 "
        "| same answers |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def api_section(requests: int, push_samples: int, consoles: int, notices: int) -> list[str]:
    return [
        *notices_section(requests),
        *console_section(push_samples, consoles, notices),
    ]


def notices_section(requests: int, rounds: int = 3, against: str | None = None) -> list[str]:
    """Notices per second through the API, the CPU each request costs, and the disk's floor;
    with `against` (a commit), the product's servers running the code there too, measured in
    the same rounds."""
    started, load_before = datetime.now(UTC), os.getloadavg()[0]
    with ExitStack() as stack:
        servers = dict(SERVERS)
        if against is not None:
            before = code_at(stack.enter_context(source_at(against)))
            servers |= {f"{name}, at {against}": (SERVERS[name][0], before) for name in PRODUCT}
        figures, runs = throughput(requests, rounds, servers)
    raw = figures.pop("raw")["commits_per_s"]
    compared = _compared(against, runs) if against is not None else []
    for name in list(figures):
        if name.endswith(f", at {against}"):
            figures.pop(name)
    best = max(figures[name]["notices_per_s"] for name in PRODUCT)
    best_share = max(figures[name]["requests_per_s"] for name in PRODUCT) / raw
    one = figures["one process"]
    two = figures["two worker processes"]
    cores = os.cpu_count() or 1
    ceiling = cores * 1000 / (two["server_cpu_ms"] + two["load_cpu_ms"])
    met = best >= 1000 or best_share >= 0.5
    return [
        "## Notices through the HTTP API",
        "",
        "A uvicorn server over a SQLite file (WAL, synchronous=FULL; group commit: a 201 means "
        f"durable); 16 concurrent clients on loopback POST {requests:,} activities, each "
        "notifying the two other parties (check + store + record + receipt + push). CPU per "
        "request: the server's processes and the load generator's, over the same requests. "
        "Without the head file: the same server, which then signs and writes no head file "
        "after its commits (the product always does). The raw rate is a loop of one-row SQLite "
        "commits with the same settings on the same disk. Servers measured in turn, "
        f"{rounds} rounds; medians. Targets: >= 1,000 notices/s, or >= 50% of the raw rate. "
        + _when_run(started, load_before),
        "",
        "| server | requests/s | notices/s | requests / raw | server CPU / request "
        "| load generator CPU / request |",
        "| --- | --- | --- | --- | --- | --- |",
        *[
            f"| {name} | {f['requests_per_s']:.0f} | {f['notices_per_s']:.0f} "
            f"| {f['requests_per_s'] / raw:.0%} | {f['server_cpu_ms']:.2f} ms "
            f"| {f['load_cpu_ms']:.2f} ms |"
            for name, f in figures.items()
        ],
        "",
        *compared,
        f"Raw durable commits: {raw:,.0f}/s (the disk is shared too). Signing and writing the "
        "head file (on a thread of its own beside the next commit batch; a batch is answered "
        f"once a head that covers it is on disk) {_head_cost(one, figures)}. "
        f"Target {'met' if met else 'not met'} on this "
        f"{cores}-core shared machine: at best {best:,.0f} notices/s, "
        f"{best_share:.0%} of the raw rate. One process does its Python work under one "
        f"interpreter lock, so {one['server_cpu_ms']:.2f} ms of CPU a request holds it to about "
        f"{1000 / one['server_cpu_ms']:.0f} requests/s whatever the disk. Several worker "
        "processes share the cores, and take turns at SQLite's one write lock for the steps "
        "themselves (handed on at once: store/sqlite/turn.py); with the load generator's CPU "
        f"as well, {cores} cores allow at most about {ceiling:.0f} requests/s "
        f"({2 * ceiling:.0f} notices/s) at {two['server_cpu_ms']:.2f} ms a request, had the "
        "benchmark the machine to itself, which it does not: the figures move with the other "
        "work on it. 1,000 notices/s on this machine would take at most "
        f"{cores * 1000 / 500 - two['load_cpu_ms']:.1f} ms of server CPU a request spread "
        "evenly over the cores, which it is not (the steps themselves, about half of it, run "
        "one at a time under the write lock, and the processes contend for the cores with "
        "each other and with the machine's other work), or 2 ms in one process. The CPU a "
        "request cost before, and where it goes: benchmarks/history.md.",
        "",
    ]


def _when_run(started: datetime, load_before: float) -> str:
    """When a section's measurements began, and the machine's load around them (it is shared:
    the figures move with its other work)."""
    return (
        f"Run {started:%Y-%m-%d %H:%M} UTC, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after."
    )


def _compared(against: str, runs: dict[str, list[dict[str, float]]]) -> list[str]:
    """The product's servers before (the code at `against`) and after (this code), each run in
    brackets, medians first."""

    def measure(name: str, key: str, form: str) -> str:
        values = [run[key] for run in runs[name]]
        each = ", ".join(form.format(v) for v in values)
        return f"{form.format(statistics.median(values))} ({each})"

    rows = [
        f"| {name} | {label} | {measure(f'{name}, at {against}', key, form)} "
        f"| {measure(name, key, form)} |"
        for name in PRODUCT
        for label, key, form in (
            ("notices/s", "notices_per_s", "{:,.0f}"),
            ("server CPU / request", "server_cpu_ms", "{:.2f} ms"),
        )
    ]
    return [
        f"The same servers running the code at {against} (before) and this code (after), in "
        "the same rounds; medians, each run in brackets:",
        "",
        "| server | measure | before | after |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _head_cost(one: dict[str, float], figures: dict[str, dict[str, float]]) -> str:
    """What the head file cost one process in notices/s, as the report says it."""
    cost = 1 - one["notices_per_s"] / figures["one process, no head file"]["notices_per_s"]
    if cost > 0:
        return f"costs one process {cost:.0%} of its notices/s here"
    return (
        f"cost one process nothing that stands out here (it served {-cost:.0%} more with it "
        "than without: the machine's other work moves the figures more)"
    )


FANOUT_RUNS = 3
"""Runs of the fan-out under load: its target holds in every one, or it is not met."""


def console_section(push_samples: int, consoles: int, notices: int) -> list[str]:
    """Notice to console: one console, then `consoles` without load and under load, on a
    node of their own (the deployment docs/deployment.md recommends) and on the one process
    that also takes the writes, alternately in each of FANOUT_RUNS runs."""
    started, load_before = datetime.now(UTC), os.getloadavg()[0]
    push = push_latency_ms(push_samples)
    quiet = fanout_latency_ms(consoles, notices, console_node=True)
    apart, together = [], []
    for _ in range(FANOUT_RUNS):
        apart.append(fanout_latency_ms(consoles, notices, under_load=True, console_node=True))
        together.append(fanout_latency_ms(consoles, notices, under_load=True))
    worst = max(run["p99_ms"] for run in apart)
    whole = all(run["received"] == run["expected"] for run in apart)
    met = worst <= 250 and whole
    return [
        "## Notice to console",
        "",
        "From the moment the sender's POST leaves to the moment the recipient's console "
        "(server-sent events) has the notice: one console, one notice at a time; then "
        f"{consoles:,} live consoles of the recipient on loopback, a notice every 200 ms "
        f"({notices} notices), without load and then under load in {FANOUT_RUNS} runs, each "
        "with servers of their own. Consoles on a node of their own: as docs/deployment.md "
        "deploys them, one server process takes the writes (the load and the sender's POSTs) "
        "and a second one over the same SQLite file serves the consoles' /v1/events, hearing "
        "the first's commits within 10 ms (it watches the file's data version). One process: "
        "one server takes both, for comparison; the two are measured alternately in each run. "
        "Under load another process posts activities all the while as in the notices through "
        "the HTTP API (16 clients, as fast as the line answers); they are the consoles' own "
        "party's, so their notices go to the two other parties and the consoles carry only "
        "the notices measured while the load takes the servers' CPU, the writer and the "
        "disk. Load: the load's activities stored per second while the notices were sent. "
        "POST: the sender's POST to its answer (the notice committed), the median; it is part "
        "of every latency. Server CPU: the server processes' CPU time over those seconds, "
        "per notice and console (without load: the fan-out's own cost). Target: p99 <= 250 "
        "ms with 1,000 consoles, under load, in every run. The first notice measured is sent "
        "a second after the last console connected (without load) or two after the load "
        "began (under load). " + _when_run(started, load_before),
        "",
        "| consoles | served by | run | load | received | p50 | p99 | POST p50 "
        "| server CPU per notice and console |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| 1 | one process | | none | {push['received']:.0f}/{push['sent']:.0f} "
        f"| {push['p50_ms']:.1f} ms | {push['p99_ms']:.1f} ms | | |",
        _fanout_row(consoles, CONSOLE_NODE, "", quiet),
        *[
            row
            for i, (a, t) in enumerate(zip(apart, together, strict=True), 1)
            for row in (
                _fanout_row(consoles, CONSOLE_NODE, str(i), a),
                _fanout_row(consoles, "one process", str(i), t),
            )
        ],
        "",
        f"Target {'met' if met else 'not met'} with the consoles on a node of their own: "
        f"p99 under load at worst {worst:.0f} ms in {FANOUT_RUNS} runs (one process: at worst "
        f"{max(run['p99_ms'] for run in together):.0f} ms) on this "
        f"{os.cpu_count() or 1}-core shared machine.",
        "",
    ]


CONSOLE_NODE = "a node of their own"


def _fanout_row(consoles: int, served_by: str, run: str, figures: dict[str, float]) -> str:
    loaded = figures["load_requests_per_s"]
    cpu = f"{figures['server_cpu_us_per_push']:.0f} µs" if not loaded else "(with the load's)"
    return (
        f"| {consoles:,} | {served_by} | {run} "
        f"| {f'{loaded:.0f} requests/s' if loaded else 'none'} "
        f"| {figures['received']:,.0f}/{figures['expected']:,.0f} "
        f"| {figures['p50_ms']:.1f} ms | {figures['p99_ms']:.1f} ms "
        f"| {figures['post_p50_ms']:.0f} ms | {cpu} |"
    )


def record_section(stored_leaves: int, memory_sizes: tuple[int, ...], verify: int) -> list[str]:
    stored = sqlite_log(stored_leaves)
    in_memory = [memory_tree_proofs(n) for n in memory_sizes]
    fast, thorough = verification_rate(verify)
    return [
        "## The record",
        "",
        "Appends to the SQLite log (leaf plus the perfect-subtree nodes it completes), "
        "committed in batches of 1,000 and one per commit (as the line does: each request is "
        "one transaction); proofs generated from the stored nodes at that size; the same "
        "scheme held in memory at larger sizes; offline verification of an exported bundle. "
        "Targets: a proof in <= 1 ms at 10M leaves, verification >= 100k entries/s.",
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
        f"Offline verification (`deconflict verify`): {fast:,.0f} entries/s (leaf hashes, "
        f"root, checkpoint and party signatures); {thorough:,.0f} entries/s with "
        "`--canonical` (every entry re-canonicalised as RFC 8785).",
        "",
    ]


def _dss(quick: bool) -> list[str]:
    return dss_section((10, 100), 50) if quick else dss_section((10, 100, 300), 200)


def _rewrite_section(lines: list[str]) -> None:
    """Put `lines` (a section, its heading first) in the report in place of the section of
    the same heading."""
    report = REPORT.read_text()
    start = report.index(lines[0] + "\n")
    end = report.index("\n## ", start + len(lines[0])) + 1
    REPORT.write_text(report[:start] + "\n".join(lines) + "\n" + report[end:])
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes")
    parser.add_argument(
        "--only-notices",
        action="store_true",
        help="measure only the notices through the HTTP API; rewrite that section alone",
    )
    parser.add_argument(
        "--against",
        metavar="COMMIT",
        help="with --only-notices: measure the code at COMMIT beside this code, in turn",
    )
    parser.add_argument(
        "--rounds", type=int, help="with --only-notices: rounds of every server (default 3)"
    )
    parser.add_argument(
        "--only-consoles",
        action="store_true",
        help="measure only the notice-to-console latency (fan-out under load, three runs); "
        "rewrite that section alone",
    )
    parser.add_argument(
        "--only-concurrency",
        action="store_true",
        help="run only the concurrency test's rounds on each store; rewrite that section alone",
    )
    parser.add_argument(
        "--only-nodes",
        action="store_true",
        help="measure only 1, 2 and 3 nodes on PostgreSQL; rewrite that section alone",
    )
    parser.add_argument(
        "--only-dss",
        action="store_true",
        help="measure only the DSS in one congested area; rewrite that section alone",
    )
    parser.add_argument(
        "--only-sessions",
        action="store_true",
        help="time only the console session lookups on each store; rewrite that section alone",
    )
    arguments = parser.parse_args()
    quick = arguments.quick
    if arguments.only_sessions:
        _rewrite_section(sessions_section(500 if quick else 2000, 3 if quick else 7))
        return
    if arguments.only_nodes:
        _rewrite_section(nodes_section(150, 1) if quick else nodes_section(600, 2))
        return
    if arguments.only_notices:
        rounds = arguments.rounds or 3
        _rewrite_section(notices_section(200 if quick else 1000, rounds, arguments.against))
        return
    if arguments.only_consoles:
        _rewrite_section(console_section(50, 200, 5) if quick else console_section(300, 1000, 10))
        return
    if arguments.only_concurrency:
        _rewrite_section(concurrency_section(rounds_on_each_store(100 if quick else 1000)))
        return
    if arguments.only_dss:
        _rewrite_section(_dss(quick))
        return
    sections = [
        plan_check_section(2000, 1 if quick else 3),
        conventions_section(QUICK if quick else FULL),
        limits_section(0.1 if quick else 1.0),
        engine_section(quick),
        check_latency_section(
            (1_000, 10_000) if quick else (1_000, 10_000, 100_000, 1_000_000),
            300 if quick else 1_000,
        ),
        baselines_section((10_000,), 100) if quick else baselines_section((10_000, 100_000), 200),
        api_section(200, 50, 200, 5) if quick else api_section(1000, 300, 1000, 10),
        backends_section(200, 2_000, 100) if quick else backends_section(1000, 10_000, 500),
        nodes_section(150, 1) if quick else nodes_section(600, 2),
        concurrency_section(rounds_on_each_store(100 if quick else 1000)),
        _dss(quick),
        sessions_section(500, 3) if quick else sessions_section(2000, 7),
        record_section(50_000, (100_000,), 20_000)
        if quick
        else record_section(1_000_000, (1_000_000, 10_000_000), 200_000),
        audit_section((2_000,) if quick else (10_000, 50_000)),
    ]
    header = [
        "# Benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count() or 1} cores. Reproduce: `make bench`"
        f"{' (this run: `make bench-quick`, smaller sizes)' if quick else ''}.",
        "",
    ]
    lines = header + [line for section in sections for line in section] + [HISTORY.read_text()]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
