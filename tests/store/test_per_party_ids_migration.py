"""Upgrading a store from before ids were per party: what it held reads back by party and id,
stays indexed, and another party may then use the same id."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from deconflict.line.model import Declared, Share
from deconflict.rules.volume import volume_box
from deconflict.store import open_store, upgrade
from deconflict.store.postgres.migrations import migrate as migrate_postgres
from deconflict.store.postgres.unit import cube_corners
from deconflict.store.rows import version_row, volume_row
from deconflict.store.sqlite.migrations import migrate as migrate_sqlite
from tests.backends import Databases
from tests.line.conftest import strike

AT = datetime(2026, 9, 6, 12, tzinfo=UTC)
STRIKE = Declared(strike("strike-1", party="russia"), 1, Share.SHAPE)
SQLITE_VERSION_BEFORE, POSTGRES_VERSION_BEFORE = 8, 7
_VOLUME = (
    "INSERT INTO volume (feature_id, party, kind, document, version, share, cancelled_at,"
    " closed_at, ends_at_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_VERSION = (
    "INSERT INTO feature_version (feature_id, version, party, change, document, recorded_at,"
    " share) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _sqlite_before(path: str) -> None:
    """A SQLite store at the schema before per-party ids, holding russia's strike-1."""
    with sqlite3.connect(path) as db:
        migrate_sqlite(db, SQLITE_VERSION_BEFORE)
        rowid = db.execute(_VOLUME, volume_row(STRIKE)).lastrowid
        db.execute(
            "INSERT INTO volume_index VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rowid, *volume_box(STRIKE.feature)),
        )
        db.execute(_VERSION, version_row(STRIKE, "declared", AT))


def _postgres_before(url: str) -> None:
    """A PostgreSQL store at the schema before per-party ids, holding russia's strike-1."""
    with psycopg.connect(url) as db:
        migrate_postgres(db, POSTGRES_VERSION_BEFORE)
        low, high = cube_corners(STRIKE.feature)
        db.execute(
            "INSERT INTO volume (feature_id, party, kind, document, version, share, cancelled_at,"
            " closed_at, ends_at_s, box) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " cube(%s::float8[], %s::float8[]))",
            (*volume_row(STRIKE), low, high),
        )
        db.execute(_VERSION.replace("?", "%s"), version_row(STRIKE, "declared", AT))


@pytest.fixture
def old_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store at the schema before ids were per party, with one feature in it."""
    if backend == "sqlite":
        path = str(tmp_path / "line.db")
        _sqlite_before(path)
        yield path
        return
    databases: Databases = request.getfixturevalue("databases")
    url = databases.new(empty=True)  # dropped with the others at the end
    _postgres_before(url)
    yield url


def test_a_feature_stored_before_reads_back_by_its_party_and_id(old_store: str) -> None:
    before, after = upgrade(old_store)
    assert before < after
    store = open_store(old_store)
    try:
        assert [change for change, _, _ in store.history("russia", "strike-1")] == ["declared"]
        assert store.history("coalition", "strike-1") == []
        with store.atomic() as tx:
            assert tx.declared("russia", "strike-1") == STRIKE
            met = tx.conflicts_of(strike("drill", party="coalition"))
        assert [other.feature.id for _, other in met] == ["strike-1"]
    finally:
        store.close()


def test_after_the_upgrade_another_party_may_use_the_same_id(old_store: str) -> None:
    store = open_store(old_store)  # opening upgrades the schema
    theirs = Declared(strike("strike-1", lon=39.5, party="coalition"), 1, Share.SHAPE)
    try:
        with store.atomic() as tx:
            tx.save_feature(theirs, "declared", AT)
        with store.atomic() as tx:
            assert tx.declared("coalition", "strike-1") == theirs
            assert tx.declared("russia", "strike-1") == STRIKE
        assert [d.feature.party for d in store.declared_with_id("strike-1")] == [
            "coalition",
            "russia",
        ]
    finally:
        store.close()


def test_upgrading_twice_changes_nothing_the_second_time(old_store: str) -> None:
    _, after = upgrade(old_store)
    assert upgrade(old_store) == (after, after)
