"""How far the engine may stand from the oracle.

Never more than ABOVE_M above the oracle's attained distance: a distance above the truth
could miss a conflict. Below the oracle's proven lower bound only by how far the shapes
the engine builds (sectors, orbits, tracks) stand beyond the true ones, centimetres
(`docs/engine.md`), by how far below the least distance it may settle beside a built
area (its construction margin more), plus SLACK_M: it may flag a conflict that much
early, never miss one.
"""

from __future__ import annotations

import math

from deconflict.geo.construct import resolve
from deconflict.geo.shapes import Area, Circle, Orbit, Sector, Shape, Track
from tests.oracle import NEEDLE_M, OracleDistance

ABOVE_M = 0.01
SLACK_M = 0.01


def margin_m(shape: Shape) -> float:
    """The construction margin: how much the built shape's reach exceeds the shape's own."""
    if not isinstance(shape, (Sector, Orbit, Track)):
        return 0.0
    built = resolve(shape)
    if isinstance(shape, Orbit):
        return built.reach_m - shape.width_m / 2
    if isinstance(built, Circle):  # a whole disc is built as the circle it is
        return 0.0
    return built.reach_m


def overreach_m(shape: Shape) -> float:
    """How far the built shape may stand beyond the true one, in metres.

    Its chords stray from the true curve by less than its margin, which it then adds:
    twice the margin in all. A needle sector is built as a band NEEDLE_M to each side.
    """
    needle = isinstance(shape, Sector) and shape.outer_m * math.radians(shape.span_deg) <= NEEDLE_M
    return 2 * margin_m(shape) + (NEEDLE_M if needle else 0.0)


def settled_m(a: Shape, b: Shape) -> float:
    """How much further than a millimetre below the least distance the engine may settle on
    a proven floor: the larger construction margin of an area built from either shape."""
    margins = [built.margin_m for built in (resolve(a), resolve(b)) if isinstance(built, Area)]
    return max(margins, default=0.0)


def floor_m(a: Shape, b: Shape, oracle: OracleDistance) -> float:
    """The least distance the engine may report between `a` and `b`."""
    return oracle.lower_m - overreach_m(a) - overreach_m(b) - settled_m(a, b) - SLACK_M


def assert_agrees(a: Shape, b: Shape, engine_m: float, oracle: OracleDistance) -> None:
    """The engine's distance between `a` and `b` is within the band around the oracle's."""
    assert engine_m <= oracle.distance_m + ABOVE_M, f"engine {engine_m!r} m, oracle {oracle}"
    floor = floor_m(a, b, oracle)
    assert engine_m >= floor, f"engine {engine_m!r} m, oracle {oracle}, floor {floor!r} m"
