"""The use cases of the line: declare, amend, cancel, respond, read, escalate, close out.

Each use case is one atomic step on the store: what it checks and what it
writes (the feature, the notices, the thread messages, the events every
console will receive) commit together, so a 2xx answer means all of it is
durable, and a retried request with the same idempotency key changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from deconflict.errors import Forbidden, InvalidFeature, NotFound, RateLimited, StateConflict
from deconflict.i18n.dtg import format_dtg
from deconflict.i18n.messages import (
    UFN,
    WITHHELD,
    WITHHELD_SHAPE,
    WITHHELD_ZONE,
    MessageCode,
    ObjectionReason,
)
from deconflict.line.entries import Signed
from deconflict.line.model import (
    ConflictView,
    Declared,
    Message,
    Notice,
    NoticePolicy,
    NoticeState,
    ProbeBudget,
    ResponseKind,
    Share,
)
from deconflict.line.parties import Party
from deconflict.line.ports import LineStore, LineTx
from deconflict.line.results import (
    Batch,
    Cancellation,
    Declaration,
    DryRun,
    Imported,
    NoticeAnswer,
    NoticeSeen,
    NoticeSent,
    ProbeSeen,
    Recorded,
    Refused,
    Tick,
)
from deconflict.line.views import (
    PRIVATE,
    conflict_for,
    drawable,
    feature_view,
    iso,
    may_see,
    other_id,
    see_conflict,
    see_notice,
    when,
)
from deconflict.record.http_signature import (
    READ_COMPONENTS,
    WRITE_COMPONENTS,
    HttpSignature,
    check_http_signature,
)
from deconflict.record.sealed import signed_bytes
from deconflict.record.signature import verify_party_signature
from deconflict.rules.conflicts import Conflict
from deconflict.rules.feature import Feature, Kind

Clock = Callable[[], datetime]
PROBES = ProbeBudget()
"""The line's default probe budget: 20 an hour."""
Answer = TypeVar("Answer", bound=Recorded)


@dataclass(frozen=True)
class Idempotency:
    """A client's key for one request, and a fingerprint of what it asked."""

    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, *request: Any) -> Idempotency | None:
        """None without a key; else the key with a hash of the request's content."""
        if key is None:
            return None
        digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode())
        return cls(key, digest.hexdigest())


class Line:
    """The deconfliction line over one store."""

    def __init__(
        self,
        store: LineStore,
        policy: NoticePolicy,
        clock: Clock,
        probes: ProbeBudget = PROBES,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.probes = probes

    def _once(
        self,
        tx: LineTx,
        party: str,
        idempotency: Idempotency | None,
        signed: Signed | None,
        act: Callable[[], Answer],
        answer: type[Answer],
    ) -> Answer:
        """Run `act` once per idempotency key, with the party's signature checked first.

        A key seen before answers what was answered the first time: the stored
        document of that answer, read back as an `answer`. Every answer carries
        the receipt of the first record entry the step wrote.
        """
        if idempotency is not None:
            seen = tx.recall(party, idempotency.key)
            if seen is not None:
                if seen[0] != idempotency.fingerprint:
                    raise StateConflict(
                        "this Idempotency-Key was used for a different request",
                        code="idempotency_key_reused",
                        field="Idempotency-Key",
                        value=idempotency.key,
                    )
                return answer.from_document(seen[1])
        if signed is not None:
            _check_signature(tx, party, signed, self.clock())
        result = act()
        first_leaf = tx.first_leaf()
        if first_leaf is not None:
            result = replace(result, receipt=tx.receipt(first_leaf))
        if idempotency is not None:
            tx.remember(party, idempotency.key, idempotency.fingerprint, result.document())
        return result

    def declare(
        self,
        party: str,
        feature: Feature,
        share: Share,
        *,
        amend: bool = False,
        respond_by: datetime | None = None,
        idempotency: Idempotency | None = None,
        signed: Signed | None = None,
        allow_past: bool = False,
    ) -> Declaration:
        """Check a zone or activity against everything stored, store it and notify: one step.

        `amend` makes a new version of the party's existing feature.
        `respond_by` overrides the line's default deadline for this feature's notices.
        An activity whose whole window is in the past is refused unless `allow_past`
        (one that started earlier and still runs is notified as any other).
        """
        step = self.declaration(
            party,
            feature,
            share,
            amend=amend,
            respond_by=respond_by,
            idempotency=idempotency,
            signed=signed,
            allow_past=allow_past,
        )
        return self.store.run_atomic(step)

    def declaration(
        self,
        party: str,
        feature: Feature,
        share: Share,
        *,
        amend: bool = False,
        respond_by: datetime | None = None,
        idempotency: Idempotency | None = None,
        signed: Signed | None = None,
        allow_past: bool = False,
    ) -> Callable[[LineTx], Declaration]:
        """`declare`'s step, for a caller that runs it through the store itself (the API
        queues it without a thread of its own waiting); what it may refuse before any
        transaction is refused here."""
        self._may_declare(party, feature, share)

        def act(tx: LineTx) -> Declaration:
            self._refuse_if_over(feature, allow_past)
            return self._declare(tx, feature, share, amend, respond_by, signed)

        def step(tx: LineTx) -> Declaration:
            return self._once(tx, party, idempotency, signed, lambda: act(tx), Declaration)

        return step

    def _refuse_if_over(self, feature: Feature, allow_past: bool) -> None:
        """InvalidFeature for an activity whose last occurrence ended before now: a notice of
        it could only be answered after the fact."""
        end = feature.span.end
        if allow_past or feature.kind is not Kind.ACTIVITY or end is None:
            return
        now = self.clock()
        if end > now:
            return
        raise InvalidFeature(
            f"the activity is over: it ended at {when(end)}, before now ({when(now)}), so "
            "nobody can act on a notice of it (send it with allow-past to record it anyway)",
            code="activity_over",
            feature_id=feature.id,
            field="end" if feature.repeat is None else "repeat.until",
            value=iso(end),
        )

    @staticmethod
    def _may_declare(party: str, feature: Feature, share: Share) -> None:
        if feature.party != party:
            raise Forbidden(
                "a party declares only its own features",
                code="not_own_feature",
                feature_id=feature.id,
                field="party",
                value=feature.party,
            )
        if feature.kind is Kind.ACTIVITY and share is not Share.SHAPE:
            raise InvalidFeature(
                "only zones can withhold their shape",
                feature_id=feature.id,
                field="share",
                value=share.value,
            )

    def _declare(
        self,
        tx: LineTx,
        feature: Feature,
        share: Share,
        amend: bool,
        respond_by: datetime | None,
        signed: Signed | None,
    ) -> Declaration:
        now = self.clock()
        current = tx.declared(feature.party, feature.id)
        version = _next_version(current, feature, amend)
        conflicts = tx.conflicts_of(feature)
        declared = Declared(feature, version, share)
        tx.save_feature(declared, "amended" if amend else "declared", now, signed)
        parties = {p.id: p for p in tx.parties()}
        if feature.kind is Kind.ACTIVITY:
            notices = self._notify_activity(tx, declared, conflicts, parties, now, respond_by)
        else:
            notices = self._warn_of_zone(tx, declared, conflicts, parties, now, respond_by)
        return Declaration(
            feature_view(declared),
            tuple(
                see_conflict(conflict_for(feature.party, c, other, parties))
                for c, other in conflicts
            ),
            tuple(NoticeSent(n.id, n.recipient, n.priority, iso(n.respond_by)) for n in notices),
        )

    def _notify_activity(
        self,
        tx: LineTx,
        declared: Declared,
        conflicts: list[tuple[Conflict, Declared]],
        parties: Mapping[str, Party],
        now: datetime,
        respond_by: datetime | None,
    ) -> list[Notice]:
        feature = declared.feature
        due = respond_by or self.policy.respond_by(now, feature.window.start)
        code = MessageCode.AMENDMENT if declared.version > 1 else MessageCode.NOTIFICATION
        sent = []
        for recipient in sorted(parties):
            if recipient == feature.party:
                continue
            theirs = [(c, other) for c, other in conflicts if other.feature.party == recipient]
            views = tuple(_own_conflict(recipient, c, other, parties) for c, other in theirs)
            messages = [self._message(code, declared, parties, now, respond_by=due)]
            for view, (_, other) in zip(views, theirs, strict=True):
                messages += self._warnings(declared, view, other, now)
            sent.append(self._send(tx, declared, recipient, due, views, messages, parties, now))
        return sent

    def _warn_of_zone(
        self,
        tx: LineTx,
        declared: Declared,
        conflicts: list[tuple[Conflict, Declared]],
        parties: Mapping[str, Party],
        now: datetime,
        respond_by: datetime | None,
    ) -> list[Notice]:
        """A new zone warns each party whose activity it meets, as that party may see it."""
        sent = []
        for recipient in sorted({other.feature.party for _, other in conflicts}):
            theirs = [(c, o) for c, o in conflicts if o.feature.party == recipient]
            views = tuple(conflict_for(recipient, c, declared, parties) for c, _ in theirs)
            start = min(o.feature.window.start for _, o in theirs)
            due = respond_by or self.policy.respond_by(now, start)
            messages = [
                message
                for view, (_, other) in zip(views, theirs, strict=True)
                for message in self._warnings(declared, view, other, now)
            ]
            sent.append(self._send(tx, declared, recipient, due, views, messages, parties, now))
        return sent

    def _send(
        self,
        tx: LineTx,
        declared: Declared,
        recipient: str,
        due: datetime | None,
        views: tuple[ConflictView, ...],
        messages: list[Message],
        parties: Mapping[str, Party],
        now: datetime,
    ) -> Notice:
        draft = Notice(
            0,
            declared.feature.id,
            declared.version,
            declared.feature.party,
            recipient,
            bool(views),
            NoticeState.SENT,
            now,
            due,
            views,
            withheld=declared.share is Share.CONTACT,
        )
        notice = tx.add_notice(draft, messages)
        tx.add_event(recipient, "notice", see_notice(notice, parties[recipient]).document(), now)
        return notice

    def _message(
        self,
        code: MessageCode,
        declared: Declared,
        parties: Mapping[str, Party],
        now: datetime,
        respond_by: datetime | None = None,
        notice: str = "",
    ) -> Message:
        feature = declared.feature
        withheld = declared.share is Share.CONTACT
        params = {
            "sender": _name(parties, feature.party),
            "activity": feature.activity or feature.kind.value,
            "feature": WITHHELD_ZONE if withheld else (feature.name or feature.id),
            "start": WITHHELD if withheld else when(feature.window.start),
            "end": WITHHELD if withheld else when(feature.window.end),
            "respond_by": when(respond_by),
            "notice": WITHHELD if withheld else (notice or f"{feature.id} v{declared.version}"),
        }
        return Message(code, params, feature.party, now)

    def _warnings(
        self, declared: Declared, view: ConflictView, target: Declared, now: datetime
    ) -> list[Message]:
        """The conflict warning, then which occurrences meet and whether datums were mixed
        (left out when the warning is of a `contact` zone to another party: they would tell
        when and how high it is)."""
        warning = self._warning(declared, view, target, now)
        found = [warning]
        if _is_hidden_from(declared, target.feature.party):
            return found
        shared = {k: v for k, v in warning.params.items() if k in ("target", PRIVATE)}
        if view.occurrences is not None:
            windows = ", ".join(
                f"{format_dtg(w.start)}–{format_dtg(w.end) if w.end else UFN}"
                for w in view.occurrences.windows
            )
            total = view.occurrences.total
            more = total is None or total > len(view.occurrences.windows)
            params = {
                **shared,
                "count": UFN if total is None else str(total),
                "occurrences": windows + (", …" if more else ""),
            }
            found.append(Message(MessageCode.OCCURRENCES, params, declared.feature.party, now))
        if view.altitude is not None:
            params = {
                **shared,
                "datums": ", ".join(d.upper() for d in view.altitude.datums),
                "widened_m": f"{view.altitude.widened_m:,.0f}",
            }
            found.append(Message(MessageCode.MIXED_DATUMS, params, declared.feature.party, now))
        return found

    def _warning(
        self, declared: Declared, view: ConflictView, target: Declared, now: datetime
    ) -> Message:
        feature = declared.feature
        shown = view.other_id is not None or feature.party == target.feature.party
        withheld = _is_hidden_from(declared, target.feature.party)
        params = {
            "activity": feature.activity or feature.kind.value,
            "feature": WITHHELD_SHAPE if withheld else (feature.name or feature.id),
            "start": WITHHELD if withheld else when(view.start),
            "end": WITHHELD if withheld else when(view.end),
            "target": target.feature.name or target.feature.id,
            "distance_km": "—"
            if withheld or view.distance_m is None or not shown
            else f"{view.distance_m / 1000:.3f}",
        }
        if target.share is Share.CONTACT and target.feature.party != feature.party:
            params[PRIVATE] = "1"
        return Message(MessageCode.CONFLICT_WARNING, params, feature.party, now)

    def declare_many(
        self,
        party: str,
        items: list[tuple[Feature, Share]],
        *,
        partial: bool = False,
        idempotency: Idempotency | None = None,
        signed: Signed | None = None,
        allow_past: bool = False,
    ) -> Batch:
        """Declare many new features in one step: all or none, or with `partial` every good one.

        Each is checked against everything stored and everything declared before
        it in the batch, and notified as a single declaration would be. Without
        `partial` the first refusal undoes the whole batch; with it, refused
        features are listed with their reasons and the rest are stored. Activities
        wholly in the past are refused unless `allow_past`, as by `declare`.
        """
        for feature, share in items:
            self._may_declare(party, feature, share)

        def step(tx: LineTx) -> Batch:
            return self._once(
                tx,
                party,
                idempotency,
                signed,
                lambda: self._declare_many(tx, items, partial, allow_past),
                Batch,
            )

        return self.store.run_atomic(step)

    def _declare_many(
        self, tx: LineTx, items: list[tuple[Feature, Share]], partial: bool, allow_past: bool
    ) -> Batch:
        imported, refused = [], []
        tx.claim(feature for feature, _ in items)
        for position, (feature, share) in enumerate(items):
            try:
                self._refuse_if_over(feature, allow_past)
                if tx.declared(feature.party, feature.id) is not None:
                    raise StateConflict(
                        "a feature with this id exists; amend it instead",
                        code="id_in_use",
                        feature_id=feature.id,
                        field="id",
                        value=feature.id,
                    )
            except (InvalidFeature, StateConflict) as problem:
                if not partial:
                    raise
                refused.append(Refused(position, feature.id, (str(problem),)))
                continue
            result = self._declare(tx, feature, share, False, None, None)
            imported.append(Imported(feature.id, len(result.conflicts), len(result.notices)))
        return Batch(tuple(imported), tuple(refused))

    def validate(self, feature: Feature, allow_past: bool = False) -> None:
        """Refuse what a declaration would refuse before it is checked against the line: an
        activity wholly in the past unless `allow_past`. Reads nothing stored."""
        self._refuse_if_over(feature, allow_past)

    def dry_run(self, party: str, feature: Feature, allow_past: bool = False) -> DryRun:
        """The conflicts a declaration would have, as the party would see them; declares nothing.

        Refused as `declare` would refuse it when the activity is wholly in the past.
        A dry run that meets another party's `contact` zone is a probe: it counts
        against the party's budget, is recorded, and the zone's owner is told who
        checked what. Once the budget is spent every dry run of the party is
        refused (`RateLimited`), whatever it meets, so a refusal tells nothing of
        where hidden zones are. A dry run of the party's own stored feature as it
        stands is no probe: its declaration already told the owners it meets.
        """
        self._refuse_if_over(feature, allow_past)

        def step(tx: LineTx) -> DryRun:
            now = self.clock()
            restated = _restates(tx.declared(party, feature.id), party, feature)
            if not restated:
                self._within_budget(tx, party, now)
            conflicts = tx.conflicts_of(feature)
            hidden = [other for _, other in conflicts if _is_hidden_from(other, party)]
            if hidden and not restated:
                self._probe(tx, party, feature, hidden, now)
            parties = {p.id: p for p in tx.parties()}
            return DryRun(
                tuple(
                    see_conflict(conflict_for(party, c, other, parties)) for c, other in conflicts
                )
            )

        return self.store.run_atomic(step)

    def _within_budget(self, tx: LineTx, party: str, now: datetime) -> None:
        """RateLimited once the party has made its budget of probes in the last window."""
        counted = tx.probes_since(party, now - self.probes.window)
        wait = self.probes.retry_after(counted, now)
        if wait is None:
            return
        raise RateLimited(
            f"this party has made {len(counted)} dry runs that meet other parties' protected "
            f"zones in the last {_hours(self.probes.window)}, its budget; every dry run is "
            "refused until the oldest of them leaves that window",
            math.ceil(max(wait.total_seconds(), 1)),
            field="Retry-After",
            count=len(counted),
            window_h=self.probes.window.total_seconds() / 3600,
        )

    def _probe(
        self, tx: LineTx, party: str, feature: Feature, zones: list[Declared], now: datetime
    ) -> None:
        """Count the probe, record it once per zone met, and tell each zone's owner."""
        tx.add_probe(party, now, now - self.probes.window)
        names = {p.id: p.name for p in tx.parties()}
        for zone in zones:
            entry = tx.record_probe(party, zone, feature, now)
            told = ProbeSeen(
                iso(now),
                party,
                names.get(party, party),
                zone.feature.id,
                zone.feature.name,
                drawable(feature),
                entry,
            )
            tx.add_event(zone.feature.party, "probe", told.document(), now)

    def cancel(
        self,
        party: str,
        feature_id: str,
        idempotency: Idempotency | None = None,
        signed: Signed | None = None,
    ) -> Cancellation:
        """Cancel one of the party's features; parties notified of it get a cancellation."""

        def step(tx: LineTx) -> Cancellation:
            return self._once(
                tx,
                party,
                idempotency,
                signed,
                lambda: self._cancel(tx, party, feature_id, signed),
                Cancellation,
            )

        return self.store.run_atomic(step)

    def _cancel(
        self, tx: LineTx, party: str, feature_id: str, signed: Signed | None
    ) -> Cancellation:
        now = self.clock()
        current = tx.declared(party, feature_id)
        if current is None:
            raise NotFound(
                "no such feature of yours", feature_id=feature_id, field="id", value=feature_id
            )
        if current.cancelled_at is not None:
            raise StateConflict(
                "already cancelled",
                code="already_cancelled",
                feature_id=feature_id,
                field="id",
                value=feature_id,
            )
        cancelled = replace(current, version=current.version + 1, cancelled_at=now)
        tx.save_feature(cancelled, "cancelled", now, signed)
        self._inform(tx, cancelled, MessageCode.CANCELLATION, now)
        return Cancellation(feature_view(cancelled))

    def _inform(self, tx: LineTx, declared: Declared, code: MessageCode, now: datetime) -> None:
        """An information notice (no answer due) to every party told of this feature before."""
        parties = {p.id: p for p in tx.parties()}
        feature = declared.feature
        told = sorted({n.recipient for n in tx.notices_of_feature(feature.party, feature.id)})
        for recipient in told:
            message = self._message(code, declared, parties, now)
            self._send(tx, declared, recipient, None, (), [message], parties, now)

    def respond(
        self,
        party: str,
        notice_id: int,
        kind: ResponseKind,
        reason: ObjectionReason | None = None,
        text: str | None = None,
        idempotency: Idempotency | None = None,
        signed: Signed | None = None,
    ) -> NoticeAnswer:
        """The recipient answers: acknowledged, objection (with a reason), or clarification."""
        if kind is ResponseKind.OBJECTION and reason is None:
            raise InvalidFeature(
                "an objection needs a reason code", code="reason_needed", field="reason", value=None
            )

        def step(tx: LineTx) -> NoticeAnswer:
            return self._once(
                tx,
                party,
                idempotency,
                signed,
                lambda: self._respond(tx, party, notice_id, kind, reason, text, signed),
                NoticeAnswer,
            )

        return self.store.run_atomic(step)

    def _respond(
        self,
        tx: LineTx,
        party: str,
        notice_id: int,
        kind: ResponseKind,
        reason: ObjectionReason | None,
        text: str | None,
        signed: Signed | None,
    ) -> NoticeAnswer:
        now = self.clock()
        notice = self._notice_of(tx, party, notice_id)
        if notice.recipient != party:
            raise Forbidden(
                "only the recipient responds to a notice; reply instead",
                code="not_recipient",
                field="notice",
                value=notice_id,
            )
        if notice.respond_by is None:
            raise StateConflict(
                "this notice is for information; it takes no response",
                code="no_response_taken",
                field="notice",
                value=notice_id,
            )
        parties = {p.id: p for p in tx.parties()}
        params = {"sender": _name(parties, party), "notice": str(notice_id)}
        if reason is not None:
            params["reason"] = reason.value
        message = Message(kind.code, params, party, now, text)
        tx.add_message(notice, message, signed)
        tx.advance(notice, NoticeState.RESPONDED, now, kind)
        return self._tell_both(tx, notice_id, "response", parties, now, party)

    def reply(
        self,
        party: str,
        notice_id: int,
        text: str,
        idempotency: Idempotency | None = None,
        signed: Signed | None = None,
    ) -> NoticeAnswer:
        """Either side adds free text to a notice's thread (an answer to a clarification)."""
        if not text.strip():
            raise InvalidFeature("a reply needs text", code="text_needed", field="text", value=text)

        def step(tx: LineTx) -> NoticeAnswer:
            return self._once(
                tx,
                party,
                idempotency,
                signed,
                lambda: self._reply(tx, party, notice_id, text, signed),
                NoticeAnswer,
            )

        return self.store.run_atomic(step)

    def _reply(
        self, tx: LineTx, party: str, notice_id: int, text: str, signed: Signed | None
    ) -> NoticeAnswer:
        now = self.clock()
        notice = self._notice_of(tx, party, notice_id)
        parties = {p.id: p for p in tx.parties()}
        params = {"sender": _name(parties, party), "notice": str(notice_id)}
        tx.add_message(notice, Message(MessageCode.REPLY, params, party, now, text), signed)
        return self._tell_both(tx, notice_id, "message", parties, now, party)

    def _tell_both(
        self,
        tx: LineTx,
        notice_id: int,
        kind: str,
        parties: Mapping[str, Party],
        now: datetime,
        actor: str,
    ) -> NoticeAnswer:
        """An event to both sides of a notice; the answer as the acting party sees it."""
        notice = tx.notice(notice_id)
        assert notice is not None
        for side in (notice.sender, notice.recipient):
            tx.add_event(side, kind, see_notice(notice, parties[side]).document(), now)
        return NoticeAnswer(see_notice(notice, parties[actor]))

    @staticmethod
    def _notice_of(tx: LineTx, party: str, notice_id: int) -> Notice:
        notice = tx.notice(notice_id)
        if notice is None or party not in (notice.sender, notice.recipient):
            raise NotFound("no such notice", field="notice", value=notice_id)
        return notice

    def read(self, party: str, notice_id: int, signed: HttpSignature | None = None) -> NoticeAnswer:
        """A notice with its thread; the recipient's first read is reported to the sender.

        A `signed` read (RFC 9421) is checked and recorded as a `read` entry sealed to the
        notice's two parties, the party's proof that it fetched the notice then.
        """

        def step(tx: LineTx) -> NoticeAnswer:
            notice = self._notice_of(tx, party, notice_id)
            if signed is not None:
                self._record_read(tx, party, signed, notice, [])
            parties = {p.id: p for p in tx.parties()}
            if party == notice.recipient and notice.state.rank() < NoticeState.READ.rank():
                now = self.clock()
                tx.advance(notice, NoticeState.READ, now, None)
                notice = tx.notice(notice_id) or notice
                tx.add_event(
                    notice.sender,
                    "state",
                    see_notice(notice, parties[notice.sender]).document(),
                    now,
                )
            return NoticeAnswer(see_notice(notice, parties[party]))

        return self.store.run_atomic(step)

    def delivered(self, party: str, notice_ids: list[int]) -> None:
        """Mark notices as delivered to their recipient (inbox fetched, or pushed live)."""

        def step(tx: LineTx) -> None:
            parties = {p.id: p for p in tx.parties()}
            now = self.clock()
            # Every notice read before the first is advanced: a store that locks notices as
            # they are read locks them all, in order, before it writes.
            notices = [tx.notice(notice_id) for notice_id in sorted(set(notice_ids))]
            for notice in notices:
                if notice is None or notice.recipient != party:
                    continue
                if notice.state is NoticeState.SENT:
                    tx.advance(notice, NoticeState.DELIVERED, now, None)
                    updated = tx.notice(notice.id) or notice
                    tx.add_event(
                        updated.sender,
                        "state",
                        see_notice(updated, parties[updated.sender]).document(),
                        now,
                    )

        self.store.run_atomic(step)

    def inbox(
        self, party: str, include_ended: bool = False, signed: HttpSignature | None = None
    ) -> list[NoticeSeen]:
        """Notices addressed to the party, overdue first, then by deadline; marks them delivered.

        Notices about features whose last occurrence has ended drop off unless
        `include_ended`; they stay in the record and in the sender's outbox. A `signed`
        fetch (RFC 9421) is checked first and recorded as a `read` entry sealed to the party,
        naming the notices it was shown.
        """
        reader = self._party(party)
        if signed is not None:
            self.store.run_atomic(lambda tx: _check_read(tx, party, signed, self.clock()))
        notices = self._current(self.store.inbox(party), include_ended)
        self.delivered(party, [n.id for n in notices if n.state is NoticeState.SENT])
        notices = _inbox_order(self._current(self.store.inbox(party), include_ended))
        if signed is not None:
            shown = [n.id for n in notices]
            self.store.run_atomic(lambda tx: self._record_read(tx, party, signed, None, shown))
        return [see_notice(n, reader) for n in notices]

    def _record_read(
        self,
        tx: LineTx,
        party: str,
        signed: HttpSignature,
        notice: Notice | None,
        shown: list[int],
    ) -> None:
        now = self.clock()
        _check_read(tx, party, signed, now)
        tx.record_read(party, now, signed, notice, shown)

    def _current(self, notices: list[Notice], include_ended: bool) -> list[Notice]:
        if include_ended:
            return notices
        current: dict[tuple[str, str], bool] = {}
        for notice in notices:
            key = (notice.sender, notice.feature_id)  # a notice's sender owns its feature
            if key not in current:
                history = self.store.history(*key)
                current[key] = not history or self.is_current(history[-1][2])
        return [n for n in notices if current[(n.sender, n.feature_id)]]

    def is_current(self, declared: Declared) -> bool:
        """False once its last occurrence has ended: it drops off lists, never off the record."""
        ends = declared.feature.span.end
        return ends is None or ends > self.clock()

    def visible(
        self, party: str, include_cancelled: bool = False, include_ended: bool = False
    ) -> list[Declared]:
        """The features `party` may see (its own, activities, shared zones), as lists show them.

        Cancelled ones and those whose last occurrence has ended are left out unless asked for.
        """
        return [
            declared
            for declared in self.store.declared_features()
            if may_see(party, declared)
            and (include_cancelled or declared.cancelled_at is None)
            and (include_ended or self.is_current(declared))
        ]

    def history_seen(
        self, reader: str, party: str, feature_id: str
    ) -> list[tuple[str, datetime, Declared]]:
        """Every version of `party`'s feature `feature_id`, oldest first, if `reader` may see it.

        NotFound alike for a feature that does not exist and one hidden from the reader.
        """
        history = self.store.history(party, feature_id)
        if not history or not may_see(reader, history[-1][2]):
            raise NotFound("no such feature", feature_id=feature_id, field="id", value=feature_id)
        return history

    def owner_of(self, reader: str, feature_id: str) -> str:
        """The party whose feature `feature_id` names when `reader` gives no party.

        The reader's own feature with this id; without one, the one feature with this id
        the reader may see. A feature hidden from the reader counts as none, so the answer
        is the same whether it exists or not. NotFound when there is none; StateConflict
        naming the parties when several parties' features with this id are visible.
        """
        found = self.store.declared_with_id(feature_id)
        owners = [d.feature.party for d in found if may_see(reader, d)]
        if reader in owners or not owners:
            return reader
        if len(owners) > 1:
            raise StateConflict(
                f"features of {', '.join(owners)} have this id and you have none; name the "
                "party: /v1/parties/{party}/features/{id}",
                feature_id=feature_id,
                field="party",
                value=owners,
            )
        return owners[0]

    def outbox(self, party: str, include_ended: bool = False) -> list[NoticeSeen]:
        """Notices the party sent, newest first, with their state and responses.

        Notices about features whose last occurrence has ended drop off unless `include_ended`.
        """
        reader = self._party(party)
        notices = self._current(self.store.outbox(party), include_ended)
        return [see_notice(n, reader) for n in notices]

    def _party(self, party: str) -> Party:
        found = self.store.party(party)
        if found is None:
            raise NotFound("no such party", field="party", value=party)
        return found

    def tick(self) -> Tick:
        """Escalate notices past their deadline, close out ended activities. Safe to repeat.

        It looks first, as an ordinary step beside the others, and takes the whole line only
        when something is due: a step on the whole line waits for every step in flight and
        holds back the next ones, on every node, and each node ticks every few seconds.
        """
        now = self.clock()
        if not self.store.run_atomic(lambda tx: _anything_due(tx, now)):
            return Tick((), ())

        def step(tx: LineTx) -> Tick:
            now = self.clock()
            parties = {p.id: p for p in tx.parties()}
            escalated = [self._escalate(tx, n, parties, now) for n in tx.due_notices(now)]
            closed = []
            for declared in tx.ended_activities(now):
                done = replace(declared, version=declared.version + 1, closed_at=now)
                tx.save_feature(done, "closed", now)
                self._inform(tx, done, MessageCode.CLOSE_OUT, now)
                closed.append(declared.feature.id)
            return Tick(tuple(escalated), tuple(closed))

        return self.store.run_atomic(step, whole_line=True)

    def _escalate(
        self, tx: LineTx, notice: Notice, parties: Mapping[str, Party], now: datetime
    ) -> int:
        recipient = parties[notice.recipient]
        params = {
            "party": recipient.name,
            "notice": str(notice.id),
            "since": when(notice.respond_by),
        }
        tx.mark_overdue(notice, now)
        tx.queue_deliveries(notice, now)  # sent beyond the line by outbound/worker.py
        tx.add_message(notice, Message(MessageCode.OVERDUE, params, notice.sender, now))
        named = recipient.escalation_contact or recipient.contact
        escalated = {**params, "contact": named} if named else params
        tx.add_message(notice, Message(MessageCode.ESCALATION, escalated, notice.sender, now))
        contact = named or "(no escalation contact)"
        updated = tx.notice(notice.id)
        assert updated is not None
        for side in (notice.sender, notice.recipient):
            view = see_notice(updated, parties[side]).document()
            tx.add_event(side, "escalation", {**view, "escalation_contact": contact}, now)
        return notice.id


def _next_version(current: Declared | None, feature: Feature, amend: bool) -> int:
    if not amend:
        if current is not None:
            raise StateConflict(
                "a feature with this id exists; amend it instead",
                code="id_in_use",
                feature_id=feature.id,
                field="id",
                value=feature.id,
            )
        return 1
    if current is None:
        raise NotFound(
            "no such feature of yours", feature_id=feature.id, field="id", value=feature.id
        )
    if current.cancelled_at is not None:
        raise StateConflict(
            "a cancelled feature cannot be amended; declare a new one",
            code="cancelled_not_amendable",
            feature_id=feature.id,
            field="id",
            value=feature.id,
        )
    if current.feature.kind is not feature.kind:
        raise InvalidFeature(
            "an amendment cannot change a zone into an activity or back",
            feature_id=feature.id,
            field="kind",
            value=feature.kind.value,
        )
    return current.version + 1


def _own_conflict(
    recipient: str, conflict: Conflict, other: Declared, parties: Mapping[str, Party]
) -> ConflictView:
    """A conflict with the recipient's own feature: they see it whole (a `contact` zone private)."""
    private = other.share is Share.CONTACT
    owner = parties.get(recipient)
    return ConflictView(
        recipient,
        conflict.window.start,
        conflict.window.end,
        feature_id=other.feature.id,
        other_id=other_id(conflict, other.feature.id),
        distance_m=round(conflict.distance_m, 3),
        contact=owner.contact if private and owner else None,
        private=private,
        occurrences=conflict.occurrences,
        altitude=conflict.altitude,
    )


def _restates(stored: Declared | None, party: str, feature: Feature) -> bool:
    """True when `feature` is the party's own stored feature as it stands (not cancelled)."""
    return (
        stored is not None
        and stored.cancelled_at is None
        and stored.feature.party == party
        and stored.feature == feature
    )


def _is_hidden_from(other: Declared, party: str) -> bool:
    """True for another party's `contact` zone: `party` may not know where it is."""
    return other.share is Share.CONTACT and other.feature.party != party


def _hours(window: timedelta) -> str:
    hours = window / timedelta(hours=1)
    return "hour" if hours == 1 else f"{hours:g} hours"


def _inbox_order(notices: list[Notice]) -> list[Notice]:
    def key(notice: Notice) -> tuple[int, int, float]:
        open_ = notice.state is not NoticeState.RESPONDED and notice.respond_by is not None
        due = notice.respond_by.timestamp() if notice.respond_by else float("inf")
        return (0 if notice.overdue_at and open_ else 1, 0 if open_ else 1, due)

    return sorted(notices, key=key)


def _name(parties: Mapping[str, Party], party: str) -> str:
    found = parties.get(party)
    return found.name if found else party


def _check_signature(tx: LineTx, party: str, signed: Signed, now: datetime) -> None:
    """The party's own signatures (either scheme, or both) must verify against the key it
    registered; an RFC 9421 one must also cover what a write must and be of about `now`."""
    key = _key_of(tx, party)
    if signed.opening is not None and signed.signature is not None:
        verify_party_signature(key, signed_bytes(signed.opening.commitment), signed.signature)
    if signed.http is not None:
        check_http_signature(signed.http, key, WRITE_COMPONENTS, now)


def _check_read(tx: LineTx, party: str, signed: HttpSignature, now: datetime) -> None:
    check_http_signature(signed, _key_of(tx, party), READ_COMPONENTS, now)


def _key_of(tx: LineTx, party: str) -> str:
    key = tx.party_key(party)
    if key is None:
        raise Forbidden(
            "the request is signed but the party has registered no public key",
            field="signature",
            value=party,
        )
    return key


def _anything_due(tx: LineTx, now: datetime) -> bool:
    """Whether a tick at `now` has a notice to escalate or an activity to close out."""
    return bool(tx.due_notices(now) or tx.ended_activities(now))
