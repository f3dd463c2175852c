"""Notices read in Russian and Arabic carry no English: every word the line writes is translated.

A story that makes every kind of message the line sends (notifications, warnings of
zones, activities, repeats and withheld shapes, answers, amendments, cancellations,
escalations, close-outs), read by a Russian and an Arabic party. What the parties
typed (names, ids, free text), times (DTG and ISO) and altitude datums (ICAO
abbreviations) are taken out; no Latin letter may remain.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deconflict.i18n.messages import ObjectionReason
from deconflict.line.model import NoticePolicy, ResponseKind, Share
from deconflict.line.parties import Party, register_party
from deconflict.line.service import Line
from deconflict.rules.feature import Feature
from deconflict.rules.plan import parse_plan
from deconflict.store import open_store
from tests.line.conftest import FrozenClock

START = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)
PARTIES = (
    Party("west", "Western coalition", "en", "West duty officer", "West watch floor"),
    Party("north", "Northern forces", "ru", "North duty officer", "North command"),
    Party("relief", "Relief agency", "ar", "Relief security desk", "Relief director"),
)
TYPED = re.compile(
    r"Western coalition|Northern forces|Relief agency|West watch floor|North command|"
    r"Relief director|West duty officer|North duty officer|Relief security desk|"
    r"garrison|camp|night-fire|north-base|strike-\w+|checks"
)
TIMES = re.compile(r"\d{6}Z[A-Z]{3}\d{2}|\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?Z")
DATUMS = re.compile(r"\b(?:MSL|AGL|FL|WGS84)\b")
LATIN = re.compile(r"[A-Za-z]+")


def _feature(fid: str, party: str, kind: str, lon: float, **properties: Any) -> Feature:
    document = {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, 33.5]},
        "properties": {"kind": kind, "party": party, "radius_m": 2000, **properties},
    }
    [feature] = parse_plan({"type": "FeatureCollection", "features": [document]})
    return feature


def _night(hours: int = 4) -> dict[str, Any]:
    start = START + timedelta(hours=2)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}


def _tell_the_story(line: Line, clock: FrozenClock) -> None:
    since = {"start": "2026-01-01T00:00:00Z"}
    line.declare("west", _feature("garrison", "west", "zone", 38.0, **since), Share.SHAPE)
    line.declare(
        "relief",
        _feature(
            "camp", "relief", "zone", 39.0, altitude={"lower": "SFC", "upper": "100 m AGL"}, **since
        ),
        Share.CONTACT,
    )
    line.declare("north", _feature("north-base", "north", "zone", 40.0, **since), Share.SHAPE)
    line.declare(
        "north",
        _feature("strike-1", "north", "activity", 38.0, activity="strike", **_night()),
        Share.SHAPE,
    )
    line.declare(
        "north",
        _feature(
            "strike-2",
            "north",
            "activity",
            39.0,
            activity="strike",
            altitude={"lower_m": 0, "upper_m": 3000},
            **_night(),
        ),
        Share.SHAPE,
    )
    line.declare(
        "west",
        _feature(
            "night-fire",
            "west",
            "activity",
            40.0,
            activity="artillery",
            repeat={"every": "day", "until": "UFN"},
            **_night(2),
        ),
        Share.SHAPE,
    )
    # Zones declared after the activities they meet: a shape and a withheld one.
    line.declare("west", _feature("checks", "west", "zone", 39.0, **since), Share.SHAPE)
    line.declare("relief", _feature("strike-zone", "relief", "zone", 38.0, **since), Share.CONTACT)
    line.declare(
        "north",
        _feature("strike-1", "north", "activity", 38.01, activity="strike", **_night()),
        Share.SHAPE,
        amend=True,
    )
    inbox = {p.id: line.inbox(p.id) for p in PARTIES}
    first = {p: [int(n.id) for n in notices] for p, notices in inbox.items()}
    line.respond("west", first["west"][0], ResponseKind.ACKNOWLEDGED)
    line.respond(
        "relief", first["relief"][0], ResponseKind.OBJECTION, ObjectionReason.CIVILIANS_PRESENT
    )
    line.respond("north", first["north"][0], ResponseKind.CLARIFICATION, text="checks")
    line.reply("west", first["north"][0], "checks")
    line.cancel("north", "strike-2")
    line.cancel("relief", "strike-zone")
    clock.advance(timedelta(hours=1))
    line.tick()  # escalations of what nobody answered
    clock.advance(timedelta(hours=8))
    line.tick()  # close-outs of the night's strikes


def _read_by(line: Line, party: str) -> list[tuple[str, str]]:
    """(code, text) of every message of the party's notices, sent or received, as it reads them."""
    notices = line.inbox(party, include_ended=True) + line.outbox(party, include_ended=True)
    return [
        (message.code, part)
        for notice in notices
        for message in notice.thread
        for part in (message.text, message.free_text)
        if part
    ]


def test_russian_and_arabic_readers_see_no_english_word_the_line_wrote(tmp_path: Path) -> None:
    clock = FrozenClock()
    store = open_store(tmp_path / "line.db")
    try:
        for party in PARTIES:
            register_party(store, party, START)
        line = Line(store, NoticePolicy(), clock)
        _tell_the_story(line, clock)
        codes = set()
        for reader in ("north", "relief"):
            for code, text in _read_by(line, reader):
                codes.add(code)
                left = DATUMS.sub("", TIMES.sub("", TYPED.sub("", text)))
                assert LATIN.findall(left) == [], text
    finally:
        store.close()
    assert codes >= {
        "notification",
        "conflict_warning",
        "occurrences",
        "mixed_datums",
        "acknowledgement",
        "objection",
        "clarification_request",
        "reply",
        "amendment",
        "cancellation",
        "overdue",
        "escalation",
        "close_out",
    }
