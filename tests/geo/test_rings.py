"""A full ring against another ring or a circle: decided from their centres alone.

The engine takes the distance between two rounds (a sector over the whole circle with
an inner radius, or a circle) as the largest of r - R' - e, r' - R - e, e - R - R' and 0
(`geo/distance.py`, `_beside_a_ring_m`). Here that is held to the brute-force oracle
(`tests/oracle.py`, from the shapes' definitions) as every other pair is, and to the
definitions themselves at the millimetre: a round in a ring's hole is the hole's radius
less its farthest point from the ring's centre, and one beyond the other's outer circle
is its nearest point from that centre less the outer radius, those points found by
sampling the outer circles densely with `pyproj.Geod`.

The pairs drawn are the ones the edges find hardest: nearly concentric (centres metres
apart), one in the other's hole or round its outside by centimetres either way, at high
latitudes and across the antimeridian.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from deconflict.geo.construct import ShapeError, resolve
from deconflict.geo.distance import distance_within_m, geodesic_distance_m
from deconflict.geo.shapes import Circle, Sector, Shape
from tests.geo.test_every_pair import EVERY_PAIR, FRACTIONS, assert_decides_like_the_oracle
from tests.oracle import GEOD, anchors, geodesic_m, moved, pole_distance_m

LonLat = tuple[float, float]

# Rings from 50 m to 100 km across, centres from none to a kilometre apart, gaps of
# centimetres either way round the limit, or metres to kilometres.
OUTER_M = st.floats(50.0, 2_000.0) | st.floats(2_000.0, 100_000.0)
CENTRES_APART_M = st.sampled_from([0.0]) | st.floats(0.0, 5.0) | st.floats(5.0, 1_000.0)
GAPS_M = st.floats(-0.05, 0.05) | st.floats(-100.0, 100.0) | st.floats(-10_000.0, 10_000.0)
HOW = st.sampled_from(["in the hole", "holding it in its hole", "outside", "anywhere"])


def _ring(origin: LonLat, outer_m: float, inner_m: float, start_deg: float) -> Sector:
    return Sector(origin, outer_m, inner_m, start_deg, start_deg)


def _round(origin: LonLat, outer_m: float, inner_m: float, start_deg: float) -> Shape:
    """A ring, or a circle when it has no hole."""
    if inner_m <= 0.0:
        return Circle(origin, outer_m)
    return _ring(origin, outer_m, inner_m, start_deg)


@st.composite
def ring_pairs(draw: st.DrawFn) -> tuple[Sector, Shape, str]:
    """A ring anywhere, and a ring or circle placed against it as `HOW` says."""
    origin = draw(anchors())
    clear = 0.8 * pole_distance_m(origin)
    outer = min(draw(OUTER_M), clear)
    inner = draw(st.floats(0.05, 0.95)) * outer
    first = _ring(origin, outer, inner, draw(st.floats(0.0, 360.0)))
    apart = draw(CENTRES_APART_M)
    centre = moved(origin, draw(st.floats(0.0, 360.0)), apart)
    gap = draw(GAPS_M)
    how = draw(HOW)
    hole = draw(st.sampled_from([0.0]) | st.floats(0.0, 0.95))
    if how == "in the hole":  # its outer circle `gap` inside the first's hole
        second_outer = inner - apart - gap
        second_inner = hole * second_outer
    elif how == "holding it in its hole":  # the first `gap` inside its hole
        second_inner = outer + apart + gap
        second_outer = second_inner / draw(st.floats(0.05, 0.95))
    elif how == "outside":  # centres far enough apart for `gap` between the outer circles
        second_outer = min(draw(OUTER_M), clear)
        second_inner = hole * second_outer
        apart = outer + second_outer + gap
        centre = moved(origin, draw(st.floats(0.0, 360.0)), max(apart, 0.0))
    else:
        second_outer = min(draw(OUTER_M), clear)
        second_inner = hole * second_outer
    if not 1.0 <= second_outer <= clear or second_inner >= second_outer:
        reject()
    second = _round(centre, second_outer, second_inner, draw(st.floats(0.0, 360.0)))
    try:
        resolve(first), resolve(second)
    except ShapeError:
        reject()  # too near a pole to be built
    return first, second, how


@given(data=st.data())
@EVERY_PAIR
def test_a_ring_against_a_ring_or_circle_is_decided_like_the_oracle(data: st.DataObject) -> None:
    first, second, _ = data.draw(ring_pairs(), label="pair")
    assert_decides_like_the_oracle(first, second, data.draw(FRACTIONS, label="limit fraction"))


def _extreme_m(origin: LonLat, circle: tuple[LonLat, float], farthest: bool) -> float:
    """The farthest (or nearest) any point of the circle (centre, radius) lies from `origin`,
    sampled on the circle every tenth of a degree, then about the best sample a hundred and
    ten thousand times finer: a distance attained, micrometres from the extreme at most
    for the shapes drawn here."""
    (lon0, lat0), radius_m = circle
    azimuths = np.arange(0, 3600) * 0.1
    for step in (0.001, 0.00001, None):
        count = azimuths.size
        lon, lat, _ = GEOD.fwd(
            np.full(count, lon0), np.full(count, lat0), azimuths, np.full(count, radius_m)
        )
        _, _, apart = GEOD.inv(np.full(count, origin[0]), np.full(count, origin[1]), lon, lat)
        best = int(np.argmax(apart) if farthest else np.argmin(apart))
        if step is None:
            return float(apart[best])
        azimuths = float(azimuths[best]) + np.arange(-1000, 1001) * step
    raise AssertionError("unreachable")


def _rounded(shape: Shape) -> tuple[LonLat, float, float]:
    """Centre, inner and outer radius of a ring or a circle."""
    if isinstance(shape, Circle):
        return shape.centre, 0.0, shape.radius_m
    assert isinstance(shape, Sector)
    return shape.origin, shape.inner_m, shape.outer_m


def _by_definition_m(a: Shape, b: Shape) -> float:
    """The distance between two rounds apart or one in the other's hole, from the
    definitions: the hole's radius less the farthest point of the other's outer circle
    from its centre, or the nearest point of one's outer circle from the other's centre
    less its outer radius (where that centre lies beyond the circle); 0 otherwise."""
    (centre_a, inner_a, outer_a), (centre_b, inner_b, outer_b) = _rounded(a), _rounded(b)
    found = [0.0]
    for (c, inner, outer), (other_c, other_outer) in (
        ((centre_a, inner_a, outer_a), (centre_b, outer_b)),
        ((centre_b, inner_b, outer_b), (centre_a, outer_a)),
    ):
        found.append(inner - _extreme_m(c, (other_c, other_outer), farthest=True))
        if geodesic_m(c, other_c) > other_outer:
            found.append(_extreme_m(c, (other_c, other_outer), farthest=False) - outer)
    return max(found)


@given(data=st.data())
@EVERY_PAIR
def test_a_round_in_a_rings_hole_or_beside_it_is_as_far_as_the_definition_says(
    data: st.DataObject,
) -> None:
    first, second, _ = data.draw(ring_pairs(), label="pair")
    expected = _by_definition_m(first, second)
    for a, b in ((first, second), (second, first)):
        found = geodesic_distance_m(a, b)
        # Never above the distance attained by the samples; below it by no more than a
        # millimetre (the samples come within micrometres of the extremes).
        assert expected - 1e-3 <= found <= expected + 1e-6, (found, expected)
        if expected > 1e-3:
            assert distance_within_m(a, b, expected - 1e-3) is None
        assert distance_within_m(a, b, expected + 1e-6) == pytest.approx(found, abs=0.0)


# Two rings a few metres off concentric, nested by a centimetre either side, at 80 degrees
# north and across the antimeridian.
HIGH = (179.9999, 80.0)


@pytest.mark.parametrize("gap_m", [0.01, -0.01])
def test_rings_nested_a_centimetre_apart_across_the_antimeridian_near_the_pole(
    gap_m: float,
) -> None:
    outer = _ring(HIGH, 60_000.0, 30_000.0, 45.0)
    apart = 3.0
    centre = moved(HIGH, 100.0, apart)
    inner = _ring(centre, 30_000.0 - apart - gap_m, 10_000.0, 0.0)
    assert centre[0] < 0.0  # across the antimeridian
    assert geodesic_m(HIGH, centre) == pytest.approx(apart, abs=1e-6)
    found = [distance_within_m(outer, inner, 0.0), distance_within_m(inner, outer, 0.0)]
    if gap_m > 0:
        assert found == [None, None]
        assert geodesic_distance_m(outer, inner) == pytest.approx(gap_m, abs=1e-6)
    else:
        assert found == [0.0, 0.0]


def test_a_point_on_a_ring_s_inner_edge_is_at_zero_not_at_the_inverse_problem_s_rounding() -> None:
    # The point a forward solve puts 7.5 m north of the centre lies on the inner edge; its
    # inverse comes back some 1e-13 m short, which is touching, not a gap.
    ring = Sector((0.0, 0.0), outer_m=10.0, inner_m=7.5, from_deg=0.0, to_deg=0.0)
    on_edge = Circle((0.0, 6.782771077877834e-05))
    assert geodesic_distance_m(ring, on_edge) == 0.0
    assert distance_within_m(ring, on_edge, 0.0) == 0.0
