"""An area held as arrays is the same area as one held as tuples, to the last bit.

Built sectors and tracks, and every area a worker process sends back, are
held as one array of positions (`Area.of_arrays`); the engine measures, boxes
and draws them from the arrays, and makes the tuples only when asked. Each
path from the arrays must give exactly what the tuples give.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.geo import construct
from deconflict.geo.boxes import lonlat_rect_box, reach_box
from deconflict.geo.construct import resolve
from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.shapes import Area, PolygonRings, Ring, Sector, Track
from deconflict.geo.sketch import evenly

_LON = st.floats(-180.0, 180.0, allow_nan=False)
_LAT = st.floats(-89.0, 89.0, allow_nan=False)


@st.composite
def _rings(draw: st.DrawFn) -> Ring:
    """A closed ring of 3 to 12 arbitrary positions (the arrays' paths need no valid shape)."""
    positions = draw(st.lists(st.tuples(_LON, _LAT), min_size=3, max_size=12))
    return (*positions, positions[0])


_POLYGONS = st.lists(
    st.lists(_rings(), min_size=1, max_size=3).map(tuple), min_size=1, max_size=3
).map(tuple)


def _of_arrays(polygons: tuple[PolygonRings, ...], margin_m: float) -> Area:
    flat = np.array([p for rings in polygons for ring in rings for p in ring], dtype=np.float64)
    lengths = tuple(tuple(len(ring) for ring in rings) for rings in polygons)
    return Area.of_arrays(flat.reshape(-1, 2), lengths, margin_m)


@given(_POLYGONS, st.floats(0.0, 1.0))
@settings(max_examples=200, deadline=None)
def test_an_area_of_arrays_has_the_same_rings_boxes_and_edges_as_of_tuples(
    polygons: tuple[PolygonRings, ...], margin_m: float
) -> None:
    typed, held = Area(polygons, margin_m), _of_arrays(polygons, margin_m)
    assert reach_box(held, 100.0) == reach_box(typed, 100.0)
    assert [a.tolist() for a in held.exterior_arrays()] == [list(map(list, r[0])) for r in polygons]
    for field in ("a_lon", "a_lat", "b_lon", "b_lat", "speed_m", "sag_m"):
        assert np.array_equal(getattr(held.edges, field), getattr(typed.edges, field))
    assert held.polygons == polygons  # the tuples, made last: nothing above needed them
    assert held == typed
    assert [type(v) for ring in held.rings for p in ring for v in p] == [float] * (
        2 * sum(len(ring) for ring in held.rings)
    )


@given(st.lists(st.tuples(_LON, _LAT), min_size=1, max_size=30))
def test_the_box_of_an_array_of_positions_is_the_box_of_its_tuples(
    positions: list[tuple[float, float]],
) -> None:
    area = _of_arrays(((tuple(positions),),), 0.0)
    assert reach_box(area) == lonlat_rect_box(tuple(positions)).grown(0.01)


def test_the_planar_area_of_arrays_is_the_planar_area_of_tuples() -> None:
    for shape in (
        Sector((20.0, 35.0), 100_000.0, 50_000.0, 0.0, 0.0),
        Sector((179.9, -10.0), 30_000.0, 0.0, 10.0, 200.0),
        Track(((10.0, 0.0), (10.2, 0.1), (10.1, 0.3)), 500.0, 0.0),
    ):
        built = resolve(shape)
        assert isinstance(built, Area)
        assert "polygons" not in vars(built)  # built as arrays: no tuples yet
        typed = Area(built.polygons, built.margin_m)
        assert built.planar.equals_exact(typed.planar, 0.0)


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.integers(1, 5000),
)
def test_evenly_spread_values_are_np_linspace_to_the_last_bit(
    start: float, stop: float, steps: int
) -> None:
    spread = evenly(start, stop, steps)
    assert spread.tobytes() == np.linspace(start, stop, steps + 1).tobytes()


@given(
    st.lists(
        st.tuples(_LON, _LAT, st.floats(0.0, 360.0), st.lists(st.floats(0.0, 1e6), max_size=5)),
        min_size=1,
        max_size=6,
    )
)
def test_direct_problems_solved_together_are_each_solved_alone(
    problems: list[tuple[float, float, float, list[float]]],
) -> None:
    directs = [
        construct._Direct.of((lon, lat), azimuth, np.array(distances) if distances else 0.0)
        for lon, lat, azimuth, distances in problems
    ]
    positions, onward = construct._solved(directs)
    for (lon, lat, azimuth, distances), position, heading in zip(
        problems, positions, onward, strict=True
    ):
        count = max(len(distances), 1)
        alone = WGS84.fwd([lon] * count, [lat] * count, [azimuth] * count, distances or [0.0])
        assert position.tolist() == np.column_stack(alone[:2]).tolist()
        assert heading.tolist() == (np.asarray(alone[2]) + 180.0).tolist()
