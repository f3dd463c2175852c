"""Notices about repeating features name the occurrences that meet; mixed datums are said so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from deconflict.errors import StateConflict
from deconflict.geo.shapes import Circle, Sector
from deconflict.i18n.distances import format_distance
from deconflict.line.model import Share
from deconflict.line.results import MessageSeen, Refused
from deconflict.line.service import Line
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.schedule import Every, Recurrence
from deconflict.store import Store
from tests.line.conftest import START, FrozenClock, strike, zone

MORNING = TimeWindow(datetime(2026, 9, 7, 6, tzinfo=UTC), datetime(2026, 9, 7, 8, tzinfo=UTC))


def _drill(repeat: Recurrence | None, band: AltitudeBand | None = None) -> Feature:
    return Feature(
        "drill-1",
        Kind.ACTIVITY,
        "russia",
        Sector((38.64, 33.5), 20_000.0, 0.0, 300.0, 60.0),
        MORNING,
        band or AltitudeBand(),
        activity="drill",
        repeat=repeat,
    )


def _thread(line: Line, party: str) -> list[MessageSeen]:
    notices = line.inbox(party, include_ended=True)
    assert len(notices) == 1
    return list(notices[0].thread)


def test_a_daily_drill_names_the_occurrences_that_meet_a_weekly_zone(line: Line) -> None:
    weekly = replace(
        zone(),
        window=TimeWindow(
            datetime(2026, 9, 8, 0, tzinfo=UTC), datetime(2026, 9, 8, 12, tzinfo=UTC)
        ),
        repeat=Recurrence(Every.WEEK, until=datetime(2026, 10, 6, tzinfo=UTC)),
    )
    line.declare("coalition", weekly, Share.SHAPE)
    answer = line.declare(
        "russia",
        _drill(Recurrence(Every.DAY, until=datetime(2026, 9, 21, tzinfo=UTC))),
        Share.SHAPE,
    )
    (conflict,) = answer.conflicts
    assert conflict.start == "2026-09-08T06:00:00Z"
    assert conflict.document()["occurrences"] == {
        "windows": [
            {"start": "2026-09-08T06:00:00Z", "end": "2026-09-08T08:00:00Z"},
            {"start": "2026-09-15T06:00:00Z", "end": "2026-09-15T08:00:00Z"},
        ],
        "total": 2,
    }
    texts = [m.text for m in _thread(line, "coalition")]
    assert any("Occurrences that meet 'At Tanf' (2): 080600ZSEP26–080800ZSEP26" in t for t in texts)


def test_a_drill_until_further_notice_says_every_occurrence_meets(line: Line) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    line.declare("russia", _drill(Recurrence(Every.HOURS, 6)), Share.SHAPE)
    (occurrences,) = [m for m in _thread(line, "coalition") if m.code == "occurrences"]
    assert "every one until further notice" in occurrences.text
    assert occurrences.text.rstrip(".").endswith("…")


def test_mixed_datums_are_flagged_with_the_widening_in_every_language(line: Line) -> None:
    high = replace(zone(), band=AltitudeBand(3000.0, 6000.0, Datum.MSL))
    line.declare("coalition", high, Share.SHAPE)
    flying = _drill(None, AltitudeBand(0.0, 9144.0, Datum.AGL, Datum.FL))
    answer = line.declare("russia", flying, Share.SHAPE)
    (conflict,) = answer.conflicts
    assert conflict.altitude is not None
    assert conflict.altitude.datums == ("agl", "fl", "msl")
    assert conflict.altitude.widened_m > 1000
    english = [m.text for m in _thread(line, "coalition") if m.code == "mixed_datums"]
    assert english and "different datums (AGL, FL, MSL)" in english[0]
    assert f"widened by up to {format_distance(conflict.altitude.widened_m)}." in english[0]


def test_an_arabic_recipient_reads_the_mixed_datums_in_arabic(line: Line) -> None:
    camp = replace(zone("camp", "aid"), band=AltitudeBand(0.0, 100.0, Datum.AGL))
    line.declare("aid", camp, Share.SHAPE)
    line.declare("russia", _drill(None, AltitudeBand(None, 9144.0, Datum.FL)), Share.SHAPE)
    arabic = [m.text for m in _thread(line, "aid") if m.code == "mixed_datums"]
    assert arabic and "مراجع مختلفة" in arabic[0]


def test_bands_in_one_datum_that_do_not_meet_are_no_conflict(line: Line) -> None:
    line.declare("coalition", replace(zone(), band=AltitudeBand(3000.0, 6000.0)), Share.SHAPE)
    answer = line.declare("russia", _drill(None, AltitudeBand(0.0, 2999.0)), Share.SHAPE)
    assert answer.conflicts == ()


def test_the_same_bands_in_different_datums_are_a_conflict(line: Line) -> None:
    line.declare("coalition", replace(zone(), band=AltitudeBand(3000.0, 6000.0)), Share.SHAPE)
    answer = line.declare("russia", _drill(None, AltitudeBand(0.0, 2999.0, Datum.AGL)), Share.SHAPE)
    assert len(answer.conflicts) == 1


def test_russian_recipients_read_the_occurrences_in_russian(line: Line) -> None:
    line.declare("russia", replace(zone(), id="base", party="russia"), Share.SHAPE)
    drill = _drill(Recurrence(Every.DAY, until=datetime(2026, 9, 10, tzinfo=UTC)))
    line.declare("coalition", replace(drill, party="coalition"), Share.SHAPE)
    texts = [m.text for m in _thread(line, "russia") if m.code == "occurrences"]
    assert texts and texts[0].startswith("Повторения, пересекающиеся с «At Tanf» (3)")


def test_many_features_are_declared_in_one_step(line: Line, store: Store) -> None:
    circle = zone().shape
    assert isinstance(circle, Circle)
    sites = [replace(zone(f"site-{i}"), shape=replace(circle, radius_m=100.0)) for i in range(5)]
    answer = line.declare_many("coalition", [(s, Share.SHAPE) for s in sites])
    assert [i.id for i in answer.imported] == [f"site-{i}" for i in range(5)]
    assert sorted(d.feature.id for d in store.declared_features()) == [s.id for s in sites]


def test_a_taken_id_undoes_the_whole_batch_unless_partial(line: Line, store: Store) -> None:
    line.declare("coalition", zone("site-2"), Share.SHAPE)
    batch = [(zone(f"site-{i}"), Share.SHAPE) for i in range(4)]
    with pytest.raises(StateConflict):
        line.declare_many("coalition", batch)
    assert [d.feature.id for d in store.declared_features()] == ["site-2"]
    answer = line.declare_many("coalition", batch, partial=True)
    assert [i.id for i in answer.imported] == ["site-0", "site-1", "site-3"]
    assert answer.refused == (
        Refused(
            2,
            "site-2",
            ("feature 'site-2', field 'id': a feature with this id exists; amend it instead",),
        ),
    )


def test_ended_notices_leave_the_inbox_on_their_own(line: Line, clock: FrozenClock) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    line.declare("russia", strike(), Share.SHAPE)
    assert len(line.inbox("coalition")) == 1
    clock.advance(timedelta(days=1))
    assert line.inbox("coalition") == []
    assert len(line.inbox("coalition", include_ended=True)) == 1
    assert line.outbox("russia") == []
    assert len(line.outbox("russia", include_ended=True)) == 2
    assert clock.now > START
