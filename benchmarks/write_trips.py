"""Where a PostgreSQL write goes: round trips, the record's lock, CPU, in process.

One client declares spread activities (benchmarks/nodes.py's, each notifying
the two other parties) through the line on a new PostgreSQL database, the
store keeping its head file as a server does. Counted in the driver: every
time this process waits for the server's answer (a statement, or a pipeline's
statements sent together, BEGIN and COMMIT), during a step, under the
record's lock (from the statement that takes it to the end of the COMMIT),
and after the commit (the head file). Timed: the record's lock held per step.
CPU: this process (the node's work without HTTP) and the PostgreSQL backends
serving it, per step. With `--against COMMIT`, the code there and this code
alternately, each in a process of its own.

Usage: python -m benchmarks.write_trips [--steps N] [--against COMMIT [--rounds N]]
(prints the markdown; writes nothing)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.backends import postgres_database, source_at
from benchmarks.nodes import backend_cpu, spread
from deconflict.line.model import NoticePolicy, Share
from deconflict.line.parties import Party, register_party
from deconflict.line.service import Line
from deconflict.record.note import generate_signer, load_signer
from deconflict.rules.feature import Feature
from deconflict.rules.plan import parse_feature
from deconflict.store import LogKey, open_store
from deconflict.store.head import HeadFile, head_path
from deconflict.store.postgres import locks, store
from deconflict.store.postgres import unit as postgres_unit

PARTIES = ("coalition", "russia", "aid")
WARM_UP = 50


class Trips:
    """Waits for the server counted in the driver, where they fall, and the record's lock."""

    def __init__(self) -> None:
        self.counted: Counter[str] = Counter()
        self.held_s: list[float] = []
        self.step = False
        self.locked_at: float | None = None

    def install(self) -> None:
        """Count through psycopg's wait, the store's lock taking and its commit."""
        wait, take = psycopg.Connection.wait, locks.take
        atomic, committed = store.PostgresStore.atomic, store.PostgresStore._committed
        trips = self

        def counting_wait(db: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
            if _waits_for_server(db, gen):
                where = "after commit"
                if trips.step:
                    where = "under the record's lock" if trips.locked_at else "before it"
                trips.counted[where] += 1
            return wait(db, gen, *args, **kwargs)

        def timed_take(db: Any, wanted: Any) -> None:
            wanted = list(wanted)
            if locks.RECORD in wanted and trips.locked_at is None:
                trips.locked_at = time.perf_counter()
            take(db, wanted)

        @contextmanager
        def counted_atomic(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            trips.step = True
            with atomic(self, *args, **kwargs) as tx:
                yield tx

        def counted_committed(self: Any, *args: Any) -> None:
            if trips.locked_at is not None:
                trips.held_s.append(time.perf_counter() - trips.locked_at)
            trips.step, trips.locked_at = False, None
            committed(self, *args)

        psycopg.Connection.wait = counting_wait  # type: ignore[method-assign]
        locks.take = timed_take
        postgres_unit.take = timed_take  # type: ignore[attr-defined]
        store.PostgresStore.atomic = counted_atomic  # type: ignore[assignment,method-assign]
        store.PostgresStore._committed = counted_committed  # type: ignore[method-assign]


def _waits_for_server(db: psycopg.Connection, gen: Any) -> bool:
    """Whether psycopg waits here for the server's answer: any statement outside a pipeline
    (not a COMMIT with no transaction open: that sends nothing); in a pipeline, only its
    fetches and syncs (the statements themselves are queued)."""
    name = getattr(gen, "__qualname__", "")
    if db._pipeline is None:
        idle = db.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
        return not (name.endswith("_commit_gen") and idle)
    return "Pipeline." in name and not name.endswith("_enter_gen")


def _features(steps: int) -> list[Feature]:
    """Warm-up activities a year later, then the measured ones, each its party's in turn."""
    features = []
    for i in range(WARM_UP + steps):
        body = spread(i)
        body["properties"]["party"] = PARTIES[i % 3]
        if i < WARM_UP:
            body["id"] = f"w{i}"
            for bound in ("start", "end"):
                body["properties"][bound] = body["properties"][bound].replace("2030", "2031", 1)
        feature, problems = parse_feature(body)
        assert feature is not None, problems
        features.append(feature)
    return features


def _backend_cpu_s(db: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to `db` (this query's left out)."""
    return sum(backend_cpu(db, {}).values())


def measure(steps: int) -> dict[str, float]:
    """`steps` declarations by one client, after warming up; figures per step."""
    trips = Trips()
    trips.install()
    origin = "deconflict.bench/log"
    now = datetime(2029, 12, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder, postgres_database() as db:
        key_path = Path(folder) / "log-key.pem"
        key_path.write_bytes(generate_signer(origin)[2])
        key = LogKey(load_signer(origin, key_path.read_bytes()), origin)
        line_store = open_store(db, key)
        try:
            line_store.keep_head(HeadFile(head_path(key_path), key))
            for party in PARTIES:
                register_party(line_store, Party(party, party.upper(), "en", "duty"), now)
            line = Line(line_store, NoticePolicy(), lambda: now)
            features = _features(steps)
            for feature in features[:WARM_UP]:
                line.declare(feature.party, feature, Share.SHAPE)
            trips.counted.clear()
            trips.held_s.clear()
            cpu, backends, started = time.process_time(), _backend_cpu_s(db), time.perf_counter()
            for feature in features[WARM_UP:]:
                line.declare(feature.party, feature, Share.SHAPE)
            elapsed = time.perf_counter() - started
            cpu, backends = time.process_time() - cpu, _backend_cpu_s(db) - backends
        finally:
            line_store.close()
    return {
        "step_ms": elapsed / steps * 1000,
        "node_cpu_ms": cpu / steps * 1000,
        "postgres_cpu_ms": backends / steps * 1000,
        "held_ms": statistics.median(trips.held_s) * 1000,
        **{f"trips {where}": count / steps for where, count in trips.counted.items()},
    }


def _measured_at(source: Path | None, steps: int) -> dict[str, float]:
    """`measure` in a process of its own running the code in `source` (None: this code)."""
    environ = dict(os.environ)
    if source is not None:
        environ["PYTHONPATH"] = os.pathsep.join([str(source), environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.write_trips", "--steps", str(steps), "--json"],
        env=environ,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


ROWS = (
    ("round trips before the record's lock", "trips before it", "{:.1f}"),
    ("round trips under the record's lock", "trips under the record's lock", "{:.1f}"),
    ("round trips after the commit (head file)", "trips after commit", "{:.1f}"),
    ("the record's lock held (median)", "held_ms", "{:.2f} ms"),
    ("a step, end to end", "step_ms", "{:.2f} ms"),
    ("this process's CPU", "node_cpu_ms", "{:.2f} ms"),
    ("PostgreSQL's CPU", "postgres_cpu_ms", "{:.2f} ms"),
)


def against_section(revision: str, steps: int, rounds: int) -> list[str]:
    """The code at `revision` and this code alternately, `rounds` runs each: medians."""
    runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with source_at(revision) as before:
        for _ in range(rounds):
            runs["before"].append(_measured_at(before, steps))
            runs["after"].append(_measured_at(None, steps))
    rows = []
    for label, field, form in ROWS:
        cells = [
            form.format(statistics.median(run.get(field, 0.0) for run in runs[code]))
            for code in ("before", "after")
        ]
        rows.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return [
        f"One client, {steps:,} spread activities in process on PostgreSQL (each notifying "
        f"two parties), the code at {revision} (before) and this code (after) alternately, "
        f"{rounds} run{'s' * (rounds > 1)} each, medians; per step:",
        "",
        "| per step | before | after |",
        "| --- | --- | --- |",
        *rows,
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--against", metavar="COMMIT")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one run's figures as JSON")
    arguments = parser.parse_args()
    if arguments.json:
        print(json.dumps(measure(arguments.steps)))
    elif arguments.against:
        print("\n".join(against_section(arguments.against, arguments.steps, arguments.rounds)))
    else:
        figures = measure(arguments.steps)
        print("\n".join(f"{label}: {form.format(figures.get(f, 0.0))}" for label, f, form in ROWS))


if __name__ == "__main__":
    main()
