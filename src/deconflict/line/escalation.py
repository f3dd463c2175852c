"""Escalation beyond the line: where a party's overdue notices go, and each delivery's fate.

A party's admin names its destinations: webhooks (JSON, signed with an HMAC secret
or with the line's own Ed25519 key) and e-mail addresses. When the tick escalates
a notice, one delivery job per destination of its recipient is stored in the same
step (an outbox: a crash loses none). A worker claims due jobs under a lease,
sends them (`outbound/`), and settles each attempt here, in one step of its own:
the job moves on, the attempt is recorded as a `delivery` entry, and both parties
of the notice hear of it. A failed attempt is retried after a delay that doubles
up to a cap, until a bounded time after the escalation; then the job is given up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from deconflict.errors import Forbidden, NotFound
from deconflict.i18n.escalation import EscalationMail, escalation_mail
from deconflict.i18n.messages import MessageCode, render
from deconflict.line.deliveries import (
    Attempt,
    Delivery,
    Destination,
    Outcome,
    Retries,
    Settled,
)
from deconflict.line.model import Notice
from deconflict.line.parties import Party
from deconflict.line.ports import LineTx
from deconflict.line.views import iso, see_notice, when


class DestinationStore(Protocol):
    """What configuring destinations needs of a store."""

    def party(self, party_id: str) -> Party | None: ...

    def add_destination(self, destination: Destination, at: datetime) -> int: ...

    def remove_destination(self, party: str, destination_id: int, at: datetime) -> bool: ...

    def destinations(self, party: str) -> list[Destination]: ...


class EscalationStore(DestinationStore, Protocol):
    """What delivering escalations needs of a store."""

    def notice(self, notice_id: int) -> Notice | None: ...

    def parties(self) -> list[Party]: ...

    def claim_deliveries(
        self, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[Delivery]:
        """Lease up to `limit` pending jobs due by `now` whose lease (if any) has run out;
        a job leased to one worker is not claimed by another until `lease_until`."""

    def delivery_log(self, party: str, limit: int) -> list[tuple[Delivery, list[Settled]]]:
        """The party's latest `limit` jobs, newest first, each with its attempts in order."""

    def run_atomic(self, step: Callable[[LineTx], Any]) -> Any: ...


def add_destination(store: DestinationStore, destination: Destination, at: datetime) -> Destination:
    """Store a new destination of its party's; the destination with its id."""
    if store.party(destination.party) is None:
        raise NotFound("no such party", field="party", value=destination.party)
    return Destination(
        store.add_destination(destination, at),
        destination.party,
        destination.channel,
        destination.target,
        destination.signing,
        destination.secret,
        at,
    )


def remove_destination(
    store: DestinationStore, party: str, destination_id: int, at: datetime
) -> None:
    """Stop escalating to a destination; jobs queued for it are given up at their next try."""
    if not store.remove_destination(party, destination_id, at):
        raise NotFound(
            "no such destination of this party", field="destination", value=destination_id
        )


def may_configure(acting_party: str, party: str) -> None:
    """Forbidden unless a party configures its own destinations."""
    if acting_party != party:
        raise Forbidden(
            "a party's admin configures only its own party's escalation", field="party", value=party
        )


@dataclass(frozen=True)
class Escalation:
    """A claimed job with what sending it needs: the notice as its recipient reads it, the
    recipient and the sender, and the notice's address on the line."""

    delivery: Delivery
    notice: Notice
    recipient: Party
    sender: Party
    link: str

    @property
    def message_id(self) -> str:
        """The same on every try of one job, so a receiver can drop a repeat."""
        return f"dcf-delivery-{self.delivery.id}"

    def payload(self, at: datetime) -> dict[str, Any]:
        """The webhook's JSON body (Standard Webhooks' `type`, `timestamp`, `data`): the
        notice and its thread in the recipient's language, the escalation, the recipient."""
        notice = see_notice(self.notice, self.recipient).document()
        return {
            "type": "notice.escalated",
            "timestamp": iso(at),
            "data": {
                "notice": notice,
                "escalation": {
                    "overdue_at": iso(self.notice.overdue_at),
                    "respond_by": iso(self.notice.respond_by),
                    "contact": self.recipient.escalation_contact or self.recipient.contact,
                    "text": self._escalation_text(),
                },
                "recipient": {
                    "id": self.recipient.id,
                    "name": self.recipient.name,
                    "language": self.recipient.language,
                },
                "sender": {"id": self.sender.id, "name": self.sender.name},
                "link": self.link,
                "delivery": self.delivery.id,
            },
        }

    def mail(self) -> EscalationMail:
        """The e-mail, in the recipient's language, with the notice's facts and its link."""
        notice = self.notice
        hidden = notice.withheld
        facts = {
            "notice": str(notice.id),
            "sender": self.sender.name,
            "recipient": self.recipient.name,
            "feature": "" if hidden else f"{notice.feature_id} v{notice.feature_version}",
            "sent": when(notice.sent_at),
            "respond_by": when(notice.respond_by),
            "overdue": when(notice.overdue_at),
            "contact": self.recipient.escalation_contact or self.recipient.contact or "",
        }
        thread = [message.text for message in see_notice(notice, self.recipient).thread]
        return escalation_mail(facts, thread, self.link, self.recipient.language)

    def _escalation_text(self) -> str:
        escalations = [m for m in self.notice.messages if m.code is MessageCode.ESCALATION]
        if not escalations:
            return ""
        return render(MessageCode.ESCALATION, escalations[-1].params, self.recipient.language)


def notice_link(console_url: str, notice_id: int) -> str:
    """The notice's address in the console at `console_url`."""
    return f"{console_url.rstrip('/')}/#notice/{notice_id}"


class Escalations:
    """Delivering escalations: claim due jobs, and settle each attempt on the record."""

    def __init__(
        self,
        store: EscalationStore,
        clock: Callable[[], datetime],
        retries: Retries,
        console_url: str,
    ) -> None:
        self.store = store
        self.clock = clock
        self.retries = retries
        self.console_url = console_url

    def claim(self, owner: str, lease: timedelta, limit: int = 20) -> list[Escalation]:
        """Lease up to `limit` due jobs to `owner` for `lease`, with what sending them needs."""
        now = self.clock()
        claimed = self.store.claim_deliveries(now, now + lease, owner, limit)
        parties = {p.id: p for p in self.store.parties()}
        found = []
        for delivery in claimed:
            notice = self.store.notice(delivery.notice_id)
            assert notice is not None, delivery  # a job is queued with its notice
            found.append(
                Escalation(
                    delivery,
                    notice,
                    parties[notice.recipient],
                    parties[notice.sender],
                    notice_link(self.console_url, notice.id),
                )
            )
        return found

    def settle(self, escalation: Escalation, attempt: Attempt, owner: str) -> Settled | None:
        """Record what an attempt came to, move the job on and tell both parties, in one step.

        None (and nothing written) when the job is no longer `owner`'s to settle: its lease
        ran out and another worker claimed it, or it was settled already.
        """
        delivery = escalation.delivery
        now = self.clock()
        number = delivery.attempts + 1
        next_at = None
        if attempt.delivered:
            outcome = Outcome.DELIVERED
        elif attempt.permanent:
            outcome = Outcome.GIVEN_UP
        else:
            next_at = self.retries.next_try(delivery, number, now)
            outcome = Outcome.FAILED if next_at is not None else Outcome.GIVEN_UP
        settled = Settled(delivery, number, outcome, attempt.reason, now, next_at)

        def step(tx: LineTx) -> Settled | None:
            if not tx.holds_delivery(delivery.id, owner):
                return None
            recorded = tx.settle_delivery(escalation.notice, settled)
            # The recipient learns where it went; the sender only that, and how, it went out.
            tx.add_event(escalation.recipient.id, "delivery", recorded.document(), now)
            tx.add_event(escalation.sender.id, "delivery", recorded.document(False), now)
            return recorded

        result: Settled | None = self.store.run_atomic(step)
        return result

    def log(self, party: str, limit: int = 200) -> list[dict[str, Any]]:
        """The party's latest jobs, newest first, each with every attempt (for its admin)."""
        return [
            {
                "id": delivery.id,
                "notice": delivery.notice_id,
                "destination": delivery.destination.document(),
                "state": delivery.state.value,
                "queued_at": iso(delivery.queued_at),
                "attempts": [
                    {
                        key: value
                        for key, value in s.document().items()
                        if key in ("attempt", "outcome", "reason", "at", "next_attempt_at", "entry")
                    }
                    for s in settled
                ],
            }
            for delivery, settled in self.store.delivery_log(party, limit)
        ]
