"""Upgrading a store from before altitude datums: stored boxes widen, so no conflict is missed."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import psycopg

from deconflict.line.model import Declared, Share
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.store import is_postgres_url, open_store
from tests.line.conftest import strike, zone

# A zone from 0 to 1,000 m above sea level, as every band was stored before datums.
OLD_ZONE = replace(zone(), band=AltitudeBand(0.0, 1000.0))
# 1,050 m above the ellipsoid: above the zone as typed, but within what sea level may
# mean against the ellipsoid (the geoid lies up to 86 m above it), so a conflict.
CLIMB = replace(strike(lon=38.64), band=AltitudeBand(1050.0, 2000.0, Datum.WGS84))


def _store_as_before_datums(db: str) -> None:
    """Put the zone's box back as the previous schema version computed it, and that version."""
    if is_postgres_url(db):
        with psycopg.connect(db, autocommit=True) as connection:
            connection.execute(
                "UPDATE volume SET box = cube(ARRAY[cube_ll_coord(box, 1), cube_ll_coord(box, 2),"
                " cube_ll_coord(box, 3), cube_ll_coord(box, 4), -1.0], ARRAY[cube_ur_coord(box, 1),"
                " cube_ur_coord(box, 2), cube_ur_coord(box, 3), cube_ur_coord(box, 4), 1001.0])"
            )
            connection.execute("DELETE FROM schema_version WHERE version >= 5")
        return
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE volume_index SET alt0 = -1.0, alt1 = 1001.0")
        connection.execute("PRAGMA user_version = 5")


def test_a_band_stored_before_datums_still_meets_a_band_in_another_datum(db: str) -> None:
    store = open_store(db)
    with store.atomic() as tx:
        tx.save_feature(Declared(OLD_ZONE, 1, Share.SHAPE), "declared", datetime.now(UTC))
    store.close()
    _store_as_before_datums(db)
    before = open_store(db)  # opening upgrades the schema
    try:
        with before.atomic() as tx:
            found = [other.feature.id for _, other in tx.conflicts_of(CLIMB)]
    finally:
        before.close()
    assert found == ["at-tanf"]
