"""What travels on the line: notices, the messages in their threads, and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from deconflict.i18n.messages import MessageCode
from deconflict.rules.altitude import AltitudeMeet
from deconflict.rules.feature import Feature
from deconflict.rules.schedule import Overlaps


class Share(StrEnum):
    """How much of a zone other parties see: its exact shape, or only a contact on conflict."""

    SHAPE = "shape"
    CONTACT = "contact"


class NoticeState(StrEnum):
    """Where a notice is on its way; it only ever moves forward. Never "approved"."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    RESPONDED = "responded"

    def rank(self) -> int:
        return list(NoticeState).index(self)


class ResponseKind(StrEnum):
    """What a recipient answers to a notice."""

    ACKNOWLEDGED = "acknowledged"
    OBJECTION = "objection"
    CLARIFICATION = "clarification"

    @property
    def code(self) -> MessageCode:
        return {
            ResponseKind.ACKNOWLEDGED: MessageCode.ACKNOWLEDGEMENT,
            ResponseKind.OBJECTION: MessageCode.OBJECTION,
            ResponseKind.CLARIFICATION: MessageCode.CLARIFICATION_REQUEST,
        }[self]


@dataclass(frozen=True)
class Declared:
    """A feature as stored on the line: its current version, share level and state."""

    feature: Feature
    version: int
    share: Share
    cancelled_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class NoticePolicy:
    """How long recipients have to answer: the line's defaults."""

    respond_within: timedelta = timedelta(minutes=30)
    respond_before_start: timedelta = timedelta(minutes=15)

    def respond_by(self, sent_at: datetime, start: datetime) -> datetime:
        """Sent + respond_within, but never later than respond_before_start before the start.

        When the start is already that close, the notice is due at once (and so
        escalates at once if unanswered): the sender gave insufficient notice.
        """
        due = min(sent_at + self.respond_within, start - self.respond_before_start)
        return max(due, sent_at)


@dataclass(frozen=True)
class ProbeBudget:
    """How many probes (dry runs that meet other parties' `contact` zones) a party may make in
    any `window`: a sliding window, so the budget comes back one probe at a time."""

    per_window: int = 20
    window: timedelta = timedelta(hours=1)

    def retry_after(self, counted: list[datetime], now: datetime) -> timedelta | None:
        """None while `counted` (the party's probes in the window, oldest first) leaves room;
        else how long until the oldest one leaves the window."""
        if len(counted) < self.per_window:
            return None
        if not counted:  # a budget of none: no probe is ever allowed
            return self.window
        return counted[-self.per_window] + self.window - now


@dataclass(frozen=True)
class Message:
    """One structured line of a notice's thread; `text` is free text carried alongside."""

    code: MessageCode
    params: dict[str, str]
    sender: str
    at: datetime
    text: str | None = None
    id: int = 0


@dataclass(frozen=True)
class ConflictView:
    """A conflict as one party may see it: a `contact` zone hides its id, shape and distance."""

    party: str
    start: datetime
    end: datetime | None
    feature_id: str | None = None
    other_id: str | None = None
    distance_m: float | None = None
    contact: str | None = None
    private: bool = False  # shows the owner's own `contact` zone: redact for anyone else
    occurrences: Overlaps | None = None  # when either side repeats: the occurrences that meet
    altitude: AltitudeMeet | None = None  # when the altitude datums differed

    def for_others(self) -> ConflictView:
        """The view for anyone but the owner of a `contact` zone: its party and contact only
        (`see_conflict` shows no window, occurrences or altitude without `other_id`)."""
        if not self.private:
            return self
        return ConflictView(
            self.party,
            self.start,
            self.end,
            feature_id=self.other_id,
            contact=self.contact,
            private=True,
            occurrences=self.occurrences,
            altitude=self.altitude,
        )


@dataclass(frozen=True)
class Notice:
    """A notice from one party to another about one version of a feature."""

    id: int
    feature_id: str
    feature_version: int
    sender: str
    recipient: str
    priority: bool
    state: NoticeState
    sent_at: datetime
    respond_by: datetime | None
    conflicts: tuple[ConflictView, ...] = ()
    overdue_at: datetime | None = None
    response: ResponseKind | None = None
    messages: tuple[Message, ...] = field(default=())
    withheld: bool = False  # about a `contact` zone: its id is not shown to the recipient


@dataclass(frozen=True)
class Event:
    """Something a party's console must learn, in order; `id` is what SSE resumes from."""

    id: int
    party: str
    kind: str
    payload: dict[str, Any]
    at: datetime
