"""A store that lived a real story, with its log key and head file, for the check's tests.

Three parties; a zone, a contact zone, a strike inside both, read, objected to,
answered, amended and acknowledged; a second strike left unanswered until it
escalates, then cancelled; a party key registered. Written through the line
(line/service.py) on a store that keeps its head file, as a server's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deconflict.geo.shapes import Circle
from deconflict.i18n.messages import ObjectionReason
from deconflict.line.model import NoticePolicy, ResponseKind, Share
from deconflict.line.parties import Party, register_party
from deconflict.line.service import Line
from deconflict.record.note import generate_signer, load_signer
from deconflict.record.signature import generate_party_key
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.store import LogKey, Store, open_store
from deconflict.store.head import HeadFile, head_path
from tests.backends import log_key_of

ORIGIN = "deconflict.line/log"
START = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


def zone(fid: str, party: str, lon: float, radius_m: float) -> Feature:
    return Feature(
        fid, Kind.ZONE, party, Circle((lon, 33.5), radius_m), TimeWindow(START - timedelta(days=1))
    )


def strike(fid: str, lon: float, party: str = "russia") -> Feature:
    day = datetime(2026, 9, 6, tzinfo=UTC)
    window = TimeWindow(day + timedelta(hours=22), day + timedelta(hours=26))
    return Feature(
        fid, Kind.ACTIVITY, party, Circle((lon, 33.5), 1500.0), window, activity="strike"
    )


def fresh_log_key(db: str) -> tuple[Path, LogKey]:
    """A new log key for `db` (where a test server keeps it), with no head file beside it."""
    path = log_key_of(db)
    head_path(path).unlink(missing_ok=True)
    path.write_bytes(generate_signer(ORIGIN)[2])
    path.chmod(0o600)
    return path, LogKey(load_signer(ORIGIN, path.read_bytes()), ORIGIN)


def open_keeping_head(db: str, key_path: Path, key: LogKey) -> Store:
    """The store at `db`, signing its head into the head file after every commit."""
    store = open_store(db, key)
    store.keep_head(HeadFile(head_path(key_path), key))
    return store


def parties(store: Store) -> None:
    register_party(store, Party("coalition", "Coalition", "en", "TOC", "watch floor"), START)
    register_party(store, Party("russia", "Russian forces", "ru", "Hmeimim duty"), START)
    register_party(store, Party("aid", "Aid agency", "ar", "aid security desk"), START)


def live_story(store: Store) -> None:
    """The story, told through the line on `store` (its parties registered first)."""
    clock = Clock()
    line = Line(store, NoticePolicy(), clock)
    parties(store)
    store.set_party_key("russia", generate_party_key()[1], START)
    line.declare("coalition", zone("at-tanf", "coalition", 38.64, 55_000), Share.SHAPE)
    line.declare("aid", zone("clinic", "aid", 38.7, 2_000), Share.CONTACT)
    sent = line.declare("russia", strike("strike-1", 38.7), Share.SHAPE).notices
    first = next(n.id for n in sent if n.recipient == "coalition")
    line.delivered("coalition", [first])
    line.read("coalition", first)
    line.respond(
        "coalition", first, ResponseKind.OBJECTION, ObjectionReason.FORCES_PRESENT, "we are there"
    )
    line.reply("russia", first, "moving it east")
    moved = line.declare("russia", strike("strike-1", 39.4), Share.SHAPE, amend=True)
    for notice in moved.notices:
        line.respond(notice.recipient, notice.id, ResponseKind.ACKNOWLEDGED)
    line.declare("russia", strike("strike-2", 38.6), Share.SHAPE)
    clock.now += timedelta(hours=1)
    line.tick()
    line.cancel("russia", "strike-2")


def probes_story(store: Store) -> None:
    """Dry runs that meet aid's `contact` zone (probes), after `live_story`: russia's first two
    are forgotten by its budget at its third, over an hour later; coalition's one stays."""
    clock = Clock(START + timedelta(hours=2))
    line = Line(store, NoticePolicy(), clock)
    line.dry_run("russia", strike("try-1", 38.7))
    clock.now += timedelta(minutes=5)
    line.dry_run("russia", strike("try-2", 38.71))
    line.dry_run("coalition", strike("look", 38.7, party="coalition"))
    clock.now += timedelta(hours=1, minutes=30)
    line.dry_run("russia", strike("try-3", 38.69))
