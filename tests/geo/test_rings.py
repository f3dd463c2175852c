"""A full ring against another ring or a circle: decided from their centres alone.

The engine takes the distance between two rounds (a sector over the whole circle with
an inner radius, or a circle) as the largest of r - R' - e, r' - R - e, e - R - R' and 0
(`geo/distance.py`, `_beside_a_ring_m`). Here that is held to the brute-force oracle
(`tests/oracle.py`, from the shapes' definitions) as every other pair is, and, where one
lies in the other's hole, to the definition itself at the millimetre: the hole's radius
less the farthest point of the inner shape from the ring's centre, that farthest point
found by sampling the inner shape's outer circle densely with `pyproj.Geod`.

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


def _farthest_m(origin: LonLat, circle_centre: LonLat, radius_m: float) -> float:
    """The farthest any point of the circle (centre, radius) lies from `origin`, sampled on
    the circle every tenth of a degree, then about the farthest sample a hundred and ten
    thousand times finer: an attained distance, micrometres short at most for the shapes
    drawn here."""
    azimuths = np.arange(0, 3600) * 0.1
    for step in (0.001, 0.00001, None):
        count = azimuths.size
        lon, lat, _ = GEOD.fwd(
            np.full(count, circle_centre[0]),
            np.full(count, circle_centre[1]),
            azimuths,
            np.full(count, radius_m),
        )
        _, _, far = GEOD.inv(np.full(count, origin[0]), np.full(count, origin[1]), lon, lat)
        if step is None:
            return float(np.max(far))
        azimuths = float(azimuths[int(np.argmax(far))]) + np.arange(-1000, 1001) * step
    raise AssertionError("unreachable")


def _outer_circle(shape: Shape) -> tuple[LonLat, float]:
    if isinstance(shape, Circle):
        return shape.centre, shape.radius_m
    assert isinstance(shape, Sector)
    return shape.origin, shape.outer_m


@given(data=st.data())
@EVERY_PAIR
def test_a_round_in_a_rings_hole_is_the_hole_less_its_farthest_point(
    data: st.DataObject,
) -> None:
    first, second, how = data.draw(ring_pairs(), label="pair")
    if how not in ("in the hole", "holding it in its hole"):
        reject()
    ring, inside = (first, second) if how == "in the hole" else (second, first)
    assert isinstance(ring, Sector)
    centre, radius = _outer_circle(inside)
    expected = max(0.0, ring.inner_m - _farthest_m(ring.origin, centre, radius))
    for a, b in ((first, second), (second, first)):
        found = geodesic_distance_m(a, b)
        # Never above the distance attained by the samples; below it by no more than a
        # millimetre (the samples come within micrometres of the farthest point).
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
