"""What the DSS needs of a store: its entities by kind and id, candidates by box, and the
USSs' availability, inside one transaction the store serialises with the line's writes."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from deconflict.utm.extents import Box
from deconflict.utm.model import Kind


@dataclass(frozen=True)
class Row:
    """A stored entity: its id, its document as JSON text, and (for a subscription) how many
    notifications it is owed so far."""

    id: str
    document: str
    notified: int = 0


class DssTx(Protocol):
    """One transaction over the DSS's tables."""

    def entity(self, kind: Kind, entity_id: str) -> Row | None:
        """The stored entity, or None."""

    def put(
        self,
        kind: Kind,
        entity_id: str,
        document: dict[str, Any],
        box: Box,
        subscription_id: str | None = None,
    ) -> None:
        """Store the entity (made, or replaced keeping its notifications) with the box it is
        found by."""

    def delete(self, kind: Kind, entity_id: str) -> None: ...

    def near(self, kind: Kind, box: Box) -> list[Row]:
        """Every entity of the kind whose box meets `box`, in id order: the candidates the
        engine then decides on."""

    def notify(self, subscription_ids: Sequence[str]) -> None:
        """Count one more notification owed to each of the subscriptions."""

    def dependents(self, subscription_id: str) -> list[str]:
        """Ids of the operational intents that rely on the subscription, in id order."""

    def availability(self, uss: str) -> tuple[str, str] | None:
        """(availability, version) set for the USS, or None."""

    def set_availability(self, uss: str, availability: str, version: str) -> None: ...

    def record(self, entry: dict[str, Any]) -> None:
        """Append the entry to the line's record, in this transaction (writes only)."""


class DssStore(Protocol):
    """The store's DSS tables."""

    def dss_writing(self) -> AbstractContextManager[DssTx]:
        """A write transaction, serialised with every other write to the line."""

    def dss_reading(self) -> AbstractContextManager[DssTx]:
        """Reads that agree with each other."""
