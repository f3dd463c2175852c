"""Property: after any sequence of the line's operations (dry runs that probe hidden zones
and the DSS's writes among them) the check passes, and after one change to any row behind the
line's back it finds it (both stores)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from deconflict.errors import DeconflictError
from deconflict.i18n.messages import ObjectionReason
from deconflict.line.model import NoticePolicy, ResponseKind, Share
from deconflict.line.service import Line
from deconflict.store import Store, dss_tables
from deconflict.store.audit import check_store
from deconflict.store.head import HeadFile, head_path
from deconflict.utm.extents import time_document
from deconflict.utm.model import AVAILABILITIES, Kind, ovn_secret
from deconflict.utm.service import Dss
from tests.backends import Databases, run_sql
from tests.dss.conftest import CMSA, altitude, circle, intent_body
from tests.store.story import Clock, fresh_log_key, open_keeping_head, parties, strike, zone

PARTIES = ("coalition", "russia", "aid")
USSS = ("uss1", "uss2")


@dataclass
class World:
    """The line, the store under it, and the clock the operations move."""

    line: Line
    store: Store
    clock: Clock
    dss: Dss
    ovns: dict[str, tuple[Kind, str]] = field(default_factory=dict)
    """Each DSS intent's and constraint's kind and current OVN, by id."""
    versions: dict[str, str] = field(default_factory=dict)
    """Each subscription's and USS availability's current version."""


Operation = Callable[[World, st.DataObject], None]


def _declare(world: World, data: st.DataObject) -> None:
    party = data.draw(st.sampled_from(PARTIES))
    number = data.draw(st.integers(1, 4))
    lon = data.draw(st.floats(38.5, 38.9))
    if data.draw(st.booleans()):
        feature = zone(f"z{number}", party, lon, data.draw(st.floats(500, 30_000)))
        share = data.draw(st.sampled_from(Share))
    else:
        feature, share = strike(f"a{number}", lon, party), Share.SHAPE
    amend = any(
        d.feature.id == feature.id and d.feature.party == party
        for d in world.store.declared_features()
    )
    world.line.declare(party, feature, share, amend=amend)


def _open_notice(world: World, data: st.DataObject) -> tuple[str, int]:
    party = data.draw(st.sampled_from(PARTIES))
    inbox = world.store.inbox(party)
    if not inbox:
        raise DeconflictError("no notice to answer")
    return party, data.draw(st.sampled_from(inbox)).id


def _respond(world: World, data: st.DataObject) -> None:
    party, notice = _open_notice(world, data)
    kind = data.draw(st.sampled_from(ResponseKind))
    reason = ObjectionReason.OTHER if kind is ResponseKind.OBJECTION else None
    world.line.respond(party, notice, kind, reason, "noted")


def _read_and_reply(world: World, data: st.DataObject) -> None:
    party, notice = _open_notice(world, data)
    world.line.delivered(party, [notice])
    world.line.read(party, notice)
    world.line.reply(party, notice, "seen")


def _cancel(world: World, data: st.DataObject) -> None:
    party = data.draw(st.sampled_from(PARTIES))
    mine = [d for d in world.store.declared_features() if d.feature.party == party]
    if not mine:
        raise DeconflictError("nothing to cancel")
    world.line.cancel(party, data.draw(st.sampled_from(mine)).feature.id)


def _tick(world: World, data: st.DataObject) -> None:
    world.clock.now += timedelta(minutes=data.draw(st.integers(1, 600)))
    world.line.tick()


def _probe(world: World, data: st.DataObject) -> None:
    party = data.draw(st.sampled_from(PARTIES))
    world.line.dry_run(party, strike("dry", data.draw(st.floats(38.5, 38.9)), party))


def _dss_id(data: st.DataObject) -> str:
    """One of a few DSS ids (a UUID version 4), so that writes meet earlier ones."""
    return str(UUID(int=data.draw(st.integers(1, 4)), version=4))


def _dss_volume(world: World, data: st.DataObject) -> dict[str, Any]:
    start = world.clock.now + timedelta(minutes=data.draw(st.integers(0, 60)))
    end = start + timedelta(minutes=data.draw(st.integers(10, 180)))
    outline = circle(data.draw(st.floats(38.5, 38.9)), 33.5, data.draw(st.floats(100, 5_000)))
    return {
        "volume": {**outline, "altitude_lower": altitude(0), "altitude_upper": altitude(120)},
        "time_start": time_document(start),
        "time_end": time_document(end),
    }


def _dss_intent(world: World, data: st.DataObject) -> None:
    entity_id = _dss_id(data)
    _, old = world.ovns.get(entity_id, (Kind.INTENT, ""))
    state = data.draw(st.sampled_from(("Accepted", "Activated", "Nonconforming")))
    key = [ovn for _, ovn in world.ovns.values()]
    body = intent_body(_dss_volume(world, data), key=key, state=state)
    uss = data.draw(st.sampled_from(USSS))
    made = world.dss.put_intent(uss, frozenset({CMSA}), entity_id, old, body).intent
    assert made is not None
    world.ovns[entity_id] = (Kind.INTENT, made.ovn)


def _dss_constraint(world: World, data: st.DataObject) -> None:
    entity_id = _dss_id(data)
    _, old = world.ovns.get(entity_id, (Kind.CONSTRAINT, ""))
    body = {"extents": [_dss_volume(world, data)], "uss_base_url": "https://uss1.example/utm"}
    _, answer = world.dss.put_constraint("uss1", entity_id, old, body)
    world.ovns[entity_id] = (Kind.CONSTRAINT, answer["constraint_reference"]["ovn"])


def _dss_remove(world: World, data: st.DataObject) -> None:
    if not world.ovns:
        raise DeconflictError("nothing to remove")
    entity_id = data.draw(st.sampled_from(sorted(world.ovns)))
    kind, ovn = world.ovns[entity_id]
    uss = data.draw(st.sampled_from(USSS))
    if kind is Kind.INTENT:
        world.dss.delete_intent(uss, entity_id, ovn)
    else:
        world.dss.delete_constraint(uss, entity_id, ovn)
    del world.ovns[entity_id]


def _dss_subscription(world: World, data: st.DataObject) -> None:
    subscription_id = _dss_id(data)
    body = {
        "extents": _dss_volume(world, data),
        "uss_base_url": "https://uss1.example/utm",
        "notify_for_operational_intents": True,
        "notify_for_constraints": data.draw(st.booleans()),
    }
    version = world.versions.get(subscription_id, "")
    made = world.dss.put_subscription("uss1", subscription_id, version, body)
    world.versions[subscription_id] = made["subscription"]["version"]


def _dss_availability(world: World, data: st.DataObject) -> None:
    uss = data.draw(st.sampled_from(USSS))
    body = {
        "availability": data.draw(st.sampled_from(AVAILABILITIES)),
        "old_version": world.versions.get(uss, ""),
    }
    world.versions[uss] = world.dss.set_availability("arbiter", uss, body)["version"]


OPERATIONS: tuple[Operation, ...] = (
    _declare,
    _declare,
    _respond,
    _read_and_reply,
    _cancel,
    _tick,
    _probe,
    _dss_intent,
    _dss_intent,
    _dss_constraint,
    _dss_remove,
    _dss_subscription,
    _dss_availability,
)

# One change behind the line's back: (table it needs a row of, the statement with {key}).
MUTATIONS = (
    ("volume", "UPDATE volume SET document = replace(document, '33.5', '33.9') WHERE {key}"),
    ("volume", "UPDATE volume SET version = version + 7 WHERE {key}"),
    ("volume", "UPDATE volume SET cancelled_at = '2001-01-01T00:00:00+00:00' WHERE {key}"),
    ("feature_version", "DELETE FROM feature_version WHERE {key}"),
    (
        "feature_version",
        "UPDATE feature_version SET change = CASE WHEN change = 'closed' THEN 'amended'"
        " ELSE 'closed' END WHERE {key}",
    ),
    ("notice", "UPDATE notice SET respond_by = '2001-01-01T00:00:00+00:00' WHERE {key}"),
    ("notice", "UPDATE notice SET priority = 1 - priority WHERE {key}"),
    (
        "notice",
        "UPDATE notice SET state = CASE WHEN state = 'read' THEN 'sent' ELSE 'read' END"
        " WHERE {key}",
    ),
    ("notice", "UPDATE notice SET overdue_at = '2001-01-01T00:00:00+00:00' WHERE {key}"),
    ("message", "DELETE FROM message WHERE {key}"),
    ("message", "UPDATE message SET text = 'forged' WHERE {key}"),
    ("party", "UPDATE party SET name = 'someone else' WHERE {key}"),
    ("probe", "DELETE FROM probe WHERE {key}"),
    ("probe", "UPDATE probe SET at_s = at_s + 1 WHERE {key}"),
    (
        "utm_entity",
        "UPDATE utm_entity SET document = replace(document, '33.5', '33.9') WHERE {key}",
    ),
    (
        "utm_entity",
        "UPDATE utm_entity SET document = replace(document, '\"version\": ', '\"version\": 1')"
        " WHERE {key}",
    ),
    ("utm_entity", "UPDATE utm_entity SET t1 = t1 + 1 WHERE {key}"),
    ("utm_entity", "DELETE FROM utm_entity WHERE {key}"),
    ("utm_availability", "UPDATE utm_availability SET version = 'forged' WHERE {key}"),
    ("utm_availability", "DELETE FROM utm_availability WHERE {key}"),
    ("log_leaf", "DELETE FROM log_leaf WHERE {key}"),
    (
        "log_node",  # another leaf's hash in this leaf's place
        "UPDATE log_node SET hash = (SELECT hash FROM (SELECT hash FROM log_node"
        " WHERE level = 0 AND idx = {other}) AS o) WHERE level = 0 AND {key}",
    ),
)
KEYS = {
    "volume": "feature_id",
    "feature_version": "feature_id",
    "notice": "id",
    "message": "id",
    "party": "id",
    "probe": "id",
    "utm_entity": "id",
    "utm_availability": "uss",
    "log_leaf": "idx",
    "log_node": "idx",
}


@contextmanager
def empty_store(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new store of the backend for one example: a SQLite file, or a PostgreSQL database."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield str(Path(folder) / "line.db")
        return
    databases: Databases = request.getfixturevalue("databases")
    url = databases.new()
    try:
        yield url
    finally:
        databases.release(url)


def _lived(store: Store, data: st.DataObject, ovn_secret: bytes | None = None) -> None:
    """The operations drawn, on `store`; the DSS makes its OVNs under `ovn_secret` (as a server
    does under its log key's)."""
    clock = Clock()
    dss = Dss(dss_tables(store), clock, ovn_secret)
    world = World(Line(store, NoticePolicy(), clock), store, clock, dss)
    parties(store)
    for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=12)):
        # Refused by the line or the DSS (or nothing to do): nothing stored, nothing recorded.
        with suppress(DeconflictError):
            operation(world, data)


def _keys(db: str, table: str) -> list[object]:
    where = "WHERE level = 0" if table == "log_node" else ""
    return sorted(row[0] for row in run_sql(db, f"SELECT {KEYS[table]} FROM {table} {where}"))


def _mutate(db: str, data: st.DataObject) -> str:
    """Change one row that exists; the statement run."""
    keys = {table: _keys(db, table) for table in KEYS}
    table, statement = data.draw(st.sampled_from([m for m in MUTATIONS if keys[m[0]]]))
    key = data.draw(st.sampled_from(keys[table]))
    literal = f"{KEYS[table]} = '{key}'" if isinstance(key, str) else f"{KEYS[table]} = {key}"
    other = keys[table][(keys[table].index(key) + 1) % len(keys[table])]
    done = statement.format(key=literal, other=other)
    event(f"a row of {table} changed")
    run_sql(db, done)
    return done


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_check_passes_after_any_operations_and_finds_any_one_change(
    backend: str, request: pytest.FixtureRequest, data: st.DataObject
) -> None:
    with empty_store(backend, request) as db:
        key_path, key = fresh_log_key(db)
        head = HeadFile(head_path(key_path), key)
        store = open_keeping_head(db, key_path, key)
        try:
            _lived(store, data, ovn_secret(key.signer))
            report = check_store(store, head)
            assert report.findings == [], [str(f) for f in report.findings]
            changed = _mutate(db, data)
            report = check_store(store, head)
        finally:
            store.close()
        assert report.findings, f"not found: {changed}"
