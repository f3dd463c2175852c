"""The index boxes: every point within d metres of a shape lies in the shape's box grown by d."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deconflict.geo.boxes import Box3, reach_box
from deconflict.geo.construct import resolve
from deconflict.geo.ellipsoid import ecef_m
from deconflict.geo.shapes import Area, Circle, Corridor, Shape
from tests.oracle import (
    anchors,
    geodesic_m,
    moved,
    oracle_bounds,
    points_near,
    rectangle,
    shapes,
    sizes_km,
)


def _holds(box: Box3, point: tuple[float, float]) -> bool:
    xyz = ecef_m(*point)
    return all(low <= v <= high for low, v, high in zip(box.low, xyz, box.high, strict=True))


def _around(centre: tuple[float, float], distance_m: float) -> list[tuple[float, float]]:
    """Points at `distance_m` from `centre` every 15 degrees of azimuth."""
    return [moved(centre, azimuth, distance_m) for azimuth in range(-180, 180, 15)]


def test_box_of_a_circle_on_the_pole_holds_its_rim_and_the_buffer_beyond() -> None:
    circle = Circle((0.0, 90.0), 10_000.0)
    box = reach_box(circle, extra_m=2_000.0)
    assert all(_holds(box, p) for p in _around((0.0, 90.0), 12_000.0))
    assert not _holds(box, (0.0, 89.0))  # 111 km away


def test_box_of_a_circle_on_the_antimeridian_holds_both_sides() -> None:
    box = reach_box(Circle((180.0, 0.0), 5_000.0))
    assert _holds(box, (-179.97, 0.0))
    assert _holds(box, (179.97, 0.0))
    assert not _holds(box, (-179.9, 0.0))  # 11 km away


def test_box_of_an_area_split_at_the_antimeridian_holds_points_across_the_seam() -> None:
    area = Area(((rectangle(179.0, -1.0, 180.0, 1.0),), (rectangle(-180.0, -1.0, -179.0, 1.0),)))
    box = reach_box(area, extra_m=1_000.0)
    for point in [(179.5, 0.0), (-179.5, 0.0), (180.0, 1.0), (-178.995, 0.0), (178.995, -1.0)]:
        assert _holds(box, point)
    assert not _holds(box, (0.0, 0.0))


def test_box_of_a_corridor_holds_its_whole_width_along_the_path() -> None:
    corridor = Corridor(((10.0, 45.0), (11.0, 45.5), (12.0, 45.0)), 3_000.0)
    box = reach_box(corridor, extra_m=500.0)
    for vertex in corridor.path:
        assert all(_holds(box, p) for p in _around(vertex, 3_500.0))


def test_box_of_a_small_area_is_small() -> None:
    # The index is only as good as its boxes are tight: no wider than the area's
    # diagonal (about 1.5 km) and the reach on either side.
    area = Area(((rectangle(30.0, 30.0, 30.01, 30.01),),))
    box = reach_box(area, extra_m=100.0)
    extent = [high - low for low, high in zip(box.low, box.high, strict=True)]
    diagonal_m = geodesic_m((30.0, 30.0), (30.01, 30.01))
    assert max(extent) < diagonal_m + 2 * 100.0 + 1.0


@st.composite
def shapes_and_nearby_points(draw: st.DrawFn) -> tuple[Shape, tuple[float, float]]:
    """A shape and a point within a few kilometres beyond its reach, or inside it."""
    shape = draw(shapes(draw(anchors()), draw(sizes_km(1000.0))))
    if isinstance(shape, Area) and draw(st.booleans()):
        low_lon, low_lat, high_lon, high_lat = shape.planar.bounds
        lon = draw(st.floats(low_lon, high_lon))
        lat = draw(st.floats(low_lat, high_lat))
        return shape, (lon, lat)
    beyond_m = draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 5_000.0))
    return shape, draw(points_near(shape, resolve(shape).reach_m + beyond_m))


@given(shapes_and_nearby_points())
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@example((Circle((0.0, 90.0), 1_000.0), (123.0, 89.99)))
@example((Corridor(((179.0, 89.0), (180.0, 89.0)), 10.0), (-179.9, 89.0)))
@example((Area(((rectangle(-180.0, 85.0, 180.0, 90.0),),)), (0.0, 84.99)))
def test_every_point_within_d_of_a_shape_lies_in_its_box_grown_by_d(
    shape_and_point: tuple[Shape, tuple[float, float]],
) -> None:
    shape, point = shape_and_point
    # The oracle's distance is attained, so never below the truth: the point is within it.
    distance_m = oracle_bounds(shape, Circle(point)).distance_m
    box = reach_box(shape, extra_m=distance_m)
    assert _holds(box, point), f"{point} at {distance_m} m, box {box}"


@pytest.mark.parametrize("extra_m", [0.0, 1.0, 10_000.0])
def test_box_of_a_polar_cap_holds_the_pole_and_its_rim(extra_m: float) -> None:
    cap = Area(((rectangle(-180.0, 80.0, 180.0, 90.0),),))
    box = reach_box(cap, extra_m=extra_m)
    assert _holds(box, (0.0, 90.0))
    assert all(_holds(box, (lon, 80.0)) for lon in range(-180, 181, 30))
    assert shapely.Point(0.0, 85.0).within(cap.planar)


def test_the_gap_between_boxes_is_the_straight_line_between_their_nearest_corners() -> None:
    a = Box3((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    assert a.gap_m(Box3((4.0, 5.0, 1.0), (6.0, 7.0, 2.0))) == 5.0
    assert a.gap_m(Box3((0.5, 0.5, 0.5), (3.0, 3.0, 3.0))) == 0.0
    assert Box3((4.0, 5.0, 1.0), (6.0, 7.0, 2.0)).gap_m(a) == 5.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_gap_between_two_shapes_boxes_never_exceeds_their_distance(data: st.DataObject) -> None:
    anchor = data.draw(anchors())
    first = data.draw(shapes(anchor, max_km=300.0))
    second = data.draw(shapes(moved(anchor, data.draw(st.floats(0, 360)), 5_000.0), 300.0))
    gap = reach_box(first).gap_m(reach_box(second))
    assert gap <= oracle_bounds(first, second).distance_m + 0.01
