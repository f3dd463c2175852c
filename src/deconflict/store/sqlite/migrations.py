"""Schema migrations for the SQLite store, applied in version order, forward only.

A migration is a SQL script, or a step that reads stored features and writes
back what the domain computes of them (SQL cannot: the rules are in Python).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from deconflict.rules.volume import volume_box
from deconflict.store.reindex import moved_by_calendar_weeks
from deconflict.store.rows import ends_at_s

Migration = str | Callable[[sqlite3.Connection], None]


def _reindex_calendar_weeks(db: sqlite3.Connection) -> None:
    moved = list(moved_by_calendar_weeks(db.execute("SELECT rowid, document FROM volume")))
    db.executemany(
        "UPDATE volume SET ends_at_s = ? WHERE rowid = ?",
        [(ends_at_s(feature), rowid) for rowid, feature in moved],
    )
    # A cancelled feature has no index row, and gets none.
    db.executemany(
        "UPDATE volume_index SET x0 = ?, x1 = ?, y0 = ?, y1 = ?, z0 = ?, z1 = ?, t0 = ?, t1 = ?,"
        " alt0 = ?, alt1 = ? WHERE rowid = ?",
        [(*volume_box(feature), rowid) for rowid, feature in moved],
    )


MIGRATIONS: tuple[Migration, ...] = (
    # 1: volumes and their 5-D index (x, y, z, time, altitude).
    """
    CREATE TABLE volume (
        rowid INTEGER PRIMARY KEY,
        feature_id TEXT NOT NULL UNIQUE,
        party TEXT NOT NULL,
        kind TEXT NOT NULL,
        document TEXT NOT NULL
    );
    CREATE VIRTUAL TABLE volume_index USING rtree(
        rowid, x0, x1, y0, y1, z0, z1, t0, t1, alt0, alt1
    );
    """,
    # 2: parties and their tokens (hashes only).
    """
    CREATE TABLE party (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        language TEXT NOT NULL,
        contact TEXT,
        escalation_contact TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE token (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        party_id TEXT NOT NULL REFERENCES party(id),
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    """,
    # 3: every version of every declared feature; the volume row is the current one.
    """
    ALTER TABLE volume ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE volume ADD COLUMN cancelled_at TEXT;
    CREATE TABLE feature_version (
        feature_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        party TEXT NOT NULL,
        change TEXT NOT NULL,
        document TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (feature_id, version)
    );
    """,
    # 4: the line: share levels, notices and their threads, events, idempotency keys.
    """
    ALTER TABLE volume ADD COLUMN share TEXT NOT NULL DEFAULT 'shape';
    ALTER TABLE volume ADD COLUMN closed_at TEXT;
    ALTER TABLE volume ADD COLUMN ends_at_s REAL;
    CREATE INDEX volume_open_ends ON volume(ends_at_s)
        WHERE cancelled_at IS NULL AND closed_at IS NULL AND kind = 'activity';
    ALTER TABLE feature_version ADD COLUMN share TEXT NOT NULL DEFAULT 'shape';
    CREATE TABLE notice (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        feature_id TEXT NOT NULL,
        feature_version INTEGER NOT NULL,
        sender TEXT NOT NULL REFERENCES party(id),
        recipient TEXT NOT NULL REFERENCES party(id),
        priority INTEGER NOT NULL,
        state TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        respond_by TEXT,
        respond_by_s REAL,
        conflicts TEXT NOT NULL,
        response TEXT,
        overdue_at TEXT,
        withheld INTEGER NOT NULL DEFAULT 0,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX notice_recipient ON notice(recipient, id);
    CREATE INDEX notice_sender ON notice(sender, id);
    CREATE INDEX notice_feature ON notice(feature_id);
    CREATE INDEX notice_due ON notice(respond_by_s)
        WHERE response IS NULL AND overdue_at IS NULL AND respond_by_s IS NOT NULL;
    CREATE TABLE message (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        notice_id INTEGER NOT NULL REFERENCES notice(id),
        code TEXT NOT NULL,
        params TEXT NOT NULL,
        sender TEXT NOT NULL,
        at TEXT NOT NULL,
        text TEXT
    );
    CREATE INDEX message_notice ON message(notice_id, id);
    CREATE TABLE event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        party TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX event_party ON event(party, id);
    CREATE TABLE idempotency (
        party TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (party, key)
    );
    """,
    # 5: the record: a Merkle tree log (RFC 9162) of every message and state change.
    """
    CREATE TABLE log_leaf (
        idx INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        entry BLOB NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE log_node (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)
    ) WITHOUT ROWID;
    ALTER TABLE feature_version ADD COLUMN salt BLOB;
    ALTER TABLE party ADD COLUMN public_key TEXT;
    """,
    # 6: altitude datums. A box's altitude now holds every height above the ellipsoid
    # its band may mean, for comparing bands in different datums; every band stored
    # before was above mean sea level, so its box widens by the geoid's extremes
    # (107 m down, 86 m up; rules/altitude.py). Unbounded sides stay unbounded.
    """
    UPDATE volume_index SET alt0 = alt0 - 107.0 WHERE alt0 > -1.0e9;
    UPDATE volume_index SET alt1 = alt1 + 86.0 WHERE alt1 < 1.0e9;
    """,
    # 7: every N weeks counts calendar weeks (Monday to Sunday) from the first occurrence's
    # week. Where that moves occurrences (every 2 or more weeks on a weekday earlier than the
    # first's), the box and end stored before may end days early: both are recomputed.
    _reindex_calendar_weeks,
    # 8: the openings of the record's sealed parts (record/sealed.py), each with its readers
    # (a JSON list of party ids; NULL for every party).
    """
    CREATE TABLE IF NOT EXISTS log_opening (
        idx INTEGER NOT NULL,
        commitment TEXT NOT NULL,
        salt BLOB NOT NULL,
        value TEXT NOT NULL,
        readers TEXT,
        PRIMARY KEY (idx, commitment)
    ) WITHOUT ROWID;
    """,
    # 9: ids are per party: two parties may use the same feature id. SQLite cannot drop a
    # UNIQUE constraint, so `volume` and `feature_version` are rebuilt; each volume keeps its
    # rowid, which its index row is keyed by. A notice names its feature with its sender.
    """
    CREATE TABLE volume_by_party (
        rowid INTEGER PRIMARY KEY,
        feature_id TEXT NOT NULL,
        party TEXT NOT NULL,
        kind TEXT NOT NULL,
        document TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        cancelled_at TEXT,
        share TEXT NOT NULL DEFAULT 'shape',
        closed_at TEXT,
        ends_at_s REAL,
        UNIQUE (party, feature_id)
    );
    INSERT INTO volume_by_party (rowid, feature_id, party, kind, document, version,
        cancelled_at, share, closed_at, ends_at_s)
        SELECT rowid, feature_id, party, kind, document, version, cancelled_at, share,
        closed_at, ends_at_s FROM volume;
    DROP TABLE volume;
    ALTER TABLE volume_by_party RENAME TO volume;
    CREATE INDEX volume_open_ends ON volume(ends_at_s)
        WHERE cancelled_at IS NULL AND closed_at IS NULL AND kind = 'activity';
    CREATE TABLE feature_version_by_party (
        party TEXT NOT NULL,
        feature_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        change TEXT NOT NULL,
        document TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        share TEXT NOT NULL DEFAULT 'shape',
        salt BLOB,
        PRIMARY KEY (party, feature_id, version)
    );
    INSERT INTO feature_version_by_party (party, feature_id, version, change, document,
        recorded_at, share, salt)
        SELECT party, feature_id, version, change, document, recorded_at, share, salt
        FROM feature_version;
    DROP TABLE feature_version;
    ALTER TABLE feature_version_by_party RENAME TO feature_version;
    DROP INDEX notice_feature;
    CREATE INDEX notice_feature ON notice(sender, feature_id);
    """,
    # 10: probes: each dry run that met another party's `contact` zone, for the asker's budget
    # (kept if a store set back to an earlier version is upgraded again).
    """
    CREATE TABLE IF NOT EXISTS probe (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        party TEXT NOT NULL,
        at_s REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS probe_party ON probe(party, at_s);
    """,
    # 11: escalation beyond the line: each party's destinations (webhooks and e-mail), the
    # delivery jobs an escalation queues for them (an outbox, claimed under a lease), and
    # every attempt (each also a `delivery` entry of the record).
    """
    CREATE TABLE IF NOT EXISTS escalation_destination (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        party TEXT NOT NULL,
        channel TEXT NOT NULL,
        target TEXT NOT NULL,
        signing TEXT,
        secret TEXT,
        created_at TEXT NOT NULL,
        removed_at TEXT
    );
    CREATE INDEX IF NOT EXISTS escalation_destination_party
        ON escalation_destination(party, id);
    CREATE TABLE IF NOT EXISTS escalation_delivery (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        notice_id INTEGER NOT NULL,
        destination_id INTEGER NOT NULL REFERENCES escalation_destination(id),
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        next_at_s REAL NOT NULL,
        lease_until_s REAL,
        lease_owner TEXT
    );
    CREATE INDEX IF NOT EXISTS escalation_delivery_due ON escalation_delivery(next_at_s)
        WHERE state = 'pending';
    CREATE INDEX IF NOT EXISTS escalation_delivery_destination
        ON escalation_delivery(destination_id, id);
    CREATE TABLE IF NOT EXISTS escalation_attempt (
        delivery_id INTEGER NOT NULL REFERENCES escalation_delivery(id),
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        next_at TEXT,
        entry INTEGER NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );
    """,
    # 12: the DSS of ASTM F3548-21 (deconflict/utm/): operational intents, constraints and
    # subscriptions as documents, each with the box it is found by (window, band, ECEF box)
    # and a subscription's notifications so far, and the USSs' availability.
    """
    CREATE TABLE IF NOT EXISTS utm_entity (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        document TEXT NOT NULL,
        subscription_id TEXT,
        notified INTEGER NOT NULL DEFAULT 0,
        t0 REAL NOT NULL,
        t1 REAL NOT NULL,
        alt0 REAL NOT NULL,
        alt1 REAL NOT NULL,
        x0 REAL NOT NULL,
        x1 REAL NOT NULL,
        y0 REAL NOT NULL,
        y1 REAL NOT NULL,
        z0 REAL NOT NULL,
        z1 REAL NOT NULL,
        PRIMARY KEY (kind, id)
    );
    CREATE INDEX IF NOT EXISTS utm_entity_window ON utm_entity(kind, t1, t0);
    CREATE INDEX IF NOT EXISTS utm_entity_subscription ON utm_entity(subscription_id)
        WHERE subscription_id IS NOT NULL;
    CREATE TABLE IF NOT EXISTS utm_availability (
        uss TEXT PRIMARY KEY,
        availability TEXT NOT NULL,
        version TEXT NOT NULL
    );
    """,
    # 13: console sessions, kept here so that any node serves any console: the SHA-256 hash
    # of the session's cookie (never the cookie), the token it acts with, when it expires.
    """
    CREATE TABLE IF NOT EXISTS console_session (
        key_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL REFERENCES token(id),
        expires_at_s REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS console_session_expiry ON console_session(expires_at_s);
    """,
)


def migrate(db: sqlite3.Connection, target: int = len(MIGRATIONS)) -> tuple[int, int]:
    """Apply the migrations after the file's version up to `target`, in the caller's transaction.

    Returns (version before, version after).
    """
    before = int(db.execute("PRAGMA user_version").fetchone()[0])
    for version in range(before + 1, target + 1):
        migration = MIGRATIONS[version - 1]
        if isinstance(migration, str):
            for statement in filter(str.strip, migration.split(";")):
                db.execute(statement)
        else:
            migration(db)
        db.execute(f"PRAGMA user_version={version}")
    return before, max(before, target)
