"""A store that lived a real story, with its log key and head file, for the check's tests.

Three parties; a zone, a contact zone, a strike inside both, read, objected to,
answered, amended and acknowledged; a second strike left unanswered until it
escalates, then cancelled; a party key registered. Then (dss_story) two USSs'
intents, a subscription, a constraint and an availability through the DSS. Written through the line
(line/service.py) on a store that keeps its head file, as a server's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from deconflict.geo.shapes import Circle
from deconflict.i18n.messages import ObjectionReason
from deconflict.line.model import NoticePolicy, ResponseKind, Share
from deconflict.line.parties import Party, register_party
from deconflict.line.service import Line
from deconflict.record.note import generate_signer, load_signer
from deconflict.record.signature import generate_party_key
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.store import LogKey, Store, dss_tables, open_store
from deconflict.store.head import HeadFile, head_path
from deconflict.utm.extents import time_document
from deconflict.utm.service import Dss
from tests.backends import log_key_of
from tests.dss.conftest import altitude, circle, intent_body

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


DSS_PLACE = (38.7, 33.5)
"""Where the DSS story's USSs fly: over the strikes of the line's story."""


def _dss_volume(radius_m: float, start_h: float, end_h: float) -> dict[str, Any]:
    """A Volume4D over DSS_PLACE, `start_h` to `end_h` hours after START, 0 to 120 m."""
    lng, lat = DSS_PLACE
    return {
        "volume": {
            **circle(lng, lat, radius_m),
            "altitude_lower": altitude(0),
            "altitude_upper": altitude(120),
        },
        "time_start": time_document(START + timedelta(hours=start_h)),
        "time_end": time_document(START + timedelta(hours=end_h)),
    }


def dss_story(store: Store, ovn_secret: bytes | None = None) -> dict[str, str]:
    """DSS writes after `live_story`, through the DSS on `store`: uss1's subscription; uss2's
    intent with an implicit subscription; uss1's intent made with uss2's OVN in its key, then
    activated on uss1's subscription; uss1's constraint; uss2's second intent made and
    removed; uss2 marked Normal; a report by uss1. OVNs are made under `ovn_secret` as a server
    makes them under its log key's (None: random). The ids by name, each OVN as `ovn-NAME`."""
    clock = Clock(START + timedelta(minutes=10))
    dss = Dss(dss_tables(store), clock, ovn_secret)
    ids = {name: str(uuid4()) for name in ("watch", "survey", "patrol", "tfr", "brief")}
    dss.put_subscription(
        "uss1",
        ids["watch"],
        "",
        {
            "extents": _dss_volume(5_000, 0.5, 6),
            "uss_base_url": "https://uss1.example/utm",
            "notify_for_operational_intents": True,
            "notify_for_constraints": True,
        },
    )
    survey = dss.put_intent(
        "uss2", frozenset(), ids["survey"], "", intent_body(_dss_volume(800, 1, 3))
    ).intent
    assert survey is not None
    patrol_body = intent_body(_dss_volume(500, 1, 2), key=[survey.ovn])
    patrol = dss.put_intent("uss1", frozenset(), ids["patrol"], "", patrol_body).intent
    assert patrol is not None
    patrol_body.pop("new_subscription")
    active = {**patrol_body, "state": "Activated", "subscription_id": ids["watch"]}
    patrol = dss.put_intent("uss1", frozenset(), ids["patrol"], patrol.ovn, active).intent
    assert patrol is not None
    made, tfr = dss.put_constraint(
        "uss1",
        ids["tfr"],
        "",
        {"extents": [_dss_volume(300, 1, 4)], "uss_base_url": "https://uss1.example/utm"},
    )
    assert made
    brief = dss.put_intent(
        "uss2", frozenset(), ids["brief"], "", intent_body(_dss_volume(20_000, 5, 5.5))
    ).intent
    assert brief is not None
    dss.delete_intent("uss2", ids["brief"], brief.ovn)
    dss.set_availability("arbiter", "uss2", {"availability": "Normal"})
    exchange = {
        "url": "https://uss2.example/uss/v1/operational_intents/x",
        "method": "GET",
        "recorder_role": "Client",
        "request_time": {"value": "2026-09-06T20:05:00Z", "format": "RFC3339"},
    }
    ids["report"] = dss.report("uss1", {"exchange": exchange})["report_id"]
    return {
        **ids,
        "ovn-survey": survey.ovn,
        "ovn-patrol": patrol.ovn,
        "ovn-tfr": tfr["constraint_reference"]["ovn"],
    }
