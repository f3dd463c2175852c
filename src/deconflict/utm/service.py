"""The DSS's use cases, as ASTM F3548-21 defines them, each in one store transaction.

A request's body is read and checked here (BadRequest for what the standard refuses);
the answer is the standard's document. The asker is the USS named by the token's `sub`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from deconflict.utm.extents import (
    Box,
    Extent,
    box,
    meet,
    outline_covers,
    read_extent,
    read_extents,
    read_time,
)
from deconflict.utm.model import (
    AVAILABILITIES,
    DOWN,
    UNKNOWN,
    Kind,
    Reference,
    State,
    Subscription,
    entry,
    new_ovn,
    new_version,
)
from deconflict.utm.ports import DssStore, DssTx, Row
from deconflict.utm.refusals import (
    BadRequest,
    Missing,
    MissingOvns,
    NotPermitted,
    UssDown,
    VersionMismatch,
)

Document = dict[str, Any]
Clock = Callable[[], datetime]

_UUID4 = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
SUBSCRIPTION_LIMIT = timedelta(hours=24)
"""The longest window a subscription may ask for (its end defaults to its start plus this)."""
_NOWHERE: Box = (0.0,) * 10  # a report is found by its id alone
PARSED_KEPT = 20_000
"""How many stored entities stay read in memory (each a few kilobytes)."""
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the past a subscription may start, and how late after its intent's start."""


@dataclasses.dataclass(frozen=True)
class IntentChange:
    """An operational intent written: the standard's answer, the intent as it now is (None
    once removed) and as it was (None when just made)."""

    answer: Document
    intent: Reference | None
    previous: Reference | None

    @property
    def created(self) -> bool:
        return self.previous is None


def _now() -> datetime:
    return datetime.now(UTC)


class Dss:
    """The DSS over a store's tables; its OVNs made under `ovn_secret` (model.py, `new_ovn`;
    None: random)."""

    def __init__(
        self, store: DssStore, clock: Clock = _now, ovn_secret: bytes | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.ovn_secret = ovn_secret

    # Operational intents

    def get_intent(self, asker: str, entity_id: str) -> Document:
        _check_id(entity_id)
        with self.store.dss_reading() as tx:
            found = _reference(tx, Kind.INTENT, entity_id)
            return {"operational_intent_reference": _shown(tx, found, asker)}

    def query_intents(self, asker: str, body: Any) -> Document:
        area = _area_of_interest(body)
        with self.store.dss_reading() as tx:
            found = _references_meeting(tx, Kind.INTENT, (area,))
            return {"operational_intent_references": [_shown(tx, r, asker) for r in found]}

    def put_intent(
        self, asker: str, scopes: frozenset[str], entity_id: str, ovn: str, body: Any
    ) -> IntentChange:
        """Create (`ovn` empty) or update an operational intent."""
        _check_id(entity_id)
        now = self.clock()
        asked = _IntentRequest.read(body, now, creating=not ovn)
        if asked.state.off_nominal and "utm.conformance_monitoring_sa" not in scopes:
            raise NotPermitted(f"the {asked.state} state needs utm.conformance_monitoring_sa")
        with self.store.dss_writing() as tx:
            old = _old_entity(tx, Kind.INTENT, entity_id, asker, ovn)
            if asked.state.needs_key:
                _check_available(tx, asker)
            previous = _subscription_of(tx, old)
            attached = _attached(tx, now, asker, asked)
            if asked.state.needs_key:
                _check_key(tx, asker, entity_id, asked.extents, asked.key, attached)
            version = old.version + 1 if old else 1
            intent = Reference(
                kind=Kind.INTENT,
                id=entity_id,
                manager=asker,
                version=version,
                ovn=new_ovn(self.ovn_secret, Kind.INTENT, entity_id, version, now),
                uss_base_url=asked.uss_base_url,
                extents=asked.extents,
                state=asked.state,
                subscription_id=attached.id if attached else None,
            )
            _write(tx, now, Kind.INTENT, entity_id, intent.stored(), intent.extents, attached)
            if previous is not None and (attached is None or previous.id != attached.id):
                _drop_if_implicit_and_unused(tx, now, previous)
            changed = intent.extents + (old.extents if old else ())
            subscribers = _notify(tx, now, changed, for_intents=True)
            answer = {
                "subscribers": subscribers,
                "operational_intent_reference": _shown(tx, intent, asker),
            }
            return IntentChange(answer, intent, old)

    def delete_intent(self, asker: str, entity_id: str, ovn: str) -> IntentChange:
        _check_id(entity_id)
        now = self.clock()
        with self.store.dss_writing() as tx:
            old = _reference(tx, Kind.INTENT, entity_id)
            _check_manager_and_ovn(old, asker, ovn)
            _check_available(tx, asker)
            subscribers = _notify(tx, now, old.extents, for_intents=True)
            _remove(tx, now, asker, Kind.INTENT, entity_id)
            previous = _subscription_of(tx, old)
            if previous is not None:
                _drop_if_implicit_and_unused(tx, now, previous)
            answer = {
                "subscribers": subscribers,
                "operational_intent_reference": _shown(tx, old, asker),
            }
            return IntentChange(answer, None, old)

    # Constraints

    def get_constraint(self, asker: str, entity_id: str) -> Document:
        _check_id(entity_id)
        with self.store.dss_reading() as tx:
            found = _reference(tx, Kind.CONSTRAINT, entity_id)
            return {"constraint_reference": _shown(tx, found, asker)}

    def query_constraints(self, asker: str, body: Any) -> Document:
        area = _area_of_interest(body)
        with self.store.dss_reading() as tx:
            found = _references_meeting(tx, Kind.CONSTRAINT, (area,))
            return {"constraint_references": [_shown(tx, r, asker) for r in found]}

    def put_constraint(
        self, asker: str, entity_id: str, ovn: str, body: Any
    ) -> tuple[bool, Document]:
        """Create (`ovn` empty) or update a constraint; (created, answer)."""
        _check_id(entity_id)
        now = self.clock()
        given = _body(body)
        extents = _entity_extents(given, now)
        uss_base_url = _base_url(given.get("uss_base_url"), "uss_base_url")
        with self.store.dss_writing() as tx:
            old = _old_entity(tx, Kind.CONSTRAINT, entity_id, asker, ovn)
            version = old.version + 1 if old else 1
            constraint = Reference(
                kind=Kind.CONSTRAINT,
                id=entity_id,
                manager=asker,
                version=version,
                ovn=new_ovn(self.ovn_secret, Kind.CONSTRAINT, entity_id, version, now),
                uss_base_url=uss_base_url,
                extents=extents,
            )
            _write(tx, now, Kind.CONSTRAINT, entity_id, constraint.stored(), extents)
            changed = extents + (old.extents if old else ())
            subscribers = _notify(tx, now, changed, for_intents=False)
            return old is None, {
                "subscribers": subscribers,
                "constraint_reference": _shown(tx, constraint, asker),
            }

    def delete_constraint(self, asker: str, entity_id: str, ovn: str) -> Document:
        _check_id(entity_id)
        now = self.clock()
        with self.store.dss_writing() as tx:
            old = _reference(tx, Kind.CONSTRAINT, entity_id)
            _check_manager_and_ovn(old, asker, ovn)
            subscribers = _notify(tx, now, old.extents, for_intents=False)
            _remove(tx, now, asker, Kind.CONSTRAINT, entity_id)
            return {"subscribers": subscribers, "constraint_reference": _shown(tx, old, asker)}

    # Subscriptions

    def get_subscription(self, asker: str, subscription_id: str) -> Document:
        _check_id(subscription_id)
        with self.store.dss_reading() as tx:
            found = _own_subscription(tx, subscription_id, asker)
            return {"subscription": found.shown(tx.dependents(subscription_id))}

    def query_subscriptions(self, asker: str, body: Any) -> Document:
        area = _area_of_interest(body)
        now = self.clock()
        with self.store.dss_reading() as tx:
            found = [
                s
                for s in _subscriptions_meeting(tx, (area,))
                if s.manager == asker and s.end >= now
            ]
            return {"subscriptions": [s.shown(tx.dependents(s.id)) for s in found]}

    def put_subscription(
        self, asker: str, subscription_id: str, version: str, body: Any
    ) -> Document:
        """Create (`version` empty) or update a subscription."""
        _check_id(subscription_id)
        given = _body(body)
        extent = read_extent(given.get("extents"), "extents")
        uss_base_url = _base_url(given.get("uss_base_url"), "uss_base_url")
        for_intents = _flag(given, "notify_for_operational_intents")
        for_constraints = _flag(given, "notify_for_constraints")
        if not (for_intents or for_constraints):
            raise BadRequest("a subscription must ask for some notifications")
        now = self.clock()
        with self.store.dss_writing() as tx:
            old = _subscription(tx.entity(Kind.SUBSCRIPTION, subscription_id))
            _check_subscription_version(old, asker, version)
            settled = _settled_window(extent, old, now)
            dependents = tx.dependents(subscription_id)
            for intent in _references(tx, Kind.INTENT, dependents):
                _check_covers(settled, intent)
            subscription = Subscription(
                id=subscription_id,
                manager=asker,
                version=new_version(),
                notification_index=old.notification_index if old else 0,
                uss_base_url=uss_base_url,
                notify_for_intents=for_intents,
                notify_for_constraints=for_constraints,
                implicit=False,
                extents=(settled,),
            )
            _write(tx, now, Kind.SUBSCRIPTION, subscription_id, subscription.stored(), (settled,))
            answer: Document = {"subscription": subscription.shown(dependents)}
            if for_intents:
                found = _references_meeting(tx, Kind.INTENT, (settled,))
                answer["operational_intent_references"] = [_shown(tx, r, asker) for r in found]
            if for_constraints:
                found = _references_meeting(tx, Kind.CONSTRAINT, (settled,))
                answer["constraint_references"] = [_shown(tx, r, asker) for r in found]
            return answer

    def delete_subscription(self, asker: str, subscription_id: str, version: str) -> Document:
        _check_id(subscription_id)
        with self.store.dss_writing() as tx:
            old = _own_subscription(tx, subscription_id, asker)
            if old.version != version:
                raise VersionMismatch("the version named is not the subscription's current one")
            dependents = tx.dependents(subscription_id)
            if dependents:
                raise BadRequest(
                    "operational intents rely on this subscription",
                    params={"count": len(dependents)},
                )
            _remove(tx, self.clock(), asker, Kind.SUBSCRIPTION, subscription_id)
            return {"subscription": old.shown([])}

    # Reports

    def report(self, asker: str, body: Any) -> Document:
        """Archive a USS's report of a communication problem; the report with its new id.

        The DSS keeps the report whole (its headers carry at least a token); the record
        holds who reported and the report's SHA-256, so an archived report can be proven
        without its content being shown to every party of the line.
        """
        given = _body(body)
        exchange = _body(given.get("exchange"))
        for name in ("url", "method"):
            if not isinstance(exchange.get(name), str):
                raise BadRequest(f"exchange.{name} must be a string", field=f"exchange.{name}")
        if exchange.get("recorder_role") not in ("Client", "Server"):
            raise BadRequest("exchange.recorder_role must be Client or Server")
        read_time(exchange.get("request_time"), "exchange.request_time")
        report_id = str(uuid4())
        archived = {**given, "report_id": report_id}
        text = json.dumps(archived, sort_keys=True)
        now = self.clock()
        with self.store.dss_writing() as tx:
            kept = {"manager": asker, "report": archived}
            tx.put(Kind.REPORT, report_id, kept, _NOWHERE)
            digest = hashlib.sha256(text.encode()).hexdigest()
            tx.record(entry(now, asker, "put", Kind.REPORT.value, report_id, {"sha256": digest}))
        return archived

    # USS availability

    def get_availability(self, uss: str) -> Document:
        with self.store.dss_reading() as tx:
            return _availability(uss, tx.availability(uss))

    def set_availability(self, asker: str, uss: str, body: Any) -> Document:
        given = _body(body)
        wanted = given.get("availability")
        chosen = next(
            (a for a in AVAILABILITIES if isinstance(wanted, str) and a.lower() == wanted.lower()),
            None,
        )
        if chosen is None:
            raise BadRequest("availability must be Unknown, Normal or Down", field="availability")
        old_version = given.get("old_version", "")
        if not isinstance(old_version, str):
            raise BadRequest("old_version must be a string", field="old_version")
        with self.store.dss_writing() as tx:
            current = tx.availability(uss)
            if (current[1] if current else "") != old_version:
                raise VersionMismatch("old_version is not the availability's current version")
            version = new_version()
            tx.set_availability(uss, chosen, version)
            document = {"availability": chosen, "version": version}
            tx.record(entry(self.clock(), asker, "put", "uss_availability", uss, document))
            return _availability(uss, (chosen, version))


@dataclasses.dataclass(frozen=True)
class _IntentRequest:
    """A PutOperationalIntentReferenceParameters, read and checked."""

    extents: tuple[Extent, ...]
    key: frozenset[str]
    state: State
    uss_base_url: str
    subscription_id: str | None
    new_subscription: tuple[str, bool] | None  # (uss_base_url, notify_for_constraints)

    @classmethod
    def read(cls, body: Any, now: datetime, *, creating: bool) -> _IntentRequest:
        given = _body(body)
        extents = _entity_extents(given, now)
        state = _state(given.get("state"))
        if creating and state is not State.ACCEPTED:
            raise BadRequest("an operational intent is created Accepted", field="state")
        subscription_id = given.get("subscription_id")
        if subscription_id is not None:
            _check_id(subscription_id, "subscription_id")
        new_subscription = _new_subscription(given.get("new_subscription"))
        if subscription_id is not None and new_subscription is not None:
            raise BadRequest("give subscription_id or new_subscription, not both")
        if state.needs_subscription and subscription_id is None and new_subscription is None:
            raise BadRequest(f"the {state} state needs subscription_id or new_subscription")
        return cls(
            extents=extents,
            key=_key(given.get("key", [])),
            state=state,
            uss_base_url=_base_url(given.get("uss_base_url"), "uss_base_url"),
            subscription_id=subscription_id,
            new_subscription=new_subscription,
        )


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    return body


def _check_id(value: Any, field: str = "id") -> None:
    if not isinstance(value, str) or not _UUID4.match(value):
        raise BadRequest(f"{field} must be a UUID version 4", field=field, value=value)


def _base_url(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.startswith("https://") or len(value) < 9:
        raise BadRequest(f"{field} must be an https URL", field=field)
    return value


def _flag(given: dict[str, Any], name: str) -> bool:
    value = given.get(name, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be true or false", field=name, value=value)
    return value


def _state(value: Any) -> State:
    try:
        return State(value)
    except ValueError:
        raise BadRequest(
            "state must be Accepted, Activated, Nonconforming or Contingent",
            field="state",
            value=value,
        ) from None


def _key(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(ovn, str) for ovn in value):
        raise BadRequest("key must be a list of OVNs", field="key")
    return frozenset(value)


def _new_subscription(value: Any) -> tuple[str, bool] | None:
    if value is None:
        return None
    given = _body(value)
    url = _base_url(given.get("uss_base_url"), "new_subscription.uss_base_url")
    return url, _flag(given, "notify_for_constraints")


def _entity_extents(given: dict[str, Any], now: datetime) -> tuple[Extent, ...]:
    """An entity's extents: bounded, and not over before now."""
    extents = read_extents(given.get("extents"), "extents", bounded=True)
    if all(e.end is not None and e.end <= now for e in extents):
        raise BadRequest("the extents end in the past", field="extents")
    return extents


def _area_of_interest(body: Any) -> Extent:
    given = _body(body)
    if given.get("area_of_interest") is None:
        raise BadRequest("area_of_interest is missing", field="area_of_interest")
    return read_extent(given["area_of_interest"], "area_of_interest")


def _reference(tx: DssTx, kind: Kind, entity_id: str) -> Reference:
    row = tx.entity(kind, entity_id)
    if row is None:
        raise Missing(f"no {kind.value.replace('_', ' ')} {entity_id}", value=entity_id)
    return _reference_of(kind, row.id, row.document)


def _references(tx: DssTx, kind: Kind, ids: Iterable[str]) -> list[Reference]:
    return [_reference(tx, kind, entity_id) for entity_id in ids]


def _old_entity(tx: DssTx, kind: Kind, entity_id: str, asker: str, ovn: str) -> Reference | None:
    """The entity a write replaces, checked against who writes and the OVN they name."""
    row = tx.entity(kind, entity_id)
    if row is None:
        if ovn:
            raise Missing(f"no {kind.value.replace('_', ' ')} {entity_id} to update")
        return None
    old = _reference_of(kind, row.id, row.document)
    _check_manager_and_ovn(old, asker, ovn)
    return old


def _check_manager_and_ovn(old: Reference, asker: str, ovn: str) -> None:
    if old.manager != asker:
        raise NotPermitted("another USS manages this entity")
    if old.ovn != ovn:
        raise VersionMismatch("the OVN named is not the entity's current one", value=ovn)


def _check_available(tx: DssTx, uss: str) -> None:
    found = tx.availability(uss)
    if found is not None and found[0] == DOWN:
        raise UssDown(f"{uss} is marked Down")


def _shown(tx: DssTx, reference: Reference, asker: str) -> Document:
    found = tx.availability(reference.manager)
    return reference.shown(asker, found[0] if found else UNKNOWN)


def _references_meeting(tx: DssTx, kind: Kind, extents: Sequence[Extent]) -> list[Reference]:
    """The entities of the kind that meet any of the extents, as the engine decides."""
    found = [_reference_of(kind, row.id, row.document) for row in tx.near(kind, box(extents))]
    return [r for r in found if meet(r.extents, extents)]


def _subscriptions_meeting(tx: DssTx, extents: Sequence[Extent]) -> list[Subscription]:
    found = [_subscription_in(row) for row in tx.near(Kind.SUBSCRIPTION, box(extents))]
    return [s for s in found if meet(s.extents, extents)]


def _subscription(row: Row | None) -> Subscription | None:
    return _subscription_in(row) if row is not None else None


def _subscription_in(row: Row) -> Subscription:
    read = _read(Kind.SUBSCRIPTION, row.id, row.document)
    assert isinstance(read, Subscription)
    return dataclasses.replace(read, notification_index=row.notified)


def _reference_of(kind: Kind, entity_id: str, document: str) -> Reference:
    read = _read(kind, entity_id, document)
    assert isinstance(read, Reference)
    return read


@functools.lru_cache(maxsize=PARSED_KEPT)
def _read(kind: Kind, entity_id: str, document: str) -> Reference | Subscription:
    """The stored entity read from its JSON text (a subscription owed no notifications yet).
    Kept once read: a congested area's every write reads every entity there, and a
    document's text changes with every write to it."""
    kept = json.loads(document)
    if kind is Kind.SUBSCRIPTION:
        return Subscription.from_stored(entity_id, kept, 0)
    return Reference.from_stored(kind, entity_id, kept)


def _check_key(
    tx: DssTx,
    asker: str,
    entity_id: str,
    extents: Sequence[Extent],
    key: frozenset[str],
    attached: Subscription | None,
) -> None:
    """Refuse (409) a write whose key lacks the OVN of an entity it meets."""
    intents = [
        r
        for r in _references_meeting(tx, Kind.INTENT, extents)
        if r.id != entity_id and r.state is not None and r.state.needs_key and r.ovn not in key
    ]
    constraints: list[Reference] = []
    if attached is not None and attached.notify_for_constraints:
        constraints = [
            r for r in _references_meeting(tx, Kind.CONSTRAINT, extents) if r.ovn not in key
        ]
    if intents or constraints:
        raise MissingOvns(
            [_shown(tx, r, asker) for r in intents], [_shown(tx, r, asker) for r in constraints]
        )


def _subscription_of(tx: DssTx, intent: Reference | None) -> Subscription | None:
    if intent is None or intent.subscription_id is None:
        return None
    return _subscription(tx.entity(Kind.SUBSCRIPTION, intent.subscription_id))


def _attached(tx: DssTx, now: datetime, asker: str, asked: _IntentRequest) -> Subscription | None:
    """The subscription the intent will rely on: a new implicit one, the one named (grown
    to cover the intent when it is implicit), or none."""
    if asked.subscription_id is None:
        if asked.new_subscription is None:
            return None
        return _new_implicit(tx, now, asker, asked)
    subscription = _subscription(tx.entity(Kind.SUBSCRIPTION, asked.subscription_id))
    if subscription is None:
        raise BadRequest("the subscription named does not exist", field="subscription_id")
    if subscription.manager != asker:
        raise NotPermitted("the subscription named is another USS's")
    return _covering(tx, now, subscription, asked.extents)


def _new_implicit(tx: DssTx, now: datetime, asker: str, asked: _IntentRequest) -> Subscription:
    assert asked.new_subscription is not None
    url, for_constraints = asked.new_subscription
    subscription = Subscription(
        id=str(uuid4()),
        manager=asker,
        version=new_version(),
        notification_index=0,
        uss_base_url=url,
        notify_for_intents=True,
        notify_for_constraints=for_constraints,
        implicit=True,
        extents=asked.extents,
    )
    _write(tx, now, Kind.SUBSCRIPTION, subscription.id, subscription.stored(), asked.extents)
    return subscription


def _covering(
    tx: DssTx, now: datetime, subscription: Subscription, extents: Sequence[Extent]
) -> Subscription:
    """The subscription, made to cover the extents: an implicit one grows to them, an
    explicit one that does not cover them is refused (400)."""
    start = min(e.start for e in extents if e.start is not None)
    end = max(e.end for e in extents if e.end is not None)
    uncovered = [e for e in extents if not _outline_covered(subscription.extents, e)]
    if subscription.start <= start and subscription.end >= end and not uncovered:
        return subscription
    if not subscription.implicit:
        raise BadRequest("the subscription does not cover the operational intent")
    grown = dataclasses.replace(subscription, extents=subscription.extents + tuple(extents))
    _write(tx, now, Kind.SUBSCRIPTION, grown.id, grown.stored(), grown.extents)
    return grown


def _outline_covered(outers: Sequence[Extent], inner: Extent) -> bool:
    return any(outline_covers(outer.outline, inner.outline) for outer in outers)


def _drop_if_implicit_and_unused(tx: DssTx, now: datetime, subscription: Subscription) -> None:
    if subscription.implicit and not tx.dependents(subscription.id):
        _remove(tx, now, subscription.manager, Kind.SUBSCRIPTION, subscription.id)


def _write(
    tx: DssTx,
    now: datetime,
    kind: Kind,
    entity_id: str,
    document: Document,
    extents: Sequence[Extent],
    subscription: Subscription | None = None,
) -> None:
    """Store the entity, found by the box of its extents, and put the write on the record.
    (A notification owed to a subscription is not an entry: each write's subscribers follow
    from the entries before it.)"""
    tx.put(kind, entity_id, document, box(extents), subscription.id if subscription else None)
    tx.record(entry(now, document["manager"], "put", kind.value, entity_id, document))


def _remove(tx: DssTx, now: datetime, asker: str, kind: Kind, entity_id: str) -> None:
    """Remove the entity, and put the removal on the record."""
    tx.delete(kind, entity_id)
    tx.record(entry(now, asker, "delete", kind.value, entity_id))


def _notify(
    tx: DssTx, now: datetime, changed: Sequence[Extent], *, for_intents: bool
) -> list[Document]:
    """Owe one more notification to every live subscription the change meets, and name
    them to the writer, grouped by the URL to notify."""
    owed = [
        s
        for s in _subscriptions_meeting(tx, changed)
        if (s.notify_for_intents if for_intents else s.notify_for_constraints) and s.end >= now
    ]
    tx.notify([s.id for s in owed])
    by_url: dict[str, list[Document]] = {}
    for subscription in owed:
        by_url.setdefault(subscription.uss_base_url, []).append(
            {
                "subscription_id": subscription.id,
                "notification_index": subscription.notification_index + 1,
            }
        )
    return [{"uss_base_url": url, "subscriptions": subs} for url, subs in sorted(by_url.items())]


def _own_subscription(tx: DssTx, subscription_id: str, asker: str) -> Subscription:
    subscription = _subscription(tx.entity(Kind.SUBSCRIPTION, subscription_id))
    if subscription is None:
        raise Missing(f"no subscription {subscription_id}", value=subscription_id)
    if subscription.manager != asker:
        raise NotPermitted("another USS manages this subscription")
    return subscription


def _check_subscription_version(old: Subscription | None, asker: str, version: str) -> None:
    if old is None:
        if version:
            raise Missing("no subscription to update")
        return
    if not version:
        raise VersionMismatch("the subscription exists already; name its version to update it")
    if old.version != version:
        raise VersionMismatch("the version named is not the subscription's current one")
    if old.manager != asker:
        raise NotPermitted("another USS manages this subscription")


def _settled_window(extent: Extent, old: Subscription | None, now: datetime) -> Extent:
    """The subscription's extent with its window settled: the start defaults to now (or the
    old start), the end to the old end or a day after the start."""
    start = extent.start or (old.start if old else now)
    if extent.start is not None and now - extent.start > CLOCK_SKEW:
        raise BadRequest("a subscription may not start in the past", field="extents.time_start")
    end = extent.end or (old.end if old else start + SUBSCRIPTION_LIMIT)
    if end < start:
        raise BadRequest("time_end is before time_start", field="extents.time_end")
    if end - start > SUBSCRIPTION_LIMIT:
        raise BadRequest("a subscription may last 24 hours at most", field="extents.time_end")
    return dataclasses.replace(extent, start=start, end=end)


def _check_covers(extent: Extent, intent: Reference) -> None:
    """Refuse (400) a subscription that would no longer cover an intent relying on it."""
    for inner in intent.extents:
        assert inner.start and inner.end and inner.lower_m is not None and inner.upper_m is not None
        assert extent.start and extent.end
        covered = (
            extent.start - inner.start <= CLOCK_SKEW
            and inner.end <= extent.end
            and (extent.lower_m is None or extent.lower_m <= inner.lower_m)
            and (extent.upper_m is None or inner.upper_m <= extent.upper_m)
            and outline_covers(extent.outline, inner.outline)
        )
        if not covered:
            raise BadRequest(f"the subscription would not cover operational intent {intent.id}")


def _availability(uss: str, found: tuple[str, str] | None) -> Document:
    availability, version = found or (UNKNOWN, "")
    return {"status": {"uss": uss, "availability": availability}, "version": version}
