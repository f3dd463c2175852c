"""Sketches: a sector, orbit or track boxed from its definition holds what its build holds.

A plan's index boxes its airspace shapes from their sketches and builds only
those a pair needs (`rules/candidates.py`). That is safe only if (1) a shape
with a sketch always builds, so a shape refused when read is refused then and
not in the middle of a check, and (2) the sketched box holds the built shape's
box, and every point of the shape as defined (`tests/oracle.py`), whatever the
buffer. Drawn anywhere, near the poles and across the antimeridian, where
sketches are refused and shapes are built as read.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.errors import EngineFailure
from deconflict.geo.boxes import Box3, reach_box
from deconflict.geo.construct import ShapeError, is_built, resolve
from deconflict.geo.ellipsoid import ecef_m
from deconflict.geo.shapes import Orbit, Sector, Shape, Side, Track
from deconflict.geo.sketch import SKETCH_MARGIN_M, Sketch, sketch
from deconflict.line.check import check_plan
from deconflict.rules.conflicts import conflict_between, find_conflicts
from deconflict.rules.plan import parse_plan
from tests.oracle import anchors, boundary_point, moved, orbits, sectors, sizes_km, tracks

# 300 in the suite; `make fuzz` multiplies by 20 (DECONFLICT_FUZZ_EXAMPLES=2000).
SKETCHES = settings(
    max_examples=3 * int(os.environ.get("DECONFLICT_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# Where sketches are drawn: away from the poles and the antimeridian (`anchors` is mostly there).
FIELD = st.tuples(st.floats(-179.0, 179.0), st.floats(-80.0, 80.0))


def _metres(max_km: float) -> st.SearchStrategy[float]:
    return sizes_km(max_km).map(lambda km: km * 1000.0)


@st.composite
def raw_shapes(draw: st.DrawFn) -> Shape:
    """Sectors, orbits and tracks anywhere, some of them past what can be built (a pole
    within reach, an orbit across the antimeridian, legs of a few centimetres)."""
    anchor = draw(anchors() | FIELD)
    kind = draw(st.sampled_from(["sector", "orbit", "track"]))
    size = draw(_metres(2_000.0) | st.floats(0.001, 20.0))
    if kind == "sector":
        inner = draw(st.sampled_from([0.0]) | st.floats(0.0, 1.0).map(lambda f: f * size))
        start = draw(st.floats(0.0, 360.0))
        span = draw(st.sampled_from([0.0, 360.0]) | st.floats(1e-6, 360.0))
        return Sector(anchor, size, inner, start, (start + span) % 360.0)
    heading = draw(st.floats(0.0, 360.0))
    if kind == "orbit":
        width = draw(_metres(200.0) | st.floats(0.001, 20.0))
        return Orbit(anchor, moved(anchor, heading, size), width, draw(st.sampled_from(Side)))
    path = [anchor]
    for _ in range(draw(st.integers(1, 3))):
        path.append(moved(path[-1], heading + draw(st.floats(-175.0, 175.0)), size))
    left = draw(st.sampled_from([0.0]) | _metres(100.0) | st.floats(0.001, 20.0))
    right = draw(st.sampled_from([0.0]) | _metres(100.0) | st.floats(0.001, 20.0))
    return Track(tuple(path), left, right)


def _box_holds(outer: Box3, inner: Box3) -> bool:
    return all(o <= i for o, i in zip(outer.low, inner.low, strict=True)) and all(
        o >= i for o, i in zip(outer.high, inner.high, strict=True)
    )


@given(raw_shapes(), st.sampled_from([0.0, 0.5, 1_000.0]))
@SKETCHES
def test_a_shape_with_a_sketch_builds_and_its_sketched_box_holds_the_built_one(
    shape: Shape, buffer_m: float
) -> None:
    drawn = sketch(shape)
    if drawn is None:
        return  # built as read: refused there, or boxed from the build
    sketched = reach_box(shape, buffer_m, sketched=True)
    assert not is_built(shape), "boxing from a sketch must not build the shape"
    try:
        built = resolve(shape)
    except ShapeError as error:
        pytest.fail(f"{shape} has a sketch but its build was refused: {error}")
    assert built.reach_m <= drawn.reach_m + SKETCH_MARGIN_M
    assert _box_holds(sketched, reach_box(shape, buffer_m))


@given(data=st.data())
@SKETCHES
def test_every_point_of_a_shape_as_defined_lies_in_its_sketched_box(data: st.DataObject) -> None:
    anchor = data.draw(anchors() | FIELD)
    kind = data.draw(st.sampled_from(["sector", "orbit", "track"]))
    if kind == "sector":
        shape: Shape = data.draw(sectors(st.just(anchor), _metres(300.0)))
    elif kind == "orbit":
        shape = data.draw(orbits(st.just(anchor), _metres(300.0), _metres(50.0)))
    else:
        shape = data.draw(tracks(st.just(anchor), _metres(150.0), _metres(50.0)))
    if sketch(shape) is None:
        return
    box = reach_box(shape, 0.0, sketched=True)
    for _ in range(20):
        x, y, z = ecef_m(*boundary_point(data.draw, shape))
        assert box.low[0] <= x <= box.high[0]
        assert box.low[1] <= y <= box.high[1]
        assert box.low[2] <= z <= box.high[2]


def test_the_field_s_airspace_shapes_are_sketched_and_the_edge_cases_are_built_as_read() -> None:
    tanf = (38.64, 33.5)
    assert sketch(Sector(tanf, 20_000.0, 5_000.0, 30.0, 120.0)) is not None
    assert sketch(Orbit(tanf, moved(tanf, 45.0, 40_000.0), 8_000.0, Side.LEFT)) is not None
    assert sketch(Track((tanf, moved(tanf, 10.0, 5_000.0)), 2_000.0, 0.0)) is not None
    # A whole disc is built as a circle; near a pole, across the antimeridian, a needle
    # and a track of centimetre legs are built (or refused) as they are read.
    assert sketch(Sector(tanf, 20_000.0)) is None
    assert sketch(Sector((10.0, 85.0), 100_000.0, 0.0, 0.0, 90.0)) is None
    assert sketch(Sector((179.99, 10.0), 5_000.0, 0.0, 0.0, 180.0)) is None
    assert sketch(Sector(tanf, 20_000.0, 0.0, 10.0, 10.0 + 1e-6)) is None
    assert sketch(Track((tanf, moved(tanf, 10.0, 0.05)), 2_000.0, 0.0)) is None


def test_a_build_beyond_its_sketch_fails_the_check_naming_both_features() -> None:
    from deconflict.rules.feature import Feature

    [zone, strike] = parse_plan(json.loads(json.dumps(_plan([(38.64, 33.5), (38.66, 33.5)]))))
    shape = strike.shape
    drawn = sketch(shape)
    assert drawn is not None
    # As if the build came out with a wider margin than the sketch foresaw.
    vars(shape)["sketch"] = Sketch(drawn.points, drawn.spread_m, -SKETCH_MARGIN_M - 1.0)
    assert isinstance(zone, Feature)
    with pytest.raises(EngineFailure) as failure:
        conflict_between(strike, zone)
    assert (failure.value.feature_id, failure.value.other_id) == ("strike", "zone")
    assert "beyond its vertices" in str(failure.value.__cause__)


def test_a_build_with_vertices_outside_its_sketch_fails() -> None:
    shape = Sector((38.64, 33.5), 20_000.0, 5_000.0, 30.0, 120.0)
    drawn = sketch(shape)
    assert drawn is not None
    vars(shape)["sketch"] = Sketch(drawn.points[:1], 0.0, drawn.reach_m)
    with pytest.raises(RuntimeError, match="outside the rectangle of its sketch"):
        resolve(shape)


def test_a_plan_builds_only_the_shapes_its_pairs_need_and_finds_what_building_all_finds() -> None:
    places = [(38.64 + 0.5 * k, 33.5) for k in range(6)]
    document = _plan(places)
    features = parse_plan(json.loads(json.dumps(document)))
    found = check_plan(features, workers=1)
    every = find_conflicts(parse_plan(json.loads(json.dumps(document))))
    assert [(c.ids, c.distance_m) for c in found] == [(c.ids, c.distance_m) for c in every]
    assert [c.ids for c in found] == [("strike", "zone")]
    built = {f.id: is_built(f.shape) for f in features}
    assert built == {
        "zone": True,
        "strike": True,
        **{f"far-{k}": False for k in range(2, 6)},
    }


def _plan(places: list[tuple[float, float]]) -> dict[str, object]:
    """A zone (a sector) at the first place, a strike (a track) crossing it, and sectors far
    off at the others."""

    def feature(
        fid: str, kind: str, party: str, geometry: dict[str, object], **extent: object
    ) -> dict[str, object]:
        return {
            "type": "Feature",
            "id": fid,
            "geometry": geometry,
            "properties": {
                "kind": kind,
                "party": party,
                "start": "2030-01-01T00:00:00Z",
                "end": "2030-01-02T00:00:00Z",
                **extent,
            },
        }

    first, second = places[0], places[1]
    sector = {"outer_m": 20_000.0, "inner_m": 2_000.0, "from_deg": 0.0, "to_deg": 120.0}
    return {
        "type": "FeatureCollection",
        "features": [
            feature(
                "zone", "zone", "aid", {"type": "Point", "coordinates": list(first)}, sector=sector
            ),
            feature(
                "strike",
                "activity",
                "army",
                {"type": "LineString", "coordinates": [list(first), list(second)]},
                track={"left_m": 500.0, "right_m": 0.0},
            ),
            *(
                feature(
                    f"far-{k}",
                    "zone",
                    "aid",
                    {"type": "Point", "coordinates": [place[0], place[1] + 3.0]},
                    sector=sector,
                )
                for k, place in enumerate(places)
                if k >= 2
            ),
        ],
    }


def test_sketch_samples_are_finite_and_on_the_shape_s_curves() -> None:
    shape = Sector((38.64, 33.5), 20_000.0, 5_000.0, 30.0, 120.0)
    drawn = sketch(shape)
    assert drawn is not None
    assert np.all(np.isfinite(drawn.points))
    assert drawn.spread_m < 20_000.0 / 64
