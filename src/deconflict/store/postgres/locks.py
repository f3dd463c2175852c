"""The advisory locks of a PostgreSQL write transaction: the line's, places', names', the record's.

Several API nodes write into one database. Two writes that may meet must be
serialised, so that the later one's conflict check sees the earlier one; two
that cannot meet must not wait for each other. Every lock here is a
transaction-level advisory lock (`pg_advisory_xact_lock`), released at commit
or rollback, and each is taken before the reads it protects: the store runs
at READ COMMITTED, so every statement after a lock sees what its previous
holder committed.

- The line's lock (`LINE_LOCK`): shared by every step of the line; taken
  exclusively by what reads or writes the whole line (the tick, parties and
  tokens, migrations, imports), which so excludes every other writer.
- Places: a feature's volume box (ECEF metres) is covered by cells of a
  hierarchical grid (`space_locks`). At the finest level where it covers at
  most `MOST_CELLS` cells it locks them exclusively; at every coarser level
  it locks the cells it covers shared. Two features whose boxes meet always
  meet in a cell of the coarser one's level, where the coarser one holds it
  exclusively: they contend. Two far apart lock different cells, or the same
  coarse cells shared: they do not wait for each other.
- Names: the party's idempotency key, the party's feature id, a notice, the
  party's probe budget; each before it is read.
- The record (`RECORD`): exclusive, from the moment a step appends to the log
  or writes its events until it commits. A step makes its entries ready as it
  goes (sealed, hashed) and appends them all at its end, unless it must name a
  leaf sooner (a probe's event, a delivery attempt); its events are written
  then too. So the log's leaves are appended one step after another, with no
  gap a reader could see, and the event ids that readers page by
  (`events_after`) commit in the order they were assigned; everything a step
  does before (its conflict check, its notices, messages and renderings) runs
  beside other steps.

One statement takes a set of locks in sorted order; the kinds below are
numbered in the order a step takes them (a name before the places it names,
the record last), so steps do not wait for each other in a cycle. A step
that does (a batch reaching new places after its first append) is ended by
PostgreSQL's deadlock detector and run again by the store.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable, Sequence
from enum import IntEnum

import psycopg

LINE_LOCK = 0x6465636F6E666C69
"""The advisory lock of the line ("deconfli" in ASCII): shared by every step, exclusive for
what reads or writes the whole line."""


class Kind(IntEnum):
    """What a lock is on: the first key of a two-key advisory lock, in the order a step takes
    them (two-key locks never collide with the one-key `LINE_LOCK`)."""

    IDEMPOTENCY = 1
    FEATURE = 2
    PROBES = 3
    CELL = 4
    NOTICE = 5
    RECORD = 6


Lock = tuple[int, int, bool]
"""An advisory lock as taken: its kind, its key, and True for exclusive (False: shared)."""

RECORD = (int(Kind.RECORD), 0, True)
"""The record's lock (see the module's docstring)."""

BASE_CELL_M = 25_000.0
"""The edge of a cell at the finest level; each level's cells are `FANOUT` times wider."""
FANOUT = 8
LEVELS = 4
"""25 km, 200 km, 1,600 km and 12,800 km cells: the coarsest holds the Earth in 2 x 2 x 2."""
MOST_CELLS = 8
"""A feature locks exclusively at the finest level where its box covers at most this many."""
EARTH_BOUND_M = BASE_CELL_M * FANOUT ** (LEVELS - 1) - 1.0
"""ECEF coordinates are clamped to this, so the coarsest level covers every box in 8 cells."""


def name_lock(kind: Kind, *name: str | int) -> Lock:
    """The exclusive lock on a name (a party's key, a party's feature id, a notice id)."""
    return (int(kind), _key(kind, *name), True)


def space_locks(box: Sequence[float]) -> list[Lock]:
    """The cell locks of an ECEF box (x0, x1, y0, y1, z0, z1 in metres; more values ignored):
    exclusive at its finest level of at most `MOST_CELLS` cells, shared at every coarser one."""
    low, high = _clamped(box)
    finest = finest_level(box)
    return [
        (int(Kind.CELL), _key(Kind.CELL, level, *cell), level == finest)
        for level in range(finest, LEVELS)
        for cell in itertools.product(*_spans(low, high, level))
    ]


def finest_level(box: Sequence[float]) -> int:
    """The finest level at which the ECEF box covers at most `MOST_CELLS` cells (0 is finest;
    the coarsest, `LEVELS` - 1, covers every box in at most 8)."""
    low, high = _clamped(box)
    return next(
        level
        for level in range(LEVELS)
        if level == LEVELS - 1
        or math.prod(len(span) for span in _spans(low, high, level)) <= MOST_CELLS
    )


def cell_size_m(level: int) -> float:
    """The edge of a cell at `level`, in metres."""
    return BASE_CELL_M * float(FANOUT**level)


def union(*boxes: Sequence[float]) -> tuple[float, ...]:
    """The smallest ECEF box holding every box (each x0, x1, y0, y1, z0, z1, ...)."""
    return tuple((min if axis % 2 == 0 else max)(box[axis] for box in boxes) for axis in range(6))


def take(db: psycopg.Connection, locks: Iterable[Lock]) -> None:
    """Take `locks` until the open transaction ends, in one statement, in sorted order (waits
    for their holders). Exclusive comes first where the same key is asked for both ways."""
    wanted = sorted(set(locks), key=lambda lock: (lock[0], lock[1], not lock[2]))
    if not wanted:
        return
    kinds, keys, exclusive = zip(*wanted, strict=True)
    # A function scan yields the arrays' elements in order, and the aggregate evaluates its
    # argument row by row: the locks are taken in the sorted order.
    db.execute(
        "SELECT count(CASE WHEN e THEN pg_advisory_xact_lock(c, k)"
        " ELSE pg_advisory_xact_lock_shared(c, k) END)"
        " FROM unnest(%s::int4[], %s::int4[], %s::bool[]) AS t(c, k, e)",
        (list(kinds), list(keys), list(exclusive)),
    )


def lock_line(db: psycopg.Connection, exclusive: bool = True) -> None:
    """Take the line's lock until the open transaction ends (waits for the holders)."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    db.execute(f"SELECT {function}(%s)", (LINE_LOCK,))


def begin_step(exclusive: bool) -> bytes:
    """BEGIN a READ COMMITTED write transaction and take the line's lock in it, shared unless
    `exclusive`: one query of two statements, without parameters (the simple protocol)."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    return (
        f"BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT {function}({LINE_LOCK})"
    ).encode()


def _clamped(box: Sequence[float]) -> tuple[list[float], list[float]]:
    low = [max(-EARTH_BOUND_M, min(EARTH_BOUND_M, value)) for value in box[0:6:2]]
    high = [max(-EARTH_BOUND_M, min(EARTH_BOUND_M, value)) for value in box[1:6:2]]
    return low, high


def _spans(low: list[float], high: list[float], level: int) -> list[range]:
    size = cell_size_m(level)
    return [
        range(math.floor(a / size), math.floor(b / size) + 1)
        for a, b in zip(low, high, strict=True)
    ]


def _key(kind: Kind, *name: str | int) -> int:
    """A signed 32-bit key for the name; two names may share one (they then merely wait)."""
    text = "\x1f".join(str(part) for part in (int(kind), *name))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), signed=True)
