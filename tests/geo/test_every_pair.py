"""Every pair of shape kinds, at every distance, anywhere: the engine never raises and
decides like the oracle.

Eight kinds: a bare point, a circle, a corridor, a polygon (holes allowed), a
multipolygon (side by side, or split at the antimeridian), a sector (pie slices,
annuli, whole rings, thin wedges and needles built as a band), an orbit (centred,
left, right) and a track (one side's width 0 at times): 36 pairs. In each example one
shape is drawn anywhere (near a pole and at the antimeridian often), and the other is
turned about the polar axis until it reaches a point a gap from the first one's
boundary: 0 (touching or overlapping), centimetres, metres, kilometres or hundreds of
kilometres, mostly outwards and lying away, sometimes any way (so one may lie inside
the other). Which kind is placed against which is drawn too, and every measurement is
taken both ways round.

The oracle (`tests/oracle.py`, `airspace_bounds`) works from the shapes' definitions,
never from what the engine builds; `tests/geo/agreement.py` says how far the engine
may stand from it. Shapes run from tens of metres to 100 km (300 km against a point or
a circle), gaps to 500 km: the oracle slows down on long stretches equidistant to
within centimetres, and the engine on two shapes of thousands of edges each.
Sectors, orbits and tracks that reach within 89.5 degrees of a pole, and orbits across
the antimeridian, are refused when built (`ShapeError`); such draws are passed over.
Once built, nothing may make the engine raise.

Examples per pair of kinds: 100 in the suite (the module takes 3 to 4 minutes on two
cores); `make fuzz` runs 2,000 (DECONFLICT_FUZZ_EXAMPLES), about an hour.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

from deconflict.geo import distance as distance_module
from deconflict.geo.construct import ShapeError, resolve
from deconflict.geo.distance import distance_within_m, geodesic_distance_m
from deconflict.geo.shapes import Area, Circle, Corridor, Sector, Shape, Track
from tests.geo.agreement import ABOVE_M, assert_agrees, floor_m, settled_m
from tests.oracle import (
    airspace_bounds,
    anchors,
    areas,
    boundary_point,
    circles,
    corridors,
    moved,
    multipolygons,
    orbits,
    outward_deg,
    points,
    reaching,
    sectors,
    sizes_km,
    tracks,
)

LonLat = tuple[float, float]
ShapeKind = Callable[[LonLat, float], st.SearchStrategy[Shape]]


def _metres(max_km: float) -> st.SearchStrategy[float]:
    return sizes_km(max(max_km, 0.01)).map(lambda km: km * 1000.0)


KINDS: dict[str, ShapeKind] = {
    "point": points,
    "circle": circles,
    "corridor": corridors,
    "polygon": areas,
    "multipolygon": multipolygons,
    "sector": lambda anchor, km: sectors(st.just(anchor), _metres(km)),
    "orbit": lambda anchor, km: orbits(st.just(anchor), _metres(km), _metres(km / 4)),
    "track": lambda anchor, km: tracks(st.just(anchor), _metres(km / 2), _metres(km / 4)),
}
PAIRS = list(itertools.combinations_with_replacement(KINDS, 2))
MAX_KM = 100.0
# Against a point or a circle even the largest shapes are quick to measure, and only there
# does a lone point meet thousands of edges (a 100 km ring has 5,000).
MAX_KM_BESIDE_A_POINT = 300.0
GAPS_M = st.one_of(
    st.just(0.0),
    st.floats(1e-4, 0.1),
    st.floats(0.1, 100.0),
    st.floats(100.0, 50_000.0),
    st.floats(50_000.0, 500_000.0),
)
# The decision limits stand this far outside the band the distance must fall in.
BAND_M = 0.02
# The engine narrows a distance to below a millimetre (beside a built area, to within its
# construction margin more: `settled_m`), each order by its own search: a limit this close
# to either order's distance may be decided either way.
NARROWED_M = 1e-3


def examples_per_pair() -> int:
    """100 in the suite; `make fuzz` asks for more through DECONFLICT_FUZZ_EXAMPLES."""
    return int(os.environ.get("DECONFLICT_FUZZ_EXAMPLES", "100"))


EVERY_PAIR = settings(
    max_examples=examples_per_pair(),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def buildable(shape: Shape) -> bool:
    """False when the engine refuses to build the shape (it reaches a pole, say)."""
    try:
        resolve(shape)
    except ShapeError:
        return False
    return True


@st.composite
def pairs_of(draw: st.DrawFn, kinds: tuple[str, str]) -> tuple[Shape, Shape]:
    """One shape anywhere, and one of the other kind reaching a point a gap from its boundary."""
    placed_first, placed_second = draw(st.permutations(kinds))
    max_km = MAX_KM_BESIDE_A_POINT if {"point", "circle"} & set(kinds) else MAX_KM
    first = draw(KINDS[placed_first](draw(anchors()), max_km))
    assume(buildable(first))
    base = boundary_point(draw, first)
    # Mostly outwards and on away, so that the pair often stands apart by just the gap.
    outward = outward_deg(first, base)
    azimuth = draw(st.floats(-80.0, 80.0).map(lambda turn: outward + turn) | st.floats(0.0, 360.0))
    point = moved(base, azimuth, draw(GAPS_M))
    away = draw(st.floats(-80.0, 80.0).map(lambda turn: azimuth + turn) | st.floats(0.0, 360.0))
    second = reaching(draw(KINDS[placed_second](point, max_km)), point, away)
    if second is None or not buildable(second):
        reject()
    return first, second


def assert_decides_like_the_oracle(a: Shape, b: Shape, fraction: float) -> None:
    """Distances within the band, both ways round; limits just outside it decided right.

    A third limit, `fraction` (0 to 2) of the distance, is decided right where it falls
    outside the band, and the same both ways round wherever it falls (unless it is
    within a millimetre, and `settled_m`, of a distance the engine found).
    """
    oracle = airspace_bounds(a, b)
    distances = [geodesic_distance_m(a, b), geodesic_distance_m(b, a)]
    for distance in distances:
        assert_agrees(a, b, distance, oracle)
    beyond = floor_m(a, b, oracle) - BAND_M
    within = oracle.distance_m + ABOVE_M + BAND_M
    for first, second in ((a, b), (b, a)):
        found = distance_within_m(first, second, within)
        assert found is not None, f"nothing within {within!r} m; oracle {oracle}"
        assert found <= within
        assert_agrees(a, b, found, oracle)
        if beyond >= 0.0:
            assert distance_within_m(first, second, beyond) is None, (
                f"within {beyond!r} m; oracle {oracle}"
            )
    anywhere = fraction * oracle.distance_m
    decisions = [distance_within_m(x, y, anywhere) is not None for x, y in ((a, b), (b, a))]
    if anywhere >= within or anywhere < beyond:
        assert decisions == [anywhere >= within] * 2, f"at {anywhere!r} m; oracle {oracle}"
    narrowed = NARROWED_M + settled_m(a, b)
    if all(abs(anywhere - distance) > narrowed for distance in distances):
        assert decisions[0] == decisions[1], (
            f"at {anywhere!r} m one order is within, not the other; engine {distances}"
        )


FRACTIONS = st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 2.0)


@pytest.mark.parametrize("kinds", PAIRS, ids="-".join)
@given(data=st.data())
@EVERY_PAIR
def test_every_pair_of_kinds_is_decided_like_the_oracle(
    kinds: tuple[str, str], data: st.DataObject
) -> None:
    a, b = data.draw(pairs_of(kinds), label="pair")
    assert_decides_like_the_oracle(a, b, data.draw(FRACTIONS, label="limit fraction"))


# A distance settled by the chords -------------------------------------------------------------
#
# Before any root search the engine may answer with the lowest proven floor of the chords,
# once a distance attained is within a millimetre of it (beside an area built with a
# construction margin, within that margin more). Against the same engine with that shortcut
# off (every pair searched to the end): never more, at most a millimetre (and the margin)
# less.

SETTLED_KINDS = [
    ("sector", "sector"),
    ("sector", "orbit"),
    ("orbit", "track"),
    ("track", "track"),
    ("polygon", "sector"),
    ("corridor", "track"),
    ("point", "sector"),
    ("circle", "orbit"),
]


def _searched_to_the_end_m(a: Shape, b: Shape, limit_m: float) -> float | None:
    settled_within = distance_module._SETTLED_BY_CHORDS_M
    distance_module._SETTLED_BY_CHORDS_M = -math.inf
    try:
        return distance_within_m(a, b, limit_m)
    finally:
        distance_module._SETTLED_BY_CHORDS_M = settled_within


@pytest.mark.parametrize("kinds", SETTLED_KINDS, ids="-".join)
@given(data=st.data())
@settings(EVERY_PAIR, max_examples=max(30, examples_per_pair() // 3))
def test_a_distance_settled_by_the_chords_is_never_more_and_at_most_a_millimetre_less(
    kinds: tuple[str, str], data: st.DataObject
) -> None:
    a, b = data.draw(pairs_of(kinds), label="pair")
    limit = data.draw(st.sampled_from([0.0, 500.0, 10_000.0, 60_000.0]), label="limit")
    allowed = 1e-3 + settled_m(a, b)
    for first, second in ((a, b), (b, a)):
        settled = distance_within_m(first, second, limit)
        searched = _searched_to_the_end_m(first, second, limit)
        if searched is None:
            assert settled is None or settled >= limit - allowed
            continue
        assert settled is not None, f"the full search finds {searched!r} m within {limit} m"
        assert searched - allowed - 1e-9 <= settled <= searched + 1e-9


# Pairs that once failed, kept -----------------------------------------------------------------
#
# The point search raised IndexError when the chord screen proved every edge beyond the
# cut-off: a strike 100 m outside the aid agency's ring, and a corridor in the hole of an
# annulus, each against a zero buffer.

RING = Sector((20.0, 35.0), 100_000.0, 50_000.0, 0.0, 0.0)
STRIKE_100M_OUTSIDE = Circle((20.789312, 35.641792), 1_000.0)
ANNULUS = Sector((38.64, 33.5), 3_800.0, 1_900.0, 0.0, 0.0)


def _around(origin: LonLat, *bearings: tuple[float, float]) -> tuple[LonLat, ...]:
    """Positions at (azimuth_deg, distance_m) from `origin`."""
    return tuple(moved(origin, azimuth, distance) for azimuth, distance in bearings)


CORRIDOR_IN_THE_HOLE = Corridor(
    _around(ANNULUS.origin, (0.0, 1_500.0), (90.0, 1_000.0), (180.0, 1_500.0), (270.0, 1_000.0))
)
CORRIDOR_ACROSS = Corridor(
    _around(ANNULUS.origin, (225.0, 5_000.0), (45.0, 3_000.0), (10.0, 5_000.0), (90.0, 6_000.0))
)
# A shortcut on the boxes of the boundaries once proved a square 1 km across lying inside a
# track's area "beyond" a 3 cm limit: the area's middle bulges metres outside its boundary's
# boxes. The boxes now come only after the planar test has found the shapes apart.
TRACK = Track(
    (
        (0.0, 0.0),
        (0.007146070876548488, 0.01659508031100193),
        (-0.04235354240923075, -0.058873408323020036),
    ),
    3_000.0,
    2_000.0,
)
SQUARE_INSIDE_IT = Area(
    (
        (
            (
                (0.0064839866711358315, -0.007194231497817222),
                (0.0064839866711358315, 0.002805768502182778),
                (0.016483986671135833, 0.002805768502182778),
                (0.016483986671135833, -0.007194231497817222),
                (0.0064839866711358315, -0.007194231497817222),
            ),
        ),
    )
)


def test_strike_100m_outside_a_ring_is_99_95m_from_it_not_within_a_zero_buffer() -> None:
    assert geodesic_distance_m(RING, STRIKE_100M_OUTSIDE) == pytest.approx(99.95, abs=0.05)
    assert distance_within_m(RING, STRIKE_100M_OUTSIDE, 0.0) is None
    assert distance_within_m(STRIKE_100M_OUTSIDE, RING, 0.0) is None


def test_corridor_in_the_hole_of_an_annulus_is_400m_from_it_not_within_a_zero_buffer() -> None:
    assert geodesic_distance_m(ANNULUS, CORRIDOR_IN_THE_HOLE) == pytest.approx(400.0, abs=0.2)
    assert distance_within_m(ANNULUS, CORRIDOR_IN_THE_HOLE, 0.0) is None
    assert distance_within_m(CORRIDOR_IN_THE_HOLE, ANNULUS, 0.0) is None


def test_square_inside_a_track_is_at_zero_and_within_any_limit() -> None:
    assert geodesic_distance_m(TRACK, SQUARE_INSIDE_IT) == 0.0
    assert distance_within_m(TRACK, SQUARE_INSIDE_IT, 0.0) == 0.0
    assert distance_within_m(SQUARE_INSIDE_IT, TRACK, 0.0) == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(RING, STRIKE_100M_OUTSIDE, id="ring-strike-100m-outside"),
        pytest.param(ANNULUS, CORRIDOR_IN_THE_HOLE, id="annulus-corridor-in-its-hole"),
        pytest.param(ANNULUS, CORRIDOR_ACROSS, id="annulus-corridor-across-it"),
        pytest.param(TRACK, SQUARE_INSIDE_IT, id="track-square-inside-it"),
    ],
)
@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0, 2.0])
def test_pairs_that_once_failed_are_decided_like_the_oracle(
    a: Shape, b: Shape, fraction: float
) -> None:
    assert_decides_like_the_oracle(a, b, fraction)
