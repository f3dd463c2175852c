"""SQLite as the embedded store: WAL, synchronous commits, an R*Tree over volumes.

R*Tree coordinates are 32-bit floats rounded outwards (lower bounds down,
upper bounds up), so a stored box only ever grows: the index stays a
superset of the true candidates.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from deconflict.errors import StateConflict
from deconflict.line.model import Declared, Event, Notice
from deconflict.line.parties import Credential, Party, Role
from deconflict.line.unit import UnitOfWork
from deconflict.rules.feature import Feature
from deconflict.rules.volume import volume_box
from deconflict.store.record_reads import LogKey, RecordReads
from deconflict.store.rows import (
    VOLUME_COLUMNS,
    declared_of,
    document,
    event_of,
    feature_of,
    history_of,
)
from deconflict.store.sqlite import log
from deconflict.store.sqlite.migrations import migrate
from deconflict.store.sqlite.rows import notices_where
from deconflict.store.sqlite.unit import SqliteTx, candidate_rows
from deconflict.store.sqlite.writer import GroupCommit

T = TypeVar("T")


class SqliteStore(RecordReads):
    """The line in one SQLite file (":memory:" for a throwaway store)."""

    _log = log

    def __init__(self, path: str | Path, log_key: LogKey | None = None) -> None:
        self.path = str(path)
        self.log_key = log_key
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        # One write connection: one transaction at a time on it.
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before we answer, even across power loss.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self._readers = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []
        self._writer: GroupCommit | None = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        for reader in self._reader_connections:
            reader.close()
        self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self.transaction() as db:
            migrate(db)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE), committed on success, rolled back on error.

        IMMEDIATE takes the write lock at the start, so what a transaction reads
        cannot change under it before it commits, even across processes.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def add_features(self, features: Iterable[Feature]) -> None:
        """Store features and index their volumes, all or nothing."""
        with self.transaction() as db:
            for feature in features:
                self._insert(db, feature)

    def _insert(self, db: sqlite3.Connection, feature: Feature) -> None:
        try:
            cursor = db.execute(
                "INSERT INTO volume (feature_id, party, kind, document) VALUES (?, ?, ?, ?)",
                (feature.id, feature.party, feature.kind.value, document(feature)),
            )
        except sqlite3.IntegrityError:
            raise StateConflict(
                "a feature with this id is already stored",
                feature_id=feature.id,
                field="id",
                value=feature.id,
            ) from None
        db.execute(
            "INSERT INTO volume_index VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cursor.lastrowid, *volume_box(feature)),
        )

    @contextmanager
    def atomic(self) -> Iterator[UnitOfWork]:
        """One atomic step of the line in the caller's thread (see `transaction`)."""
        with self.transaction() as db:
            yield UnitOfWork(SqliteTx(db, self.log_key))

    def run_atomic(self, step: Callable[[UnitOfWork], T]) -> T:
        """Run one atomic step of the line through group commit; its result once durable.

        Steps queued together share one transaction and one fsync, each in its
        own savepoint (measured: see docs/BENCHMARKS.md, notices through the API).
        """
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = GroupCommit(self._db, self._lock)
        result: T = self._writer.run(lambda db: step(UnitOfWork(SqliteTx(db, self.log_key))))
        return result

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads: each thread its own (WAL readers never wait for the writer),
        seeing only committed data; an in-memory store shares its one connection instead."""
        if self.path == ":memory:":
            with self._lock:
                yield self._db
            return
        reader: sqlite3.Connection | None = getattr(self._readers, "db", None)
        if reader is None:
            reader = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            reader.execute("PRAGMA query_only=ON")
            self._readers.db = reader
            with self._lock:
                self._reader_connections.append(reader)
        yield reader

    def _qmark(self, db: sqlite3.Connection) -> sqlite3.Connection:
        return db  # SQLite's own paramstyle

    def candidate_ids(self, feature: Feature) -> list[str]:
        """Ids of stored features whose volume box meets `feature`'s (a superset of conflicts)."""
        with self._reading() as db:
            return [row[1] for row in candidate_rows(db, feature)]

    def feature(self, feature_id: str) -> Feature | None:
        """The stored feature with this id, or None."""
        with self._reading() as db:
            row = db.execute(
                "SELECT document FROM volume WHERE feature_id = ?", (feature_id,)
            ).fetchone()
        return feature_of(row[0]) if row else None

    def count(self) -> int:
        with self._reading() as db:
            return int(db.execute("SELECT count(*) FROM volume").fetchone()[0])

    def declared_features(self) -> list[Declared]:
        """Every feature's current version, cancelled ones included."""
        with self._reading() as db:
            rows = db.execute(f"SELECT {VOLUME_COLUMNS} FROM volume ORDER BY feature_id")
            return [declared_of(row) for row in rows]

    def history(self, feature_id: str) -> list[tuple[str, datetime, Declared]]:
        """Every version of a feature, oldest first: (change, when, the feature as then)."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT change, recorded_at, document, version, share FROM feature_version"
                " WHERE feature_id = ? ORDER BY version",
                (feature_id,),
            ).fetchall()
        return [history_of(row) for row in rows]

    def inbox(self, party: str) -> list[Notice]:
        with self._reading() as db:
            return notices_where(db, "recipient = ? ORDER BY id", (party,))

    def outbox(self, party: str) -> list[Notice]:
        with self._reading() as db:
            return notices_where(db, "sender = ? ORDER BY id DESC", (party,))

    def last_event_id(self) -> int:
        """The id of the newest event (0 when there is none)."""
        with self._reading() as db:
            return int(db.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])

    def events_since(self, after_id: int, limit: int) -> list[Event]:
        """Every party's events with an id above `after_id`, oldest first."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT id, party, kind, payload, at FROM event WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            ).fetchall()
        return [event_of(row) for row in rows]

    def events_after(self, party: str, after_id: int, limit: int) -> list[Event]:
        """The party's events with an id above `after_id`, oldest first."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT id, party, kind, payload, at FROM event WHERE party = ? AND id > ?"
                " ORDER BY id LIMIT ?",
                (party, after_id, limit),
            ).fetchall()
        return [event_of(row) for row in rows]

    def add_party(self, party: Party, at: datetime) -> None:
        """Register a party; refuses an id already taken."""
        try:
            with self.atomic() as unit:
                unit.add_party(party, at)
        except sqlite3.IntegrityError:
            raise StateConflict(
                "a party with this id exists already", field="id", value=party.id
            ) from None

    def set_party_key(self, party_id: str, public_key_b64: str, at: datetime) -> None:
        """Register the public key a party's signatures are checked with from now on."""
        with self.atomic() as unit:
            unit.set_party_key(party_id, public_key_b64, at)

    def party(self, party_id: str) -> Party | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT id, name, language, contact, escalation_contact FROM party WHERE id = ?",
                (party_id,),
            ).fetchone()
        return Party(*row) if row else None

    def parties(self) -> list[Party]:
        with self._reading() as db:
            return SqliteTx(db).parties()

    def add_token(
        self, token_id: str, token_hash: str, party_id: str, role: Role, at: datetime
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO token (id, hash, party_id, role, created_at) VALUES (?, ?, ?, ?, ?)",
                (token_id, token_hash, party_id, role.value, at.isoformat()),
            )

    def revoke_tokens(self, party_id: str, token_id: str | None, at: datetime) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE token SET revoked_at = ? WHERE party_id = ? AND revoked_at IS NULL"
                " AND (? IS NULL OR id = ?)",
                (at.isoformat(), party_id, token_id, token_id),
            )
            return cursor.rowcount

    def credential(self, token_hash: str) -> Credential | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT party_id, role, id FROM token WHERE hash = ? AND revoked_at IS NULL",
                (token_hash,),
            ).fetchone()
        return Credential(row[0], Role(row[1]), row[2]) if row else None
