"""The record's read side, the same over either store: its key, size, leaves, proofs, head.

Each store brings its own `_reading()` connection and its own `log` module
(the same functions in its SQL dialect); these methods are written once.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from deconflict.record.errors import RecordError
from deconflict.record.note import NoteSigner


@dataclass(frozen=True)
class LogKey:
    """The key that signs the record's checkpoints, and the log's origin line (its name)."""

    signer: NoteSigner
    origin: str


class LogModule(Protocol):
    """A store's log functions (`store/sqlite/log.py`, `store/postgres/log.py`)."""

    def size(self, db: Any) -> int: ...

    def leaves(self, db: Any, start: int, end: int) -> list[tuple[int, bytes, bytes]]: ...

    def inclusion(self, db: Any, index: int, tree_size: int) -> list[bytes]: ...

    def consistency(self, db: Any, first: int, second: int) -> list[bytes]: ...

    def checkpoint(self, db: Any, signer: NoteSigner, origin: str) -> str: ...


class RecordReads:
    """Reads of the record for a store that sets `_log` and has `_reading()` and `log_key`."""

    _log: LogModule
    log_key: LogKey | None

    def _reading(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def log_size(self) -> int:
        """How many entries the record holds."""
        with self._reading() as db:
            return self._log.size(db)

    def log_leaves(self, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
        """Record leaves [start, end) as (index, canonical entry bytes, stored leaf hash)."""
        with self._reading() as db:
            return self._log.leaves(db, start, end)

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
