"""The unit of work decides over the rows its store's index gives: the same decision on both
backends, and the one the rule gives feature by feature."""

from __future__ import annotations

import json
from dataclasses import replace

from deconflict.line.model import Declared, Share
from deconflict.line.unit import UnitOfWork
from deconflict.rules.conflicts import conflict_between
from deconflict.rules.feature import Feature
from deconflict.store import Store
from tests.line.conftest import START, strike, zone

STORED = [
    zone("at-tanf"),
    zone("small-zone", party="aid", radius_m=2_000.0),
    strike("strike-near", lon=38.7),
    strike("strike-later", lon=38.7, hours=(30, 34)),
    strike("strike-far", lon=42.0),
    strike("strike-aid", lon=38.64, party="aid"),
]
PROBES = [
    strike("probe-near", lon=38.69, party="coalition"),
    strike("probe-at-centre", lon=38.64, party="coalition", hours=(20, 40)),
    strike("probe-far", lon=-10.0, party="coalition"),
    strike("strike-near", lon=38.71),  # the stored strike's own next version
]


def _stored(store: Store, features: list[Feature]) -> None:
    with store.atomic() as tx:
        for feature in features:
            tx.save_feature(Declared(feature, 1, Share.SHAPE), "declared", START)


def _by_rule(probe: Feature, stored: list[Feature]) -> list[tuple[str, str]]:
    found = []
    for other in stored:
        if other.id == probe.id and other.party == probe.party:
            continue
        conflict = conflict_between(probe, other)
        if conflict is not None:
            found.append(conflict.ids)
    return sorted(found)


def test_the_unit_of_work_finds_what_the_rule_finds_feature_by_feature(store: Store) -> None:
    _stored(store, STORED)
    with store.atomic() as tx:
        found = {p.id: [c.ids for c, _ in tx.conflicts_of(p)] for p in PROBES}
    assert found == {p.id: _by_rule(p, STORED) for p in PROBES}
    assert found["probe-near"] != []
    assert found["probe-far"] == []


def test_each_conflict_comes_with_the_other_feature_as_indexed(store: Store) -> None:
    _stored(store, STORED)
    with store.atomic() as tx:
        for conflict, other in tx.conflicts_of(PROBES[0]):
            assert other.feature.id in conflict.ids
            assert other.version == 1
            assert other.share is Share.SHAPE
            assert (other.cancelled_at, other.closed_at) == (None, None)


def test_a_feature_is_never_in_conflict_with_its_own_earlier_version(store: Store) -> None:
    _stored(store, STORED)
    amended = STORED[2]
    with store.atomic() as tx:
        assert amended.id not in {other.feature.id for _, other in tx.conflicts_of(amended)}


def test_a_cancelled_feature_is_no_longer_a_candidate(store: Store) -> None:
    _stored(store, STORED)
    cancelled = Declared(STORED[2], 2, Share.SHAPE, cancelled_at=START)
    with store.atomic() as tx:
        tx.save_feature(cancelled, "cancelled", START)
    with store.atomic() as tx:
        assert isinstance(tx, UnitOfWork)
        candidates = {declared.feature.id for declared in tx.rows.candidates(PROBES[0])}
        found = {other.feature.id for _, other in tx.conflicts_of(PROBES[0])}
    assert "strike-near" not in candidates | found
    assert found <= candidates


def test_each_version_saved_draws_a_salt_of_its_own(store: Store) -> None:
    withheld = Declared(STORED[0], 1, Share.CONTACT)
    with store.atomic() as tx:
        tx.save_feature(withheld, "declared", START)
        tx.save_feature(replace(withheld, version=2), "amended", START)
    size = store.log_size()
    entries = [json.loads(leaf) for _, leaf, _ in store.log_leaves(size - 2, size)]
    # The same shape twice: only the salts can tell the commitments apart.
    assert entries[0]["sealed"] != entries[1]["sealed"]
