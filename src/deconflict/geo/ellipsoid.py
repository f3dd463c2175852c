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
    n = SEMI_MAJOR_AXIS_M / np.sqrt(1 - ECCENTRICITY_SQUARED * np.sin(lat) ** 2)
    return np.column_stack(
        (
            n * np.cos(lat) * np.cos(lon),
            n * np.cos(lat) * np.sin(lon),
            n * (1 - ECCENTRICITY_SQUARED) * np.sin(lat),
        )
    )


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
