"""Volume4D read into the line's shapes and decided by its engine, checked against pyproj's
geodesics over families of circles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.geo.shapes import Circle
from deconflict.utm.extents import Extent, meet, outline_covers, read_extent

GEOD = Geod(ellps="WGS84")
START = datetime(2030, 1, 1, tzinfo=UTC)

lngs = st.floats(-179.0, 179.0)
lats = st.floats(-80.0, 80.0)
radii = st.floats(1.0, 20_000.0)


def _extent(circle: Circle, lower: float = 0.0, upper: float = 100.0, hours: int = 1) -> Extent:
    return Extent(circle, lower, upper, START, START + timedelta(hours=hours))


def _apart_m(a: Circle, b: Circle) -> float:
    _, _, metres = GEOD.inv(a.centre[0], a.centre[1], b.centre[0], b.centre[1])
    return float(metres)


@settings(max_examples=60, deadline=None)
@given(lngs, lats, radii, st.floats(0.0, 360.0), st.floats(0.0, 60_000.0), radii)
def test_two_circles_meet_exactly_when_the_geodesic_between_centres_is_within_their_radii(
    lng: float, lat: float, r1: float, bearing: float, apart: float, r2: float
) -> None:
    lng2, lat2, _ = GEOD.fwd(lng, lat, bearing, apart)
    a, b = Circle((lng, lat), r1), Circle((float(lng2), float(lat2)), r2)
    gap = _apart_m(a, b) - r1 - r2
    assume(abs(gap) > 0.01)
    assert meet([_extent(a)], [_extent(b)]) is (gap < 0)


@settings(max_examples=60, deadline=None)
@given(lngs, lats, radii, st.floats(0.0, 360.0), st.floats(0.0, 30_000.0), radii)
def test_a_circle_covers_another_exactly_when_it_holds_its_rim(
    lng: float, lat: float, outer_r: float, bearing: float, apart: float, inner_r: float
) -> None:
    lng2, lat2, _ = GEOD.fwd(lng, lat, bearing, apart)
    outer, inner = Circle((lng, lat), outer_r), Circle((float(lng2), float(lat2)), inner_r)
    spare = outer_r - _apart_m(outer, inner) - inner_r
    assume(abs(spare) > 0.01)
    assert outline_covers(outer, inner) is (spare > 0)


@given(st.floats(-50.0, 50.0), st.floats(0.0, 50.0), st.integers(1, 48), st.integers(1, 48))
def test_windows_and_bands_meet_ends_included(
    lower: float, height: float, hours: int, later_h: int
) -> None:
    place = Circle((10.0, 10.0), 100.0)
    a = _extent(place, lower, lower + height, hours)
    above = Extent(place, lower + height, lower + height + 10, a.start, a.end)
    assert meet([a], [above])  # touching bands meet
    clear = Extent(place, lower + height + 0.001, lower + height + 10, a.start, a.end)
    assert not meet([a], [clear])
    assert a.end is not None
    after = Extent(place, lower, lower + height, a.end + timedelta(hours=later_h), None)
    assert not meet([a], [after])
    assert meet([a], [Extent(place, None, None, a.end, None)])


@given(lngs, lats, radii, st.floats(-8000.0, 100_000.0), st.integers(0, 10**6))
def test_a_volume_reads_back_from_its_document(
    lng: float, lat: float, radius: float, lower: float, seconds: int
) -> None:
    start = START + timedelta(seconds=seconds, microseconds=250)
    extent = Extent(Circle((lng, lat), radius), lower, None, start, None)
    assert read_extent(extent.document(), "volume") == extent
