"""What both stores do alike over their own connections, in SQL they speak alike, written once.

A backend (`store/sqlite/store.py`, `store/postgres/store.py`) brings its
connections and transactions, a connection that runs qmark SQL, the error
its driver raises for a taken key, and its own SQL for the volume index.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar

from deconflict.errors import StateConflict
from deconflict.line.deliveries import Delivery, Destination, Settled
from deconflict.line.model import Declared, Event, Notice
from deconflict.line.parties import Credential, Party, Role
from deconflict.line.unit import UnitOfWork
from deconflict.rules.feature import Feature
from deconflict.store import outbox
from deconflict.store.connection import Connection
from deconflict.store.head import HeadFile, HeadKeeper
from deconflict.store.record_reads import RecordReads
from deconflict.store.rows import VOLUME_COLUMNS, declared_of, event_of, feature_of, history_of

HeadOf = tuple[Callable[[], int], Callable[[], str]]
"""The log's size, and its head as a signed note (store/head.py's `advance`)."""

_EVENT_COLUMNS = "id, party, kind, payload, at"
_PARTY_COLUMNS = "id, name, language, contact, escalation_contact"


class SqlStore(RecordReads):
    """The reads and the party and token writes of a store; a backend adds the rest."""

    bytewise: ClassVar[str]
    """The dialect's COLLATE clause that orders text by its bytes (the order answers promise)."""
    taken: ClassVar[type[Exception]]
    """What the driver raises when a new row's key is taken already."""
    claim_lock: ClassVar[str] = ""
    """The dialect's clause that makes a claim skip the jobs another claim holds."""
    _head: HeadFile | None = None
    _keeper: HeadKeeper | None = None

    def keep_head(self, head: HeadFile) -> None:
        """From now on, sign the record's head into `head` after every commit that grew it:
        on a thread of its own where reads see only what is committed, so it never signs a
        head a transaction still writing would run ahead of (store/head.py)."""
        self._head = head
        if self._reads_committed_only:
            self._keeper = HeadKeeper(head, self.log_size, self.log_checkpoint)

    @property
    def _reads_committed_only(self) -> bool:
        """Whether `_reading` sees only committed data while a write transaction is open."""
        return True

    def _committed(self, made: Callable[[], HeadOf | None] | None = None) -> None:
        """A write transaction committed: return once the head file covers it (store/head.py).
        `made`: the log's size as the transaction left it and that head signed, where the
        transaction knows them (then the log is not read again, and this thread writes it);
        otherwise the head's own thread reads and writes it, with other commits'."""
        if self._head is None:
            return
        known = made() if made is not None else None
        if known is None and self._keeper is not None:
            self._keeper.wait()
            return
        self._head.advance(*(known or (self.log_size, self.log_checkpoint)))

    def _committed_then(self, answer: Callable[[], None]) -> None:
        """A write transaction committed: call `answer` once the head file covers it,
        without waiting for that here."""
        if self._keeper is None:
            self._committed()
            answer()
        else:
            self._keeper.after(answer)

    def _stop_head(self) -> None:
        """Write the head for the commits made, answer their callers, and stop keeping it."""
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def run_atomic_then(
        self, step: Callable[[Any], Any], then: Callable[[Any, BaseException | None], None]
    ) -> bool:
        """Queue `step` to run as `run_atomic` runs it and call `then` with its result, or its
        error, from another thread once committed; False: this store runs a step only in its
        caller's thread (nothing was queued; call `run_atomic` there)."""
        return False

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Any]:
        """One write transaction: the driver's connection, committed on success."""

    @abstractmethod
    def atomic(self) -> AbstractContextManager[UnitOfWork]: ...

    index_boxes: ClassVar[str]
    """The dialect's SELECT of every indexed volume's box: party, feature_id, then x0, x1, y0,
    y1, z0, z1, t0, t1, alt0, alt1 (the order of rules/volume.py's `volume_box`)."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[Connection]:
        """Reads that must agree with each other (the check's): one read-only transaction."""

    @abstractmethod
    def _insert(self, db: Any, feature: Feature) -> None:
        """Store a new feature and index its volume (raises `taken` for a stored id)."""

    @abstractmethod
    def _notices(self, where: str, args: Sequence[Any]) -> list[Notice]:
        """Notices matching a WHERE clause (qmark, a literal of this package), with their threads,
        as of one moment."""

    def _row(self, sql: str, args: Sequence[Any] = ()) -> Any:
        with self._reading() as db:
            return self._qmark(db).execute(sql, args).fetchone()

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._reading() as db:
            return self._qmark(db).execute(sql, args).fetchall()

    def _write(self, sql: str, args: Sequence[Any]) -> int:
        """Run one statement in its own write transaction; how many rows it changed."""
        with self.transaction() as db:
            return self._qmark(db).execute(sql, args).rowcount

    def add_features(self, features: Iterable[Feature]) -> None:
        """Store features and index their volumes, all or nothing."""
        with self.transaction() as db:
            for feature in features:
                try:
                    self._insert(db, feature)
                except self.taken:
                    raise StateConflict(
                        "a feature of this party with this id is already stored",
                        code="id_in_use",
                        feature_id=feature.id,
                        field="id",
                        value=feature.id,
                    ) from None

    def feature(self, party: str, feature_id: str) -> Feature | None:
        """The party's stored feature with this id, or None."""
        row = self._row(
            "SELECT document FROM volume WHERE party = ? AND feature_id = ?", (party, feature_id)
        )
        return feature_of(row[0]) if row else None

    def count(self) -> int:
        return int(self._row("SELECT count(*) FROM volume")[0])

    def declared_features(self) -> list[Declared]:
        """Every feature's current version, cancelled ones included."""
        rows = self._rows(
            f"SELECT {VOLUME_COLUMNS} FROM volume"
            f" ORDER BY feature_id {self.bytewise}, party {self.bytewise}"
        )
        return [declared_of(row) for row in rows]

    def declared_with_id(self, feature_id: str) -> list[Declared]:
        """The current version of every party's feature with this id, by party."""
        rows = self._rows(
            f"SELECT {VOLUME_COLUMNS} FROM volume WHERE feature_id = ?"
            f" ORDER BY party {self.bytewise}",
            (feature_id,),
        )
        return [declared_of(row) for row in rows]

    def history(self, party: str, feature_id: str) -> list[tuple[str, datetime, Declared]]:
        """Every version of the party's feature, oldest first: (change, when, the feature as
        then)."""
        rows = self._rows(
            "SELECT change, recorded_at, document, version, share FROM feature_version"
            " WHERE party = ? AND feature_id = ? ORDER BY version",
            (party, feature_id),
        )
        return [history_of(row) for row in rows]

    def inbox(self, party: str) -> list[Notice]:
        return self._notices("recipient = ? ORDER BY id", (party,))

    def outbox(self, party: str) -> list[Notice]:
        return self._notices("sender = ? ORDER BY id DESC", (party,))

    def last_event_id(self) -> int:
        """The id of the newest event (0 when there is none)."""
        return int(self._row("SELECT coalesce(max(id), 0) FROM event")[0])

    def events_since(self, after_id: int, limit: int) -> list[Event]:
        """Every party's events with an id above `after_id`, oldest first.

        No event turns up later behind a reader: ids are assigned under the
        store's write lock, so id n + 1 commits only after id n has (a rolled-back
        transaction leaves a gap that stays empty).
        """
        rows = self._rows(
            f"SELECT {_EVENT_COLUMNS} FROM event WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [event_of(row) for row in rows]

    def events_after(self, party: str, after_id: int, limit: int) -> list[Event]:
        """The party's events with an id above `after_id`, oldest first (see `events_since`)."""
        rows = self._rows(
            f"SELECT {_EVENT_COLUMNS} FROM event WHERE party = ? AND id > ? ORDER BY id LIMIT ?",
            (party, after_id, limit),
        )
        return [event_of(row) for row in rows]

    def add_party(self, party: Party, at: datetime) -> None:
        """Register a party; refuses an id already taken."""
        try:
            with self.atomic() as unit:
                unit.add_party(party, at)
        except self.taken:
            raise StateConflict(
                "a party with this id exists already", field="id", value=party.id
            ) from None

    def set_party_key(self, party_id: str, public_key_b64: str, at: datetime) -> None:
        """Register the public key a party's signatures are checked with from now on."""
        with self.atomic() as unit:
            unit.set_party_key(party_id, public_key_b64, at)

    def party(self, party_id: str) -> Party | None:
        row = self._row(f"SELECT {_PARTY_COLUMNS} FROM party WHERE id = ?", (party_id,))
        return Party(*row) if row else None

    def parties(self) -> list[Party]:
        rows = self._rows(f"SELECT {_PARTY_COLUMNS} FROM party ORDER BY id {self.bytewise}")
        return [Party(*row) for row in rows]

    def add_token(
        self, token_id: str, token_hash: str, party_id: str, role: Role, at: datetime
    ) -> None:
        self._write(
            "INSERT INTO token (id, hash, party_id, role, created_at) VALUES (?, ?, ?, ?, ?)",
            (token_id, token_hash, party_id, role.value, at.isoformat()),
        )

    def revoke_tokens(self, party_id: str, token_id: str | None, at: datetime) -> int:
        return self._write(
            "UPDATE token SET revoked_at = ? WHERE party_id = ? AND revoked_at IS NULL"
            " AND (CAST(? AS TEXT) IS NULL OR id = ?)",
            (at.isoformat(), party_id, token_id, token_id),
        )

    def credential(self, token_hash: str) -> Credential | None:
        row = self._row(
            "SELECT party_id, role, id FROM token WHERE hash = ? AND revoked_at IS NULL",
            (token_hash,),
        )
        return Credential(row[0], Role(row[1]), row[2]) if row else None

    def add_console_session(
        self, key_hash: str, token_id: str, expires_at_s: float, now_s: float
    ) -> None:
        """Keep a new console session, and remove every session expired by `now_s`."""
        with self._aside() as db:
            rows = self._qmark(db)
            rows.execute("DELETE FROM console_session WHERE expires_at_s <= ?", (now_s,))
            rows.execute(
                "INSERT INTO console_session (key_hash, token_id, expires_at_s) VALUES (?, ?, ?)",
                (key_hash, token_id, expires_at_s),
            )

    def console_session(self, key_hash: str) -> tuple[float, Credential | None] | None:
        """When the console session with this key hash expires (seconds since the epoch) and
        the credential of its token (None once the token is revoked); None for no such session.
        One read by primary key, with the token's row by its own."""
        row = self._row(
            "SELECT s.expires_at_s, t.party_id, t.role, t.id FROM console_session AS s"
            " LEFT JOIN token AS t ON t.id = s.token_id AND t.revoked_at IS NULL"
            " WHERE s.key_hash = ?",
            (key_hash,),
        )
        if row is None:
            return None
        if row[1] is None:
            return float(row[0]), None
        return float(row[0]), Credential(row[1], Role(row[2]), row[3])

    def remove_console_session(self, key_hash: str) -> None:
        """End a console session; removing an unknown one is not an error."""
        with self._aside() as db:
            self._qmark(db).execute("DELETE FROM console_session WHERE key_hash = ?", (key_hash,))

    def notice(self, notice_id: int) -> Notice | None:
        """The notice with its thread, or None."""
        if not 0 < notice_id < 2**63:
            return None
        found = self._notices("id = ?", (notice_id,))
        return found[0] if found else None

    def add_destination(self, destination: Destination, at: datetime) -> int:
        """Store a party's escalation destination; its id (not on the record: it may hold a
        secret, as tokens do)."""
        with self.transaction() as db:
            return outbox.add_destination(self._qmark(db), destination, at)

    def remove_destination(self, party: str, destination_id: int, at: datetime) -> bool:
        with self.transaction() as db:
            return outbox.remove_destination(self._qmark(db), party, destination_id, at)

    def destinations(self, party: str) -> list[Destination]:
        with self._reading() as db:
            return outbox.destinations(self._qmark(db), party)

    def _aside(self) -> AbstractContextManager[Any]:
        """A write transaction for rows no step of the line reads (delivery claims, console
        sessions): the store's write transaction unless the backend has a lighter one."""
        return self.transaction()

    def claiming(self) -> AbstractContextManager[Any]:
        """The transaction a claim runs in (see `_aside`)."""
        return self._aside()

    def claim_deliveries(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[Delivery]:
        with self.claiming() as db:
            return outbox.claim(self._qmark(db), now, lease_until, owner, limit, self.claim_lock)

    def delivery_log(self, party: str, limit: int) -> list[tuple[Delivery, list[Settled]]]:
        with self.snapshot() as db:
            return outbox.delivery_log(db, party, limit)
