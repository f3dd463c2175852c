"""Declaring into the store: check and write are one atomic step; history stays readable."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deconflict.errors import NotFound, StateConflict
from deconflict.geo.shapes import Circle
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.store.sqlite import SqliteStore

NOW = datetime(2026, 9, 1, tzinfo=UTC)
WINDOW = TimeWindow(datetime(2026, 9, 7, 0, tzinfo=UTC), datetime(2026, 9, 7, 4, tzinfo=UTC))


def _zone(party: str = "coalition") -> Feature:
    return Feature(
        "at-tanf",
        Kind.ZONE,
        party,
        Circle((38.64, 33.5), 55_000.0),
        TimeWindow(datetime(2026, 1, 1, tzinfo=UTC)),
    )


def _strike(fid: str, lon: float, party: str = "russia") -> Feature:
    return Feature(
        fid, Kind.ACTIVITY, party, Circle((lon, 33.5), 1500.0), WINDOW, activity="strike"
    )


def test_declaring_a_strike_inside_a_zone_returns_the_conflict(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "line.db")
    assert store.declare(_zone(), NOW) == (1, [])
    version, conflicts = store.declare(_strike("strike-1", 38.7), NOW)
    assert version == 1
    assert [c.ids for c in conflicts] == [("at-tanf", "strike-1")]


def test_amending_makes_a_new_version_and_keeps_the_old_one(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "line.db")
    store.declare(_zone(), NOW)
    store.declare(_strike("strike-1", 38.7), NOW)
    version, conflicts = store.declare(_strike("strike-1", 39.5), NOW)
    assert (version, conflicts) == (2, [])
    history = store.history("strike-1")
    assert [(v, change) for v, change, _, _ in history] == [(1, "declared"), (2, "amended")]
    assert history[0][2].shape == Circle((38.7, 33.5), 1500.0)
    assert store.feature("strike-1") == _strike("strike-1", 39.5)


def test_another_party_cannot_amend_a_feature_by_reusing_its_id(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "line.db")
    store.declare(_zone(), NOW)
    with pytest.raises(StateConflict):
        store.declare(_zone(party="russia"), NOW)
    assert store.feature("at-tanf") == _zone()
    assert len(store.history("at-tanf")) == 1


def test_cancelled_feature_no_longer_conflicts_but_its_history_remains(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "line.db")
    store.declare(_zone(), NOW)
    assert store.cancel("at-tanf", "coalition", NOW) == 2
    assert store.declare(_strike("strike-1", 38.7), NOW)[1] == []
    assert [change for _, change, _, _ in store.history("at-tanf")] == ["declared", "cancelled"]


def test_only_the_owner_can_cancel(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "line.db")
    store.declare(_zone(), NOW)
    with pytest.raises(NotFound):
        store.cancel("at-tanf", "russia", NOW)
    assert store.declare(_strike("strike-1", 38.7), NOW)[1] != []


def _declare_at_barrier(path: str, feature: Feature, barrier: object, out: object) -> None:
    store = SqliteStore(path)
    barrier.wait()  # type: ignore[attr-defined]
    _, conflicts = store.declare(feature, NOW)
    out.put((feature.id, [c.ids for c in conflicts]))  # type: ignore[attr-defined]


def test_two_conflicting_activities_declared_at_once_never_both_pass_unseen(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")
    path = str(tmp_path / "line.db")
    SqliteStore(path).close()
    for round_ in range(8):
        a = _strike(f"a{round_}", 38.0 + round_, party="coalition")
        b = _strike(f"b{round_}", 38.0 + round_, party="russia")
        barrier, out = context.Barrier(2), context.Queue()
        workers = [
            context.Process(target=_declare_at_barrier, args=(path, f, barrier, out))
            for f in (a, b)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        results = dict(out.get(timeout=10) for _ in workers)
        pair = (a.id, b.id)
        assert pair in results[a.id] or pair in results[b.id], results
