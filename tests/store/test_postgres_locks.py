"""PostgreSQL's locks by place and name: steps far apart run side by side, steps that may meet
wait for each other, and a key or a feature is written once whichever node is asked.

The cells are checked as an oracle would check them (two boxes that meet always contend on a
cell; two a cell apart never do); then real steps on two `PostgresStore`s on one database (two
API nodes, as the database sees them) are held open mid-step and raced.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from deconflict.line.model import Declared, NoticePolicy, Share
from deconflict.line.results import Tick
from deconflict.line.service import Idempotency, Line
from deconflict.line.unit import UnitOfWork
from deconflict.record.receipt import verify_receipt
from deconflict.rules.feature import Feature
from deconflict.rules.volume import volume_box
from deconflict.store.audit import check_store
from deconflict.store.postgres import PostgresStore
from deconflict.store.postgres.locks import (
    EARTH_BOUND_M,
    LEVELS,
    Lock,
    cell_size_m,
    finest_level,
    space_locks,
)
from tests.backends import Databases
from tests.line.conftest import START, FrozenClock, strike, zone
from tests.store.test_postgres_store import LOG_KEY, PARTIES

EARTH_M = 6_400_000.0
WAITS_S = 1.0
"""How long a step must still be waiting to count as waiting for another."""


def _contend(first: list[Lock], second: list[Lock]) -> bool:
    """True when a lock of one waits for a lock of the other (the same key, one exclusive)."""
    mine = {(kind, key): exclusive for kind, key, exclusive in first}
    return any(
        (kind, key) in mine and (exclusive or mine[(kind, key)]) for kind, key, exclusive in second
    )


@st.composite
def _boxes(draw: st.DrawFn, max_width_exponent: float = 7.2) -> tuple[float, ...]:
    """An ECEF box from 1 m to 10 ** `max_width_exponent` m wide (log-uniform), anywhere on
    the Earth (the default: up to the whole Earth)."""
    box: list[float] = []
    for _ in range(3):
        low = draw(st.floats(-EARTH_M, EARTH_M))
        width = 10 ** draw(st.floats(0.0, max_width_exponent))
        box += [low, min(low + width, EARTH_M)]
    return tuple(box)


@given(_boxes(), _boxes())
def test_two_boxes_that_meet_always_contend_on_a_cell(
    first: tuple[float, ...], second: tuple[float, ...]
) -> None:
    meet = all(first[a] <= second[a + 1] and second[a] <= first[a + 1] for a in (0, 2, 4))
    assert not meet or _contend(space_locks(first), space_locks(second))


@given(_boxes(max_width_exponent=6.0), _boxes(6.0), st.integers(0, 2), st.floats(0.0, 1.0))
def test_two_boxes_a_cell_of_the_coarser_ones_level_apart_never_contend(
    first: tuple[float, ...], second: tuple[float, ...], axis: int, extra: float
) -> None:
    moved, width = list(second), second[2 * axis + 1] - second[2 * axis]
    for _ in range(LEVELS):  # moving it may coarsen its level, and so the gap: at most LEVELS
        gap_m = cell_size_m(max(finest_level(first), finest_level(moved))) * (1 + extra)
        moved[2 * axis] = first[2 * axis + 1] + gap_m
        moved[2 * axis + 1] = moved[2 * axis] + width
    assume(gap_m >= cell_size_m(max(finest_level(first), finest_level(moved))))
    assume(moved[2 * axis + 1] < EARTH_BOUND_M)
    assert not _contend(space_locks(first), space_locks(moved))


def test_a_strike_locks_a_few_cells_of_25_km_and_a_55_km_zone_coarser_ones() -> None:
    small, large = space_locks(volume_box(strike())), space_locks(volume_box(zone()))
    assert finest_level(volume_box(strike())) == 0
    assert finest_level(volume_box(zone())) == 1
    assert 1 <= sum(exclusive for *_, exclusive in small) <= 8
    assert _contend(small, large)
    far = space_locks(volume_box(strike("far", lon=60.0)))
    assert not _contend(small, far)
    assert not _contend(large, far)


# -- real steps on two nodes ---------------------------------------------------------------------


@pytest.fixture
def nodes(databases: Databases) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one database: two API nodes, as the database sees them."""
    url = databases.new()
    first, second = PostgresStore(url, LOG_KEY), PostgresStore(url, LOG_KEY)
    for party in PARTIES:
        first.add_party(party, START)
    yield first, second
    first.close()
    second.close()
    databases.release(url)


class HeldStep:
    """A step on `store` that checks `feature` and then waits, mid-step, until released; then
    it stores the feature and commits (as a declaration whose conflict check runs long).
    `written`: it stores the feature (its entry made ready for the record) and an event for
    its party before it waits, as a declaration held after its notices and before its end."""

    def __init__(self, store: PostgresStore, feature: Feature, written: bool = False) -> None:
        self.checked = threading.Event()
        self.release = threading.Event()
        self._thread = threading.Thread(target=store.run_atomic, args=(self._step,))
        self._feature = feature
        self._written = written
        self._thread.start()
        assert self.checked.wait(10), "the held step never checked its feature"

    def _step(self, tx: UnitOfWork) -> None:
        tx.conflicts_of(self._feature)
        declared = Declared(self._feature, 1, Share.SHAPE)
        if self._written:
            tx.save_feature(declared, "declared", START)
            tx.add_event(self._feature.party, "test", {"held": True}, START)
        self.checked.set()
        assert self.release.wait(30)
        if not self._written:
            tx.save_feature(declared, "declared", START)

    def end(self) -> None:
        self.release.set()
        self._thread.join(10)

    @property
    def open(self) -> bool:
        return self._thread.is_alive()


def _in_thread(act: Callable[[], Any]) -> Future[Any]:
    pool = ThreadPoolExecutor(1)
    future = pool.submit(act)
    pool.shutdown(wait=False)
    return future


def test_a_declaration_far_away_commits_while_a_nearby_one_waits_for_the_zone_being_checked(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    line = Line(second, NoticePolicy(), FrozenClock())
    held = HeldStep(first, zone())
    try:
        started = time.monotonic()
        far = line.declare("russia", strike("far", lon=60.0), Share.SHAPE)
        assert time.monotonic() - started < WAITS_S
        assert held.open, "the far declaration committed while the zone's step was open"
        assert far.conflicts == ()
        near = _in_thread(lambda: line.declare("russia", strike("near"), Share.SHAPE))
        time.sleep(WAITS_S)
        assert not near.done(), "the declaration inside the zone did not wait for it"
    finally:
        held.end()
    # It waited, then saw the zone committed meanwhile.
    assert [c.against for c in near.result(10).conflicts] == ["at-tanf"]


def test_a_step_far_away_appends_and_commits_while_a_step_that_wrote_its_changes_is_held(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    line = Line(second, NoticePolicy(), FrozenClock())
    held = HeldStep(first, zone(), written=True)
    try:
        started = time.monotonic()
        far = line.declare("russia", strike("far", lon=60.0), Share.SHAPE)
        assert time.monotonic() - started < WAITS_S, "the far step waited for the record"
        assert held.open, "the far declaration committed while the held step was open"
        far_size = second.log_size()
    finally:
        held.end()
    assert not held.open
    # The far step's entries were appended and committed first, its receipt names them in the
    # log as it then stood; the held step's feature came after them, with no gap between.
    assert far.receipt is not None
    assert verify_receipt(far.receipt, LOG_KEY.signer.verifier).size == far_size
    size = second.log_size()
    leaves = second.log_leaves(0, size)
    assert [index for index, _, _ in leaves] == list(range(size))
    entries = [json.loads(entry) for _, entry, _ in leaves]
    (zone_leaf,) = [
        i for i, e in enumerate(entries) if e["kind"] == "feature" and e["party"] == "coalition"
    ]
    assert zone_leaf == far_size == size - 1
    assert [e["kind"] for e in entries[far.receipt["leaf_index"] : far_size]] == [
        "feature",
        *["notice", "message"] * (len(PARTIES) - 1),
    ]
    assert [event.kind for event in second.events_since(0, 100)][-1] == "test"
    assert check_store(second, None).findings == []


def test_an_amendment_moving_a_strike_away_waits_for_a_step_at_its_old_place(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    line = Line(second, NoticePolicy(), FrozenClock())
    line.declare("russia", strike("moving"), Share.SHAPE)
    held = HeldStep(first, zone())
    try:
        moved = _in_thread(
            lambda: line.declare("russia", strike("moving", lon=60.0), Share.SHAPE, amend=True)
        )
        time.sleep(WAITS_S)
        assert not moved.done(), "the amendment left the old place while it was being checked"
    finally:
        held.end()
    moved.result(10)
    assert [change for change, *_ in second.history("russia", "moving")] == [
        "declared",
        "amended",
    ]


def test_one_idempotency_key_sent_to_both_nodes_at_once_is_written_once_and_answered_alike(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    lines = [Line(node, NoticePolicy(), FrozenClock()) for node in nodes]
    feature = strike("once")
    key = Idempotency.of("key-1", feature.id)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda i: lines[i % 2].declare("russia", feature, Share.SHAPE, idempotency=key),
                range(8),
            )
        )
    assert all(answer.document() == answers[0].document() for answer in answers)
    assert [change for change, *_ in nodes[0].history("russia", "once")] == ["declared"]


def test_steps_on_both_nodes_in_many_places_at_once_leave_a_record_that_checks(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    lines = [Line(node, NoticePolicy(), FrozenClock()) for node in nodes]

    def declare(index: int) -> None:
        # Pairs at one place, far from the other pairs: both nodes append to the record.
        feature = strike(f"s{index}", lon=30.0 + index // 2, party=PARTIES[index % 3].id)
        lines[index % 2].declare(feature.party, feature, Share.SHAPE)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(declare, range(24)))
    report = check_store(nodes[1], None)
    assert report.findings == []
    # Each notifies two parties, a notice and a message each; the later of each pair warns of
    # the earlier in one more message.
    assert report.size == len(PARTIES) + 24 + 24 * 2 * 2 + 12


def test_a_tick_with_nothing_due_does_not_wait_for_the_steps_in_flight(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    line = Line(second, NoticePolicy(), FrozenClock())
    held = HeldStep(first, zone())
    try:
        started = time.monotonic()
        assert line.tick() == Tick((), ())
        assert time.monotonic() - started < WAITS_S, "the tick waited for a step in flight"
        assert held.open
    finally:
        held.end()


def test_a_tick_with_a_notice_due_takes_the_whole_line_and_escalates_it_once(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    clock = FrozenClock()
    lines = [Line(node, NoticePolicy(), clock) for node in nodes]
    sent = lines[0].declare("russia", strike("due"), Share.SHAPE)
    clock.advance(timedelta(hours=1))
    held = HeldStep(nodes[0], zone())
    try:
        ticked = _in_thread(lines[1].tick)
        time.sleep(WAITS_S)
        assert not ticked.done(), "the tick escalated beside a step in flight"
    finally:
        held.end()
    assert sorted(ticked.result(10).escalated) == sorted(n.id for n in sent.notices)
    assert lines[0].tick() == Tick((), ())
