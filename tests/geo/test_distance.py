"""Geodesic distance between shapes: worked cases, then the engine against a brute-force oracle."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deconflict.geo.construct import resolve
from deconflict.geo.distance import distance_within_m, geodesic_distance_m
from deconflict.geo.shapes import Area, Circle, Corridor, Shape
from tests.oracle import (
    GEOD,
    OracleDistance,
    anchors,
    areas,
    circles,
    core_edges,
    corridors,
    geodesic_m,
    hugging,
    moved,
    nearby,
    oracle_bounds,
    oracle_distance_m,
    rectangle,
    sizes_km,
)

AT_TANF = (38.64, 33.50)
ZONE_RADIUS_M = 55_000.0
STRIKE_RADIUS_M = 1_500.0
EXACT_M = 1e-6


def _zone_and_strike(gap_m: float) -> tuple[Circle, Circle]:
    """The At Tanf zone and a strike circle whose edge is `gap_m` outside the zone's edge."""
    centre = moved(AT_TANF, 60.0, ZONE_RADIUS_M + STRIKE_RADIUS_M + gap_m)
    return Circle(AT_TANF, ZONE_RADIUS_M), Circle(centre, STRIKE_RADIUS_M)


# Worked cases --------------------------------------------------------------------------------


def test_strike_30m_outside_zone_is_not_within_a_zero_buffer() -> None:
    zone, strike = _zone_and_strike(30.0)
    assert geodesic_distance_m(zone, strike) == pytest.approx(30.0, abs=EXACT_M)
    assert distance_within_m(zone, strike, 0.0) is None
    assert distance_within_m(zone, strike, 29.9) is None


def test_strike_30m_inside_zone_is_within_a_zero_buffer() -> None:
    zone, strike = _zone_and_strike(-30.0)
    assert geodesic_distance_m(zone, strike) == 0.0
    assert distance_within_m(zone, strike, 0.0) == 0.0


def test_strike_30m_outside_zone_is_within_a_30m_buffer() -> None:
    zone, strike = _zone_and_strike(30.0)
    assert distance_within_m(zone, strike, 30.01) == pytest.approx(30.0, abs=EXACT_M)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Circle((38.64, 33.5), 55_000.0), Circle((39.5, 33.9), 1_500.0)),
        (Circle((-75.0, 40.0)), Circle((139.7, 35.7))),  # across most of the globe
        (Circle((0.0, 0.0), 10.0), Circle((179.5, 0.3), 20.0)),  # near-antipodal
        (Circle((12.0, -89.9), 100.0), Circle((-168.0, -89.9), 100.0)),  # over the south pole
    ],
)
def test_circle_distance_is_the_geodesic_between_centres_less_both_radii(
    first: Circle, second: Circle
) -> None:
    expected = geodesic_m(first.centre, second.centre) - first.radius_m - second.radius_m
    assert geodesic_distance_m(first, second) == pytest.approx(expected, abs=EXACT_M)


def test_circle_over_the_north_pole_reaches_a_point_on_the_other_side() -> None:
    circle = Circle((10.0, 89.95), 5_000.0)
    point = Circle((-170.0, 89.95))  # the same parallel, across the pole
    across = geodesic_m(circle.centre, point.centre)
    assert across == pytest.approx(2 * geodesic_m((0.0, 89.95), (0.0, 90.0)), rel=1e-9)
    assert geodesic_distance_m(circle, point) == pytest.approx(across - 5_000.0, abs=EXACT_M)
    assert distance_within_m(circle, point, across - 5_000.0 - 1.0) is None


def test_circle_centred_on_the_pole_holds_points_at_every_longitude() -> None:
    pole = Circle((0.0, 90.0), 12_000.0)
    for lon in (-180.0, -90.0, 0.0, 45.0, 180.0):
        assert geodesic_distance_m(pole, Circle((lon, 89.9))) == 0.0
    outside = Circle((123.0, 89.8))
    expected = geodesic_m((0.0, 90.0), outside.centre) - 12_000.0
    assert geodesic_distance_m(pole, outside) == pytest.approx(expected, abs=EXACT_M)


def test_circles_either_side_of_the_antimeridian_are_near() -> None:
    east, west = Circle((179.99, 10.0), 300.0), Circle((-179.99, 10.0), 400.0)
    expected = geodesic_m(east.centre, west.centre) - 700.0
    assert 1_000.0 < expected < 1_500.0  # 0.02 degrees of longitude, not 359.98
    assert geodesic_distance_m(east, west) == pytest.approx(expected, abs=EXACT_M)
    assert distance_within_m(east, west, expected + 0.001) == pytest.approx(expected, abs=EXACT_M)


# An area split at the antimeridian, as RFC 7946 asks: 179..180 and -180..-179, lat -1..1.
SPLIT_AREA = Area(((rectangle(179.0, -1.0, 180.0, 1.0),), (rectangle(-180.0, -1.0, -179.0, 1.0),)))
EAST_ONLY_AREA = Area(((rectangle(179.0, -1.0, 180.0, 1.0),),))


def test_point_just_across_the_seam_inside_a_split_area_is_at_zero() -> None:
    assert geodesic_distance_m(SPLIT_AREA, Circle((-179.9995, 0.5))) == 0.0
    assert geodesic_distance_m(SPLIT_AREA, Circle((179.9995, 0.5))) == 0.0
    assert geodesic_distance_m(SPLIT_AREA, Circle((180.0, 0.0))) == 0.0


def test_point_just_across_the_seam_from_an_area_is_metres_away_not_the_globe() -> None:
    point = Circle((-179.999, 0.25))
    expected = geodesic_m((180.0, 0.25), point.centre)  # straight west to the seam edge
    assert 100.0 < expected < 120.0
    assert geodesic_distance_m(EAST_ONLY_AREA, point) == pytest.approx(expected, abs=1e-3)


def test_point_north_of_a_split_area_is_measured_to_the_nearer_half() -> None:
    point = Circle((-179.9995, 1.001))
    expected = geodesic_m((-179.9995, 1.0), point.centre)  # the nearest parallel, due south
    assert geodesic_distance_m(SPLIT_AREA, point) == pytest.approx(expected, abs=1e-3)


HOLED_AREA = Area(((rectangle(0.0, 0.0, 1.0, 1.0), rectangle(0.4, 0.4, 0.6, 0.6)),))


def test_point_inside_a_hole_is_at_the_distance_to_the_hole_ring() -> None:
    point = Circle((0.5, 0.5))
    # Nearest is the parallel at 0.4 (a meridian arc), not the meridians at 0.4 and 0.6.
    expected = geodesic_m((0.5, 0.5), (0.5, 0.4))
    assert geodesic_distance_m(HOLED_AREA, point) == pytest.approx(expected, abs=1e-3)
    assert distance_within_m(HOLED_AREA, point, expected - 1.0) is None


def test_point_in_the_ring_material_of_a_holed_area_is_at_zero() -> None:
    assert geodesic_distance_m(HOLED_AREA, Circle((0.2, 0.2))) == 0.0
    assert geodesic_distance_m(HOLED_AREA, Circle((0.4, 0.5))) == 0.0  # on the hole's edge


def test_circle_reaching_out_of_a_hole_touches_the_area() -> None:
    radius = geodesic_m((0.5, 0.5), (0.5, 0.4)) + 1.0
    assert geodesic_distance_m(HOLED_AREA, Circle((0.5, 0.5), radius)) == 0.0


def test_crossing_corridors_are_at_zero() -> None:
    first = Corridor(((10.0, 10.0), (11.0, 11.0)), 0.0)
    second = Corridor(((10.0, 11.0), (11.0, 10.0)), 0.0)
    assert geodesic_distance_m(first, second) == 0.0


def test_parallel_corridors_are_the_meridian_arc_apart_less_both_half_widths() -> None:
    # Two parallels of latitude are equidistant along their whole length.
    first = Corridor(((20.0, 10.0), (20.8, 10.0)), 150.0)
    second = Corridor(((20.2, 10.05), (21.0, 10.05)), 250.0)
    expected = geodesic_m((20.5, 10.0), (20.5, 10.05)) - 400.0
    assert geodesic_distance_m(first, second) == pytest.approx(expected, abs=1e-3)
    assert distance_within_m(first, second, expected - 0.5) is None


def test_corridor_round_a_pole_is_its_meridian_arc_from_the_pole() -> None:
    # Straight in lon/lat, this path is a small circle of latitude round the pole.
    corridor = Corridor(((-170.0, 89.5), (170.0, 89.5)), 1_000.0)
    expected = geodesic_m((0.0, 90.0), (0.0, 89.5)) - 1_000.0
    assert geodesic_distance_m(corridor, Circle((0.0, 90.0))) == pytest.approx(expected, abs=1e-3)


def test_corridor_round_a_pole_takes_the_literal_longitudes() -> None:
    # From -170 east to 170 the path skips the 20 degrees either side of 180.
    corridor = Corridor(((-170.0, 89.5), (170.0, 89.5)), 0.0)
    assert geodesic_distance_m(corridor, Circle((0.0, 89.5))) == pytest.approx(0.0, abs=1e-3)
    gap = Circle((180.0, 89.5))
    expected = geodesic_m((170.0, 89.5), gap.centre)
    assert expected > 9_000.0
    assert geodesic_distance_m(corridor, gap) == pytest.approx(expected, abs=1e-3)


def test_corridor_up_to_the_pole_is_measured_across_it_to_the_far_side() -> None:
    first = Corridor(((0.0, 89.0), (0.0, 90.0)), 0.0)
    second = Corridor(((180.0, 89.9), (180.0, 89.0)), 0.0)
    expected = geodesic_m((0.0, 90.0), (180.0, 89.9))  # pole to the nearer end
    assert geodesic_distance_m(first, second) == pytest.approx(expected, abs=1e-3)


# Regressions: between two sets of edges an earlier engine sampled one set every kilometre and
# looked for a minimum only where the slope turned between samples, so it missed a vertex of
# the other set beside the middle of a short edge (it reported 11.6 m for ZIGZAG, 33.5 m for
# the pair at the south pole).
SHORT_CORRIDOR = Corridor(((0.0, 0.0), (0.005, 0.0)))  # about 557 m along the equator
ZIGZAG = Corridor(((0.002, 0.00005), (0.002, 0.01), (0.0051, 0.00003)))
# Found by the property tests below: a corridor and a triangle 27.06 m apart at the south pole.
FOUND_AT_THE_SOUTH_POLE = (
    Corridor(
        (
            (173.69039512822602, -90.0),
            (170.7487297365698, -89.99938430853244),
            (180.0, -89.99437905459314),
            (180.0, -89.9863591395364),
            (163.9901528045287, -89.999),
        )
    ),
    Area(
        (
            (
                (
                    (-179.09821280658667, -89.99687683989661),
                    (-172.67734931445491, -89.98670111441226),
                    (-173.2155599463878, -89.9879235635558),
                    (-179.09821280658667, -89.99687683989661),
                ),
            ),
        )
    ),
)


def test_vertex_beside_the_middle_of_a_short_corridor_is_found() -> None:
    # ZIGZAG's first vertex is 5.5 m north of the middle of SHORT_CORRIDOR; its last
    # vertex is 11.6 m from SHORT_CORRIDOR's end.
    expected = geodesic_m((0.002, 0.00005), (0.002, 0.0))
    assert geodesic_distance_m(ZIGZAG, SHORT_CORRIDOR) == pytest.approx(expected, abs=1e-3)
    assert distance_within_m(ZIGZAG, SHORT_CORRIDOR, 10.0) == pytest.approx(expected, abs=1e-3)


# The oracle itself, against the plainest brute force there is ----------------------------------


def _dense_points(shape: Shape, step_m: float) -> np.ndarray:
    """The core's edges sampled at most `step_m` apart (linear in lon/lat)."""
    points = []
    for p, q in core_edges(shape):
        t = np.linspace(0.0, 1.0, 201)
        lons, lats = p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])
        n = max(1, math.ceil(GEOD.line_length(lons, lats) / step_m))
        t = np.linspace(0.0, 1.0, n + 1)
        points.append(np.column_stack([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]))
    return np.concatenate(points)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (ZIGZAG, SHORT_CORRIDOR),
        FOUND_AT_THE_SOUTH_POLE,
        (Corridor(((179.99, 0.0), (180.0, 0.01))), Circle((-179.995, 0.0), 10.0)),
    ],
)
def test_oracle_agrees_with_every_pair_of_points_2m_apart(a: Shape, b: Shape) -> None:
    step_m = 2.0
    first, second = _dense_points(a, step_m), _dense_points(b, step_m)
    i, j = np.meshgrid(np.arange(len(first)), np.arange(len(second)), indexing="ij")
    lon1, lat1 = first[i.ravel()].T
    lon2, lat2 = second[j.ravel()].T
    reach_m = resolve(a).reach_m + resolve(b).reach_m
    dense = max(0.0, float(np.min(GEOD.inv(lon1, lat1, lon2, lat2)[2])) - reach_m)
    oracle = oracle_bounds(a, b)
    # Dense sampling overestimates by up to a step; the oracle brackets the truth.
    assert oracle.lower_m <= dense <= oracle.distance_m + step_m
    core_m = oracle.distance_m + reach_m
    assert oracle.resolution_m <= max(0.01, 1e-5 * core_m)


# The engine against the oracle ---------------------------------------------------------------

POINT_KINDS = [circles]
# Strategies of shapes, each called with (anchor, size in km).
Kinds = list[Callable[..., st.SearchStrategy[Any]]]
EDGE_KINDS: Kinds = [corridors, areas]
ALL_KINDS = [circles, corridors, areas]
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def pairs(
    draw: st.DrawFn, first_kinds: Kinds, second_kinds: Kinds, max_km: float
) -> tuple[Shape, Shape]:
    """Two shapes of comparable size near one another, often near a pole or the antimeridian.

    With `EDGE_KINDS` second, half the time the second runs beside the first, within
    metres to kilometres of it (where a search that samples every kilometre can slip).
    """
    scale_km = draw(sizes_km(max_km))
    anchor = draw(anchors())
    first = draw(draw(st.sampled_from(first_kinds))(anchor, scale_km))
    if second_kinds == EDGE_KINDS and draw(st.booleans()):
        offset_m = draw(st.floats(0.0, 1000.0 * min(scale_km, 2.0)))
        return first, draw(hugging(first, offset_m))
    other = draw(nearby(anchor, scale_km))
    return first, draw(draw(st.sampled_from(second_kinds))(other, scale_km))


def _tolerance_m(a: Shape, b: Shape, oracle: OracleDistance) -> float:
    """Allowed disagreement: max(2 m, 0.01 %), 0.1 % with an area, plus the oracle's resolution."""
    relative = 1e-3 if isinstance(a, Area) or isinstance(b, Area) else 1e-4
    return max(2.0, relative * oracle.distance_m) + oracle.resolution_m


def _assert_not_below_oracle(a: Shape, b: Shape, engine: float, oracle: OracleDistance) -> None:
    # Below the truth would report conflicts that are not there.
    assert engine >= oracle.lower_m - _tolerance_m(a, b, oracle), (
        f"engine {engine!r} m, oracle {oracle}"
    )


def _assert_not_above_oracle(a: Shape, b: Shape, engine: float, oracle: OracleDistance) -> None:
    # Above the truth would miss conflicts.
    assert engine <= oracle.distance_m + _tolerance_m(a, b, oracle), (
        f"engine {engine!r} m, oracle {oracle}"
    )


@given(st.tuples(anchors(), anchors()), st.floats(0.0, 600_000.0), st.floats(0.0, 600_000.0))
@settings(max_examples=200, deadline=None)
@example(((179.99, 0.0), (-179.99, 0.0)), 0.0, 0.0)
@example(((0.0, 90.0), (180.0, 89.0)), 1.0, 2.0)
@example(((-180.0, -90.0), (180.0, 90.0)), 0.0, 0.0)
def test_circle_distance_is_the_exact_geodesic_less_radii_everywhere(
    centres: tuple[tuple[float, float], tuple[float, float]], r1: float, r2: float
) -> None:
    first, second = Circle(centres[0], r1), Circle(centres[1], r2)
    expected = max(0.0, geodesic_m(*centres) - r1 - r2)
    assert geodesic_distance_m(first, second) == pytest.approx(expected, abs=EXACT_M)


@given(pairs(POINT_KINDS, EDGE_KINDS, 1000.0))
@settings(PROPERTY, max_examples=300)
@example((Circle((0.0, 89.5)), Corridor(((-170.0, 89.5), (170.0, 89.5)))))
@example((Circle((-179.999, 0.25)), EAST_ONLY_AREA))
@example((Circle((0.5, 0.5), 100.0), HOLED_AREA))
def test_distance_from_a_circle_matches_the_oracle(pair: tuple[Shape, Shape]) -> None:
    a, b = pair
    oracle = oracle_bounds(a, b)
    for engine in (geodesic_distance_m(a, b), geodesic_distance_m(b, a)):
        _assert_not_below_oracle(a, b, engine, oracle)
        _assert_not_above_oracle(a, b, engine, oracle)


@given(pairs(EDGE_KINDS, EDGE_KINDS, 300.0))
@PROPERTY
@example((SPLIT_AREA, Corridor(((-180.0, 1.01), (-179.5, 1.01)))))
@example((Corridor(((0.0, 89.0), (0.0, 90.0))), Corridor(((180.0, 89.9), (180.0, 89.0)))))
@example((ZIGZAG, SHORT_CORRIDOR))
@example(FOUND_AT_THE_SOUTH_POLE)
def test_distance_between_corridors_and_areas_matches_the_oracle(
    pair: tuple[Shape, Shape],
) -> None:
    a, b = pair
    oracle = oracle_bounds(a, b)
    engine = geodesic_distance_m(a, b)
    _assert_not_below_oracle(a, b, engine, oracle)
    _assert_not_above_oracle(a, b, engine, oracle)


@given(pairs(ALL_KINDS, ALL_KINDS, 200.0))
@PROPERTY
def test_distance_does_not_depend_on_the_order_of_the_shapes(pair: tuple[Shape, Shape]) -> None:
    a, b = pair
    assert geodesic_distance_m(a, b) == pytest.approx(geodesic_distance_m(b, a), abs=1e-3)


def _limit_near(oracle: OracleDistance, fraction: float, shift_m: float) -> float:
    return max(0.0, fraction * oracle.distance_m + shift_m)


def _assert_within_is_none_when_clearly_beyond(
    a: Shape, b: Shape, limit: float, oracle: OracleDistance
) -> None:
    within = distance_within_m(a, b, limit)
    if oracle.lower_m > limit + _tolerance_m(a, b, oracle):
        assert within is None, f"limit {limit!r} m, oracle {oracle}, engine {within!r}"
    if within is not None:
        assert within <= limit
        _assert_not_below_oracle(a, b, within, oracle)


def _assert_within_is_found_when_clearly_within(
    a: Shape, b: Shape, limit: float, oracle: OracleDistance
) -> None:
    within = distance_within_m(a, b, limit)
    if oracle.distance_m < limit - _tolerance_m(a, b, oracle):
        assert within is not None, f"limit {limit!r} m, oracle {oracle}"
        _assert_not_above_oracle(a, b, within, oracle)


LIMIT_FRACTIONS = st.floats(0.0, 2.0)
LIMIT_SHIFTS = st.floats(-50.0, 50.0)


@given(pairs(POINT_KINDS, ALL_KINDS, 1000.0), LIMIT_FRACTIONS, LIMIT_SHIFTS)
@settings(PROPERTY, max_examples=300)
def test_distance_within_a_limit_from_a_circle_agrees_with_the_oracle(
    pair: tuple[Shape, Shape], fraction: float, shift_m: float
) -> None:
    a, b = pair
    oracle = oracle_bounds(a, b)
    limit = _limit_near(oracle, fraction, shift_m)
    _assert_within_is_none_when_clearly_beyond(a, b, limit, oracle)
    _assert_within_is_found_when_clearly_within(a, b, limit, oracle)


@given(pairs(EDGE_KINDS, EDGE_KINDS, 300.0), LIMIT_FRACTIONS, LIMIT_SHIFTS)
@PROPERTY
@example((ZIGZAG, SHORT_CORRIDOR), 1.0, 4.0)
@example(FOUND_AT_THE_SOUTH_POLE, 1.0, 1.0)
def test_distance_within_a_limit_between_corridors_and_areas_agrees_with_the_oracle(
    pair: tuple[Shape, Shape], fraction: float, shift_m: float
) -> None:
    a, b = pair
    oracle = oracle_bounds(a, b)
    limit = _limit_near(oracle, fraction, shift_m)
    _assert_within_is_none_when_clearly_beyond(a, b, limit, oracle)
    _assert_within_is_found_when_clearly_within(a, b, limit, oracle)


def test_a_route_edge_going_the_long_way_round_is_refused_with_the_fix() -> None:
    from deconflict.geo.geojson import parse_shape

    shape, problems = parse_shape(
        {"type": "LineString", "coordinates": [[179.99, 10.0], [-179.99, 10.0]]},
        {"half_width_m": 500},
        "route",
    )
    assert shape is None
    assert problems[0].field == "geometry.coordinates[1]"
    assert "split the route at 180" in problems[0].message


def test_long_edges_are_searched_in_bounded_batches_with_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import deconflict.geo.distance as distance

    first = Corridor(((0.0, 10.0), (2.0, 10.0)))
    second = Corridor(((0.0, 10.001), (2.0, 10.002)))
    whole = geodesic_distance_m(first, second)
    monkeypatch.setattr(distance, "_MAX_SAMPLES_PER_BATCH", 500)
    assert geodesic_distance_m(first, second) == pytest.approx(whole, abs=1e-6)
    assert 100 < whole < 120


@st.composite
def _neighbouring_edges(draw: st.DrawFn) -> tuple[Corridor, Corridor]:
    """Two single lon/lat-straight edges side by side, kilometres long and slightly askew: they
    bow on the ellipsoid (along a parallel most of all), so their least distance lies inside
    both, where the walk along one edge settles on its floor."""
    lat = draw(st.floats(-85.0, 85.0))
    lon = draw(st.floats(-179.0, 170.0))
    length_deg = draw(st.floats(0.02, 1.0))
    apart_deg = draw(st.floats(1e-5, 0.2))
    first = ((lon, lat), (lon + length_deg, lat + draw(st.floats(-1e-3, 1e-3))))
    shift = draw(st.floats(-0.5, 0.5)) * length_deg
    second = (
        (lon + shift, lat + apart_deg),
        (lon + shift + length_deg, lat + apart_deg + draw(st.floats(-1e-3, 1e-3))),
    )
    return Corridor(first), Corridor(second)


@settings(max_examples=40, deadline=None)
@given(_neighbouring_edges(), st.floats(-1.0, 1.0))
def test_the_walk_inside_both_edges_settled_by_its_floor_finds_the_least_distance(
    pair: tuple[Corridor, Corridor], misguided: float
) -> None:
    """Started from a poor guess, the walk must still reach the least distance: a floor that
    claimed too much would stop it short, at a distance too large."""
    import deconflict.geo.distance as distance
    from deconflict.geo.hierarchy import Closest, segment_closest

    first, second = pair
    narrowed = geodesic_distance_m(first, second)  # from the chords' closest points
    unbounded = distance._walking_bend_m

    def poor_guess(*ends: Any) -> Closest:
        closest = segment_closest(*ends)
        along = np.clip(closest.along_first + misguided, 0.0, 1.0)
        return Closest(closest.gap_m, along, closest.along_second)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(distance, "segment_closest", poor_guess)
        settled = geodesic_distance_m(first, second)
        patch.setattr(distance, "_walking_bend_m", lambda *a: np.full(a[1].size, np.inf))
        without_floor = geodesic_distance_m(first, second)
    assert distance._walking_bend_m is unbounded
    # The floor stops a walk only once nothing left in it beats what it found by 0.1 mm.
    assert settled == pytest.approx(without_floor, abs=2e-4)
    assert settled == pytest.approx(narrowed, abs=2e-4)
    # And the least distance is never overstated, checked against the oracle.
    assert settled <= oracle_distance_m(first, second) + 2e-4
