"""Schema migrations for the PostgreSQL store: versioned, forward only, one transaction each run.

Stored forms match the SQLite store's column for column (ISO 8601 text for
moments, JSON text, seconds as float for the two deadlines the line queries),
so one row mapping serves both and both give the same answers. What differs
is the index: a `cube` of the feature's 5-D volume box under GiST, where
SQLite has an R*Tree.

`schema_version` keeps one row per applied version. Every migration run holds
the line's advisory lock exclusively, so nodes starting together upgrade the
schema once, and no step of the line runs meanwhile.
A migration is a SQL script, or a step that reads stored features and writes
back what the domain computes of them (SQL cannot: the rules are in Python).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from deconflict.rules.feature import Feature
from deconflict.store.errors import StoreUnavailable
from deconflict.store.postgres.locks import lock_line
from deconflict.store.postgres.unit import cube_corners
from deconflict.store.reindex import moved_by_calendar_weeks
from deconflict.store.rows import ends_at_s

Migration = str | Callable[[psycopg.Connection], None]


def _reindex_calendar_weeks(db: psycopg.Connection) -> None:
    rows = db.execute("SELECT id, document FROM volume").fetchall()
    moved: list[tuple[int, Feature]] = list(moved_by_calendar_weeks(rows))
    with db.cursor() as cursor:
        cursor.executemany(
            # A cancelled feature has no box, and gets none.
            "UPDATE volume SET ends_at_s = %s,"
            " box = CASE WHEN box IS NOT NULL THEN cube(%s::float8[], %s::float8[]) END"
            " WHERE id = %s",
            [(ends_at_s(feature), *cube_corners(feature), row_id) for row_id, feature in moved],
        )


MIGRATIONS: tuple[Migration, ...] = (
    # 1: features, every version of them, and their 5-D volume boxes under GiST.
    """
    CREATE EXTENSION IF NOT EXISTS cube;
    CREATE TABLE volume (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        feature_id TEXT NOT NULL UNIQUE,
        party TEXT NOT NULL,
        kind TEXT NOT NULL,
        document TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        share TEXT NOT NULL DEFAULT 'shape',
        cancelled_at TEXT,
        closed_at TEXT,
        ends_at_s DOUBLE PRECISION,
        box CUBE
    );
    CREATE INDEX volume_box ON volume USING gist (box);
    CREATE INDEX volume_open_ends ON volume (ends_at_s)
        WHERE cancelled_at IS NULL AND closed_at IS NULL AND kind = 'activity';
    CREATE TABLE feature_version (
        feature_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        party TEXT NOT NULL,
        change TEXT NOT NULL,
        document TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        share TEXT NOT NULL DEFAULT 'shape',
        salt BYTEA,
        PRIMARY KEY (feature_id, version)
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
        created_at TEXT NOT NULL,
        public_key TEXT
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
    # 3: the line: notices and their threads, events for the consoles, idempotency keys.
    """
    CREATE TABLE notice (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        feature_id TEXT NOT NULL,
        feature_version INTEGER NOT NULL,
        sender TEXT NOT NULL REFERENCES party(id),
        recipient TEXT NOT NULL REFERENCES party(id),
        priority INTEGER NOT NULL,
        state TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        respond_by TEXT,
        respond_by_s DOUBLE PRECISION,
        conflicts TEXT NOT NULL,
        response TEXT,
        overdue_at TEXT,
        withheld INTEGER NOT NULL DEFAULT 0,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX notice_recipient ON notice (recipient, id);
    CREATE INDEX notice_sender ON notice (sender, id);
    CREATE INDEX notice_feature ON notice (feature_id);
    CREATE INDEX notice_due ON notice (respond_by_s)
        WHERE response IS NULL AND overdue_at IS NULL AND respond_by_s IS NOT NULL;
    CREATE TABLE message (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        notice_id BIGINT NOT NULL REFERENCES notice(id),
        code TEXT NOT NULL,
        params TEXT NOT NULL,
        sender TEXT NOT NULL,
        at TEXT NOT NULL,
        text TEXT
    );
    CREATE INDEX message_notice ON message (notice_id, id);
    CREATE TABLE event (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        party TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX event_party ON event (party, id);
    CREATE TABLE idempotency (
        party TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (party, key)
    );
    """,
    # 4: the record: a Merkle tree log (RFC 9162), and the one key its checkpoints are signed with.
    """
    CREATE TABLE log_leaf (
        idx BIGINT PRIMARY KEY,
        kind TEXT NOT NULL,
        entry BYTEA NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE log_node (
        level INTEGER NOT NULL,
        idx BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (level, idx)
    );
    CREATE TABLE log_signer (
        one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
        origin TEXT NOT NULL,
        verifier TEXT NOT NULL
    );
    """,
    # 5: altitude datums. A box's altitude (its fifth dimension) now holds every height
    # above the ellipsoid its band may mean; every band stored before was above mean sea
    # level, so its box widens by the geoid's extremes (107 m down, 86 m up).
    """
    UPDATE volume SET box = cube(
        ARRAY[cube_ll_coord(box, 1), cube_ll_coord(box, 2), cube_ll_coord(box, 3),
              cube_ll_coord(box, 4),
              CASE WHEN cube_ll_coord(box, 5) > -1.0e9 THEN cube_ll_coord(box, 5) - 107.0
                   ELSE cube_ll_coord(box, 5) END],
        ARRAY[cube_ur_coord(box, 1), cube_ur_coord(box, 2), cube_ur_coord(box, 3),
              cube_ur_coord(box, 4),
              CASE WHEN cube_ur_coord(box, 5) < 1.0e9 THEN cube_ur_coord(box, 5) + 86.0
                   ELSE cube_ur_coord(box, 5) END]
    ) WHERE box IS NOT NULL;
    """,
    # 6: every N weeks counts calendar weeks (Monday to Sunday) from the first occurrence's
    # week. Where that moves occurrences (every 2 or more weeks on a weekday earlier than the
    # first's), the box and end stored before may end days early: both are recomputed.
    _reindex_calendar_weeks,
    # 7: the openings of the record's sealed parts (record/sealed.py), each with its readers
    # (a JSON list of party ids; NULL for every party).
    """
    CREATE TABLE IF NOT EXISTS log_opening (
        idx BIGINT NOT NULL,
        commitment TEXT NOT NULL,
        salt BYTEA NOT NULL,
        value TEXT NOT NULL,
        readers TEXT,
        PRIMARY KEY (idx, commitment)
    );
    """,
    # 8: ids are per party: two parties may use the same feature id. A notice names its
    # feature with its sender. Each constraint is dropped before it is made, so the step
    # leaves the same schema whatever it starts from.
    """
    ALTER TABLE volume DROP CONSTRAINT IF EXISTS volume_feature_id_key;
    ALTER TABLE volume DROP CONSTRAINT IF EXISTS volume_party_feature_id_key;
    ALTER TABLE volume ADD CONSTRAINT volume_party_feature_id_key UNIQUE (party, feature_id);
    ALTER TABLE feature_version DROP CONSTRAINT feature_version_pkey;
    ALTER TABLE feature_version ADD PRIMARY KEY (party, feature_id, version);
    DROP INDEX notice_feature;
    CREATE INDEX notice_feature ON notice (sender, feature_id);
    """,
    # 9: probes: each dry run that met another party's `contact` zone, for the asker's budget
    # (kept if a store set back to an earlier version is upgraded again).
    """
    CREATE TABLE IF NOT EXISTS probe (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        party TEXT NOT NULL,
        at_s DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX IF NOT EXISTS probe_party ON probe(party, at_s);
    """,
    # 10: escalation beyond the line: each party's destinations (webhooks and e-mail), the
    # delivery jobs an escalation queues for them (an outbox, claimed under a lease), and
    # every attempt (each also a `delivery` entry of the record).
    """
    CREATE TABLE IF NOT EXISTS escalation_destination (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        notice_id BIGINT NOT NULL,
        destination_id BIGINT NOT NULL REFERENCES escalation_destination(id),
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        next_at_s DOUBLE PRECISION NOT NULL,
        lease_until_s DOUBLE PRECISION,
        lease_owner TEXT
    );
    CREATE INDEX IF NOT EXISTS escalation_delivery_due ON escalation_delivery(next_at_s)
        WHERE state = 'pending';
    CREATE INDEX IF NOT EXISTS escalation_delivery_destination
        ON escalation_delivery(destination_id, id);
    CREATE TABLE IF NOT EXISTS escalation_attempt (
        delivery_id BIGINT NOT NULL REFERENCES escalation_delivery(id),
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        next_at TEXT,
        entry BIGINT NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );
    """,
    # 11: the DSS of ASTM F3548-21 (deconflict/utm/): operational intents, constraints and
    # subscriptions as documents, each with the box it is found by (window, band, ECEF box)
    # and a subscription's notifications so far, and the USSs' availability.
    """
    CREATE TABLE IF NOT EXISTS utm_entity (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        document TEXT NOT NULL,
        subscription_id TEXT,
        notified INTEGER NOT NULL DEFAULT 0,
        t0 DOUBLE PRECISION NOT NULL,
        t1 DOUBLE PRECISION NOT NULL,
        alt0 DOUBLE PRECISION NOT NULL,
        alt1 DOUBLE PRECISION NOT NULL,
        x0 DOUBLE PRECISION NOT NULL,
        x1 DOUBLE PRECISION NOT NULL,
        y0 DOUBLE PRECISION NOT NULL,
        y1 DOUBLE PRECISION NOT NULL,
        z0 DOUBLE PRECISION NOT NULL,
        z1 DOUBLE PRECISION NOT NULL,
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
    # 12: console sessions, kept here so that any node serves any console: the SHA-256 hash
    # of the session's cookie (never the cookie), the token it acts with, when it expires.
    """
    CREATE TABLE IF NOT EXISTS console_session (
        key_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL REFERENCES token(id),
        expires_at_s DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX IF NOT EXISTS console_session_expiry ON console_session(expires_at_s);
    """,
)


def schema_version(db: psycopg.Connection) -> int:
    """The highest applied migration; 0 for an empty database."""
    found = db.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not (found and found[0]):
        return 0
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(db: psycopg.Connection, target: int = len(MIGRATIONS)) -> tuple[int, int]:
    """Apply the migrations after the database's version up to `target`, all in one transaction.

    Returns (version before, version after). Refuses a database whose schema is
    newer than this code knows: an older node must not write into it.
    """
    with db.transaction():
        lock_line(db)
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        before = schema_version(db)
        if before > len(MIGRATIONS):
            raise StoreUnavailable(
                f"the database's schema is version {before}, newer than this deconflict knows "
                f"({len(MIGRATIONS)}); upgrade deconflict on this node",
                field="schema_version",
                value=before,
            )
        for version in range(before + 1, target + 1):
            migration = MIGRATIONS[version - 1]
            if isinstance(migration, str):
                db.execute(migration.encode())
            else:
                migration(db)
            db.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        return before, max(before, target)
