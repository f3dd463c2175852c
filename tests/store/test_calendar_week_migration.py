"""Upgrading a store from before calendar weeks: every N weeks stored then reaches its moved
occurrences, so no conflict is missed and no activity is closed out early."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from deconflict.line.model import Declared, Share
from deconflict.rules.feature import Feature, TimeWindow
from deconflict.rules.schedule import Every, Recurrence
from deconflict.rules.volume import volume_box
from deconflict.store import StoreUnavailable, is_postgres_url, open_store, upgrade
from deconflict.store.postgres.unit import candidate_rows as postgres_candidates
from deconflict.store.sqlite.unit import candidate_rows as sqlite_candidates
from tests.line.conftest import strike

FIRST = datetime(2027, 1, 6, 10, tzinfo=UTC)  # a Wednesday
# Artillery every 2 weeks on Monday and Wednesday, 10:00 to 12:00, until 19 January. In
# calendar weeks: Wednesday 6, then Monday 18, its last. Counted from the first occurrence's
# own day, as before: Wednesday 6, then Monday 11, its last (Wednesday 20 is past the until).
ARTILLERY = replace(
    strike("artillery"),
    window=TimeWindow(FIRST, FIRST + timedelta(hours=2)),
    repeat=Recurrence(Every.WEEK, 2, (0, 2), datetime(2027, 1, 19, tzinfo=UTC)),
)
OLD_END = datetime(2027, 1, 11, 12, tzinfo=UTC)
# The aid agency's convoy past the guns on Monday 18 January only: it meets the artillery
# as counted in calendar weeks, after the end its box was stored with.
CONVOY = replace(
    strike("convoy", party="aid"),
    window=TimeWindow(
        datetime(2027, 1, 18, 10, 30, tzinfo=UTC), datetime(2027, 1, 18, 11, tzinfo=UTC)
    ),
)
SQLITE_VERSION_BEFORE, POSTGRES_VERSION_BEFORE = 6, 5


def _store_as_before_calendar_weeks(db: str) -> None:
    """Put the artillery's box and end back as the previous schema version computed them
    (ending Monday 11 January), and that version."""
    old_box = list(volume_box(ARTILLERY))
    old_box[7] = OLD_END.timestamp()  # t1
    if is_postgres_url(db):
        with psycopg.connect(db, autocommit=True) as connection:
            connection.execute(
                "UPDATE volume SET ends_at_s = %s, box = cube(%s::float8[], %s::float8[])"
                " WHERE box IS NOT NULL",
                (OLD_END.timestamp(), old_box[0::2], old_box[1::2]),
            )
            connection.execute(
                "UPDATE volume SET ends_at_s = %s WHERE box IS NULL", (OLD_END.timestamp(),)
            )
            connection.execute(
                "DELETE FROM schema_version WHERE version > %s", (POSTGRES_VERSION_BEFORE,)
            )
        return
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE volume_index SET t1 = ?", (OLD_END.timestamp(),))
        connection.execute("UPDATE volume SET ends_at_s = ?", (OLD_END.timestamp(),))
        connection.execute(f"PRAGMA user_version = {SQLITE_VERSION_BEFORE}")


def _store_before_calendar_weeks(db: str, artillery: Declared) -> None:
    store = open_store(db)
    with store.atomic() as tx:
        tx.save_feature(artillery, "declared", FIRST)
    store.close()
    _store_as_before_calendar_weeks(db)


def _candidates_as_stored(db: str, feature: Feature) -> list[str]:
    """Ids the index finds for `feature`, read from the store as it is (without upgrading it)."""
    if is_postgres_url(db):
        with psycopg.connect(db, autocommit=True) as connection:
            return [row[0] for row in postgres_candidates(connection, feature)]
    with sqlite3.connect(db) as connection:
        return [row[1] for row in sqlite_candidates(connection, feature)]


def _index_and_ends(db: str) -> list[tuple[Any, ...]]:
    if is_postgres_url(db):
        with psycopg.connect(db, autocommit=True) as connection:
            return connection.execute(
                "SELECT feature_id, ends_at_s, box::text FROM volume"
            ).fetchall()
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT v.feature_id, v.ends_at_s, i.* FROM volume AS v"
            " LEFT JOIN volume_index AS i ON i.rowid = v.rowid"
        ).fetchall()


def test_every_2_weeks_stored_before_calendar_weeks_meets_an_occurrence_that_moved(
    db: str,
) -> None:
    _store_before_calendar_weeks(db, Declared(ARTILLERY, 1, Share.SHAPE))
    assert _candidates_as_stored(db, CONVOY) == []  # the box as stored before ends too early
    upgraded = open_store(db)  # opening upgrades the schema
    try:
        with upgraded.atomic() as tx:
            found = [other.feature.id for _, other in tx.conflicts_of(CONVOY)]
            ended = [declared.feature.id for declared in tx.ended_activities(CONVOY.window.start)]
    finally:
        upgraded.close()
    assert found == ["artillery"]
    assert ended == []  # its last occurrence, Monday 18 January, has not ended yet


def test_a_cancelled_schedule_stays_out_of_the_index_after_the_upgrade(db: str) -> None:
    _store_before_calendar_weeks(db, Declared(ARTILLERY, 2, Share.SHAPE, cancelled_at=FIRST))
    upgrade(db)
    assert _candidates_as_stored(db, CONVOY) == []


def test_upgrading_twice_changes_nothing_the_second_time(db: str) -> None:
    _store_before_calendar_weeks(db, Declared(ARTILLERY, 1, Share.SHAPE))
    before, after = upgrade(db)
    upgraded = _index_and_ends(db)
    assert upgrade(db) == (after, after)
    assert before < after
    assert _index_and_ends(db) == upgraded
    assert upgraded[0][1] == datetime(2027, 1, 18, 12, tzinfo=UTC).timestamp()


def test_a_stored_schedule_that_calendar_weeks_would_overlap_stops_the_upgrade_by_name(
    db: str,
) -> None:
    # Three-day occurrences fitted the five days from Wednesday 6 to Monday 11; in calendar
    # weeks Wednesday 20 comes two days after Monday 18.
    three_days = replace(ARTILLERY, window=TimeWindow(FIRST, FIRST + timedelta(days=3)))
    _store_before_calendar_weeks(db, Declared(three_days, 1, Share.SHAPE))
    with pytest.raises(StoreUnavailable) as refused:
        upgrade(db)
    message = str(refused.value)
    assert "'artillery'" in message
    assert "calendar weeks" in message
    assert "longer than the 2 d until the next one starts" in message
    with pytest.raises(StoreUnavailable):  # nothing half-done: it stops the same way again
        upgrade(db)
