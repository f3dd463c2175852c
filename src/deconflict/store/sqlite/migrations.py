"""Schema migrations for the SQLite store, applied in version order, forward only."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
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
)
