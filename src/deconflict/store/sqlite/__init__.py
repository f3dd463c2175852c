"""The embedded store: one SQLite file (WAL, durable commits, R*Tree index)."""

from deconflict.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
