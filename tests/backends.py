"""Both backends for the tests: a SQLite file, or a throwaway PostgreSQL database of one's own.

The databases live on a server the session starts for itself
(tests/postgres_cluster.py), or on the server at $DECONFLICT_TEST_POSTGRES (an
admin URL) when that is set. Each database made here is named
`deconflict_test_<random>` and dropped at the end of the session.
"""

from __future__ import annotations

import secrets
import sqlite3
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from deconflict.record.note import load_signer
from deconflict.store import LogKey, is_postgres_url, open_store
from deconflict.store.head import HeadFile, head_path
from deconflict.store.postgres.migrations import MIGRATIONS, schema_version

BACKENDS = ("sqlite", "postgres")


class Databases:
    """Throwaway PostgreSQL databases: each test has one to itself while it runs.

    A database a test is done with is emptied (every row deleted, identities
    restarted: as new, schema included) and handed to a later test, since making
    and dropping a database costs PostgreSQL a checkpoint each; all are dropped
    by `drop_all`.
    """

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.made: list[str] = []
        self.free: list[str] = []
        try:
            self._admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            pytest.fail(
                f"PostgreSQL is not reachable at {admin_url} ({error}); unset "
                "DECONFLICT_TEST_POSTGRES to have the tests start a server of their own"
            )

    def new(self, *, empty: bool = False) -> str:
        """The URL of a store with nothing in it; `empty`: a database with no schema either."""
        if self.free and not empty:
            return self.free.pop()
        name = f"deconflict_test_{secrets.token_hex(6)}"
        self._admin.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self._url(name)

    def copy(self, url: str) -> str:
        """A new database holding what the database at `url` holds, made from it as a template
        (its connections are closed first: PostgreSQL copies only a database nobody uses)."""
        source = urlsplit(url).path.strip("/")
        name = f"deconflict_test_{secrets.token_hex(6)}"
        self._admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (source,),
        )
        self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        self.made.append(name)
        return self._url(name)

    def _url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{name}"))

    def release(self, url: str) -> None:
        """Empty the store of a finished test and keep it for the next one."""
        name = urlsplit(url).path.strip("/")
        self._admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )
        with psycopg.connect(url, autocommit=True) as db:
            if schema_version(db) != len(MIGRATIONS):
                return  # its schema was changed by hand: never handed on, dropped at the end
            # DELETE, not TRUNCATE: on tables this small it costs a tenth of the time.
            tables = db.execute(
                "SELECT quote_ident(tablename) FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'schema_version'"
            ).fetchall()
            sequences = db.execute(
                "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
            with db.transaction():
                db.execute("SET LOCAL session_replication_role = replica")  # no foreign key order
                for (table,) in tables:
                    db.execute(f"DELETE FROM {table}".encode())
                for (sequence,) in sequences:
                    db.execute(f"ALTER SEQUENCE {sequence} RESTART".encode())
        forget_log_key(url)
        self.free.append(url)

    def drop_all(self, *, server_discarded: bool = False) -> None:
        """Drop every database made here, and their log keys. `server_discarded`: the server
        itself is about to be thrown away, so the databases go with it (each DROP would cost a
        checkpoint; together they took most of a minute)."""
        for name in self.made:
            if not server_discarded:
                self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            forget_log_key(self._url(name))
        self.made.clear()
        self.free.clear()
        self._admin.close()


def sign_head(db: str, log_key: Path, origin: str) -> None:
    """Sign the record's head of `db` into the head file of `log_key`, as `deconflict db check
    --accept-head` does: a store written before its log key was first used is accepted."""
    key = LogKey(load_signer(origin, log_key.read_bytes()), origin)
    store = open_store(db, key)
    try:
        HeadFile(head_path(log_key), key).write(store.log_checkpoint())
    finally:
        store.close()


def forget_log_key(db: str) -> None:
    """Remove the log key of `db` and the head file it signed."""
    head_path(log_key_of(db)).unlink(missing_ok=True)
    log_key_of(db).unlink(missing_ok=True)


def log_key_of(db: str | Path) -> Path:
    """Where a test server keeps the record's key for `db`: beside a SQLite file, else in /tmp.

    Fixed per database, so a server restarted on the same database signs with
    the same key (as every node of one database must).
    """
    if is_postgres_url(db):
        name = urlsplit(str(db)).path.strip("/")
        return Path(tempfile.gettempdir()) / f"{name}.log-key.pem"
    path = Path(db)
    return path.with_name(path.name + ".log-key.pem")


def run_sql(db: str, query: str) -> list[tuple[Any, ...]]:
    """Run one statement on the store behind the line's back (to tamper with it); its rows."""
    if is_postgres_url(db):
        with psycopg.connect(db, autocommit=True) as connection:
            cursor = connection.execute(query.encode())
            return cursor.fetchall() if cursor.description else []
    local = sqlite3.connect(db)
    try:
        with local:
            return local.execute(query).fetchall()
    finally:
        local.close()
