"""The store's side of one atomic step on PostgreSQL: the rows the unit of work reads and writes.

The transaction takes the advisory locks of store/postgres/locks.py as the
step comes to what they protect: the idempotency key before it is looked up,
the feature's id before its stored version is read, the cells of its place
(old and new) before the candidates are read or it is written, a notice
before it is read, the record when the step appends what it recorded (at its
end, unless it must name a leaf sooner) or writes its events. So what a
step reads cannot change under it before it commits, whichever node it runs
on, and steps far apart run side by side. A step holding the line's lock
exclusively (`whole_line`) needs none of them. What to write is decided by
`line/unit.py`. The SQL both stores speak alike is `store/unit.py`'s, run
through `QmarkConnection`; here is PostgreSQL's own, in psycopg's `%s` style:
the cube index, the record's appends and the step's events in one statement
under the record's lock (`flush`), RETURNING, NOTIFY.

Round trips are what a step waits on, and what stretches the record's lock
on a busy machine (its holder waits for a core at every one), so a lock and
the read it protects are sent together (pipelined: the read starts once the
lock is granted), and so are a step's last statements and its COMMIT
(store.py): the record's lock is held for two round trips, the edge's read
and the commit. A step's answer to an idempotency key is written with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg

from deconflict.line.entries import Leaf
from deconflict.line.model import Declared, Notice
from deconflict.line.parties import Party
from deconflict.record.merkle import Node
from deconflict.rules.feature import Feature
from deconflict.rules.volume import volume_box
from deconflict.store.log_edge import LogEdge
from deconflict.store.postgres import log
from deconflict.store.postgres.locks import RECORD, Kind, Lock, name_lock, space_locks, take, union
from deconflict.store.postgres.qmark import QmarkConnection
from deconflict.store.postgres.rows import notices_where
from deconflict.store.record_reads import LogKey
from deconflict.store.rows import (
    VOLUME_COLUMNS,
    declared_of,
    opening_rows,
    payload_json,
    version_of,
    volume_row,
)
from deconflict.store.unit import SqlTx

CHANNEL = "deconflict_events"
"""The NOTIFY channel: a committed transaction that added events wakes every node's streams."""

_CANDIDATES = (
    "SELECT feature_id, document, version, share FROM volume"
    " WHERE box && cube(%s::float8[], %s::float8[])"
)
_DECLARED = (
    f"SELECT {VOLUME_COLUMNS}, "
    + ", ".join(f"cube_ll_coord(box, {d}), cube_ur_coord(box, {d})" for d in range(1, 4))
    + " FROM volume WHERE party = %s AND feature_id = %s"
)
_TAIL = (
    "WITH leaf AS (INSERT INTO log_leaf (idx, kind, entry, at)"
    " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bytea[], %s::text[])),"
    " node AS (INSERT INTO log_node (level, idx, hash)"
    " SELECT * FROM unnest(%s::integer[], %s::bigint[], %s::bytea[])),"
    " opening AS (INSERT INTO log_opening (idx, commitment, salt, value, readers)"
    " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bytea[], %s::text[], %s::text[])),"
    " event AS (INSERT INTO event (party, kind, payload, at)"
    " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) RETURNING id)"
    # Delivered by PostgreSQL at commit, and only if the transaction commits.
    " SELECT pg_notify(%s, '') FROM (SELECT 1 FROM event LIMIT 1) AS woken"
)
"""A step's writes under the record's lock, in one statement (a function scan yields the
arrays' elements in order, so leaves and event ids are given in the order they were made)."""
_REMEMBERED = ("party", "key", "fingerprint", "result")
"""The columns of an answer kept for an idempotency key."""
SpaceBox = tuple[float, ...]
"""A volume box's ECEF part: x0, x1, y0, y1, z0, z1 in metres."""


def cube_corners(feature: Feature) -> tuple[list[float], list[float]]:
    """The feature's volume box as a cube's low and high corners (float8: no rounding needed)."""
    box = volume_box(feature)
    return list(box[0::2]), list(box[1::2])


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows of `width` values as that many columns (an array parameter each)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


def candidate_rows(db: psycopg.Connection, feature: Feature) -> list[tuple[Any, ...]]:
    """Stored volumes whose box meets the feature's (GiST on cube): a superset of its conflicts."""
    return db.execute(_CANDIDATES, cube_corners(feature)).fetchall()


class PostgresTx(SqlTx):
    """The StoreTx of one open PostgreSQL transaction; `flush` before it commits."""

    bytewise = 'COLLATE "C"'
    given_ids = "OVERRIDING SYSTEM VALUE"

    def __init__(
        self, db: psycopg.Connection, log_key: LogKey | None = None, whole_line: bool = True
    ) -> None:
        """`whole_line`: the transaction holds the line's lock exclusively (no other lock is
        needed); else it holds it shared and takes the others as it goes."""
        super().__init__(QmarkConnection(db), log_key)
        self.pg = db
        self._log = LogEdge(self._read_edge)
        self._parties: list[Party] | None = None
        self._openings: list[tuple[Any, ...]] = []
        self._events: list[tuple[str, str, str, str]] = []
        self._whole_line = whole_line
        self._held: dict[tuple[int, int], bool] = {}
        self._stored: dict[tuple[str, str], SpaceBox | None] = {}
        self._remembered: list[tuple[str, str, str, str]] = []
        self._head_note: tuple[int, str] | None = None

    def _lock(self, locks: Iterable[Lock]) -> None:
        """Take those of `locks` not held yet (an exclusive one held covers a shared one)."""
        if self._whole_line:
            return
        new = [
            lock
            for lock in locks
            if not (self._held.get(lock[:2]) or (lock[:2] in self._held and not lock[2]))
        ]
        if new:
            take(self.pg, new)
            for kind, key, exclusive in new:
                self._held[(kind, key)] = exclusive or self._held.get((kind, key), False)

    def _locked_rows(
        self, locks: Iterable[Lock], sql: str, parameters: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        """Take `locks` (those not held yet), then run the read `sql`: one round trip, the two
        statements pipelined. The read starts once the locks are granted, so it sees what
        their last holders committed (READ COMMITTED takes a statement's snapshot as it
        starts); an error of either (a deadlock) is raised here."""
        with self.pg.pipeline():
            self._lock(locks)
            cursor = self.pg.execute(sql, parameters)
        return cursor.fetchall()

    def claim(self, features: Iterable[Feature]) -> None:
        """Lock each feature's id and its place, old and new, before it is checked or written."""
        self._lock(self._claims(features))

    def _claims(self, features: Iterable[Feature]) -> list[Lock]:
        """The locks of `claim`: the features' ids (taken now) and their places, old and new."""
        if self._whole_line:
            return []
        wanted = list(features)
        self._lock(name_lock(Kind.FEATURE, f.party, f.id) for f in wanted)
        places = []
        for feature in wanted:
            if (feature.party, feature.id) not in self._stored:
                self.declared(feature.party, feature.id)
            box = volume_box(feature)[:6]
            stored = self._stored[(feature.party, feature.id)]
            places += space_locks(box if stored is None else union(box, stored))
        return places

    def declared(self, party: str, feature_id: str) -> Declared | None:
        rows = self._locked_rows(
            [name_lock(Kind.FEATURE, party, feature_id)], _DECLARED, (party, feature_id)
        )
        row = rows[0] if rows else None
        place = None if row is None or row[-1] is None else tuple(row[-6:])
        self._stored[(party, feature_id)] = place
        return None if row is None else declared_of(row[:-6])

    def _read_edge(self) -> tuple[int, dict[Node, bytes]]:
        """Take the record's lock and read the log's size and right edge, in one round trip:
        the two statements are pipelined, and the read, run once the lock is granted, sees
        what its last holder committed (READ COMMITTED: a statement's snapshot is taken when
        it starts)."""
        with self.pg.pipeline():
            self._lock([RECORD])
            edge = self.pg.execute(log.EDGE)
        return log.edge_of(edge.fetchall())

    def flush(self) -> None:
        """Write what is still held in memory: the answers kept for idempotency keys, then,
        under the record's lock, in one statement, the record's new leaves, the nodes they
        complete, their openings, and new events (their ids given now, so commits follow ids;
        every node hears of them at commit). Before commit; in the pipeline that takes the
        commit (store.py), these statements and the COMMIT are one round trip."""
        remembered, self._remembered = self._remembered, []
        if remembered:
            self.insert_rows("idempotency", _REMEMBERED, remembered)
        leaves, nodes = self._log.unwritten()
        openings, self._openings = self._openings, []
        events, self._events = self._events, []
        if not leaves and not events:
            return
        self._lock([RECORD])
        db_columns = [
            *_columns(leaves, 4),
            *_columns(nodes, 3),
            *_columns(openings, 5),
            *_columns(events, 4),
        ]
        self.pg.execute(_TAIL, (*db_columns, CHANNEL))

    def candidates(self, feature: Feature) -> list[Declared]:
        rows = self._locked_rows(self._claims([feature]), _CANDIDATES, cube_corners(feature))
        return [version_of(row[1:]) for row in rows]

    def put_feature(self, declared: Declared) -> None:
        self.claim([declared.feature])
        # A cancelled feature leaves the index; a closed one stays (a check of the past sees it).
        low, high = (
            cube_corners(declared.feature) if declared.cancelled_at is None else (None, None)
        )
        self.pg.execute(
            "INSERT INTO volume (feature_id, party, kind, document, version, share, cancelled_at,"
            " closed_at, ends_at_s, box)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, cube(%s::float8[], %s::float8[]))"
            " ON CONFLICT (party, feature_id) DO UPDATE SET"
            " kind = excluded.kind, document = excluded.document, version = excluded.version,"
            " share = excluded.share, cancelled_at = excluded.cancelled_at,"
            " closed_at = excluded.closed_at, ends_at_s = excluded.ends_at_s, box = excluded.box",
            (*volume_row(declared), low, high),
        )

    def append(self, leaves: Sequence[Leaf]) -> int:
        """Add the leaves at the log's edge, in memory, the record's lock taken first (held
        until commit; `_read_edge`); they are written by `flush`."""
        first = self._log.add(leaves[0])
        for leaf in leaves[1:]:
            self._log.add(leaf)
        self._openings += opening_rows(first, leaves)
        return first

    def _signed_receipt(self, leaf_index: int, log_key: LogKey) -> dict[str, Any]:
        receipt = self._log.receipt(leaf_index, log_key.signer, log_key.origin)
        self._head_note = (int(receipt["tree_size"]), str(receipt["checkpoint"]))
        return receipt

    def head(self) -> tuple[Callable[[], int], Callable[[], str]] | None:
        """After commit: the log's size as this step left it and that head signed (the
        checkpoint of its receipt when that covers the whole step, else signed from the
        step's edge, in memory), for the head file (store/head.py) without reading the log
        again; None if the step appended nothing or has no log key."""
        size, key = self._log.size, self.log_key
        if size is None or key is None or not self._log.appended:
            return None
        note = self._head_note

        def signed() -> str:
            if note is not None and note[0] == size:
                return note[1]
            return self._log.checkpoint(key.signer, key.origin)

        return lambda: size, signed

    def _inserted_id(self, sql: str, parameters: Sequence[Any]) -> int:
        # A new notice or message: nobody reads them by the order of their ids (a thread's
        # messages are written under the notice's lock), so ids need not follow commits.
        row = self.db.execute(f"{sql} RETURNING id", parameters).fetchone()
        assert row is not None
        return int(row[0])

    def _notices(self, where: str, parameters: Sequence[Any]) -> list[Notice]:
        return notices_where(self.pg, where, parameters)

    def ids_follow(self, table: str) -> None:
        self.pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            " HAVING max(id) IS NOT NULL"
        )

    def add_party(self, party: Party, at: datetime) -> None:
        super().add_party(party, at)
        self._parties = None

    def notice(self, notice_id: int) -> Notice | None:
        self._lock([name_lock(Kind.NOTICE, notice_id)])
        return super().notice(notice_id)

    def probes_since(self, party: str, since: datetime) -> list[datetime]:
        self._lock([name_lock(Kind.PROBES, party)])
        return super().probes_since(party, since)

    def add_probe(self, party: str, at: datetime, forget_before: datetime) -> None:
        self._lock([name_lock(Kind.PROBES, party)])
        super().add_probe(party, at, forget_before)

    def recall(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None:
        self._lock([name_lock(Kind.IDEMPOTENCY, party, key)])
        return super().recall(party, key)

    def remember(self, party: str, key: str, fingerprint: str, result: dict[str, Any]) -> None:
        """Keep the answer to a key, written by `flush` with the step's last statements (the
        key's lock, taken by `recall`, keeps any other step from it until commit)."""
        self._remembered.append((party, key, fingerprint, payload_json(result)))

    def parties(self) -> list[Party]:
        # Read once per step: parties are added only under the line's exclusive lock, and this
        # transaction holds it at least shared.
        if self._parties is None:
            self._parties = super().parties()
        return list(self._parties)

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> None:
        """Keep an event for the party's streams, written by `flush` under the record's lock.

        Its id is assigned then, and commits follow the order of the ids: a stream
        (`events_after`) never sees an id before a smaller one.
        """
        self._events.append((party, kind, payload_json(payload), at.isoformat()))
