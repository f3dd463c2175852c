"""The line's answers read back from their documents: what a retried request is answered with."""

from __future__ import annotations

import json
from typing import Any

from deconflict.i18n.messages import ObjectionReason
from deconflict.line.model import ResponseKind, Share
from deconflict.line.results import (
    AltitudeSeen,
    Batch,
    Cancellation,
    ConflictSeen,
    Declaration,
    NoticeAnswer,
    NoticeSeen,
    OccurrencesSeen,
    Recorded,
    WindowSeen,
)
from deconflict.line.service import Line
from tests.line.conftest import strike, zone


def _stored(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a store keeps it: through JSON text and back."""
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def _answers(line: Line) -> list[Recorded]:
    """One of every recorded answer, with public and withheld conflicts and a refusal."""
    declared = [
        line.declare("coalition", zone(), Share.SHAPE),
        line.declare("aid", zone("clinic", party="aid", radius_m=2000.0), Share.CONTACT),
        line.declare("russia", strike(lon=38.64), Share.SHAPE),
    ]
    notice = next(n.id for n in declared[-1].notices if n.recipient == "aid")
    batch = line.declare_many(
        "russia",
        [(strike("strike-1"), Share.SHAPE), (strike("strike-2"), Share.SHAPE)],
        partial=True,
    )
    objected = line.respond(
        "aid", notice, ResponseKind.OBJECTION, ObjectionReason.CIVILIANS_PRESENT, "free text"
    )
    replied = line.reply("russia", notice, "we move")
    cancelled = line.cancel("russia", "strike-2")
    return [*declared, batch, objected, replied, cancelled, line.read("aid", notice)]


def test_every_answer_is_read_back_from_its_stored_document_as_it_was(line: Line) -> None:
    answers = _answers(line)
    assert {type(a) for a in answers} == {Declaration, Batch, NoticeAnswer, Cancellation}
    for answer in answers:
        document = answer.document()
        again = type(answer).from_document(_stored(document))
        assert again == answer
        assert json.dumps(again.document()) == json.dumps(document)


def test_a_recorded_answer_carries_its_receipt_last_and_a_read_none(line: Line) -> None:
    *written, read = _answers(line)
    for answer in written:
        assert answer.receipt is not None
        assert list(answer.document())[-1] == "receipt"
    assert read.receipt is None and "receipt" not in read.document()


def test_notices_as_seen_are_read_back_from_their_documents(line: Line) -> None:
    _answers(line)
    seen = [n for party in ("coalition", "russia", "aid") for n in line.inbox(party)]
    seen += [n for party in ("coalition", "russia", "aid") for n in line.outbox(party)]
    assert any(c.against is None for n in seen for c in n.conflicts)  # a withheld shape
    for notice in seen:
        assert NoticeSeen.from_document(_stored(notice.document())) == notice


def test_a_conflict_with_occurrences_and_mixed_datums_is_read_back_whole() -> None:
    window = WindowSeen("2026-09-08T06:00:00Z", None)
    conflict = ConflictSeen(
        "coalition",
        "drill",
        "2026-09-08T06:00:00Z",
        None,
        against="at-tanf",
        distance_m=0.0,
        occurrences=OccurrencesSeen((window,), None),
        altitude=AltitudeSeen(("agl", "msl"), 1234.5),
    )
    document = conflict.document()
    assert ConflictSeen.from_document(_stored(document)) == conflict
    assert document["occurrences"] == {
        "windows": [{"start": "2026-09-08T06:00:00Z", "end": None}],
        "total": None,
    }
