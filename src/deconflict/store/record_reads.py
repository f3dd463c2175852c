"""The record's read side, the same over either store: its key, size, leaves, proofs, head.

Each store brings its own `_reading()` connection, that connection speaking
qmark SQL (`_qmark`), and its own `log` module for the proofs (the same
functions, each read its own way); the rest is written once, here.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from deconflict.record.errors import RecordError
from deconflict.record.note import NoteSigner
from deconflict.record.sealed import Opening
from deconflict.store.connection import Connection
from deconflict.store.rows import opening_of


@dataclass(frozen=True)
class LogKey:
    """The key that signs the record's checkpoints, and the log's origin line (its name)."""

    signer: NoteSigner
    origin: str


def size(db: Connection) -> int:
    """How many leaves the log holds."""
    return int(db.execute("SELECT coalesce(max(idx) + 1, 0) FROM log_leaf").fetchone()[0])


def leaves(db: Connection, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
    """Leaves [start, end) as (index, canonical entry bytes, the leaf hash stored when appended).

    The stored hash lets a verifier name an entry whose bytes changed since.
    """
    rows = db.execute(
        "SELECT l.idx, l.entry, n.hash FROM log_leaf AS l"
        " JOIN log_node AS n ON n.level = 0 AND n.idx = l.idx"
        " WHERE l.idx >= ? AND l.idx < ? ORDER BY l.idx",
        (start, end),
    )
    return [(int(i), _as_bytes(entry), bytes(digest)) for i, entry, digest in rows]


def openings(db: Connection, start: int, end: int, party: str) -> dict[int, list[Opening]]:
    """The openings `party` may read of leaves [start, end), by leaf index, in commitment order."""
    rows = db.execute(
        "SELECT idx, commitment, salt, value, readers FROM log_opening"
        " WHERE idx >= ? AND idx < ? ORDER BY idx, commitment",
        (start, end),
    )
    found: dict[int, list[Opening]] = {}
    for row in rows:
        index, opening, readers = opening_of(row)
        if readers is None or party in readers:
            found.setdefault(index, []).append(opening)
    return found


def _as_bytes(value: bytes | str) -> bytes:
    # Entries are written as binary; a hand edit of a SQLite file may leave TEXT. Serve it as it
    # is, so the verifier can name the entry rather than the export failing.
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class LogModule(Protocol):
    """A store's proofs of its log (`store/sqlite/log.py`, `store/postgres/log.py`)."""

    def inclusion(self, db: Any, index: int, tree_size: int) -> list[bytes]: ...

    def consistency(self, db: Any, first: int, second: int) -> list[bytes]: ...

    def checkpoint(self, db: Any, signer: NoteSigner, origin: str) -> str: ...


class RecordReads:
    """Reads of the record for a store that sets `_log` and has `_reading()` and `log_key`."""

    _log: LogModule
    log_key: LogKey | None

    def _reading(self) -> AbstractContextManager[Any]:
        """A connection of the store's driver for reads of what is committed."""
        raise NotImplementedError

    def _qmark(self, db: Any) -> Connection:
        """The driver's connection `db`, running qmark SQL."""
        raise NotImplementedError

    def log_size(self) -> int:
        """How many entries the record holds."""
        with self._reading() as db:
            return size(self._qmark(db))

    def log_leaves(self, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
        """Record leaves [start, end) as (index, canonical entry bytes, stored leaf hash)."""
        with self._reading() as db:
            return leaves(self._qmark(db), start, end)

    def log_openings(self, start: int, end: int, party: str) -> dict[int, list[Opening]]:
        """The openings `party` may read of leaves [start, end), by leaf index."""
        with self._reading() as db:
            return openings(self._qmark(db), start, end, party)

    def log_inclusion(self, index: int, tree_size: int) -> list[bytes]:
        with self._reading() as db:
            return self._log.inclusion(db, index, tree_size)

    def log_consistency(self, first: int, second: int) -> list[bytes]:
        with self._reading() as db:
            return self._log.consistency(db, first, second)

    def log_checkpoint(self) -> str:
        """The record's current head as a signed note (needs the log key)."""
        if self.log_key is None:
            raise RecordError("this store has no key to sign checkpoints with", field="log_key")
        with self._reading() as db:
            return self._log.checkpoint(db, self.log_key.signer, self.log_key.origin)
