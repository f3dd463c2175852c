"""The shared store: one PostgreSQL database behind any number of API nodes."""

from __future__ import annotations

import psycopg

from deconflict.store.errors import StoreUnavailable
from deconflict.store.postgres.migrations import migrate
from deconflict.store.postgres.store import CONNECT_TIMEOUT_S, PostgresStore

__all__ = ["PostgresStore", "upgrade"]


def upgrade(url: str) -> tuple[int, int]:
    """Bring the database's schema to the current version; returns (version before, after)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as db:
            return migrate(db)
    except psycopg.OperationalError as error:
        raise StoreUnavailable(f"cannot open the database: {error}") from None
