"""How large a feature and a request the line takes: limits an operator sets.

Every shape costs the line memory and time in proportion to its vertices, and
every party pays for it again in every export and feed. So a feature's
vertices, a request's vertices in all and an import's features are bounded,
each by a setting of its own (`settings.py`). The counts are taken on the
GeoJSON as sent, before any shape is built: a refusal costs a list length per
ring, whatever the size of what is refused.

A feature over its limit is an invalid feature (422, or one refused item of a
partial import); a request over a limit as a whole is refused entire (413).
Both name the count, the limit and the setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deconflict.errors import InvalidFeature, RequestTooLarge
from deconflict.geo.geojson import count_positions
from deconflict.settings import Settings


@dataclass(frozen=True)
class Limits:
    """The line's bounds on what one request may carry (each field is the setting's name)."""

    max_vertices_per_feature: int
    max_vertices_per_request: int
    max_features_per_import: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits `settings` set."""
        return cls(
            settings.max_vertices_per_feature,
            settings.max_vertices_per_request,
            settings.max_features_per_import,
        )

    def feature_problem(self, feature_id: str | None, geometry: Any) -> InvalidFeature | None:
        """The problem of a feature whose geometry has more vertices than one feature may have;
        None within the limit (a malformed geometry counts 0: reading it refuses it)."""
        count = count_positions(geometry)
        if count <= self.max_vertices_per_feature:
            return None
        return InvalidFeature(
            f"the geometry has {count:,} vertices, over the line's limit of "
            f"{self.max_vertices_per_feature:,} per feature "
            f"({_setting('max_vertices_per_feature')}): simplify it or split it into features",
            code="too_many_vertices",
            params={"limit": self.max_vertices_per_feature, "setting": "max_vertices_per_feature"},
            feature_id=feature_id,
            field="geometry.coordinates",
            value=count,
        )

    def request_refusal(self, document: Any) -> RequestTooLarge | None:
        """Why a request body (a Feature, a draft with a geometry, or an import's
        `features`) is over a limit as a whole; None when it is within them all. A refusal
        for vertices names the feature that has the most."""
        if not isinstance(document, Mapping):
            return None
        features = document.get("features")
        if not isinstance(features, list):
            features = [document]
        elif len(features) > self.max_features_per_import:
            return self._over("max_features_per_import", len(features), "features", None)
        counts = [
            (count_positions(f.get("geometry")), f.get("id"))
            for f in features
            if isinstance(f, Mapping)
        ]
        total = sum(count for count, _ in counts)
        if total <= self.max_vertices_per_request:
            return None
        largest, feature_id = max(counts, key=lambda pair: pair[0])
        return self._over(
            "max_vertices_per_request",
            total,
            f"vertices (the most, {largest:,}, in feature {feature_id!r})",
            feature_id if isinstance(feature_id, str) else None,
        )

    def _over(self, setting: str, count: int, what: str, feature_id: str | None) -> RequestTooLarge:
        limit: int = getattr(self, setting)
        per = "import" if setting == "max_features_per_import" else "request"
        return RequestTooLarge(
            f"the request holds {count:,} {what}, over the line's limit of {limit:,} per {per} "
            f"({_setting(setting)}): send it in several requests",
            setting=setting,
            limit=limit,
            feature_id=feature_id,
            field="features" if per == "import" else "geometry.coordinates",
            value=count,
        )


def _setting(name: str) -> str:
    return f"setting {name}, DECONFLICT_{name.upper()}"
