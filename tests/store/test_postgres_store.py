"""The PostgreSQL store: the same answers and the same record as SQLite, one lock across nodes.

Two `PostgresStore`s on one database stand for two API nodes here; tests/multinode/
does the same with real server processes.
"""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from deconflict.errors import StateConflict
from deconflict.geo.shapes import Area, Circle, Corridor, Shape
from deconflict.i18n.messages import ObjectionReason
from deconflict.line.entries import party_entry
from deconflict.line.model import NoticePolicy, ResponseKind, Share
from deconflict.line.parties import Party
from deconflict.line.service import Line
from deconflict.record import merkle
from deconflict.record.errors import RecordError
from deconflict.record.note import generate_signer
from deconflict.record.receipt import verify_receipt
from deconflict.record.sealed import SALT_SIZE
from deconflict.rules.conflicts import conflict_between
from deconflict.rules.feature import AltitudeBand, Feature, Kind, TimeWindow
from deconflict.settings import Settings
from deconflict.store import LogKey, Store, StoreUnavailable, open_store
from deconflict.store.head import HeadFile
from deconflict.store.postgres import PostgresStore
from deconflict.store.postgres.migrations import MIGRATIONS
from deconflict.store.sqlite import SqliteStore
from tests.backends import Databases
from tests.line.conftest import START, FrozenClock, strike, zone

PARTIES = (
    Party("coalition", "Coalition", "en", "TOC duty officer", "coalition watch floor"),
    Party("russia", "Russian forces", "ru", "Hmeimim duty officer"),
    Party("aid", "Aid agency", "ar", "aid security desk"),
)
LOG_KEY = LogKey(generate_signer("deconflict.test/log")[0], "deconflict.test/log")


@pytest.fixture
def url(databases: Databases) -> Iterator[str]:
    """A PostgreSQL database of this test's own."""
    made = databases.new()
    yield made
    databases.release(made)


@pytest.fixture
def nodes(url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one database: two API nodes, as the database sees them."""
    first, second = PostgresStore(url, LOG_KEY), PostgresStore(url, LOG_KEY)
    for party in PARTIES:
        first.add_party(party, START)
    yield first, second
    first.close()
    second.close()


# -- the same answers and the same record as SQLite ----------------------------------------------


def _story(store: Store, clock: FrozenClock) -> list[Any]:
    """Every kind of step the line takes, and every answer it gave."""
    for party in PARTIES:
        store.add_party(party, START)
    store.set_party_key("aid", base64.b64encode(bytes(range(32))).decode(), START)
    line = Line(store, NoticePolicy(), clock)
    answers: list[Any] = [
        line.declare("coalition", zone(), Share.SHAPE),
        line.declare("aid", zone("camp", party="aid", radius_m=2_000.0), Share.CONTACT),
        line.declare("russia", strike(), Share.SHAPE),
        line.declare("russia", strike("strike-2", lon=38.65, hours=(23, 24)), Share.SHAPE),
        line.dry_run("aid", strike("probe", party="aid")),
    ]
    notice = next(n.id for n in answers[2].notices if n.recipient == "coalition")
    clock.advance(timedelta(minutes=5))
    answers += [
        line.inbox("coalition"),
        line.read("coalition", notice),
        line.respond(
            "coalition", notice, ResponseKind.OBJECTION, ObjectionReason.FORCES_PRESENT, "no"
        ),
        line.reply("russia", notice, "moving west"),
        line.declare("russia", strike(lon=38.0), Share.SHAPE, amend=True),
    ]
    clock.advance(timedelta(hours=1))
    answers.append(line.tick())
    answers.append(line.cancel("russia", "strike-1"))
    clock.advance(timedelta(days=1))
    answers.append(line.tick())
    for party in PARTIES:
        answers += [line.inbox(party.id), line.outbox(party.id)]
        answers.append(store.events_after(party.id, 0, 1000))
    answers += [store.declared_features(), store.history("russia", "strike-1"), store.parties()]
    answers += [store.events_since(0, 1000), store.last_event_id()]
    return answers


def _counting_salt() -> Callable[[], bytes]:
    """A stand-in for new_salt in the unit of work: the same salts on both backends."""
    counter = iter(range(1, 1_000_000))
    return lambda: next(counter).to_bytes(SALT_SIZE, "big")


def test_the_same_steps_give_the_same_answers_and_the_same_record_on_both_backends(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = []
    for open_ in (
        lambda: SqliteStore(tmp_path / "line.db", LOG_KEY),
        lambda: PostgresStore(url, LOG_KEY),
    ):
        monkeypatch.setattr("deconflict.line.unit.new_salt", _counting_salt())
        store: Store = open_()
        try:
            answers = _story(store, FrozenClock())
            size = store.log_size()
            record = (
                store.log_leaves(0, size),
                [store.log_openings(0, size, party.id) for party in store.parties()],
                store.log_checkpoint(),
                [store.log_inclusion(i, size) for i in range(size)],
                [store.log_consistency(i, size) for i in range(1, size + 1)],
            )
        finally:
            store.close()
        results.append((answers, record))
    (sqlite_answers, sqlite_record), (postgres_answers, postgres_record) = results
    assert len(sqlite_record[0]) > 40
    assert postgres_record == sqlite_record  # byte for byte: leaves, hashes, signed checkpoint
    assert postgres_answers == sqlite_answers


# -- the index finds exactly what a brute-force check finds --------------------------------------

ANCHORS = ((38.64, 33.5), (179.99, -16.0), (-179.99, -16.0), (0.0, 89.99), (120.0, -89.99))


def _shape(rng: random.Random, kinds: float = 1.0) -> Shape:
    """A random circle, corridor or area near an anchor; `kinds` < 0.5 gives only circles."""
    lon, lat = rng.choice(ANCHORS)

    def near() -> tuple[float, float]:
        x = (lon + rng.uniform(-0.3, 0.3) + 180.0) % 360.0 - 180.0
        return x, max(-89.999, min(89.999, lat + rng.uniform(-0.3, 0.3)))

    pick = rng.uniform(0.0, kinds)
    if pick < 0.5:
        return Circle(near(), rng.uniform(0.0, 20_000.0))
    if pick < 0.8:
        # Both ends on one side of the antimeridian: a route across it is split in two.
        (x0, y0), (x1, y1) = near(), near()
        x1 = x1 if (x0 < 0) == (x1 < 0) else -x1
        return Corridor(((x0, y0), (x1, y1)), rng.uniform(0.0, 3_000.0))
    x, y = near()
    x, y = min(x, 179.8), min(y, 89.8)
    ring = ((x, y), (x + 0.1, y), (x + 0.1, y + 0.1), (x, y + 0.1), (x, y))
    return Area(((ring,),))


def _random_feature(rng: random.Random, index: int, kinds: float = 1.0) -> Feature:
    start = START + timedelta(hours=rng.uniform(0, 48))
    end = None if rng.random() < 0.2 else start + timedelta(hours=rng.uniform(0.5, 12))
    low = rng.choice([None, rng.uniform(0, 3_000)])
    high = rng.choice([None, (low or 0.0) + rng.uniform(0, 3_000)])
    return Feature(
        f"f{index}",
        rng.choice([Kind.ZONE, Kind.ACTIVITY]),
        rng.choice(["coalition", "russia", "aid"]),
        _shape(rng, kinds),
        TimeWindow(start, end),
        AltitudeBand(low, high),
        rng.choice([0.0, 500.0, 5_000.0]),
    )


def test_the_gist_index_finds_exactly_what_a_brute_force_check_finds(url: str) -> None:
    rng = random.Random(20260906)
    stored = [_random_feature(rng, i) for i in range(150)]
    # Circles only as probes: the engine's corridor-to-area distance is slow for a brute force.
    probes = [_random_feature(rng, 1000 + i, kinds=0.4) for i in range(60)]
    store = PostgresStore(url)
    try:
        store.add_features(stored)
        with store.atomic() as tx:
            found = {p.id: sorted(c.ids for c, _ in tx.conflicts_of(p)) for p in probes}
    finally:
        store.close()
    brute = {
        p.id: sorted(c.ids for c in (conflict_between(p, f) for f in stored) if c is not None)
        for p in probes
    }
    assert sum(len(pairs) for pairs in brute.values()) > 20
    assert found == brute


def test_a_duplicate_feature_id_is_refused_and_nothing_of_the_batch_is_kept(url: str) -> None:
    store = PostgresStore(url)
    try:
        store.add_features([strike("s1")])
        with pytest.raises(StateConflict) as raised:
            store.add_features([strike("s2", lon=10.0), strike("s1")])
        assert raised.value.feature_id == "s1"
        assert store.feature("russia", "s2") is None
        assert store.count() == 1
    finally:
        store.close()


# -- one lock across nodes -----------------------------------------------------------------------


def _concurrently(*calls: Callable[[], Any]) -> list[Any]:
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait(10)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(run, call) for call in calls]]


def test_conflicting_activities_on_two_nodes_at_once_are_never_both_unseen(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    lines = [Line(node, NoticePolicy(), FrozenClock()) for node in nodes]
    answers = _concurrently(
        *[
            call
            for pair in range(10)
            for call in (
                _declaring(lines[0], strike(f"c{pair}", 20.0 + pair, "coalition")),
                _declaring(lines[1], strike(f"r{pair}", 20.0 + pair, "russia")),
            )
        ]
    )
    for pair in range(10):
        both = answers[2 * pair].conflicts + answers[2 * pair + 1].conflicts
        # Exactly one side saw the other: the one whose check ran after the other's commit.
        assert [c.against for c in both] in ([f"r{pair}"], [f"c{pair}"]), pair


def _declaring(line: Line, feature: Feature) -> Callable[[], Any]:
    return lambda: line.declare(feature.party, feature, Share.SHAPE)


def test_ticks_on_two_nodes_at_once_escalate_each_notice_once(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    clock = FrozenClock()
    first = Line(nodes[0], NoticePolicy(), clock)
    for index in range(5):
        first.declare("russia", strike(f"s{index}", lon=30.0 + index), Share.SHAPE)
    clock.advance(timedelta(hours=1))
    lines = [Line(node, NoticePolicy(), clock) for node in nodes]
    ticks = _concurrently(*[line.tick for line in lines * 4])
    escalated = [notice for tick in ticks for notice in tick.escalated]
    assert len(escalated) == 10 and len(set(escalated)) == 10  # 5 strikes x 2 recipients
    overdue = [e for _, e, _ in _entries(nodes[1]) if b'"kind":"overdue"' in e]
    assert len(overdue) == 10


def _entries(store: Store) -> list[tuple[int, bytes, bytes]]:
    return store.log_leaves(0, store.log_size())


def test_a_reader_never_sees_an_event_id_before_a_smaller_one_commits(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    done = threading.Event()
    seen: list[int] = []

    def read() -> None:
        while True:
            writers_done = done.is_set()
            batch = nodes[1].events_since(seen[-1] if seen else 0, 500)
            seen.extend(event.id for event in batch)
            if writers_done and not batch:
                return

    reader = threading.Thread(target=read)
    reader.start()
    lines = [Line(node, NoticePolicy(), FrozenClock()) for node in nodes]
    _concurrently(*[_declaring(lines[i % 2], strike(f"s{i}", lon=float(i))) for i in range(16)])
    done.set()
    reader.join(10)
    assert seen == [e.id for e in nodes[0].events_since(0, 1000)]
    assert len(seen) == 32


# -- the record's edge read in one statement ----------------------------------------------------


def test_each_step_reads_the_logs_size_and_frontier_at_every_size_and_its_receipt_proves_it(
    url: str,
) -> None:
    store = PostgresStore(url, LOG_KEY)
    try:
        for number in range(40):
            with store.atomic() as tx:
                tx.record(party_entry(Party(f"p{number}", "P", "en", "duty"), START))
                first = tx.first_leaf()
                assert first == number
                receipt = tx.receipt(first)
            hashes = [merkle.leaf_hash(entry) for _, entry, _ in store.log_leaves(0, number + 1)]
            checkpoint = verify_receipt(receipt, LOG_KEY.signer.verifier)
            assert (checkpoint.size, checkpoint.root_hash) == (
                number + 1,
                merkle.MemoryTree(hashes).root(),
            )
    finally:
        store.close()


def test_the_head_file_after_each_step_is_the_log_as_that_step_left_it(
    url: str, tmp_path: Path
) -> None:
    """A step that appended signs the head from what it holds in memory (its receipt's
    checkpoint, or signed at its end when it appended after its receipt), not read again."""
    store = PostgresStore(url, LOG_KEY)
    head = HeadFile(tmp_path / "key.pem.head", LOG_KEY)
    store.keep_head(head)
    try:
        for number in range(12):
            with store.atomic() as tx:
                tx.record(party_entry(Party(f"p{number}", "P", "en", "duty"), START))
                if number % 3:
                    tx.receipt(tx.first_leaf() or 0)
                if number % 3 == 2:  # an entry after the receipt: the head covers it too
                    tx.record(party_entry(Party(f"q{number}", "Q", "en", "duty"), START))
            size = store.log_size()
            hashes = [merkle.leaf_hash(entry) for _, entry, _ in store.log_leaves(0, size)]
            written = head.read()
            assert written is not None
            assert (written.size, written.root_hash) == (size, merkle.MemoryTree(hashes).root())
    finally:
        store.close()


def test_a_step_whose_last_statements_fail_keeps_nothing_and_the_next_step_appends(
    url: str,
) -> None:
    """The last statements and the COMMIT are sent together: an error among them is raised
    from the step, and the step is rolled back whole, its record lock released."""
    store, other = PostgresStore(url, LOG_KEY), PostgresStore(url, LOG_KEY)
    try:
        store.add_party(PARTIES[2], START)
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(
                "INSERT INTO idempotency (party, key, fingerprint, result)"
                " VALUES ('aid', 'taken', 'f', '{}')"
            )
        size, last_event = store.log_size(), store.last_event_id()
        with pytest.raises(psycopg.errors.UniqueViolation), store.atomic() as tx:
            tx.record(party_entry(Party("p", "P", "en", "duty"), START))
            tx.receipt(tx.first_leaf() or 0)
            tx.add_event("aid", "test", {}, START)
            tx.remember("aid", "taken", "g", {"answer": 1})
        assert (store.log_size(), store.last_event_id()) == (size, last_event)
        for node in (other, store):
            with node.atomic() as tx:
                tx.record(party_entry(Party("p", "P", "en", "duty"), START))
                assert tx.first_leaf() == size
            size += 1
        assert store.log_size() == size
    finally:
        store.close()
        other.close()


# -- hearing other nodes' commits ----------------------------------------------------------------


def test_a_node_hears_of_events_another_node_commits_and_not_of_rolled_back_ones(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    heard = threading.Semaphore(0)
    with nodes[1].listening(heard.release):
        assert heard.acquire(timeout=5)  # once on connecting: whatever came before
        with pytest.raises(RuntimeError), nodes[0].atomic() as tx:
            tx.add_event("coalition", "test", {}, START)
            raise RuntimeError("rolled back")
        with nodes[0].atomic() as tx:
            tx.add_event("coalition", "test", {"n": 1}, START)
            tx.add_event("russia", "test", {"n": 2}, START)
        assert heard.acquire(timeout=5)
        assert not heard.acquire(timeout=0.5)  # one transaction, one notification


# -- opening: migrations, the one log key --------------------------------------------------------


def test_a_node_with_another_log_key_is_refused(url: str) -> None:
    PostgresStore(url, LOG_KEY).close()
    other = LogKey(generate_signer("deconflict.test/log")[0], "deconflict.test/log")
    with pytest.raises(RecordError, match="give every node the same log_key"):
        PostgresStore(url, other)


def test_a_schema_newer_than_this_code_is_refused(url: str) -> None:
    PostgresStore(url).close()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("INSERT INTO schema_version (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreUnavailable, match="newer than this deconflict knows"):
        PostgresStore(url)


def test_an_unreachable_database_is_named_without_its_password() -> None:
    with pytest.raises(StoreUnavailable) as raised:
        open_store("postgresql://someone:hunter2@127.0.0.1:1/nowhere")
    assert "hunter2" not in str(raised.value)


def test_nodes_starting_together_upgrade_the_schema_once(databases: Databases) -> None:
    url = databases.new(empty=True)
    stores = _concurrently(*[lambda: PostgresStore(url) for _ in range(4)])
    for store in stores:
        store.close()
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))


def test_a_postgres_url_passes_through_the_settings_untouched() -> None:
    url = "postgresql://deconflict@db.internal:5432/line?sslmode=verify-full"
    settings = Settings.from_env({"DECONFLICT_DB": url})
    assert settings.db == url
    assert settings.log_key_path == Path("line.log-key.pem")
    assert Settings(db="/var/lib/line.db").log_key_path == Path("/var/lib/line.db.log-key.pem")


def test_a_store_carries_on_when_the_database_cuts_its_connections(
    nodes: tuple[PostgresStore, PostgresStore], databases: Databases
) -> None:
    name = nodes[0].url.rsplit("/", 1)[1]
    with psycopg.connect(databases.admin_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    assert [p.id for p in nodes[0].parties()] == ["aid", "coalition", "russia"]
    Line(nodes[0], NoticePolicy(), FrozenClock()).declare("russia", strike(), Share.SHAPE)
