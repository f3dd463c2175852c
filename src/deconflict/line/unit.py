"""The unit of work: one atomic step of the line, the same over every store.

It runs inside a transaction the store opened (`StoreTx`), so the conflict
check and the writes that follow it commit together. The store reads and
writes rows; here the conflicts are decided, every change is recorded as its
entry, and the salt of each sealed part is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from deconflict.line.deliveries import DeliveryState, Outcome, Settled
from deconflict.line.entries import (
    Draft,
    Leaf,
    Readers,
    Signed,
    delivery_entry,
    feature_entry,
    message_entry,
    notice_entry,
    overdue_entry,
    party_entry,
    party_key_entry,
    probe_entry,
    read_entry,
    state_entry,
)
from deconflict.line.model import Declared, Message, Notice, NoticeState, ResponseKind
from deconflict.line.parties import Party
from deconflict.line.ports import StoreTx
from deconflict.record.http_signature import HttpSignature
from deconflict.record.sealed import Opening, new_salt
from deconflict.rules.conflicts import Conflict, conflict_between
from deconflict.rules.feature import Feature


class UnitOfWork:
    """The LineTx of one open store transaction; every change it writes is also recorded.

    An entry is made ready for the record as its change is written (its sealed
    parts committed to, its bytes hashed) and appended to the log only when the
    step must name its leaf, or at the end of the step (`append_recorded`): the
    store serialises appends (PostgreSQL's record lock, held until commit), so
    the later they come, the less of a step runs one at a time.
    """

    def __init__(self, rows: StoreTx) -> None:
        self.rows = rows
        self._made: list[Leaf] = []
        self._first_leaf: int | None = None

    def record(self, draft: Draft) -> None:
        """Make an entry ready for the record in this transaction, its sealed part committed
        to under a fresh salt and its openings kept; it is appended with the step's others."""
        self._made.append(_leaf_of(draft))

    def _recorded_at(self, draft: Draft) -> int:
        """Record an entry and append it now, with those before it: its leaf index, for a
        step that names it (in an event, in the delivery log)."""
        self.record(draft)
        last = self.append_recorded()
        assert last is not None
        return last

    def append_recorded(self) -> int | None:
        """Append the entries made ready so far to the log, in order, in one go; the index of
        the last (None: there were none). The store calls it before it commits."""
        if not self._made:
            return None
        made, self._made = self._made, []
        first = self.rows.append(made)
        if self._first_leaf is None:
            self._first_leaf = first
        return first + len(made) - 1

    def first_leaf(self) -> int | None:
        """The record leaf of the first change this step wrote (its receipt's subject); None
        if it wrote none. What the step recorded is appended now: only then is it known."""
        self.append_recorded()
        return self._first_leaf

    def receipt(self, leaf_index: int) -> dict[str, Any]:
        """Proof of the leaf against a signed checkpoint (just the index without a log key)."""
        return self.rows.receipt(leaf_index)

    def conflicts_of(self, feature: Feature) -> list[tuple[Conflict, Declared]]:
        """The stored features `feature` conflicts with, sorted by the conflicts' ids; its own
        earlier version is not one of them."""
        found = []
        for other in self.rows.candidates(feature):
            if other.feature.id == feature.id and other.feature.party == feature.party:
                continue  # its own earlier version
            conflict = conflict_between(feature, other.feature)
            if conflict is not None:
                found.append((conflict, other))
        return sorted(found, key=lambda pair: pair[0].ids)

    def save_feature(
        self, declared: Declared, change: str, at: datetime, signed: Signed | None = None
    ) -> None:
        """Store this version of the feature and its history row, and record it."""
        self.rows.put_feature(declared)
        self.rows.add_version(declared, change, at)
        self.record(feature_entry(declared, change, at, signed))

    def add_notice(self, notice: Notice, thread: Sequence[Message] = ()) -> Notice:
        """Store a new notice and the first messages of its thread, and record them in that
        order; the notice as stored: its id given, its thread these messages with theirs."""
        notice_id = self.rows.add_notice(notice)
        stored = tuple(replace(m, id=self.rows.add_message(notice_id, m)) for m in thread)
        sent = replace(notice, id=notice_id, messages=stored)
        self.record(notice_entry(sent))
        for message in stored:
            self.record(message_entry(sent, message, None))
        return sent

    def add_message(self, notice: Notice, message: Message, signed: Signed | None = None) -> int:
        message_id = self.rows.add_message(notice.id, message)
        self.record(message_entry(notice, replace(message, id=message_id), signed))
        return message_id

    def advance(
        self, notice: Notice, state: NoticeState, at: datetime, response: ResponseKind | None
    ) -> None:
        self.rows.set_state(notice.id, state, at, response)
        self.record(state_entry(notice, state, at, response))

    def mark_overdue(self, notice: Notice, at: datetime) -> None:
        self.rows.set_overdue(notice.id, at)
        self.record(overdue_entry(notice, at))

    def queue_deliveries(self, notice: Notice, at: datetime) -> int:
        """Queue the escalation to the recipient's destinations (the attempts are recorded)."""
        return self.rows.queue_deliveries(notice.recipient, notice.id, at)

    def holds_delivery(self, delivery_id: int, owner: str) -> bool:
        return self.rows.holds_delivery(delivery_id, owner)

    def settle_delivery(self, notice: Notice, settled: Settled) -> Settled:
        """Record the attempt, keep it in the delivery log and move its job on."""
        recorded = replace(settled, entry=self._recorded_at(delivery_entry(notice, settled)))
        self.rows.set_delivery(
            settled.delivery.id, _JOB_STATE[settled.outcome], settled.attempt, settled.next_at
        )
        self.rows.add_attempt(recorded)
        return recorded

    def add_probe(self, party: str, at: datetime, forget_before: datetime) -> None:
        """Count a probe against the party's budget (it is recorded by `record_probe`)."""
        self.rows.add_probe(party, at, forget_before)

    def record_probe(self, asker: str, zone: Declared, feature: Feature, at: datetime) -> int:
        """Record that `asker` checked `feature`, which meets another party's `contact` zone."""
        return self._recorded_at(probe_entry(at, asker, zone, feature))

    def record_read(
        self,
        party: str,
        at: datetime,
        signed: HttpSignature,
        notice: Notice | None,
        shown: list[int],
    ) -> None:
        """Record a party's signed fetch of a notice or of its inbox."""
        self.record(read_entry(party, at, signed, notice, shown))

    def add_party(self, party: Party, at: datetime) -> None:
        """Register a party (the store refuses an id already taken)."""
        self.rows.add_party(party, at)
        self.record(party_entry(party, at))

    def set_party_key(self, party_id: str, public_key_b64: str, at: datetime) -> None:
        """Register the public key a party's signatures are checked with from now on."""
        self.rows.set_party_key(party_id, public_key_b64)
        self.record(party_key_entry(party_id, public_key_b64, at))

    def declared(self, party: str, feature_id: str) -> Declared | None:
        return self.rows.declared(party, feature_id)

    def claim(self, features: Iterable[Feature]) -> None:
        self.rows.claim(features)

    def parties(self) -> list[Party]:
        return self.rows.parties()

    def party_key(self, party_id: str) -> str | None:
        return self.rows.party_key(party_id)

    def notice(self, notice_id: int) -> Notice | None:
        return self.rows.notice(notice_id)

    def due_notices(self, now: datetime) -> list[Notice]:
        return self.rows.due_notices(now)

    def ended_activities(self, now: datetime) -> list[Declared]:
        return self.rows.ended_activities(now)

    def notices_of_feature(self, party: str, feature_id: str) -> list[Notice]:
        return self.rows.notices_of_feature(party, feature_id)

    def add_event(self, party: str, kind: str, payload: dict[str, Any], at: datetime) -> None:
        self.rows.add_event(party, kind, payload, at)

    def probes_since(self, party: str, since: datetime) -> list[datetime]:
        return self.rows.probes_since(party, since)

    def recall(self, party: str, key: str) -> tuple[str, dict[str, Any]] | None:
        return self.rows.recall(party, key)

    def remember(self, party: str, key: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.rows.remember(party, key, fingerprint, result)


def _leaf_of(draft: Draft) -> Leaf:
    """The draft as a leaf ready for the log: each sealed part committed to under a fresh
    salt (a signed request's under its own), the openings kept beside it."""
    entry = dict(draft.public)
    content = None if draft.sealed is None else dict(draft.sealed)
    openings: list[tuple[Opening, Readers]] = []
    signed = draft.signed
    if signed is not None and signed.opening is not None:
        commitment = {"commitment": signed.opening.commitment, "signature": signed.signature}
        (content if content is not None and draft.signer_sealed else entry)["signed"] = commitment
        openings.append((signed.opening, draft.readers))
    if signed is not None and signed.http is not None:
        (entry if content is None else content)["http_signed"] = signed.http.document()
    if content is not None:
        sealed = Opening.of(content, new_salt())
        entry["sealed"] = sealed.commitment
        openings.append((sealed, draft.readers))
    return Leaf.of(entry, tuple(openings))


_JOB_STATE = {
    Outcome.DELIVERED: DeliveryState.DELIVERED,
    Outcome.FAILED: DeliveryState.PENDING,
    Outcome.GIVEN_UP: DeliveryState.GIVEN_UP,
}
