"""The embedded SQLite store: durable, migrated, indexed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deconflict.errors import StateConflict
from deconflict.geo.shapes import Circle
from deconflict.rules.feature import AltitudeBand, Feature, Kind, TimeWindow
from deconflict.store.rows import document
from deconflict.store.sqlite import SqliteStore
from deconflict.store.sqlite.migrations import MIGRATIONS, migrate
from deconflict.store.sqlite.turn import turn_path


def _strike(fid: str, lon: float, lat: float, hour: int = 0, party: str = "p1") -> Feature:
    start = datetime(2026, 9, 7, hour, tzinfo=UTC)
    return Feature(
        fid,
        Kind.ACTIVITY,
        party,
        Circle((lon, lat), 1000.0),
        TimeWindow(start, start.replace(hour=hour + 1)),
        AltitudeBand(0, 500),
        200.0,
        name="strike",
        activity="strike",
        extra={"category": "kinetic"},
    )


def test_features_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "line.db"
    store = SqliteStore(path)
    store.add_features([_strike("s1", 38.6, 33.5)])
    store.close()
    reopened = SqliteStore(path)
    assert reopened.feature("p1", "s1") == _strike("s1", 38.6, 33.5)
    assert reopened.feature("p1", "s1").extra == {"category": "kinetic"}  # type: ignore[union-attr]
    assert reopened.count() == 1


def test_store_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "line.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_duplicate_id_is_refused_and_nothing_of_the_batch_is_kept(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "line.db")
    store.add_features([_strike("s1", 38.6, 33.5)])
    with pytest.raises(StateConflict) as raised:
        store.add_features([_strike("s2", 10.0, 10.0), _strike("s1", 38.6, 33.5)])
    assert raised.value.feature_id == "s1"
    assert store.feature("p1", "s2") is None
    assert store.count() == 1


def test_index_returns_near_overlapping_volumes_and_skips_far_or_later_ones() -> None:
    store = SqliteStore(":memory:")
    store.add_features(
        [
            _strike("near", 38.62, 33.5),
            _strike("far", -70.0, -30.0),
            _strike("later", 38.6, 33.5, hour=5),
        ]
    )
    assert store.candidate_ids(_strike("q", 38.6, 33.5, party="p2")) == ["near"]


def test_index_finds_a_neighbour_across_the_antimeridian_and_over_the_pole() -> None:
    store = SqliteStore(":memory:")
    store.add_features([_strike("east", 179.999, 0.0), _strike("pole", 0.0, 89.999)])
    assert store.candidate_ids(_strike("west", -179.999, 0.0)) == ["east"]
    assert store.candidate_ids(_strike("over", 180.0, 89.999)) == ["pole"]


def test_a_store_from_the_first_schema_version_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    migrate(db, target=1)
    db.execute(
        "INSERT INTO volume (feature_id, party, kind, document) VALUES ('s1', 'p1', 'activity', ?)",
        (document(_strike("s1", 38.6, 33.5)),),
    )
    db.commit()
    db.close()
    store = SqliteStore(path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.parties() == []
    assert store.count() == 1


_HOLD_THE_TURN = """
import fcntl, sys, time
with open(sys.argv[1], "a") as turn:
    fcntl.flock(turn, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_write_waits_for_another_process_holding_the_writers_turn(tmp_path: Path) -> None:
    path = tmp_path / "line.db"
    store = SqliteStore(path)
    try:
        with subprocess.Popen(
            [sys.executable, "-c", _HOLD_THE_TURN, turn_path(str(path)), "0.5"],
            stdout=subprocess.PIPE,
            text=True,
        ) as holder:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            started = time.monotonic()
            store.add_features([_strike("s1", 38.6, 33.5)])
            waited = time.monotonic() - started
            assert holder.wait(10) == 0
        assert waited >= 0.3  # the write began only once the other process let the turn go
        assert store.feature("p1", "s1") == _strike("s1", 38.6, 33.5)
    finally:
        store.close()


def test_writes_from_two_processes_take_turns_and_all_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "line.db"
    SqliteStore(path).close()
    script = (
        "import sys\n"
        "from tests.store.test_sqlite_store import _strike\n"
        "from deconflict.store.sqlite import SqliteStore\n"
        "store = SqliteStore(sys.argv[1])\n"
        "for i in range(100):\n"
        "    store.add_features([_strike(f'{sys.argv[2]}{i}', 38.6, 33.5)])\n"
        "store.close()\n"
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, str(path), name]) for name in "ab"]
    assert [writer.wait(60) for writer in writers] == [0, 0]
    store = SqliteStore(path)
    try:
        assert store.count() == 200
    finally:
        store.close()


def test_the_writers_turn_is_readable_by_whoever_may_read_the_store(tmp_path: Path) -> None:
    path = tmp_path / "line.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    SqliteStore(path).close()
    assert Path(turn_path(str(path))).stat().st_mode & 0o777 == 0o440
