"""Edges that are straight in lon/lat, held as arrays for vectorised geodesic work."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from deconflict.geo.ellipsoid import (
    ECCENTRICITY_SQUARED,
    MAX_CURVATURE_RADIUS_M,
    SEMI_MAJOR_AXIS_M,
    ecef_array_m,
)

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Edges:
    """Edges from (a_lon, a_lat) to (b_lon, b_lat), degrees.

    `speed_m` bounds, per edge, how many metres a point moves along the edge
    per unit of its parameter t in [0, 1]: it is a Lipschitz constant for any
    distance measured to a point of the edge, which lets a search discard
    stretches of an edge that provably cannot hold the minimum.
    """

    a_lon: Floats
    a_lat: Floats
    b_lon: Floats
    b_lat: Floats
    speed_m: Floats

    @classmethod
    def of_paths(cls, paths: Iterable[tuple[tuple[float, float], ...]]) -> Edges:
        """The edges between consecutive positions of each path."""
        starts: list[tuple[float, float]] = []
        ends: list[tuple[float, float]] = []
        for path in paths:
            starts.extend(path[:-1])
            ends.extend(path[1:])
        a = np.array(starts, dtype=np.float64).reshape(-1, 2)
        b = np.array(ends, dtype=np.float64).reshape(-1, 2)
        return cls(a[:, 0], a[:, 1], b[:, 0], b[:, 1], _speed_bound_m(a, b))

    def __len__(self) -> int:
        return len(self.a_lon)

    @cached_property
    def a_xyz(self) -> Floats:
        """Each edge's first end in Earth-centred metres, for chord bounds."""
        return ecef_array_m(self.a_lon, self.a_lat)

    @cached_property
    def b_xyz(self) -> Floats:
        """Each edge's second end in Earth-centred metres."""
        return ecef_array_m(self.b_lon, self.b_lat)

    def take(self, index: NDArray[np.intp]) -> Edges:
        """The edges at `index`, in that order."""
        return Edges(
            self.a_lon[index],
            self.a_lat[index],
            self.b_lon[index],
            self.b_lat[index],
            self.speed_m[index],
        )

    def at(self, edge: NDArray[np.intp], t: Floats) -> tuple[Floats, Floats]:
        """Positions (lon, lat) at parameter `t` along the edges numbered `edge`."""
        lon = self.a_lon[edge] + t * (self.b_lon[edge] - self.a_lon[edge])
        lat = self.a_lat[edge] + t * (self.b_lat[edge] - self.a_lat[edge])
        return lon, lat

    def heading_deg(self, edge: NDArray[np.intp], t: Floats) -> Floats:
        """Azimuth (degrees clockwise from north) in which the edge runs at parameter t."""
        lat = np.radians(self.a_lat[edge] + t * (self.b_lat[edge] - self.a_lat[edge]))
        w = np.sqrt(1 - ECCENTRICITY_SQUARED * np.sin(lat) ** 2)
        meridian = SEMI_MAJOR_AXIS_M * (1 - ECCENTRICITY_SQUARED) / w**3
        prime_vertical = SEMI_MAJOR_AXIS_M / w
        east = prime_vertical * np.cos(lat) * np.radians(self.b_lon[edge] - self.a_lon[edge])
        north = meridian * np.radians(self.b_lat[edge] - self.a_lat[edge])
        heading: Floats = np.degrees(np.arctan2(east, north))
        return heading


def _speed_bound_m(a: Floats, b: Floats) -> Floats:
    # ds^2 = M^2 dlat^2 + N^2 cos^2(lat) dlon^2 with M, N <= MAX_CURVATURE_RADIUS_M,
    # and cos(lat) is largest at the latitude of the edge nearest the equator.
    d_lon = np.radians(b[:, 0] - a[:, 0])
    d_lat = np.radians(b[:, 1] - a[:, 1])
    crosses_equator = np.sign(a[:, 1]) != np.sign(b[:, 1])
    nearest_lat = np.where(crosses_equator, 0.0, np.minimum(np.abs(a[:, 1]), np.abs(b[:, 1])))
    cos_max = np.cos(np.radians(nearest_lat))
    speed = MAX_CURVATURE_RADIUS_M * np.hypot(d_lat, cos_max * d_lon)
    # A hair of slack so rounding never makes the bound too tight.
    result: Floats = speed * (1 + 1e-9) + 1e-6
    return result
