"""SQLite as the embedded store: WAL, synchronous commits, an R*Tree over volumes.

R*Tree coordinates are 32-bit floats rounded outwards (lower bounds down,
upper bounds up), so a stored box only ever grows: the index stays a
superset of the true candidates.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from deconflict.line.model import Notice
from deconflict.line.unit import UnitOfWork
from deconflict.rules.feature import Feature
from deconflict.rules.volume import volume_box
from deconflict.store.record_reads import LogKey
from deconflict.store.rows import document
from deconflict.store.sql_store import SqlStore
from deconflict.store.sqlite import log
from deconflict.store.sqlite.migrations import migrate
from deconflict.store.sqlite.rows import notices_where
from deconflict.store.sqlite.turn import WriterTurn, turn_path
from deconflict.store.sqlite.unit import Frontier, SqliteTx, candidate_rows
from deconflict.store.sqlite.watch import CommitWatcher
from deconflict.store.sqlite.writer import GroupCommit

T = TypeVar("T")


class SqliteStore(SqlStore):
    """The line in one SQLite file (":memory:" for a throwaway store)."""

    _log = log
    bytewise = SqliteTx.bytewise
    taken = sqlite3.IntegrityError
    index_boxes = (
        "SELECT v.party, v.feature_id, i.x0, i.x1, i.y0, i.y1, i.z0, i.z1, i.t0, i.t1,"
        " i.alt0, i.alt1 FROM volume_index AS i JOIN volume AS v ON v.rowid = i.rowid"
    )

    def __init__(self, path: str | Path, log_key: LogKey | None = None) -> None:
        self.path = str(path)
        self.log_key = log_key
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        # One write connection: one transaction at a time on it.
        self._lock = threading.RLock()
        # One writer at a time on the file, handed on at once between processes.
        memory = self.path == ":memory:"
        self._turn = WriterTurn(None if memory else turn_path(self.path), self._lock)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before we answer, even across power loss.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        # Each step runs in a savepoint, whose journal keeps the pages the step changes (some
        # twenty pages, more than SQLite holds in memory before it spills them to a temporary
        # file): held in memory, a declaration's step costs 12% less CPU (measured). Set after
        # the migrations, whose sorts may be large; nothing durable is kept there.
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._readers = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []
        self._writer: GroupCommit | None = None
        # The log's edge as the writer's last step left it, and in which of its transactions:
        # the next step in that transaction starts from it rather than read it (two queries
        # a step). Only the writer's thread reads or sets it.
        self._edge: tuple[int, Frontier] | None = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._stop_head()
        for reader in self._reader_connections:
            reader.close()
        self._db.close()
        self._turn.close()

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
        cannot change under it before it commits, even across processes. The
        writer's turn (store/sqlite/turn.py) is taken first.
        """
        with self._turn:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        self._committed()

    def _insert(self, db: sqlite3.Connection, feature: Feature) -> None:
        cursor = db.execute(
            "INSERT INTO volume (feature_id, party, kind, document) VALUES (?, ?, ?, ?)",
            (feature.id, feature.party, feature.kind.value, document(feature)),
        )
        db.execute(
            "INSERT INTO volume_index VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cursor.lastrowid, *volume_box(feature)),
        )

    @contextmanager
    def atomic(self) -> Iterator[UnitOfWork]:
        """One atomic step of the line in the caller's thread (see `transaction`)."""
        with self.transaction() as db:
            unit = UnitOfWork(SqliteTx(db, self.log_key))
            yield unit
            unit.append_recorded()

    def _group_commit(self) -> GroupCommit:
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = GroupCommit(self._db, self._turn, self._committed_then)
        return self._writer

    def _recorded(self, step: Callable[[UnitOfWork], T]) -> Callable[[sqlite3.Connection], T]:
        """`step` as the writer runs it: on a unit of work whose entries go to the record."""

        def whole(db: sqlite3.Connection) -> T:
            transaction = self._group_commit().transactions
            kept = self._edge
            rows = SqliteTx(db, self.log_key, kept[1] if kept and kept[0] == transaction else None)
            unit = UnitOfWork(rows)
            result = step(unit)
            unit.append_recorded()
            # Kept only once the step is done: a step that fails is rolled back, and the log
            # is as the one before left it. A new transaction reads the log again (another
            # process may have appended in between).
            edge = rows.edge()
            if edge is not None:
                self._edge = (transaction, edge)
            return result

        return whole

    def run_atomic(self, step: Callable[[UnitOfWork], T], whole_line: bool = False) -> T:
        """Run one atomic step of the line through group commit; its result once durable.

        Steps queued together share one transaction and one fsync, each in its
        own savepoint (measured: see docs/BENCHMARKS.md, notices through the API).
        The one writer holds the whole line for every step, `whole_line` or not.
        """
        done: T = self._group_commit().run(self._recorded(step))
        return done

    def run_atomic_then(
        self,
        step: Callable[[UnitOfWork], T],
        then: Callable[[T | None, BaseException | None], None],
    ) -> bool:
        """Queue `step` as `run_atomic` runs it, without waiting: `then` gets its result (or
        its error) on the writer's side once it is durable and under the head file."""
        self._group_commit().submit(self._recorded(step), then)
        return True

    @contextmanager
    def listening(self, on_commit: Callable[[], None]) -> Iterator[None]:
        """Call `on_commit` soon after any process commits to the file, until the block ends
        (store/sqlite/watch.py). An in-memory store has no other process: nothing to hear."""
        if self.path == ":memory:":
            yield
            return
        watcher = CommitWatcher(self.path, on_commit).start()
        try:
            yield
        finally:
            watcher.close()

    @property
    def _reads_committed_only(self) -> bool:
        """A file's readers have connections of their own; an in-memory store's reads share the
        writer's connection, so they would see a transaction it has open."""
        return self.path != ":memory:"

    @property
    def reads_in_process(self) -> bool:
        """A file's readers never wait (WAL); an in-memory store's share the writer's lock."""
        return self.path != ":memory:"

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

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Reads that must agree with each other: one read transaction on a reader connection."""
        with self._reading() as db:
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    def candidate_ids(self, feature: Feature) -> list[str]:
        """Ids of stored features whose volume box meets `feature`'s (a superset of conflicts)."""
        with self._reading() as db:
            return [row[1] for row in candidate_rows(db, feature)]

    def _qmark(self, db: sqlite3.Connection) -> sqlite3.Connection:
        return db  # SQLite's own paramstyle

    def _notices(self, where: str, args: Sequence[Any]) -> list[Notice]:
        with self._reading() as db:
            return notices_where(db, where, args)
