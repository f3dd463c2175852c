"""One line, two worlds: a USS's operational intents as activities of a party on the line.

The operator maps a USS (its token's `sub`) to a line party (`utm_parties`). Each volume
of an intent of that USS is then an activity of the party (`dss-<intent id>-<n>`, activity
`uas`): declared when the intent is made, amended when it is updated, cancelled when the
intent or the volume goes. The line checks it as any activity, so a strike notified on
the line that meets a drone's intent is a conflict for both parties, with the line's
usual notices, in either order.

The DSS's write is committed first; the line's follows in its own step. A line step that
fails (the party unknown, say) is logged and leaves the DSS's answer as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from deconflict.errors import DeconflictError, NotFound
from deconflict.line.model import Share
from deconflict.line.service import Line
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind
from deconflict.rules.schedule import TimeWindow
from deconflict.utm.extents import Extent
from deconflict.utm.service import IntentChange

log = logging.getLogger("deconflict.dss")

ACTIVITY = "uas"
"""The activity an intent's volumes are on the line."""


def feature_id(intent_id: str, volume: int) -> str:
    """The line's id of an intent's volume."""
    return f"dss-{intent_id}-{volume}"


class Bridge:
    """Carries the intents of mapped USSs onto the line as their parties' activities."""

    def __init__(self, line: Line, parties: dict[str, str]) -> None:
        self.line = line
        self.parties = dict(parties)

    def carry(self, uss: str, change: IntentChange) -> None:
        """Declare, amend or cancel the party's activities as the intent changed."""
        party = self.parties.get(uss)
        if party is None:
            return
        if self.line.store.party(party) is None:
            log.error("the USS %s is mapped to %s, which is no party of the line", uss, party)
            return
        intent, previous = change.intent, change.previous
        about = intent or previous
        assert about is not None
        new = intent.extents if intent else ()
        old = previous.extents if previous else ()
        for n, extent in enumerate(new):
            with _logged(uss, party, about.id):
                self._put(party, about.id, n, extent, old)
        for n in range(len(new), len(old)):
            with _logged(uss, party, about.id):
                self._cancel(party, feature_id(about.id, n))

    def _put(
        self, party: str, intent_id: str, n: int, extent: Extent, old: tuple[Extent, ...]
    ) -> None:
        feature = _feature(party, intent_id, n, extent)
        try:
            self.line.declare(party, feature, Share.SHAPE, amend=n < len(old))
        except NotFound:  # the USS was mapped after the intent was made: new on the line
            self.line.declare(party, feature, Share.SHAPE)

    def _cancel(self, party: str, fid: str) -> None:
        try:
            self.line.cancel(party, fid)
        except NotFound:  # never on the line (the USS was mapped later)
            return


@contextmanager
def _logged(uss: str, party: str, intent_id: str) -> Iterator[None]:
    """One change on the line; a refusal is logged by name, and the other volumes still go."""
    try:
        yield
    except DeconflictError as error:
        log.error(
            "the operational intent %s of %s did not reach the line as party %s: %s",
            intent_id,
            uss,
            party,
            error,
        )


def _feature(party: str, intent_id: str, volume: int, extent: Extent) -> Feature:
    assert extent.start is not None and extent.end is not None  # an intent's are bounded
    return Feature(
        id=feature_id(intent_id, volume),
        kind=Kind.ACTIVITY,
        party=party,
        shape=extent.outline,
        window=TimeWindow(extent.start, extent.end),
        band=AltitudeBand(extent.lower_m, extent.upper_m, Datum.WGS84),
        name=f"UAS operational intent {intent_id}",
        activity=ACTIVITY,
    )
