"""Storage behind one interface: SQLite for a file path, PostgreSQL for a `postgresql://` URL.

Both backends give the same answers and the same record; PostgreSQL serves
several API nodes at once. The PostgreSQL driver loads only when a URL asks
for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from deconflict.line.escalation import EscalationStore
from deconflict.line.parties import PartyStore, SessionStore
from deconflict.line.ports import LineStore
from deconflict.record.sealed import Opening
from deconflict.settings import is_postgres_url
from deconflict.store.connection import Connection
from deconflict.store.dss import DssTables
from deconflict.store.errors import StoreUnavailable
from deconflict.store.head import HeadFile
from deconflict.store.record_reads import LogKey
from deconflict.store.sql_store import SqlStore
from deconflict.store.sqlite.store import SqliteStore

__all__ = [
    "LogKey",
    "Store",
    "StoreUnavailable",
    "dss_tables",
    "is_postgres_url",
    "listening",
    "open_store",
    "shown",
    "upgrade",
]


class Store(LineStore, PartyStore, SessionStore, EscalationStore, Protocol):
    """What the API and the CLI use of a store, whichever the backend."""

    log_key: LogKey | None
    index_boxes: ClassVar[str]

    def close(self) -> None: ...

    def snapshot(self) -> AbstractContextManager[Connection]: ...

    def keep_head(self, head: HeadFile) -> None: ...

    def run_atomic_then(
        self, step: Callable[[Any], Any], then: Callable[[Any, BaseException | None], None]
    ) -> bool: ...

    def log_size(self) -> int: ...

    def log_leaves(self, start: int, end: int) -> list[tuple[int, bytes, bytes]]: ...

    def log_openings(self, start: int, end: int, party: str) -> dict[int, list[Opening]]: ...

    def log_inclusion(self, index: int, tree_size: int) -> list[bytes]: ...

    def log_consistency(self, first: int, second: int) -> list[bytes]: ...

    def log_checkpoint(self) -> str: ...


@runtime_checkable
class _HearsOtherNodes(Protocol):
    def listening(self, on_commit: Callable[[], None]) -> AbstractContextManager[None]: ...


def shown(db: str | Path) -> str:
    """The store's name fit to print or log: a URL loses its password."""
    parts = urlsplit(str(db))
    if not is_postgres_url(db) or parts.password is None:
        return str(db)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def open_store(db: str | Path, log_key: LogKey | None = None) -> Store:
    """The store at `db`: PostgreSQL for a URL, else the SQLite file (made if absent).

    Either is upgraded to the current schema as it opens. Raises StoreUnavailable
    when it cannot be opened.
    """
    if is_postgres_url(db):
        from deconflict.store.postgres import PostgresStore

        return PostgresStore(str(db), log_key)
    return _sqlite(db, log_key)


def upgrade(db: str | Path) -> tuple[int, int]:
    """Bring the store's schema to the current version; returns (version before, after)."""
    if is_postgres_url(db):
        from deconflict.store.postgres import upgrade as upgrade_postgres

        return upgrade_postgres(str(db))
    before = _sqlite_version(db) if Path(db).exists() else 0
    store = _sqlite(db, None)
    try:
        return before, store.schema_version
    finally:
        store.close()


def dss_tables(store: Store) -> DssTables:
    """The store's tables of the DSS (deconflict/utm/), in the same database."""
    assert isinstance(store, SqlStore), "every store is a SqlStore"
    return DssTables(store)


def listening(store: Store, on_commit: Callable[[], None]) -> AbstractContextManager[None]:
    """Call `on_commit` soon after any node or process commits, while the block runs: on
    PostgreSQL when a NOTIFY comes, on a SQLite file when its data version moves (a look every
    10 ms by one thread of the process)."""
    if isinstance(store, _HearsOtherNodes):
        return store.listening(on_commit)
    return nullcontext()


def _sqlite(path: str | Path, log_key: LogKey | None) -> SqliteStore:
    try:
        return SqliteStore(path, log_key)
    except sqlite3.Error as error:
        raise _unavailable(path, error) from None


def _sqlite_version(path: str | Path) -> int:
    try:
        db = sqlite3.connect(path)
        try:
            return int(db.execute("PRAGMA user_version").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error as error:
        raise _unavailable(path, error) from None


def _unavailable(path: str | Path, error: sqlite3.Error) -> StoreUnavailable:
    return StoreUnavailable(f"cannot open {path}: {error}", field="db", value=str(path))
