"""The record: appends per second, proof times and sizes, offline verification rate."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from deconflict.record.bundle import verify_bundle, write_bundle
from deconflict.record.merkle import MemoryTree, leaf_hash
from deconflict.record.note import generate_signer
from deconflict.store.sqlite import log
from deconflict.store.sqlite.migrations import migrate


def _log_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    migrate(db)
    return db


def _entry(i: int) -> dict[str, object]:
    return {
        "kind": "message",
        "at": "2026-09-07T12:00:00Z",
        "notice": i,
        "code": "acknowledgement",
        "params": {"sender": "Coalition", "notice": str(i)},
    }


def sqlite_log(leaves: int, batch: int = 1000) -> dict[str, float]:
    """Append `leaves` entries (committed every `batch`), then time proofs at that size."""
    with tempfile.TemporaryDirectory() as folder:
        db = _log_db(Path(folder) / "log.db")
        started = time.perf_counter()
        for first in range(0, leaves, batch):
            db.execute("BEGIN IMMEDIATE")
            for i in range(first, min(first + batch, leaves)):
                log.append(db, _entry(i))
            db.execute("COMMIT")
        appends = leaves / (time.perf_counter() - started)
        inclusion = _median_us(lambda k: log.inclusion(db, (k * 7919) % leaves, leaves))
        consistency = _median_us(lambda k: log.consistency(db, leaves // 2 + k, leaves))
        proof_hashes = len(log.inclusion(db, leaves // 3, leaves))
        single = _single_commit_appends(db, 200)
        db.close()
    return {
        "leaves": leaves,
        "appends_per_s_batched": appends,
        "appends_per_s_one_per_commit": single,
        "inclusion_us": inclusion,
        "consistency_us": consistency,
        "proof_bytes": proof_hashes * 32.0,
    }


def _single_commit_appends(db: sqlite3.Connection, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        db.execute("BEGIN IMMEDIATE")
        log.append(db, _entry(i))
        db.execute("COMMIT")
    return count / (time.perf_counter() - started)


def _median_us(action: Callable[[int], object], repeats: int = 200) -> float:
    times = []
    for k in range(repeats):
        started = time.perf_counter()
        action(k)
        times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times)


def memory_tree_proofs(leaves: int) -> dict[str, float]:
    """Proof generation over stored nodes held in memory (the store's scheme without SQL)."""
    tree = MemoryTree()
    for i in range(leaves):
        tree.append(leaf_hash(i.to_bytes(8, "big")))
    inclusion = _median_us(lambda k: tree.inclusion_proof((k * 7919) % leaves, leaves))
    consistency = _median_us(lambda k: tree.consistency_proof(leaves // 2 + k, leaves))
    return {"leaves": leaves, "inclusion_us": inclusion, "consistency_us": consistency}


def verification_rate(entries: int) -> tuple[float, float]:
    """Entries per second `deconflict verify` checks offline: as default, and with --canonical."""
    with tempfile.TemporaryDirectory() as folder:
        db = _log_db(Path(folder) / "log.db")
        db.execute("BEGIN IMMEDIATE")
        for i in range(entries):
            log.append(db, _entry(i))
        db.execute("COMMIT")
        signer, key, _ = generate_signer("bench/log")
        note = log.checkpoint(db, signer, "bench/log")
        bundle = Path(folder) / "bundle"
        write_bundle(bundle, log.leaves(db, 0, entries), note, key)
        started = time.perf_counter()
        verify_bundle(bundle, server_key=key)
        fast = entries / (time.perf_counter() - started)
        started = time.perf_counter()
        verify_bundle(bundle, server_key=key, every_entry_canonical=True)
        thorough = entries / (time.perf_counter() - started)
        return fast, thorough
