"""What declarations write is pinned to the byte: the record's leaves, nodes and openings, and
every row beside them (volumes and their index, versions, notices, threads, events), with the
answers given. A faster step must write exactly what the line wrote before; the digests below
were taken from the line as it was, with the salts drawn in a fixed sequence."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import timedelta
from typing import Any

import pytest

from deconflict.line import unit
from deconflict.line.model import Share
from deconflict.line.service import Line
from deconflict.store import Store
from tests.backends import run_sql
from tests.line.conftest import START, FrozenClock, strike, zone

_TABLES = {
    "volume": "SELECT rowid, party, feature_id, kind, document, version, share, cancelled_at,"
    " closed_at, ends_at_s FROM volume ORDER BY rowid",
    "volume_index": "SELECT * FROM volume_index ORDER BY 1",
    "feature_version": "SELECT * FROM feature_version ORDER BY party, feature_id, version",
    "notice": "SELECT * FROM notice ORDER BY id",
    "message": "SELECT * FROM message ORDER BY id",
    "event": "SELECT * FROM event ORDER BY id",
    "log_leaf": "SELECT idx, kind, entry, at FROM log_leaf ORDER BY idx",
    "log_node": "SELECT level, idx, hash FROM log_node ORDER BY level, idx",
    "log_opening": "SELECT idx, commitment, salt, value, readers FROM log_opening"
    " ORDER BY idx, commitment",
}
EXPECTED = {
    "rows": "93a89e8d1d88bd5d19d6eb72bf7ae7df3cce92c01801b51f0cca17fcdad47087",
    "answers": "18adcc3a57c1726be687d0eee5b2bf7c823bc90959416084e4aaabc9a7945c9f",
}
"""SHA-256 of the rows (SQLite) and of the answers, as the line wrote them before."""


def _declare_a_day(line: Line, clock: FrozenClock) -> list[dict[str, Any]]:
    """A zone, an activity that meets it (notices with warnings to two parties), a zone that
    withholds its shape and meets the activity, then the activity amended."""
    answers = [
        line.declare("coalition", zone("at-tanf"), Share.SHAPE),
        line.declare("russia", strike("strike-1"), Share.SHAPE),
    ]
    clock.advance(timedelta(minutes=7))
    answers.append(
        line.declare("aid", zone("aid-camp", party="aid", radius_m=3_000.0), Share.CONTACT)
    )
    clock.advance(timedelta(minutes=5))
    answers += [
        line.declare(
            "russia",
            strike("strike-1", lon=38.66, hours=(21, 25)),
            Share.SHAPE,
            amend=True,
            respond_by=START + timedelta(hours=1),
        ),
        line.declare("coalition", strike("far-1", lon=-3.0, party="coalition"), Share.SHAPE),
    ]
    return [answer.document() for answer in answers]


def _digest(value: Any) -> str:
    def plain(item: Any) -> Any:
        if isinstance(item, bytes | memoryview):
            return bytes(item).hex()
        return repr(item)

    text = json.dumps(value, default=plain, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def fixed_salts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Salts drawn in a fixed sequence (they are random in service): the same bytes each run."""
    count = itertools.count()
    monkeypatch.setattr(unit, "new_salt", lambda: hashlib.sha256(b"salt %d" % next(count)).digest())


@pytest.mark.usefixtures("fixed_salts")
def test_declarations_write_the_bytes_they_always_wrote(
    store: Store, line: Line, clock: FrozenClock, db: str
) -> None:
    answers = _declare_a_day(line, clock)
    assert _digest(answers) == EXPECTED["answers"]
    if db.endswith(".db"):
        rows = {table: run_sql(db, query) for table, query in _TABLES.items()}
        assert _digest(rows) == EXPECTED["rows"]
