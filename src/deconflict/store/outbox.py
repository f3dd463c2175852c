"""Escalation's rows, in the SQL both stores speak: destinations, delivery jobs, attempts.

A job is claimed by leasing it (`lease_owner`, `lease_until_s`): a job whose lease
has not run out is not claimed again, so several workers (threads, processes,
nodes) never send one job at once. PostgreSQL also skips the rows another
claim holds locked (`FOR UPDATE SKIP LOCKED`, the store's `claim_lock`), so
concurrent claims never wait on each other; SQLite's claims are one at a time
under its write lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from deconflict.line.deliveries import (
    Channel,
    Delivery,
    DeliveryState,
    Destination,
    Outcome,
    Settled,
    Signing,
)
from deconflict.line.views import iso
from deconflict.store.connection import Connection
from deconflict.store.rows import moment

_DESTINATION_COLUMNS = "id, party, channel, target, signing, secret, created_at"
_DELIVERY_COLUMNS = (
    "d.id, d.notice_id, d.state, d.attempts, d.queued_at, e.removed_at,"
    " e.id, e.party, e.channel, e.target, e.signing, e.secret, e.created_at"
)
_DELIVERIES = (
    f"SELECT {_DELIVERY_COLUMNS} FROM escalation_delivery AS d"
    " JOIN escalation_destination AS e ON e.id = d.destination_id"
)


def destination_of(row: Sequence[Any]) -> Destination:
    """A destination from its columns (`_DESTINATION_COLUMNS`' order)."""
    return Destination(
        int(row[0]),
        row[1],
        Channel(row[2]),
        row[3],
        Signing(row[4]) if row[4] else None,
        row[5],
        moment(row[6]),
    )


def delivery_of(row: Sequence[Any]) -> Delivery:
    """A job from its columns and its destination's (`_DELIVERY_COLUMNS`' order)."""
    return Delivery(
        int(row[0]),
        int(row[1]),
        destination_of(row[6:]),
        DeliveryState(row[2]),
        int(row[3]),
        _at(row[4]),
        removed=row[5] is not None,
    )


def add_destination(db: Connection, destination: Destination, at: datetime) -> int:
    """Store a destination; its new id."""
    row = db.execute(
        "INSERT INTO escalation_destination (party, channel, target, signing, secret,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (
            destination.party,
            destination.channel.value,
            destination.target,
            destination.signing.value if destination.signing else None,
            destination.secret,
            at.isoformat(),
        ),
    ).fetchone()
    return int(row[0])


def remove_destination(db: Connection, party: str, destination_id: int, at: datetime) -> bool:
    """Mark the party's live destination removed; False when there is no such one."""
    if not 0 < destination_id < 2**63:
        return False
    changed = db.execute(
        "UPDATE escalation_destination SET removed_at = ?"
        " WHERE id = ? AND party = ? AND removed_at IS NULL",
        (at.isoformat(), destination_id, party),
    ).rowcount
    return changed > 0


def destinations(db: Connection, party: str) -> list[Destination]:
    """The party's live destinations, oldest first."""
    rows = db.execute(
        f"SELECT {_DESTINATION_COLUMNS} FROM escalation_destination"
        " WHERE party = ? AND removed_at IS NULL ORDER BY id",
        (party,),
    )
    return [destination_of(row) for row in rows]


def queue(db: Connection, party: str, notice_id: int, at: datetime) -> int:
    """A pending job, due at once, for each live destination of `party`; how many."""
    return db.execute(
        "INSERT INTO escalation_delivery (notice_id, destination_id, state, attempts,"
        " queued_at, next_at_s) SELECT ?, id, 'pending', 0, ?, ? FROM escalation_destination"
        " WHERE party = ? AND removed_at IS NULL ORDER BY id",
        (notice_id, at.isoformat(), at.timestamp(), party),
    ).rowcount


def claim(
    db: Connection,
    now: datetime,
    lease_until: datetime,
    owner: str,
    limit: int,
    lock: str,
) -> list[Delivery]:
    """Lease due pending jobs whose lease has run out to `owner`; the jobs leased, by id.
    `lock`: the dialect's clause that skips rows another claim holds ("" on SQLite)."""
    claimed = db.execute(
        "UPDATE escalation_delivery SET lease_owner = ?, lease_until_s = ? WHERE id IN ("
        " SELECT id FROM escalation_delivery WHERE state = 'pending' AND next_at_s <= ?"
        " AND (lease_until_s IS NULL OR lease_until_s <= ?)"
        f" ORDER BY next_at_s, id LIMIT ? {lock}) RETURNING id",
        (owner, lease_until.timestamp(), now.timestamp(), now.timestamp(), limit),
    ).fetchall()
    ids = sorted(int(row[0]) for row in claimed)
    if not ids:
        return []
    rows = db.execute(
        f"{_DELIVERIES} WHERE d.id IN ({', '.join('?' for _ in ids)}) ORDER BY d.id", ids
    )
    return [delivery_of(row) for row in rows]


def holds(db: Connection, delivery_id: int, owner: str) -> bool:
    """Whether the job is pending and leased to `owner`."""
    row = db.execute(
        "SELECT 1 FROM escalation_delivery WHERE id = ? AND state = 'pending' AND lease_owner = ?",
        (delivery_id, owner),
    ).fetchone()
    return row is not None


def set_delivery(
    db: Connection,
    delivery_id: int,
    state: DeliveryState,
    attempts: int,
    next_at: datetime | None,
) -> None:
    """Move a job on and release its lease (a job that is not pending has no next try)."""
    db.execute(
        "UPDATE escalation_delivery SET state = ?, attempts = ?, next_at_s = coalesce(?,"
        " next_at_s), lease_owner = NULL, lease_until_s = NULL WHERE id = ?",
        (state.value, attempts, next_at.timestamp() if next_at else None, delivery_id),
    )


def add_attempt(db: Connection, settled: Settled) -> None:
    """Keep an attempt in the delivery log, with the record entry that holds it."""
    db.execute(
        "INSERT INTO escalation_attempt (delivery_id, attempt, at, outcome, reason, next_at,"
        " entry) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            settled.delivery.id,
            settled.attempt,
            iso(settled.at),
            settled.outcome.value,
            settled.reason,
            iso(settled.next_at),
            settled.entry,
        ),
    )


def delivery_log(db: Connection, party: str, limit: int) -> list[tuple[Delivery, list[Settled]]]:
    """The party's latest `limit` jobs, newest first, each with its attempts in order."""
    jobs = [
        delivery_of(row)
        for row in db.execute(
            f"{_DELIVERIES} WHERE e.party = ? ORDER BY d.id DESC LIMIT ?", (party, limit)
        )
    ]
    if not jobs:
        return []
    by_id: dict[int, list[Settled]] = {job.id: [] for job in jobs}
    rows = db.execute(
        "SELECT delivery_id, attempt, at, outcome, reason, next_at, entry FROM escalation_attempt"
        f" WHERE delivery_id IN ({', '.join('?' for _ in jobs)}) ORDER BY delivery_id, attempt",
        list(by_id),
    )
    jobs_by_id = {job.id: job for job in jobs}
    for delivery_id, attempt, at, outcome, reason, next_at, entry in rows:
        by_id[int(delivery_id)].append(
            Settled(
                jobs_by_id[int(delivery_id)],
                int(attempt),
                Outcome(outcome),
                reason,
                _at(at),
                moment(next_at),
                int(entry),
            )
        )
    return [(job, by_id[job.id]) for job in jobs]


def _at(text: str) -> datetime:
    """A moment of a NOT NULL column."""
    found = moment(text)
    assert found is not None, text
    return found
