"""PostgreSQL as the shared store of several API nodes: one database, one record.

A step of the line holds the line's advisory lock shared and locks what it
comes to (store/postgres/locks.py): two steps that may meet are serialised,
so check-and-store is one step across all nodes; two far apart run side by
side; appends to the record are serialised and commits follow the order of
the ids they assigned. What writes the whole line (the tick, parties and
tokens, migrations) holds the line's lock exclusively. Reads need no lock:
they see what was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool

from deconflict.line.model import Notice
from deconflict.line.unit import UnitOfWork
from deconflict.record.errors import RecordError
from deconflict.rules.feature import Feature
from deconflict.store.errors import StoreUnavailable
from deconflict.store.postgres import log
from deconflict.store.postgres.listen import CommitListener
from deconflict.store.postgres.locks import begin_step, lock_line
from deconflict.store.postgres.migrations import migrate, schema_version
from deconflict.store.postgres.qmark import QmarkConnection
from deconflict.store.postgres.rows import notices_where
from deconflict.store.postgres.unit import PostgresTx, candidate_rows, cube_corners
from deconflict.store.record_reads import LogKey
from deconflict.store.rows import document
from deconflict.store.sql_store import SqlStore

T = TypeVar("T")

POOL_SIZE = 10
"""Connections per node at most; the API's threadpool shares them."""
CONNECT_TIMEOUT_S = 10
ATTEMPTS = 5
"""A step PostgreSQL ends to break a deadlock between locks is run again, this often at most."""


class PostgresStore(SqlStore):
    """The line in one PostgreSQL database (a `postgresql://` URL), shared by any number of nodes.

    Opening it upgrades the schema (under the line's lock, so once) and, given
    a log key, checks that it is the key the record is signed with.
    """

    _log = log
    bytewise = PostgresTx.bytewise
    taken = psycopg.errors.UniqueViolation
    claim_lock = "FOR UPDATE SKIP LOCKED"
    index_boxes = "SELECT party, feature_id, {} FROM volume WHERE box IS NOT NULL".format(
        ", ".join(f"cube_ll_coord(box, {d}), cube_ur_coord(box, {d})" for d in range(1, 6))
    )

    def __init__(self, url: str, log_key: LogKey | None = None, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.log_key = log_key
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as db:
                migrate(db)
                if log_key is not None:
                    _check_signer(db, log_key)
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"cannot open the database: {error}") from None
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "application_name": "deconflict"},
            # One round trip per use buys a pool that survives a database restart or failover
            # without answering a request per stale connection with an error.
            check=ConnectionPool.check_connection,
            name="deconflict",
            open=True,
        )

    def close(self) -> None:
        self._stop_head()
        self._pool.close()

    @property
    def schema_version(self) -> int:
        with self._reading() as db:
            return schema_version(db)

    @contextmanager
    def transaction(self, whole_line: bool = True) -> Iterator[psycopg.Connection]:
        """One write transaction holding the line's lock, exclusively unless not `whole_line`,
        committed on success, else rolled back.

        READ COMMITTED on purpose: each statement sees every commit made before
        it began, so every statement after a lock sees all that the previous
        holder wrote. (A REPEATABLE READ snapshot would be taken before the lock.)
        """
        with self._pool.connection() as db:
            db.isolation_level = IsolationLevel.READ_COMMITTED
            db.read_only = False
            with db.transaction():
                lock_line(db, exclusive=whole_line)
                yield db
        self._committed()

    @contextmanager
    def _aside(self) -> Iterator[psycopg.Connection]:
        """A transaction of its own, without the line's lock: claims on several nodes skip
        each other's rows (`claim_lock`) and a console's sign-in or sign-out touches only its
        session, rather than wait for every write on the line."""
        with self._pool.connection() as db:
            db.isolation_level = IsolationLevel.READ_COMMITTED
            db.read_only = False
            with db.transaction():
                yield db

    @contextmanager
    def atomic(self, whole_line: bool = True) -> Iterator[UnitOfWork]:
        """One atomic step of the line (see `transaction`); unless `whole_line`, it locks what
        it reads and writes as it goes (store/postgres/unit.py)."""
        with self._pool.connection() as db:
            # BEGIN and the line's lock in one round trip (several statements, no parameters:
            # the simple protocol); a failure rolls back as the pool's connection is given
            # back (psycopg's own transaction blocks are not used here: see `_ending`).
            db.execute(begin_step(whole_line))
            with _ending(db) as ending:
                rows = PostgresTx(db, self.log_key, whole_line)
                unit = UnitOfWork(rows)
                yield unit
                unit.append_recorded()
                # The step's last statements and its COMMIT leave together, so the record's
                # lock, held from its append to its commit, is held for one round trip less.
                ending()
                rows.flush()
                db.execute(b"COMMIT")
        self._committed(rows.head)

    def run_atomic(self, step: Callable[[UnitOfWork], T], whole_line: bool = False) -> T:
        """Run one atomic step of the line in its own transaction; its result once committed.

        A step ended by PostgreSQL to break a deadlock is run again (it wrote nothing),
        so the caller never sees it; `whole_line` steps (the tick) exclude every other.
        """
        for _ in range(ATTEMPTS - 1):
            try:
                with self.atomic(whole_line) as tx:
                    return step(tx)
            except psycopg.errors.DeadlockDetected:
                continue
        with self.atomic(whole_line) as tx:
            return step(tx)

    reads_in_process = False
    """Every read is a trip to the database server."""

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection]:
        """A connection for one read statement, which sees what was committed when it began."""
        with self._pool.connection() as db:
            yield db

    @contextmanager
    def _snapshot(self) -> Iterator[psycopg.Connection]:
        """Several reads that must agree: one read-only REPEATABLE READ transaction."""
        with self._pool.connection() as db:
            db.isolation_level = IsolationLevel.REPEATABLE_READ
            db.read_only = True
            with db.transaction():
                yield db

    @contextmanager
    def snapshot(self) -> Iterator[QmarkConnection]:
        """Reads that must agree with each other: one read-only REPEATABLE READ transaction."""
        with self._snapshot() as db:
            yield QmarkConnection(db)

    @contextmanager
    def listening(self, on_commit: Callable[[], None]) -> Iterator[None]:
        """Call `on_commit` whenever any node commits new events, until the block ends."""
        listener = CommitListener(self.url, on_commit).start()
        try:
            yield
        finally:
            listener.close()

    def _insert(self, db: psycopg.Connection, feature: Feature) -> None:
        db.execute(
            "INSERT INTO volume (feature_id, party, kind, document, box)"
            " VALUES (%s, %s, %s, %s, cube(%s::float8[], %s::float8[]))",
            (
                feature.id,
                feature.party,
                feature.kind.value,
                document(feature),
                *cube_corners(feature),
            ),
        )

    def candidate_ids(self, feature: Feature) -> list[str]:
        """Ids of stored features whose volume box meets `feature`'s (a superset of conflicts)."""
        with self._reading() as db:
            return [row[0] for row in candidate_rows(db, feature)]

    def _qmark(self, db: psycopg.Connection) -> QmarkConnection:
        return QmarkConnection(db)

    def _notices(self, where: str, args: Sequence[Any]) -> list[Notice]:
        with self._snapshot() as db:
            return notices_where(db, where, args)


@contextmanager
def _ending(db: psycopg.Connection) -> Iterator[Callable[[], None]]:
    """Within the block, a call puts `db` in pipeline mode: what it runs from then on is sent
    together, and the block's end waits for every answer (raising the first error, and the
    transaction is then rolled back). A psycopg transaction block opened in pipeline mode
    would pipeline the whole step; this step's transaction is its own, begun by SQL."""
    with ExitStack() as stack:

        def pipelined() -> None:
            stack.enter_context(db.pipeline())

        yield pipelined


def _check_signer(db: psycopg.Connection, log_key: LogKey) -> None:
    """The first node's key signs the record; any other node must bring the same key."""
    mine = log_key.signer.verifier.to_text()
    with db.transaction():
        lock_line(db)
        recorded = log.claim_signer(db, log_key.origin, mine)
    if recorded != mine:
        raise RecordError(
            f"this node's log key ({mine}) is not the key the record is signed with "
            f"({recorded}); give every node the same log_key",
            field="log_key",
            value=mine,
        )
