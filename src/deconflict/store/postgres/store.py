"""PostgreSQL as the shared store of several API nodes: one database, one lock, one record.

Every write transaction takes the line's advisory lock first
(`pg_advisory_xact_lock`), so check-and-store is one step across all nodes,
appends to the record are serialised, and commits follow the order of the
ids they assigned. Reads need no lock: they see what was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import psycopg
from psycopg import IsolationLevel
from psycopg_pool import ConnectionPool

from deconflict.errors import StateConflict
from deconflict.line.model import Declared, Event, Notice
from deconflict.line.parties import Credential, Party, Role
from deconflict.line.unit import UnitOfWork
from deconflict.record.errors import RecordError
from deconflict.rules.feature import Feature
from deconflict.store.errors import StoreUnavailable
from deconflict.store.postgres import log
from deconflict.store.postgres.listen import CommitListener
from deconflict.store.postgres.migrations import lock_line, migrate, schema_version
from deconflict.store.postgres.qmark import QmarkConnection
from deconflict.store.postgres.rows import notices_where
from deconflict.store.postgres.unit import PostgresTx, candidate_rows, cube_corners
from deconflict.store.record_reads import LogKey, RecordReads
from deconflict.store.rows import (
    VOLUME_COLUMNS,
    declared_of,
    document,
    event_of,
    feature_of,
    history_of,
)

T = TypeVar("T")

POOL_SIZE = 10
"""Connections per node at most; the API's threadpool shares them."""
CONNECT_TIMEOUT_S = 10


class PostgresStore(RecordReads):
    """The line in one PostgreSQL database (a `postgresql://` URL), shared by any number of nodes.

    Opening it upgrades the schema (under the line's lock, so once) and, given
    a log key, checks that it is the key the record is signed with.
    """

    _log = log

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
        self._pool.close()

    @property
    def schema_version(self) -> int:
        with self._reading() as db:
            return schema_version(db)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One write transaction holding the line's lock, committed on success, else rolled back.

        READ COMMITTED on purpose: each statement sees every commit made before
        it began, so every statement after the lock sees all that the previous
        holder wrote. (A REPEATABLE READ snapshot would be taken before the lock.)
        """
        with self._pool.connection() as db:
            db.isolation_level = IsolationLevel.READ_COMMITTED
            db.read_only = False
            with db.transaction():
                lock_line(db)
                yield db

    @contextmanager
    def atomic(self) -> Iterator[UnitOfWork]:
        """One atomic step of the line (see `transaction`)."""
        with self.transaction() as db:
            rows = PostgresTx(db, self.log_key)
            yield UnitOfWork(rows)
            rows.flush()

    def run_atomic(self, step: Callable[[UnitOfWork], T]) -> T:
        """Run one atomic step of the line in its own transaction; its result once committed."""
        with self.atomic() as tx:
            return step(tx)

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
    def listening(self, on_commit: Callable[[], None]) -> Iterator[None]:
        """Call `on_commit` whenever any node commits new events, until the block ends."""
        listener = CommitListener(self.url, on_commit).start()
        try:
            yield
        finally:
            listener.close()

    def add_features(self, features: Iterable[Feature]) -> None:
        """Store features and index their volumes, all or nothing."""
        with self.transaction() as db:
            for feature in features:
                _insert(db, feature)

    def _qmark(self, db: psycopg.Connection) -> QmarkConnection:
        return QmarkConnection(db)

    def candidate_ids(self, feature: Feature) -> list[str]:
        """Ids of stored features whose volume box meets `feature`'s (a superset of conflicts)."""
        with self._reading() as db:
            return [row[0] for row in candidate_rows(db, feature)]

    def feature(self, feature_id: str) -> Feature | None:
        """The stored feature with this id, or None."""
        with self._reading() as db:
            row = db.execute(
                "SELECT document FROM volume WHERE feature_id = %s", (feature_id,)
            ).fetchone()
        return feature_of(row[0]) if row else None

    def count(self) -> int:
        with self._reading() as db:
            row = db.execute("SELECT count(*) FROM volume").fetchone()
        assert row is not None
        return int(row[0])

    def declared_features(self) -> list[Declared]:
        """Every feature's current version, cancelled ones included."""
        with self._reading() as db:
            rows = db.execute(
                f'SELECT {VOLUME_COLUMNS} FROM volume ORDER BY feature_id COLLATE "C"'
            ).fetchall()
        return [declared_of(row) for row in rows]

    def history(self, feature_id: str) -> list[tuple[str, datetime, Declared]]:
        """Every version of a feature, oldest first: (change, when, the feature as then)."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT change, recorded_at, document, version, share FROM feature_version"
                " WHERE feature_id = %s ORDER BY version",
                (feature_id,),
            ).fetchall()
        return [history_of(row) for row in rows]

    def inbox(self, party: str) -> list[Notice]:
        with self._snapshot() as db:
            return notices_where(db, "recipient = %s ORDER BY id", (party,))

    def outbox(self, party: str) -> list[Notice]:
        with self._snapshot() as db:
            return notices_where(db, "sender = %s ORDER BY id DESC", (party,))

    def last_event_id(self) -> int:
        """The id of the newest event (0 when there is none)."""
        with self._reading() as db:
            row = db.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()
        assert row is not None
        return int(row[0])

    def events_since(self, after_id: int, limit: int) -> list[Event]:
        """Every party's events with an id above `after_id`, oldest first.

        No event can turn up later behind a reader: ids are assigned under the
        line's lock, so id n + 1 commits only after id n has (a rolled-back
        transaction leaves a gap that stays empty).
        """
        with self._reading() as db:
            rows = db.execute(
                "SELECT id, party, kind, payload, at FROM event WHERE id > %s ORDER BY id LIMIT %s",
                (after_id, limit),
            ).fetchall()
        return [event_of(row) for row in rows]

    def events_after(self, party: str, after_id: int, limit: int) -> list[Event]:
        """The party's events with an id above `after_id`, oldest first (see `events_since`)."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT id, party, kind, payload, at FROM event WHERE party = %s AND id > %s"
                " ORDER BY id LIMIT %s",
                (party, after_id, limit),
            ).fetchall()
        return [event_of(row) for row in rows]

    def add_party(self, party: Party, at: datetime) -> None:
        """Register a party; refuses an id already taken."""
        try:
            with self.atomic() as unit:
                unit.add_party(party, at)
        except psycopg.errors.UniqueViolation:
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
                "SELECT id, name, language, contact, escalation_contact FROM party WHERE id = %s",
                (party_id,),
            ).fetchone()
        return Party(*row) if row else None

    def parties(self) -> list[Party]:
        with self._reading() as db:
            return PostgresTx(db).parties()

    def add_token(
        self, token_id: str, token_hash: str, party_id: str, role: Role, at: datetime
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO token (id, hash, party_id, role, created_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (token_id, token_hash, party_id, role.value, at.isoformat()),
            )

    def revoke_tokens(self, party_id: str, token_id: str | None, at: datetime) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE token SET revoked_at = %s WHERE party_id = %s AND revoked_at IS NULL"
                " AND (%s::text IS NULL OR id = %s)",
                (at.isoformat(), party_id, token_id, token_id),
            )
            return cursor.rowcount

    def credential(self, token_hash: str) -> Credential | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT party_id, role, id FROM token WHERE hash = %s AND revoked_at IS NULL",
                (token_hash,),
            ).fetchone()
        return Credential(row[0], Role(row[1]), row[2]) if row else None


def _insert(db: psycopg.Connection, feature: Feature) -> None:
    try:
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
    except psycopg.errors.UniqueViolation:
        raise StateConflict(
            "a feature with this id is already stored",
            feature_id=feature.id,
            field="id",
            value=feature.id,
        ) from None


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
