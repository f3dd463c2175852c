"""Sectors, orbits and tracks: the engine against an oracle built from their definitions.

The oracle (`tests/oracle.py`) decides membership and distance from what each shape means,
with `pyproj.Geod` and shapely only, never from the polygons and corridors the engine builds.
The engine may only under-estimate a distance, and then by no more than the construction
margin it adds (centimetres): it may flag a conflict that much early, never miss one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from deconflict.geo import construct
from deconflict.geo.boxes import Box3, reach_box
from deconflict.geo.construct import ShapeError, resolve
from deconflict.geo.distance import distance_within_m, geodesic_distance_m
from deconflict.geo.shapes import Area, Circle, Corridor, Orbit, Sector, Shape, Side, Track
from deconflict.rules.conflicts import conflict_between
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.volume import volume_box
from tests.geo.agreement import ABOVE_M, assert_agrees, margin_m, settled_m
from tests.oracle import (
    GEOD,
    Leg,
    airspace_bounds,
    areas,
    boundary_point,
    circles,
    corridors,
    curve_samples,
    geodesic_m,
    legs,
    moved,
    oracle_contains,
    oracle_shape,
    orbit_ends,
    orbits,
    sectors,
    size_m,
    tracks,
)

# A point just outside may stand this far from the oracle, below it.
BELOW_M = 1.0
T0 = datetime(2026, 9, 7, tzinfo=UTC)


# Shapes ----------------------------------------------------------------------------------------

AIRSPACE = st.one_of(sectors(), orbits(), tracks())


@st.composite
def shapes_and_points(draw: st.DrawFn) -> tuple[Sector | Orbit | Track, tuple[float, float]]:
    """A shape and a point near its boundary (within metres, or its own size) or anywhere near."""
    shape = draw(AIRSPACE)
    if draw(st.booleans()):
        base = boundary_point(draw, shape)
        distance = draw(st.floats(0.0, 50.0) | st.floats(0.0, size_m(shape)))
    else:
        lon, lat = curve_samples(oracle_shape(shape).curves[:1], 1)
        base = (float(lon[0]), float(lat[0]))
        distance = draw(st.floats(0.0, 2.0 * size_m(shape)))
    return shape, moved(base, draw(st.floats(0.0, 360.0)), distance)


@st.composite
def inside_points(draw: st.DrawFn) -> tuple[Sector | Orbit | Track, tuple[float, float]]:
    """A shape and a point of it, placed from the shape's definition (edges included)."""
    shape = draw(AIRSPACE)
    unit = st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)
    u, v = draw(unit), draw(unit)
    if isinstance(shape, Sector):
        span = (shape.to_deg - shape.from_deg) % 360.0 or 360.0
        distance = shape.inner_m + v * (shape.outer_m - shape.inner_m)
        if isinstance(resolve(shape), Circle):
            # A whole disc is the engine's exact circle: its rim is a rounding error away.
            distance = min(distance, shape.outer_m - 1e-6)
        return shape, moved(shape.origin, shape.from_deg + u * span, distance)
    if isinstance(shape, Orbit):
        a, b = orbit_ends(shape)
        azimuth, _, length = GEOD.inv(*a, *b)
        on_line = moved(a, azimuth, u * length)
        return shape, moved(on_line, draw(st.floats(0.0, 360.0)), v * shape.width_m / 2)
    a, b = draw(st.sampled_from(legs(list(shape.path))))
    azimuth, _, length = GEOD.inv(*a, *b)
    leg = Leg(a, float(azimuth), float(length))
    across = np.array([shape.left_m - v * (shape.left_m + shape.right_m)])
    lon, lat = leg.across(np.array([u * length]), across)
    return shape, (float(lon[0]), float(lat[0]))


PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def zone(shape: Shape) -> Feature:
    return Feature("zone", Kind.ZONE, "p1", shape, TimeWindow(T0))


def strike_at(point: tuple[float, float]) -> Feature:
    return Feature("strike", Kind.ACTIVITY, "p2", Circle(point), TimeWindow(T0))


# Worked cases ----------------------------------------------------------------------------------

AT_TANF = (38.64, 33.50)


def test_point_30m_beyond_the_outer_arc_within_the_sweep_is_30m_from_the_sector() -> None:
    sector = Sector(AT_TANF, 20_000.0, 5_000.0, 30.0, 120.0)
    point = moved(AT_TANF, 75.0, 20_030.0)
    distance = geodesic_distance_m(sector, Circle(point))
    floor = 30.0 - 2 * margin_m(sector) - settled_m(sector, Circle(point))
    assert floor <= distance <= 30.0 + ABOVE_M
    assert margin_m(sector) < 0.1
    assert conflict_between(zone(sector), strike_at(point)) is None


def test_point_30m_inside_the_inner_radius_of_an_annulus_is_30m_outside_it() -> None:
    annulus = Sector(AT_TANF, 20_000.0, 5_000.0, 0.0, 0.0)
    point = moved(AT_TANF, 200.0, 4_970.0)
    assert geodesic_distance_m(annulus, Circle(point)) == pytest.approx(30.0, abs=0.2)
    assert geodesic_distance_m(annulus, Circle(moved(AT_TANF, 200.0, 5_030.0))) == 0.0


def test_sector_across_north_holds_due_north_and_not_due_south() -> None:
    sector = Sector(AT_TANF, 10_000.0, 0.0, 350.0, 10.0)
    assert geodesic_distance_m(sector, Circle(moved(AT_TANF, 0.0, 9_000.0))) == 0.0
    south = geodesic_distance_m(sector, Circle(moved(AT_TANF, 180.0, 9_000.0)))
    assert south == pytest.approx(9_000.0, abs=0.2)  # to the origin, the slice's tip


def test_whole_disc_sector_is_the_circle_it_is_and_may_cover_a_pole() -> None:
    assert resolve(Sector((0.0, 89.0), 200_000.0)) == Circle((0.0, 89.0), 200_000.0)
    assert resolve(Sector((0.0, 89.0), 200_000.0, 0.0, 45.0, 45.0)) == Circle(
        (0.0, 89.0), 200_000.0
    )


@pytest.mark.parametrize(
    "shape",
    [
        Sector((0.0, 89.0), 200_000.0, 0.0, 0.0, 90.0),  # the pole is 111 km from the origin
        Sector((0.0, -89.0), 200_000.0, 150_000.0),  # an annulus round the south pole
    ],
)
def test_sector_reaching_a_pole_is_refused(shape: Sector) -> None:
    with pytest.raises(ShapeError, match="reaches the pole"):
        resolve(shape)


def test_orbit_across_the_antimeridian_or_reaching_a_pole_is_refused() -> None:
    with pytest.raises(ShapeError, match="antimeridian"):
        resolve(Orbit((179.9, 0.0), (-179.9, 0.0), 1_000.0))
    with pytest.raises(ShapeError, match="pole"):
        resolve(Orbit((0.0, 89.4), (10.0, 89.45), 20_000.0))


def test_track_reaching_a_pole_is_refused() -> None:
    with pytest.raises(ShapeError, match="pole"):
        resolve(Track(((0.0, 89.0), (0.0, 89.6)), 1_000.0, 1_000.0))


def test_sector_across_the_antimeridian_arrives_as_two_polygons() -> None:
    sector = Sector((179.95, -16.0), 20_000.0, 0.0, 0.0, 180.0)
    built = resolve(sector)
    assert isinstance(built, Area) and len(built.polygons) == 2
    assert all(-180.0 <= lon <= 180.0 for ring in built.rings for lon, _ in ring)
    across = moved(sector.origin, 90.0, 15_000.0)  # on the other side of the seam
    assert across[0] < 0.0
    assert geodesic_distance_m(sector, Circle(across)) == 0.0
    beyond = moved(sector.origin, 90.0, 20_040.0)
    assert geodesic_distance_m(sector, Circle(beyond)) == pytest.approx(40.0, abs=0.2)


def test_orbit_to_the_left_lies_left_of_its_line_which_is_its_edge() -> None:
    first, second = (10.0, 50.0), (10.5, 50.0)
    orbit = Orbit(first, second, 2_000.0, Side.LEFT)
    heading, _, length = GEOD.inv(*first, *second)
    middle = moved(first, heading, length / 2)  # on the line, heading about east
    assert geodesic_distance_m(orbit, Circle(moved(middle, 0.0, 1_500.0))) == 0.0  # north: left
    right = geodesic_distance_m(orbit, Circle(moved(middle, 180.0, 100.0)))
    assert right == pytest.approx(100.0, abs=0.1)
    mirrored = Orbit(first, second, 2_000.0, Side.RIGHT)
    assert geodesic_distance_m(mirrored, Circle(moved(middle, 180.0, 1_500.0))) == 0.0


def test_track_with_a_sharp_turn_fills_the_outside_of_the_turn_with_an_arc() -> None:
    corner = (20.0, 40.0)
    start = moved(corner, 270.0, 30_000.0)  # heading east into the corner
    _, arriving, _ = GEOD.inv(*start, *corner)  # at the corner, back towards the start
    end = moved(corner, float(arriving) + 180.0 + 170.0, 30_000.0)  # a 170 degree right turn
    track = Track((start, corner, end), 2_000.0, 500.0)
    ahead = moved(corner, 90.0, 1_900.0)  # beyond the corner, within the left width
    assert oracle_contains(track, np.array([ahead[0]]), np.array([ahead[1]]))[0]
    assert geodesic_distance_m(track, Circle(ahead)) == 0.0
    beyond = moved(corner, 90.0, 2_050.0)
    assert geodesic_distance_m(track, Circle(beyond)) == pytest.approx(50.0, abs=0.2)


def test_track_with_no_width_on_one_side_is_a_band_on_the_other() -> None:
    track = Track(((10.0, 0.0), (10.5, 0.0)), 0.0, 3_000.0)
    assert geodesic_distance_m(track, Circle((10.2, -0.02))) == 0.0  # 2.2 km right (south)
    left = geodesic_distance_m(track, Circle((10.2, 0.0005)))
    assert left == pytest.approx(geodesic_m((10.2, 0.0), (10.2, 0.0005)), abs=0.1)


# Regression: near a pole a chord straight in lon/lat bends away from the geodesic it stands
# for, and shapes were built with their usual vertex spacing there: margins of 1.5 m at 89
# degrees, and 3.6 m for a 1,000 km annulus reaching 89 degrees (where a point 5 m outside
# was measured at 1.4 m).
def test_shapes_near_a_pole_are_built_within_centimetres() -> None:
    near_pole: list[Sector | Orbit | Track] = [
        Sector((0.0, 89.0), 100_000.0, 0.0, 80.0, 100.0),
        Track(((0.0, 89.0), (3.0, 89.0)), 10_000.0, 10_000.0),
        Orbit((0.0, 89.0), (3.0, 89.0), 20_000.0, Side.LEFT),
    ]
    assert all(margin_m(shape) < 0.15 for shape in near_pole)
    annulus = Sector((0.0, 80.0), 1_000_000.0, 500_000.0, 0.0, 0.0)
    point = moved(annulus.origin, 0.0, 1_000_005.0)
    assert 4.0 <= geodesic_distance_m(annulus, Circle(point)) <= 5.0 + ABOVE_M


# A build measures how far each chord's middle stands from the true curve by the length of the
# lon/lat-straight path between them, not by the inverse problem: never less than the
# geodesic (else the margin would fall short and a conflict could be missed), and within
# about 1% of it (else margins would grow for nothing).
@given(
    st.floats(-180.0, 180.0),
    st.floats(-89.9, 89.9),
    st.floats(0.0, 360.0),
    st.floats(1e-4, 10.0),
)
@settings(PROPERTY, max_examples=300)
def test_the_gap_a_build_measures_is_never_less_than_the_geodesic(
    lon: float, lat: float, azimuth: float, gap_m: float
) -> None:
    end = moved((lon, lat), azimuth, gap_m)
    chord_middle, true_middle = np.array([[lon, lat]]), np.array([end])
    geodesic = geodesic_m((lon, lat), end)
    measured = construct._largest_gap_m(chord_middle, true_middle)
    assert geodesic <= measured <= geodesic * 1.011 + 1e-6, (geodesic, measured)


# Regression: a sweep of 6e-14 degrees (from 359.99999999999994 to 0) was built as an empty
# area, and measuring anything against it raised IndexError inside the distance search.
NEEDLE = Sector((0.0, 0.0), 10.0, 0.0, 359.99999999999994, 0.0)
POLAR_NEEDLE = Sector((0.0, 85.0), 502_610.0, 0.0, 0.0, 2.8733692417210012e-130)


def test_sector_with_a_vanishing_sweep_is_measured_as_its_radial() -> None:
    assert geodesic_distance_m(NEEDLE, Circle((0.0, 0.00005))) == 0.0  # 5.5 m up the radial
    beside = moved((0.0, 0.00005), 90.0, 3.0)
    assert geodesic_distance_m(NEEDLE, Circle(beside)) == pytest.approx(3.0, abs=0.2)
    tip = moved(POLAR_NEEDLE.origin, 0.0, 502_640.0)  # 30 m beyond its tip, at 89.5 N
    assert geodesic_distance_m(POLAR_NEEDLE, Circle(tip)) == pytest.approx(30.0, abs=0.2)


# (a) distance from a point ---------------------------------------------------------------------


@given(shapes_and_points())
@settings(PROPERTY, max_examples=100)
@example((Sector((179.95, 0.0), 20_000.0, 5_000.0, 350.0, 10.0), (-179.9, 0.1)))
@example((Sector((10.0, 88.9), 100_000.0, 0.0, 80.0, 100.0), (15.0, 88.9)))
@example((Sector((0.0, 0.0), 10.0, 0.0, 0.0, 90.0), (0.0001, 0.0001)))
@example((Sector((0.0, 60.0), 1_000_000.0, 0.0, 200.0, 100.0), (1.0, 70.0)))
@example((Orbit((0.0, 0.0), (1.0, 1.0), 10_000.0, Side.RIGHT), (0.5, 0.45)))
@example((NEEDLE, (-8.912229207502898e-20, 9.043694770503874e-05)))
@example((Track(((0.0, 0.0), (1.0, 0.0), (0.0, 0.05)), 1_000.0, 2_000.0), (1.02, 0.01)))
def test_distance_to_a_point_agrees_with_the_oracle(
    case: tuple[Sector | Orbit | Track, tuple[float, float]],
) -> None:
    shape, point = case
    oracle = airspace_bounds(shape, Circle(point))
    assert_agrees(shape, Circle(point), geodesic_distance_m(shape, Circle(point)), oracle)
    assert_agrees(shape, Circle(point), geodesic_distance_m(Circle(point), shape), oracle)


# (b) points inside, and just outside -----------------------------------------------------------


@given(inside_points())
@settings(PROPERTY, max_examples=100)
def test_points_of_the_shape_are_at_zero_and_conflict(
    case: tuple[Sector | Orbit | Track, tuple[float, float]],
) -> None:
    shape, point = case
    assert geodesic_distance_m(shape, Circle(point)) == 0.0
    assert distance_within_m(shape, Circle(point), 0.0) == 0.0
    assert conflict_between(zone(shape), strike_at(point)) is not None


@given(AIRSPACE, st.data())
@settings(PROPERTY, max_examples=100)
def test_points_just_outside_are_within_a_metre_of_the_oracle(
    shape: Sector | Orbit | Track, data: st.DataObject
) -> None:
    base = boundary_point(data.draw, shape)
    point = moved(base, data.draw(st.floats(0.0, 360.0)), data.draw(st.floats(5.0, 50.0)))
    oracle = airspace_bounds(shape, Circle(point))
    assume(oracle.lower_m >= 2.0)  # outside, and clearly so
    engine = geodesic_distance_m(shape, Circle(point))
    assert oracle.lower_m - BELOW_M <= engine <= oracle.distance_m + ABOVE_M, (engine, oracle)
    if engine > 0.0:
        assert distance_within_m(shape, Circle(point), engine - 0.5) is None


@given(sectors(), st.data())
@settings(PROPERTY, max_examples=60)
def test_point_beyond_the_outer_arc_is_exactly_that_far(shape: Sector, data: st.DataObject) -> None:
    # No point of the sector is farther than outer_m from the origin: the triangle inequality.
    span = (shape.to_deg - shape.from_deg) % 360.0 or 360.0
    bearing = shape.from_deg + data.draw(st.floats(0.0, 1.0)) * span
    beyond_m = data.draw(st.floats(5.0, 50.0))
    point = moved(shape.origin, bearing, shape.outer_m + beyond_m)
    engine = geodesic_distance_m(shape, Circle(point))
    floor = beyond_m - 2 * margin_m(shape) - settled_m(shape, Circle(point)) - 0.01
    assert floor <= engine <= beyond_m + ABOVE_M


# (c) shape against shape -----------------------------------------------------------------------


@st.composite
def near_origin(draw: st.DrawFn, shape: Sector | Orbit | Track) -> tuple[float, float]:
    anchor = (
        shape.origin
        if isinstance(shape, Sector)
        else (shape.first if isinstance(shape, Orbit) else shape.path[0])
    )
    return moved(anchor, draw(st.floats(0.0, 360.0)), draw(st.floats(0.0, 1.5 * size_m(shape))))


@st.composite
def sector_and_polygon(draw: st.DrawFn) -> tuple[Sector, Area]:
    sector = draw(sectors().filter(lambda s: s.outer_m <= 300_000.0))
    anchor = draw(near_origin(sector))
    return sector, draw(areas(anchor, max(0.05, sector.outer_m / 1000.0)))


@st.composite
def orbit_and_circle(draw: st.DrawFn) -> tuple[Orbit, Circle]:
    orbit = draw(orbits())
    return orbit, draw(circles(draw(near_origin(orbit)), size_m(orbit) / 1000.0))


@st.composite
def track_and_corridor(draw: st.DrawFn) -> tuple[Track, Corridor]:
    track = draw(tracks())
    corridor = draw(corridors(draw(near_origin(track)), min(200.0, size_m(track) / 1000.0)))
    assume(not np.any(np.abs(np.diff(np.array(corridor.path)[:, 0])) > 180.0))
    return track, corridor


@given(st.one_of(sector_and_polygon(), orbit_and_circle(), track_and_corridor()))
@settings(PROPERTY, max_examples=60)
def test_distance_between_an_airspace_shape_and_another_agrees_with_the_oracle(
    pair: tuple[Sector | Orbit | Track, Shape],
) -> None:
    shape, other = pair
    oracle = airspace_bounds(shape, other)
    assert_agrees(shape, other, geodesic_distance_m(shape, other), oracle)
    assert_agrees(shape, other, geodesic_distance_m(other, shape), oracle)


# (d) the index boxes ---------------------------------------------------------------------------

_A = 6_378_137.0
_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)


def _ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates of points on the WGS84 ellipsoid."""
    lam, phi = np.radians(lon), np.radians(lat)
    n = _A / np.sqrt(1 - _E2 * np.sin(phi) ** 2)
    return np.column_stack(
        [n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1 - _E2) * np.sin(phi)]
    )


def _outside_box(box: Box3 | tuple[float, ...], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    low, high = (box.low, box.high) if isinstance(box, Box3) else (box[0:6:2], box[1:6:2])
    xyz = _ecef(lon, lat)
    return np.flatnonzero(np.any((xyz < np.array(low)) | (xyz > np.array(high)), axis=1))


def _rim(shape: Sector | Orbit | Track, grow_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of the shape's boundary, moved `grow_m` outwards in 12 directions."""
    described = oracle_shape(shape)
    lon, lat = curve_samples(described.curves, 200)
    reach = described.reach_m + grow_m
    if reach == 0.0:
        return lon, lat
    azimuths = np.repeat(np.arange(0.0, 360.0, 30.0)[None, :], lon.size, axis=0).ravel()
    grown = GEOD.fwd(
        np.repeat(lon, 12), np.repeat(lat, 12), azimuths, np.full(azimuths.size, reach)
    )
    return np.asarray(grown[0]), np.asarray(grown[1])


@given(AIRSPACE, st.sampled_from([0.0, 10.0]) | st.floats(0.0, 50_000.0))
@settings(PROPERTY, max_examples=80)
@example(Sector((179.95, 0.0), 50_000.0, 0.0, 0.0, 180.0), 0.0)
@example(Sector((0.0, 88.0), 100_000.0, 20_000.0, 0.0, 0.0), 1_000.0)
def test_index_boxes_hold_every_point_of_the_boundary_and_the_buffer_beyond(
    shape: Sector | Orbit | Track, buffer_m: float
) -> None:
    lon, lat = _rim(shape, 0.0)
    assert _outside_box(reach_box(shape), lon, lat).size == 0
    feature = Feature("f", Kind.ZONE, "p", shape, TimeWindow(T0), buffer_m=buffer_m)
    lon, lat = _rim(shape, buffer_m)
    assert _outside_box(volume_box(feature), lon, lat).size == 0


@pytest.mark.parametrize(
    "area",
    [
        Area(()),
        Area(((((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)),),)),
        Area(
            (
                (
                    ((0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 0.0)),
                    ((1.0, 0.5), (3.0, 0.5), (3.0, 2.0), (1.0, 0.5)),
                ),
                (((170.0, -5.0), (180.0, -5.0), (180.0, 5.0), (170.0, -5.0)),),
            ),
            0.123,
        ),
        resolve(Sector((20.0, 35.0), 100_000.0, 50_000.0, 0.0, 0.0)),
        resolve(Track(((10.0, 0.0), (10.2, 0.1), (10.1, 0.3)), 500.0, 0.0)),
    ],
)
def test_an_area_comes_back_from_a_worker_process_exactly(area: Area) -> None:
    import pickle

    again = pickle.loads(pickle.dumps(area))
    assert again == area
    assert again.margin_m == area.margin_m
    assert [type(v) for ring in again.rings for p in ring for v in p] == [float] * (
        2 * sum(len(ring) for ring in area.rings)
    )
