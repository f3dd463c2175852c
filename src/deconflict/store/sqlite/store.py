"""SQLite as the embedded store: WAL, synchronous commits, an R*Tree over volumes.

R*Tree coordinates are 32-bit floats rounded outwards (lower bounds down,
upper bounds up), so a stored box only ever grows: the index stays a
superset of the true candidates.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from deconflict.errors import NotFound, StateConflict
from deconflict.line.parties import Credential, Party, Role
from deconflict.rules.conflicts import Conflict, conflict_between
from deconflict.rules.feature import Feature
from deconflict.rules.plan import feature_to_geojson, parse_feature
from deconflict.rules.volume import volume_box
from deconflict.store.sqlite.migrations import MIGRATIONS


class SqliteStore:
    """Zones and activities in one SQLite file (":memory:" for a throwaway store)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        # One connection serves every thread: one transaction at a time on it.
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before we answer, even across power loss.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self.transaction():
            for version, script in enumerate(
                MIGRATIONS[self.schema_version :], self.schema_version + 1
            ):
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={version}")

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
                (
                    feature.id,
                    feature.party,
                    feature.kind.value,
                    _document(feature),
                ),
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

    def declare(self, feature: Feature, at: datetime) -> tuple[int, list[Conflict]]:
        """Check `feature` against everything stored and store it, in one transaction.

        A new id is version 1; a known id of the same party is amended (a new
        version; earlier ones stay readable). Returns the version and the
        conflicts. Two conflicting declarations can never both pass unseen:
        the second to take the write lock sees the first.
        """
        with self.transaction() as db:
            current = db.execute(
                "SELECT rowid, party, version, cancelled_at FROM volume WHERE feature_id = ?",
                (feature.id,),
            ).fetchone()
            if current is not None and (current[1] != feature.party or current[3] is not None):
                raise StateConflict(
                    "this id belongs to another feature (or a cancelled one); choose a new id",
                    feature_id=feature.id,
                    field="id",
                    value=feature.id,
                )
            conflicts = self._conflicts_of(db, feature)
            version = 1 if current is None else current[2] + 1
            self._write_current(db, feature, version, None if current is None else current[0])
            self._record_version(
                db, feature, version, "declared" if version == 1 else "amended", at
            )
        return version, conflicts

    def cancel(self, feature_id: str, party: str, at: datetime) -> int:
        """Cancel a party's feature: it leaves the index, its history stays. Returns the version."""
        with self.transaction() as db:
            current = db.execute(
                "SELECT rowid, version, document FROM volume"
                " WHERE feature_id = ? AND party = ? AND cancelled_at IS NULL",
                (feature_id, party),
            ).fetchone()
            if current is None:
                raise NotFound(
                    "no such live feature of yours",
                    feature_id=feature_id,
                    field="id",
                    value=feature_id,
                )
            version = int(current[1]) + 1
            db.execute("DELETE FROM volume_index WHERE rowid = ?", (current[0],))
            db.execute(
                "UPDATE volume SET version = ?, cancelled_at = ? WHERE rowid = ?",
                (version, at.isoformat(), current[0]),
            )
            db.execute(
                "INSERT INTO feature_version VALUES (?, ?, ?, 'cancelled', ?, ?)",
                (feature_id, version, party, current[2], at.isoformat()),
            )
        return version

    def history(self, feature_id: str) -> list[tuple[int, str, Feature, datetime]]:
        """Every version of a feature: (version, change, feature as then, when recorded)."""
        rows = self._db.execute(
            "SELECT version, change, document, recorded_at FROM feature_version"
            " WHERE feature_id = ? ORDER BY version",
            (feature_id,),
        )
        return [
            (v, change, _feature_of(doc), datetime.fromisoformat(t)) for v, change, doc, t in rows
        ]

    def _conflicts_of(self, db: sqlite3.Connection, feature: Feature) -> list[Conflict]:
        found = []
        for other_id, document in self._candidate_rows(db, feature):
            if other_id == feature.id:
                continue
            conflict = conflict_between(feature, _feature_of(document))
            if conflict is not None:
                found.append(conflict)
        return sorted(found, key=lambda c: c.ids)

    def _write_current(
        self, db: sqlite3.Connection, feature: Feature, version: int, rowid: int | None
    ) -> None:
        if rowid is None:
            self._insert(db, feature)
            return
        db.execute(
            "UPDATE volume SET kind = ?, document = ?, version = ? WHERE rowid = ?",
            (feature.kind.value, _document(feature), version, rowid),
        )
        db.execute(
            "REPLACE INTO volume_index VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rowid, *volume_box(feature)),
        )

    def _record_version(
        self, db: sqlite3.Connection, feature: Feature, version: int, change: str, at: datetime
    ) -> None:
        db.execute(
            "INSERT INTO feature_version VALUES (?, ?, ?, ?, ?, ?)",
            (feature.id, version, feature.party, change, _document(feature), at.isoformat()),
        )

    def _candidate_rows(self, db: sqlite3.Connection, feature: Feature) -> list[tuple[str, str]]:
        box = volume_box(feature)
        return db.execute(
            """
            SELECT v.feature_id, v.document FROM volume_index AS i
            JOIN volume AS v ON v.rowid = i.rowid
            WHERE i.x0 <= ? AND i.x1 >= ? AND i.y0 <= ? AND i.y1 >= ?
              AND i.z0 <= ? AND i.z1 >= ? AND i.t0 <= ? AND i.t1 >= ?
              AND i.alt0 <= ? AND i.alt1 >= ?
            """,
            (box[1], box[0], box[3], box[2], box[5], box[4], box[7], box[6], box[9], box[8]),
        ).fetchall()

    def candidate_ids(self, feature: Feature) -> list[str]:
        """Ids of stored features whose volume box meets `feature`'s (a superset of conflicts)."""
        box = volume_box(feature)
        rows = self._db.execute(
            """
            SELECT v.feature_id FROM volume_index AS i JOIN volume AS v ON v.rowid = i.rowid
            WHERE i.x0 <= ? AND i.x1 >= ? AND i.y0 <= ? AND i.y1 >= ?
              AND i.z0 <= ? AND i.z1 >= ? AND i.t0 <= ? AND i.t1 >= ?
              AND i.alt0 <= ? AND i.alt1 >= ?
            """,
            (box[1], box[0], box[3], box[2], box[5], box[4], box[7], box[6], box[9], box[8]),
        )
        return [row[0] for row in rows]

    def feature(self, feature_id: str) -> Feature | None:
        """The stored feature with this id, or None."""
        row = self._db.execute(
            "SELECT document FROM volume WHERE feature_id = ?", (feature_id,)
        ).fetchone()
        if row is None:
            return None
        return _feature_of(row[0])

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM volume").fetchone()[0])

    def add_party(self, party: Party, at: datetime) -> None:
        """Register a party; refuses an id already taken."""
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO party (id, name, language, contact, escalation_contact,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        party.id,
                        party.name,
                        party.language,
                        party.contact,
                        party.escalation_contact,
                        at.isoformat(),
                    ),
                )
        except sqlite3.IntegrityError:
            raise StateConflict(
                "a party with this id exists already", field="id", value=party.id
            ) from None

    def party(self, party_id: str) -> Party | None:
        row = self._db.execute(
            "SELECT id, name, language, contact, escalation_contact FROM party WHERE id = ?",
            (party_id,),
        ).fetchone()
        return Party(*row) if row else None

    def parties(self) -> list[Party]:
        rows = self._db.execute(
            "SELECT id, name, language, contact, escalation_contact FROM party ORDER BY id"
        )
        return [Party(*row) for row in rows]

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
        row = self._db.execute(
            "SELECT party_id, role, id FROM token WHERE hash = ? AND revoked_at IS NULL",
            (token_hash,),
        ).fetchone()
        return Credential(row[0], Role(row[1]), row[2]) if row else None


def _document(feature: Feature) -> str:
    return json.dumps(feature_to_geojson(feature), separators=(",", ":"))


def _feature_of(document: str) -> Feature:
    feature, problems = parse_feature(json.loads(document))
    assert feature is not None, problems  # only validated features are ever stored
    return feature
