"""The geodesic solver the engine calls: the same answers as `Geod.inv`, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from deconflict.geo import ellipsoid
from deconflict.geo.ellipsoid import WGS84, inverse

LONGITUDES = st.floats(-180.0, 180.0)
LATITUDES = st.floats(-90.0, 90.0)


def _rows(elements: st.SearchStrategy[float], size: int) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, size, elements=elements)


@st.composite
def row_sets(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    size = draw(st.integers(1, 40))
    return (
        draw(_rows(LONGITUDES, size)),
        draw(_rows(LATITUDES, size)),
        draw(_rows(LONGITUDES, size)),
        draw(_rows(LATITUDES, size)),
    )


@given(row_sets())
@settings(max_examples=300, deadline=None)
def test_inverse_answers_exactly_as_geod_inv_and_leaves_its_arguments_alone(
    rows: tuple[np.ndarray, ...],
) -> None:
    kept = [row.copy() for row in rows]
    found = inverse(*rows)
    expected = WGS84.inv(kept[0], kept[1], kept[2], kept[3])
    for got, wanted in zip(found, expected, strict=True):
        np.testing.assert_array_equal(got, np.asarray(wanted))
    for row, before in zip(rows, kept, strict=True):
        np.testing.assert_array_equal(row, before)


def test_the_solver_behind_geod_inv_is_used_only_where_it_answers_as_geod_inv() -> None:
    assert ellipsoid._solver_matches() is ellipsoid._SOLVER_MATCHES


def test_inverse_without_the_direct_solver_answers_through_geod_inv(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ellipsoid, "_SOLVER_MATCHES", False)
    lon1, lat1 = np.array([38.64, 179.9]), np.array([33.5, 0.0])
    lon2, lat2 = np.array([38.7, -179.9]), np.array([33.6, 0.0])
    found = inverse(lon1, lat1, lon2, lat2)
    for got, wanted in zip(found, WGS84.inv(lon1, lat1, lon2, lat2), strict=True):
        np.testing.assert_array_equal(got, wanted)
    assert round(float(found[2][1])) == 22264
