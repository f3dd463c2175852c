"""The WGS84 ellipsoid: its constants, the geodesic solver, Earth-centred coordinates."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

SEMI_MAJOR_AXIS_M = 6378137.0
FLATTENING = 1 / 298.257223563
ECCENTRICITY_SQUARED = FLATTENING * (2 - FLATTENING)
# Largest radii of curvature (meridian and prime vertical both peak at the poles):
# they bound how fast a point moves along a lon/lat-straight edge.
MAX_CURVATURE_RADIUS_M = SEMI_MAJOR_AXIS_M / math.sqrt(1 - ECCENTRICITY_SQUARED)
# The smallest (the meridian's, at the equator): how slowly it can move.
MIN_CURVATURE_RADIUS_M = SEMI_MAJOR_AXIS_M * (1 - ECCENTRICITY_SQUARED)

WGS84 = Geod(ellps="WGS84")

Floats = NDArray[np.float64]


def inverse(
    lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats
) -> tuple[Floats, Floats, Floats]:
    """The geodesic inverse problem per row: (forward azimuth at the first point, back
    azimuth at the second, distance in metres), degrees in and out.

    The engine solves a few geodesics at a time, thousands of times a check:
    `Geod.inv` spends two thirds of such a call on checking and copying its
    inputs. So rows go straight to PROJ's solver (`Geod._inv`, the one `inv`
    calls, which writes its answers over its inputs) in fresh float64 arrays,
    wherever that solver answers as `inv` does (checked at import).
    """
    if not _SOLVER_MATCHES:
        forward, back, distance = WGS84.inv(lon1, lat1, lon2, lat2)
        return np.asarray(forward), np.asarray(back), np.asarray(distance)
    forward = np.array(lon1, dtype=np.float64)
    back = np.array(lat1, dtype=np.float64)
    distance = np.array(lon2, dtype=np.float64)
    WGS84._inv(forward, back, distance, np.array(lat2, dtype=np.float64), return_back_azimuth=True)
    return forward, back, distance


def _solver_matches() -> bool:
    """Whether `Geod._inv` answers in place exactly as `Geod.inv` does."""
    lon1, lat1 = np.array([38.64, -179.9, 0.0]), np.array([33.5, 0.0, 89.0])
    lon2, lat2 = np.array([38.7, 179.9, 180.0]), np.array([33.6, 0.5, 89.0])
    expected = [np.asarray(v) for v in WGS84.inv(lon1, lat1, lon2, lat2)]
    try:
        found = [lon1.copy(), lat1.copy(), lon2.copy()]
        WGS84._inv(found[0], found[1], found[2], lat2.copy(), return_back_azimuth=True)
    except (AttributeError, TypeError):
        return False
    return all(np.array_equal(a, b) for a, b in zip(found, expected, strict=True))


_SOLVER_MATCHES = _solver_matches()


def ecef_m(lon_deg: float, lat_deg: float) -> tuple[float, float, float]:
    """Earth-centred coordinates in metres of a point on the ellipsoid surface.

    >>> [round(v) for v in ecef_m(0.0, 90.0)]
    [0, 0, 6356752]
    >>> [round(v) for v in ecef_m(180.0, 0.0)] == [round(v) for v in ecef_m(-180.0, 0.0)]
    True
    """
    lon, lat = math.radians(lon_deg), math.radians(lat_deg)
    n = prime_vertical_radius_m(lat)
    return (
        n * math.cos(lat) * math.cos(lon),
        n * math.cos(lat) * math.sin(lon),
        n * (1 - ECCENTRICITY_SQUARED) * math.sin(lat),
    )


def prime_vertical_radius_m(lat_rad: float) -> float:
    return SEMI_MAJOR_AXIS_M / math.sqrt(1 - ECCENTRICITY_SQUARED * math.sin(lat_rad) ** 2)


def ecef_array_m(lon_deg: NDArray[np.float64], lat_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Earth-centred coordinates in metres of many surface points, one row (x, y, z) each."""
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    sin_lat = np.sin(lat)
    n = SEMI_MAJOR_AXIS_M / np.sqrt(1 - ECCENTRICITY_SQUARED * sin_lat**2)
    across = n * np.cos(lat)
    xyz = np.empty((lon.size, 3))
    xyz[:, 0] = across * np.cos(lon)
    xyz[:, 1] = across * np.sin(lon)
    xyz[:, 2] = n * (1 - ECCENTRICITY_SQUARED) * sin_lat
    return xyz


_POLAR_RADIUS_M = SEMI_MAJOR_AXIS_M * (1 - FLATTENING)
# Below this chord b times the angle is less than the chord itself (they cross near
# 1,800 km, where the chord's shortfall against the arc outgrows the flattening).
_CHORD_WINS_M = 1_000_000.0


def geodesic_floor_m(chord_m: NDArray[np.float64]) -> NDArray[np.float64]:
    """A lower bound of the geodesic distance between surface points `chord_m` apart in 3-D.

    A chord is never longer than the geodesic. Far apart, a better bound: the
    surface lies outside the sphere of the polar radius b, and projecting onto
    it never lengthens a curve, so the geodesic is at least b times the angle
    between the points seen from the centre, which the chord bounds from below.

    >>> [round(float(v)) for v in geodesic_floor_m(np.array([1000.0, 12_000_000.0]))]
    [1000, 15570527]
    """
    chord_m = np.maximum(chord_m, 0.0)
    if chord_m.size == 0 or float(chord_m.max()) < _CHORD_WINS_M:
        return chord_m  # the sphere's bound is the weaker one this close
    spread = np.sqrt(np.maximum(chord_m**2 - (SEMI_MAJOR_AXIS_M - _POLAR_RADIUS_M) ** 2, 0.0))
    angle = 2.0 * np.arcsin(np.minimum(spread / (2.0 * SEMI_MAJOR_AXIS_M), 1.0))
    floor: NDArray[np.float64] = np.maximum(chord_m, _POLAR_RADIUS_M * angle)
    return floor
