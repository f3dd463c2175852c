"""What the SQL both stores share needs of a connection: DB-API `execute` with qmark placeholders.

The shared statements (`store/sql_store.py`, `store/unit.py`, the record's reads
in `store/record_reads.py`) are written once with `?` for each parameter.
SQLite's connections speak that style themselves; the PostgreSQL store hands
them a connection that turns `?` into psycopg's `%s` (`store/postgres/qmark.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    """The rows of one executed statement."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A connection that runs qmark statements: `?` for each parameter, in order."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...
