"""The line's use cases, over a real SQLite store with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconflict.errors import Forbidden, InvalidFeature, NotFound, StateConflict
from deconflict.i18n.messages import ObjectionReason
from deconflict.line.model import ResponseKind, Share
from deconflict.line.results import Declaration
from deconflict.line.service import Idempotency, Line
from deconflict.store import Store, open_store
from tests.line.conftest import FrozenClock, strike, zone


def _to(result: Declaration, party: str) -> int:
    """The id of the notice a declaration sent to `party`."""
    return next(int(n.id) for n in result.notices if n.recipient == party)


def test_strike_inside_a_zone_lists_the_conflict_and_warns_the_owner_first(line: Line) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    result = line.declare("russia", strike(), Share.SHAPE)
    assert [(c.against, c.distance_m) for c in result.conflicts] == [("at-tanf", 0.0)]
    by_recipient = {n.recipient: n for n in result.notices}
    assert set(by_recipient) == {"coalition", "aid"}
    assert by_recipient["coalition"].priority is True
    assert by_recipient["aid"].priority is False
    inbox = line.inbox("coalition")
    assert inbox[0].priority and inbox[0].conflicts[0].feature == "at-tanf"
    assert "conflicts with your 'At Tanf'" in inbox[0].thread[1].text


def test_respond_by_is_thirty_minutes_but_never_later_than_15_before_start(
    line: Line, clock: FrozenClock
) -> None:
    soon = strike(hours=(21, 22))  # starts 60 min after "now"
    result = line.declare("russia", soon, Share.SHAPE)
    assert result.notices[0].respond_by == "2026-09-06T20:30:00Z"
    later = strike("strike-2", hours=(21, 23))
    clock.advance(timedelta(minutes=30))
    result = line.declare("russia", later, Share.SHAPE)
    assert result.notices[0].respond_by == "2026-09-06T20:45:00Z"


def test_contact_zone_tells_the_striker_only_its_party_and_contact(line: Line) -> None:
    line.declare("aid", zone("clinic", party="aid", radius_m=2000.0), Share.CONTACT)
    result = line.declare("russia", strike(lon=38.64), Share.SHAPE)
    [conflict] = result.conflicts
    assert conflict.document() == {
        "party": "aid",
        "feature": "strike-1",
        "start": None,
        "end": None,
        "contact": "aid security desk",
        "shape_withheld": True,
    }
    assert "clinic" not in str(result)


def test_new_contact_zone_warns_the_striker_without_revealing_it(line: Line) -> None:
    line.declare("russia", strike(lon=38.64), Share.SHAPE)
    line.declare("aid", zone("clinic", party="aid", radius_m=2000.0), Share.CONTACT)
    warning = line.inbox("russia")[0]
    assert warning.priority and warning.sender == "aid"
    assert "clinic" not in str(warning) and "38.64" not in str(warning)
    assert warning.conflicts[0].contact == "aid security desk"


def test_objection_reaches_the_sender_in_its_own_language(line: Line) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    notice_id = _to(line.declare("russia", strike(), Share.SHAPE), "coalition")
    line.respond(
        "coalition",
        notice_id,
        ResponseKind.OBJECTION,
        ObjectionReason.FORCES_PRESENT,
        "Patrol in grid 37S DT 66 06",
    )
    [sent] = [n for n in line.outbox("russia") if n.id == notice_id]
    assert sent.state == "responded" and sent.response == "objection"
    objection = sent.thread[-1]
    assert "возражает" in objection.text
    assert objection.free_text is not None
    assert objection.free_text.startswith("Свободный текст (без перевода)")


def test_only_the_recipient_responds_and_strangers_see_nothing(line: Line) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    notice_id = _to(line.declare("russia", strike(), Share.SHAPE), "coalition")
    with pytest.raises(Forbidden):
        line.respond("russia", notice_id, ResponseKind.ACKNOWLEDGED)
    with pytest.raises(NotFound):
        line.respond("aid", notice_id, ResponseKind.ACKNOWLEDGED)
    with pytest.raises(NotFound):
        line.read("aid", notice_id)


def test_objection_without_reason_is_refused(line: Line) -> None:
    notice_id = _to(line.declare("russia", strike(), Share.SHAPE), "coalition")
    with pytest.raises(InvalidFeature):
        line.respond("coalition", notice_id, ResponseKind.OBJECTION)


def test_notice_moves_sent_delivered_read_responded(line: Line) -> None:
    notice_id = _to(line.declare("russia", strike(), Share.SHAPE), "coalition")

    def state() -> str:
        return str(next(n.state for n in line.outbox("russia") if n.id == notice_id))

    assert state() == "sent"
    line.inbox("coalition")
    assert state() == "delivered"
    line.read("coalition", notice_id)
    assert state() == "read"
    line.respond("coalition", notice_id, ResponseKind.ACKNOWLEDGED)
    assert state() == "responded"


def test_silence_escalates_once_to_both_sides_and_the_escalation_contact(
    line: Line, store: Store, clock: FrozenClock
) -> None:
    notice_id = _to(line.declare("russia", strike(), Share.SHAPE), "coalition")
    assert line.tick().escalated == ()
    clock.advance(timedelta(minutes=31))
    assert notice_id in line.tick().escalated
    assert notice_id not in line.tick().escalated
    escalations = [e for e in store.events_after("russia", 0, 100) if e.kind == "escalation"]
    assert sorted(e.payload["recipient"] for e in escalations) == ["aid", "coalition"]
    theirs = [e for e in store.events_after("coalition", 0, 100) if e.kind == "escalation"]
    assert theirs[0].payload["escalation_contact"] == "coalition watch floor"
    assert line.inbox("coalition")[0].overdue is True


def test_escalation_comes_from_stored_state_after_a_restart(
    store: Store, db: str, clock: FrozenClock
) -> None:
    from deconflict.line.model import NoticePolicy

    first = Line(store, NoticePolicy(), clock)
    notice_id = _to(first.declare("russia", strike(), Share.SHAPE), "coalition")
    store.close()
    clock.advance(timedelta(hours=1))
    reopened = open_store(db)
    try:
        assert notice_id in Line(reopened, NoticePolicy(), clock).tick().escalated
    finally:
        reopened.close()


def test_amendment_is_a_new_version_and_notifies_again(line: Line, store: Store) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    line.declare("russia", strike(), Share.SHAPE)
    moved = line.declare("russia", strike(lon=39.5), Share.SHAPE, amend=True)
    properties = moved.feature["properties"]
    assert moved.conflicts == () and isinstance(properties, dict) and properties["version"] == 2
    assert [change for change, _, _ in store.history("russia", "strike-1")] == [
        "declared",
        "amended",
    ]
    latest = line.inbox("coalition")[-1]
    assert latest.version == 2 and "amends" in latest.thread[0].text


def test_another_party_cannot_amend_or_cancel(line: Line) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    with pytest.raises(Forbidden):
        line.declare("russia", zone(), Share.SHAPE, amend=True)
    with pytest.raises(NotFound):
        line.declare("russia", zone(party="russia"), Share.SHAPE, amend=True)
    with pytest.raises(NotFound):
        line.cancel("russia", "at-tanf")


def test_declaring_an_existing_id_again_is_refused(line: Line) -> None:
    line.declare("coalition", zone(), Share.SHAPE)
    with pytest.raises(StateConflict):
        line.declare("coalition", zone(), Share.SHAPE)


def test_cancel_informs_the_parties_told_before_and_frees_the_space(line: Line) -> None:
    line.declare("russia", strike(), Share.SHAPE)
    line.cancel("russia", "strike-1")
    assert "cancels" in line.inbox("coalition")[-1].thread[0].text
    assert line.declare("coalition", zone(), Share.SHAPE).conflicts == ()


def test_close_out_after_the_activity_ends(line: Line, clock: FrozenClock) -> None:
    line.declare("russia", strike(), Share.SHAPE)
    clock.advance(timedelta(hours=7))
    assert line.tick().closed == ("strike-1",)
    assert line.tick().closed == ()
    # The ended activity has left the inbox; its thread, close-out first, is still there.
    assert line.inbox("coalition") == []
    assert "complete" in line.inbox("coalition", include_ended=True)[-1].thread[0].text


def test_a_retried_request_with_the_same_key_creates_nothing_new(line: Line, store: Store) -> None:
    key = Idempotency.of("retry-1", "strike-1")
    first = line.declare("russia", strike(), Share.SHAPE, idempotency=key)
    again = line.declare("russia", strike(), Share.SHAPE, idempotency=key)
    assert again == first
    assert len(store.inbox("coalition")) == 1
    with pytest.raises(StateConflict):
        line.declare(
            "russia",
            strike("strike-2"),
            Share.SHAPE,
            idempotency=Idempotency.of("retry-1", "strike-2"),
        )


def test_activities_cannot_withhold_their_shape(line: Line) -> None:
    with pytest.raises(InvalidFeature):
        line.declare("russia", strike(), Share.CONTACT)


def test_an_activity_wholly_in_the_past_is_refused_naming_when_it_ended(line: Line) -> None:
    with pytest.raises(InvalidFeature) as refused:
        line.declare("russia", strike(hours=(15, 19)), Share.SHAPE)
    assert (refused.value.field, refused.value.value) == ("end", "2026-09-06T19:00:00Z")
    assert "the activity is over" in refused.value.message
    assert "allow-past" in refused.value.message
    assert line.inbox("coalition") == []
    with pytest.raises(InvalidFeature):
        line.dry_run("russia", strike(hours=(15, 19)))


def test_an_activity_that_started_earlier_and_still_runs_is_notified(line: Line) -> None:
    answer = line.declare("russia", strike(hours=(18, 22)), Share.SHAPE)
    assert {n.recipient for n in answer.notices} == {"aid", "coalition"}


def test_allow_past_records_an_activity_that_is_over(line: Line) -> None:
    answer = line.declare("russia", strike(hours=(15, 19)), Share.SHAPE, allow_past=True)
    assert answer.feature["id"] == "strike-1"
    assert line.dry_run("russia", strike("strike-2", hours=(15, 19)), allow_past=True)


def test_an_import_lists_the_activities_that_are_over_or_refuses_them_all(line: Line) -> None:
    batch = [(strike("over", hours=(15, 19)), Share.SHAPE), (strike("ahead"), Share.SHAPE)]
    with pytest.raises(InvalidFeature):
        line.declare_many("russia", batch)
    answer = line.declare_many("russia", batch, partial=True)
    assert [i.id for i in answer.imported] == ["ahead"]
    [refused] = answer.refused
    assert (refused.id, refused.index) == ("over", 0)
    assert "the activity is over" in refused.errors[0]


def test_an_import_lists_an_id_already_taken_with_its_reason(line: Line) -> None:
    line.declare("russia", strike(), Share.SHAPE)
    answer = line.declare_many("russia", [(strike(), Share.SHAPE)], partial=True)
    assert answer.imported == ()
    assert "exists; amend it instead" in answer.refused[0].errors[0]
