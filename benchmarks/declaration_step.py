"""The CPU of one declaration's step on the store: check, store, record, receipt.

A SQLite file with three registered parties and a signing log key, as the server
runs it; each activity is declared by one party and notifies the two others (as
line_api.notices_per_second's). Measured in this process: the writer thread's
CPU inside the step (what the line costs the one writer) and the process's CPU
for the whole declaration (with its commit, but not the time waiting on fsync).

    python -m benchmarks.declaration_step [count] [rounds]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deconflict.geo.shapes import Circle
from deconflict.line.model import NoticePolicy, Share
from deconflict.line.parties import Party, register_party
from deconflict.line.service import Line
from deconflict.record.note import generate_signer
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.store import open_store
from deconflict.store.record_reads import LogKey

PARTIES = ("p1", "p2", "p3")
START = datetime(2030, 1, 1, tzinfo=UTC)


def activity(i: int, prefix: str = "a") -> Feature:
    """Activity `i` of party p1, at a place of its own (a conflict is rare)."""
    return Feature(
        f"{prefix}{i}",
        Kind.ACTIVITY,
        "p1",
        Circle(((i % 300) - 150.0, (i % 120) - 60.0), 500.0),
        TimeWindow(START, START + timedelta(hours=1)),
        activity="flight",
    )


def step_cpu(count: int, clients: int = 16) -> dict[str, float]:
    """Declare `count` activities (after 50 to warm up) from `clients` threads at once (so
    that steps share transactions, as under load): per declaration, the writer thread's
    CPU inside the step and the whole process's CPU, in microseconds."""
    with tempfile.TemporaryDirectory() as folder:
        signer, _, _ = generate_signer("line.example/log")
        store = open_store(Path(folder) / "line.db", LogKey(signer, "line.example/log"))
        try:
            now = START - timedelta(days=1)
            for party in PARTIES:
                register_party(store, Party(party, party.upper(), "en", f"{party} duty"), now)
            line = Line(store, NoticePolicy(), lambda: now)
            inside: list[float] = []

            def declare(feature: Feature) -> None:
                step = line.declaration("p1", feature, Share.SHAPE)
                store.run_atomic(_timed(step, inside))

            _spread(declare, [activity(i, "warm") for i in range(50)], clients)
            inside.clear()
            features = [activity(i) for i in range(count)]
            started = time.process_time()
            _spread(declare, features, clients)
            process = time.process_time() - started
        finally:
            store.close()
    return {
        "step_us": statistics.fsum(inside) / count * 1e6,
        "step_median_us": statistics.median(inside) * 1e6,
        "declaration_us": process / count * 1e6,
    }


def _spread(declare: Callable[[Feature], None], features: list[Feature], clients: int) -> None:
    """Declare `features` from `clients` threads, each taking the next one left."""
    pending = iter(features)
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                feature = next(pending, None)
            if feature is None:
                return
            declare(feature)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _timed(step: Callable[[Any], Any], into: list[float]) -> Callable[[Any], Any]:
    def timed(tx: Any) -> Any:
        started = time.thread_time()
        try:
            return step(tx)
        finally:
            into.append(time.thread_time() - started)

    return timed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    runs = [step_cpu(count) for _ in range(rounds)]
    for measure in ("step_us", "step_median_us", "declaration_us"):
        print(f"{measure}: {statistics.median(run[measure] for run in runs):.0f}")


if __name__ == "__main__":
    main()
