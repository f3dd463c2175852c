"""`deconflict db upgrade`: from an empty store and from every earlier schema, on both backends.

A store upgraded from any earlier version has exactly the schema of one made new,
and keeps what it held.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from deconflict.cli import app
from deconflict.store.postgres.migrations import MIGRATIONS as POSTGRES_MIGRATIONS
from deconflict.store.postgres.migrations import migrate
from deconflict.store.rows import document
from deconflict.store.sqlite.migrations import MIGRATIONS as SQLITE_MIGRATIONS
from deconflict.store.sqlite.migrations import migrate as migrate_sqlite
from tests.backends import Databases
from tests.conftest import run_cli
from tests.line.conftest import zone

# A zone as stored (a migration may read the stored features).
ONE_VOLUME = ("at-tanf", "coalition", "zone", document(zone()))


def _upgrade(db: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["db", "upgrade", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _sqlite_schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


def _postgres_schema(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as db:
        columns = db.execute(
            "SELECT table_name, column_name, data_type, column_default, is_nullable"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, column_name"
        ).fetchall()
        indexes = db.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " ORDER BY indexname"
        ).fetchall()
    return columns + indexes


@pytest.mark.parametrize("version", range(len(SQLITE_MIGRATIONS)))
def test_a_sqlite_store_is_upgraded_from_version_n_keeping_what_it_holds(
    tmp_path: Path, version: int
) -> None:
    current = tmp_path / "current.db"
    assert _upgrade(str(current)) == {
        "db": str(current),
        "before": 0,
        "after": len(SQLITE_MIGRATIONS),
    }
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:
        migrate_sqlite(db, target=version)
        if version:
            db.execute(
                "INSERT INTO volume (feature_id, party, kind, document) VALUES (?, ?, ?, ?)",
                ONE_VOLUME,
            )
    answer = _upgrade(str(old))
    assert (answer["before"], answer["after"]) == (version, len(SQLITE_MIGRATIONS))
    assert _sqlite_schema(old) == _sqlite_schema(current)
    with sqlite3.connect(old) as db:
        assert db.execute("SELECT count(*) FROM volume").fetchone()[0] == (1 if version else 0)


@pytest.fixture(scope="module")
def postgres_schema(databases: Databases) -> list[tuple[Any, ...]]:
    """The schema of a PostgreSQL database made new by `db upgrade`."""
    current = databases.new(empty=True)
    assert _upgrade(current)["after"] == len(POSTGRES_MIGRATIONS)
    return _postgres_schema(current)


@pytest.mark.parametrize("version", range(len(POSTGRES_MIGRATIONS)))
def test_a_postgres_database_is_upgraded_from_version_n_keeping_what_it_holds(
    databases: Databases, postgres_schema: list[tuple[Any, ...]], version: int
) -> None:
    old = databases.new(empty=True)
    with psycopg.connect(old, autocommit=True) as db:
        if version:
            migrate(db, target=version)
            db.execute(
                "INSERT INTO volume (feature_id, party, kind, document) VALUES (%s, %s, %s, %s)",
                ONE_VOLUME,
            )
    answer = _upgrade(old)
    assert (answer["before"], answer["after"]) == (version, len(POSTGRES_MIGRATIONS))
    assert _postgres_schema(old) == postgres_schema
    with psycopg.connect(old) as db:
        held = db.execute("SELECT count(*) FROM volume").fetchone()
    assert held == ((1 if version else 0),)


def test_upgrading_a_current_store_again_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "line.db")
    _upgrade(db)
    result = run_cli("db", "upgrade", "--db", db)
    assert result.returncode == 0, result.stderr
    current = len(SQLITE_MIGRATIONS)
    assert result.stdout.strip() == f"{db}: schema version {current}, already current."


def test_an_unreachable_database_exits_3_without_printing_its_password() -> None:
    result = CliRunner().invoke(
        app, ["db", "upgrade", "--db", "postgresql://ops:hunter2@127.0.0.1:1/line"]
    )
    assert result.exit_code == 3
    assert "cannot open the database" in result.stderr and "hunter2" not in result.output
