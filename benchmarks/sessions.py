"""Console sessions in the store: what a console's request pays to find who it speaks for.

Before, a node kept each session in its memory: a console's request looked
its cookie up in a map, then read its token's row (as a bearer token's
request does). Now it reads its session's row, by the hash of the cookie, with
its token's row, in one statement. Both paths are timed here in process, on
SQLite and on PostgreSQL, with 200 live sessions stored, alternately in one
run (the machine is shared and noisy): wall and CPU time per lookup.

Call `sessions_section()` from benchmarks/run.py, or run this module alone.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.backends import _seed, store_at
from deconflict.line.parties import Credential, hash_token
from deconflict.store import open_store
from deconflict.web.sessions import Sessions

LIVE_SESSIONS = 200


def lookup_us(backend: str, lookups: int, rounds: int) -> dict[str, float]:
    """Median µs (wall and CPU) per lookup, the memory map's path and the store's."""
    with tempfile.TemporaryDirectory() as folder, store_at(backend, Path(folder)) as db:
        token = next(iter(_seed(db).values()))
        store = open_store(db)
        try:
            credential = store.credential(hash_token(token))
            assert credential is not None
            sessions = Sessions(store)
            keys = [sessions.open(credential).key for _ in range(LIVE_SESSIONS)]
            in_memory = {secrets.token_urlsafe(32): token for _ in range(LIVE_SESSIONS)}
            memory_key, stored_key = next(iter(in_memory)), keys[LIVE_SESSIONS // 2]

            def from_memory() -> Credential | None:
                return store.credential(hash_token(in_memory[memory_key]))

            def from_store() -> Credential | None:
                found = sessions.find(stored_key)
                return None if found is None else found.credential

            assert from_memory() == from_store() == credential
            return _alternately({"memory": from_memory, "store": from_store}, lookups, rounds)
        finally:
            store.close()


def _alternately(
    paths: dict[str, Callable[[], object]], lookups: int, rounds: int
) -> dict[str, float]:
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    order = list(paths)
    for round_ in range(rounds):
        for name in order if round_ % 2 == 0 else reversed(order):
            started, started_cpu = time.perf_counter(), time.process_time()
            for _ in range(lookups):
                paths[name]()
            wall[name].append((time.perf_counter() - started) / lookups * 1e6)
            cpu[name].append((time.process_time() - started_cpu) / lookups * 1e6)
    figures = {}
    for name in paths:
        figures[f"{name}_us"] = statistics.median(wall[name])
        figures[f"{name}_cpu_us"] = statistics.median(cpu[name])
    return figures


def sessions_section(lookups: int = 2000, rounds: int = 7) -> list[str]:
    """The comparison as a section of docs/BENCHMARKS.md."""
    rows = []
    for backend, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        got = lookup_us(backend, lookups, rounds)
        added = got["store_us"] - got["memory_us"]
        added_cpu = got["store_cpu_us"] - got["memory_cpu_us"]
        rows.append(
            f"| {name} | {got['memory_us']:.1f} µs ({got['memory_cpu_us']:.1f}) "
            f"| {got['store_us']:.1f} µs ({got['store_cpu_us']:.1f}) "
            f"| {added:+.1f} µs ({added_cpu:+.1f}) |"
        )
    return [
        "## Console sessions in the store",
        "",
        "What a console's request pays to learn who it speaks for, in process, with "
        f"{LIVE_SESSIONS} live sessions stored: the session kept in the node's memory and its "
        "token's row read (as before), against the session's row read by the hash of its "
        "cookie with its token's row, one statement (now; nothing is written per request). "
        f"Median of {rounds} rounds of {lookups:,} lookups, the two paths alternately in one "
        "run on this shared machine; CPU time in brackets.",
        "",
        "| store | in memory + token's row | session's row with its token's | added per request |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
    ]


if __name__ == "__main__":
    print("\n".join(sessions_section()))
