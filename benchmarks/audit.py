"""The check of a store against its record (`deconflict db check`, and the server at start):
seconds per 10,000 entries, on SQLite and PostgreSQL.

A store is filled through the line with a realistic mix: each round a party
declares a zone, another an activity inside it (notices to both other parties,
their threads), and the zone's owner answers; then the check is timed.

Usage: python -m benchmarks.audit [ENTRIES ...] (PostgreSQL at $DECONFLICT_BENCH_POSTGRES)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.backends import store_at
from deconflict.geo.shapes import Circle
from deconflict.line.model import NoticePolicy, ResponseKind, Share
from deconflict.line.parties import Party, register_party
from deconflict.line.service import Line
from deconflict.record.note import generate_signer, load_signer
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.store import LogKey, Store, open_store
from deconflict.store.audit import Report, check_store
from deconflict.store.head import HeadFile, head_path

ORIGIN = "deconflict.bench/log"
START = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)
PARTIES = ("coalition", "russia", "aid")
BACKENDS = ("sqlite", "postgres")


def _feature(fid: str, kind: Kind, party: str, lon: float, lat: float, radius_m: float) -> Feature:
    day = START + timedelta(days=1)
    window = (
        TimeWindow(day, day + timedelta(hours=4)) if kind is Kind.ACTIVITY else TimeWindow(START)
    )
    return Feature(fid, kind, party, Circle((lon, lat), radius_m), window)


def fill(store: Store, entries: int) -> int:
    """Rounds of declarations, notices and answers through the line until the record holds at
    least `entries`; returns how many it holds."""
    line = Line(store, NoticePolicy(), lambda: START)
    for index, party in enumerate(PARTIES):
        register_party(store, Party(party, party.title(), "en", f"desk {index}"), START)
    round_ = 0
    while store.log_size() < entries:
        owner, planner = PARTIES[round_ % 3], PARTIES[(round_ + 1) % 3]
        lon, lat = 30.0 + (round_ % 200) * 0.1, 20.0 + (round_ // 200) * 0.1
        line.declare(owner, _feature(f"z{round_}", Kind.ZONE, owner, lon, lat, 2_000), Share.SHAPE)
        activity = _feature(f"a{round_}", Kind.ACTIVITY, planner, lon, lat, 500)
        sent = line.declare(planner, activity, Share.SHAPE).notices
        for notice in sent:
            if notice.recipient == owner:
                line.respond(owner, notice.id, ResponseKind.ACKNOWLEDGED)
        round_ += 1
    return store.log_size()


def time_check(backend: str, entries: int, repeats: int = 3) -> dict[str, float]:
    """A store of `backend` filled to `entries`, then the full check timed (median of
    `repeats`), and the check of the log alone (what a bounded start always does)."""
    with tempfile.TemporaryDirectory() as folder, store_at(backend, Path(folder)) as db:
        key_path = Path(folder) / "key.pem"
        key_path.write_bytes(generate_signer(ORIGIN)[2])
        key = LogKey(load_signer(ORIGIN, key_path.read_bytes()), ORIGIN)
        head = HeadFile(head_path(key_path), key)
        store = open_store(db, key)
        try:
            store.keep_head(head)
            held = fill(store, entries)
            full = _median_s(lambda: check_store(store, head), repeats)
            log_only = _median_s(lambda: check_store(store, head, window=0), repeats)
        finally:
            store.close()
    return {
        "entries": held,
        "full_s": full,
        "per_10k_s": full * 10_000 / held,
        "log_per_10k_s": log_only * 10_000 / held,
    }


def _median_s(check: Callable[[], Report], repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        report = check()
        assert report.consistent, [str(f) for f in report.findings[:5]]
        seconds.append(report.seconds)
    return statistics.median(seconds)


def audit_section(sizes: tuple[int, ...]) -> list[str]:
    """The check's cost on both stores, as docs/BENCHMARKS.md shows it."""
    rows = [(backend, time_check(backend, size)) for size in sizes for backend in BACKENDS]
    return [
        "## The store against its record (`deconflict db check`, the check at start)",
        "",
        "A store filled through the line (each round: a zone, an activity inside it notifying "
        "both other parties with their threads, the zone owner's answer), then checked: every "
        "leaf hashed again, the tree rebuilt, every opening against its commitment, every state "
        "row rendered and compared with its entries. The log alone (`start_check_entries` "
        "exceeded: every leaf, node and the head) is the least a start checks. Median of 3.",
        "",
        "| store | entries | full check | per 10,000 entries | log and head only, per 10,000 |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {backend} | {row['entries']:,.0f} | {row['full_s']:.2f} s "
            f"| {row['per_10k_s']:.2f} s | {row['log_per_10k_s']:.2f} s |"
            for backend, row in rows
        ],
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("entries", nargs="*", type=int, default=[10_000])
    print("\n".join(audit_section(tuple(parser.parse_args().entries))))


if __name__ == "__main__":
    main()
