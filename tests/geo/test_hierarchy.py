"""The box trees over edges: every box holds what it boxes, every reach reaches, no pair is lost.

These are the bounds the distance engine drops pairs by; each is checked against
dense samples of the edges themselves (lon/lat-straight, as RFC 7946 reads them).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deconflict.geo.edges import Edges
from deconflict.geo.ellipsoid import WGS84, ecef_array_m, geodesic_floor_m
from deconflict.geo.hierarchy import segment_gaps_m
from deconflict.geo.shapes import Area, Corridor, Shape
from tests.oracle import anchors, shapes

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SAMPLES_PER_EDGE = 33


def _edges_of(shape: Shape) -> Edges | None:
    return shape.edges if isinstance(shape, (Corridor, Area)) else None


def _samples(edges: Edges) -> tuple[np.ndarray, np.ndarray]:
    """Dense points along every edge: (lon, lat), one row per edge."""
    t = np.linspace(0.0, 1.0, _SAMPLES_PER_EDGE)[None, :]
    lon = edges.a_lon[:, None] + t * (edges.b_lon - edges.a_lon)[:, None]
    lat = edges.a_lat[:, None] + t * (edges.b_lat - edges.a_lat)[:, None]
    return lon, lat


@st.composite
def edge_sets(draw: st.DrawFn) -> Edges:
    shape = draw(shapes(draw(anchors()), 3000.0).filter(lambda s: _edges_of(s) is not None))
    edges = _edges_of(shape)
    assert edges is not None
    return edges


@given(edge_sets())
@PROPERTY
@example(Edges.of_paths([((-170.0, 10.0), (10.0, 10.0))]))
@example(Edges.of_paths([((0.0, 89.99), (90.0, 89.99))]))
def test_every_box_of_the_tree_holds_every_point_of_its_edges(edges: Edges) -> None:
    lon, lat = _samples(edges)
    xyz = ecef_array_m(lon.ravel(), lat.ravel()).reshape(len(edges), _SAMPLES_PER_EDGE, 3)
    tree = edges.tree
    for level in range(tree.top + 1):
        low, high = tree.boxes(level)[:, :3], tree.boxes(level)[:, 3:]
        node = np.arange(len(edges)) >> level
        assert np.all(xyz >= low[node][:, None, :] - 1e-6)
        assert np.all(xyz <= high[node][:, None, :] + 1e-6)


@given(edge_sets())
@PROPERTY
@example(Edges.of_paths([((0.0, 0.0), (1.0, 0.0)), ((5.0, 5.0), (6.0, 5.0))]))
def test_every_point_of_a_node_is_within_its_reach_of_the_node_start(edges: Edges) -> None:
    lon, lat = _samples(edges)
    tree = edges.tree
    for level, reach in enumerate(tree.reach_m):
        node = np.arange(len(edges)) >> level
        start = node << level
        start_lon = np.repeat(edges.a_lon[start], _SAMPLES_PER_EDGE)
        start_lat = np.repeat(edges.a_lat[start], _SAMPLES_PER_EDGE)
        distance = np.asarray(WGS84.inv(start_lon, start_lat, lon.ravel(), lat.ravel())[2])
        limit = np.repeat(reach[node], _SAMPLES_PER_EDGE)
        assert np.all(distance <= limit + 1e-6), level


def test_runs_that_do_not_join_have_no_reach_across_the_seam() -> None:
    edges = Edges.of_paths([((0.0, 0.0), (0.001, 0.0)), ((50.0, 0.0), (50.001, 0.0))])
    assert len(edges) == 2
    assert np.isinf(edges.tree.reach_m[1][0])


@given(edge_sets())
@PROPERTY
def test_every_piece_stays_within_its_sag_of_its_chord(edges: Edges) -> None:
    lon, lat = _samples(edges)
    xyz = ecef_array_m(lon.ravel(), lat.ravel())
    a = np.repeat(edges.a_xyz, _SAMPLES_PER_EDGE, axis=0)
    b = np.repeat(edges.b_xyz, _SAMPLES_PER_EDGE, axis=0)
    off_chord = segment_gaps_m(xyz, xyz, a, b)
    assert np.all(off_chord <= np.repeat(edges.sag_m, _SAMPLES_PER_EDGE) + 1e-6)
    assert float(edges.sag_m.max(initial=0.0)) <= 1.0 + 1e-9
    assert float(edges.speed_m.max(initial=0.0)) <= 1000.0 * (1 + 1e-6)


@given(st.lists(st.floats(-1000.0, 1000.0), min_size=12, max_size=12), st.booleans())
@settings(max_examples=300, deadline=None)
def test_segment_gap_is_never_above_the_least_sampled_distance(
    coordinates: list[float], parallel: bool
) -> None:
    p0, p1, q0, q1 = (np.array([coordinates[k : k + 3]]) for k in range(0, 12, 3))
    if parallel:
        q1 = q0 + (p1 - p0) * 0.7
    gap = float(segment_gaps_m(p0, p1, q0, q1)[0])
    s = np.linspace(0.0, 1.0, 401)[:, None]
    along_p, along_q = p0 + s * (p1 - p0), q0 + s * (q1 - q0)
    sampled = np.linalg.norm(along_p[:, None, :] - along_q[None, :, :], axis=2).min()
    assert gap <= sampled + 1e-9
    assert gap >= sampled - 0.01 * max(
        1.0, float(np.linalg.norm(p1 - p0) + np.linalg.norm(q1 - q0))
    )


@given(st.tuples(anchors(), anchors()))
@settings(max_examples=500, deadline=None)
def test_geodesic_floor_is_never_above_the_geodesic(
    points: tuple[tuple[float, float], tuple[float, float]],
) -> None:
    (lon1, lat1), (lon2, lat2) = points
    geodesic = float(WGS84.inv(lon1, lat1, lon2, lat2)[2])
    xyz = ecef_array_m(np.array([lon1, lon2]), np.array([lat1, lat2]))
    chord = np.array([float(np.linalg.norm(xyz[0] - xyz[1]))])
    assert float(geodesic_floor_m(chord)[0]) <= geodesic + 1e-6


@given(edge_sets(), edge_sets(), st.floats(0.0, 50_000.0))
@settings(PROPERTY, max_examples=40)
def test_jumping_to_the_leaves_keeps_the_pairs_walking_keeps(
    first: Edges, second: Edges, cutoff_m: float
) -> None:
    """Below a few leaves the walk measures all their pairs at once: the pairs it keeps are the
    ones a walk level by level keeps, and no pair within the distance attained is lost."""
    import deconflict.geo.hierarchy as hierarchy

    def attained(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        distance: np.ndarray = WGS84.inv(
            first.a_lon[i], first.a_lat[i], second.a_lon[j], second.a_lat[j]
        )[2]
        return distance

    walked_by = {}
    for leaf_pairs in (0, hierarchy._LEAF_PAIRS, 10**9):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hierarchy, "_LEAF_PAIRS", leaf_pairs)
            near = hierarchy.near_pairs(first.tree, second.tree, attained, cutoff_m, -1.0)
        walked_by[leaf_pairs] = near
    level_by_level = walked_by[0]
    for near in walked_by.values():
        # Each way measures different pairs on its way down, so the distance attained may
        # differ; every pair one keeps within the other's attained distance, the other keeps.
        limit = min(near.attained_m, level_by_level.attained_m, cutoff_m)
        for a, b in ((near, level_by_level), (level_by_level, near)):
            gaps = _pair_gaps(first, a.first, second, a.second)
            wanted = set(
                zip(a.first[gaps <= limit].tolist(), a.second[gaps <= limit].tolist(), strict=True)
            )
            assert wanted <= set(zip(b.first.tolist(), b.second.tolist(), strict=True))


def _pair_gaps(first: Edges, i: np.ndarray, second: Edges, j: np.ndarray) -> np.ndarray:
    box_i, box_j = first.tree.boxes(0)[i], second.tree.boxes(0)[j]
    apart = np.maximum(np.maximum(box_j[:, :3] - box_i[:, 3:], 0.0), box_i[:, :3] - box_j[:, 3:])
    gaps: np.ndarray = geodesic_floor_m(np.sqrt((apart * apart).sum(axis=1)))
    return gaps
