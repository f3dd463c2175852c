"""deconflict: a deconfliction line.

Parties declare what they protect and notify what they plan; the line finds
every clash in space, altitude and time. The public surface is small: read a
plan, find its conflicts, compute geodesic distances between shapes.
"""

from deconflict.errors import (
    DeconflictError,
    EngineFailure,
    Forbidden,
    InvalidCoordinate,
    InvalidFeature,
    InvalidPlan,
    NotFound,
    StateConflict,
)
from deconflict.geo.distance import distance_within_m, geodesic_distance_m
from deconflict.geo.shapes import Area, Circle, Corridor
from deconflict.rules.conflicts import Conflict, find_conflicts
from deconflict.rules.feature import AltitudeBand, Feature, Kind, TimeWindow
from deconflict.rules.plan import parse_plan

__all__ = [
    "AltitudeBand",
    "Area",
    "Circle",
    "Conflict",
    "Corridor",
    "DeconflictError",
    "EngineFailure",
    "Feature",
    "Forbidden",
    "InvalidCoordinate",
    "InvalidFeature",
    "InvalidPlan",
    "Kind",
    "NotFound",
    "StateConflict",
    "TimeWindow",
    "distance_within_m",
    "find_conflicts",
    "geodesic_distance_m",
    "parse_plan",
]
