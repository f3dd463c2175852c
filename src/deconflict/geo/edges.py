"""Edges that are straight in lon/lat, held as arrays for vectorised geodesic work.

Long edges are cut into pieces (the same line, straight in lon/lat between
points interpolated in lon/lat): at most a kilometre long and within a metre
of their own chord, so the boxes that hold them stay tight and the exact
search walks each piece in one step. An edge 180 degrees of longitude long is
about 20,000 pieces.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from deconflict.geo.ellipsoid import (
    ECCENTRICITY_SQUARED,
    MAX_CURVATURE_RADIUS_M,
    MIN_CURVATURE_RADIUS_M,
    SEMI_MAJOR_AXIS_M,
    ecef_array_m,
)
from deconflict.geo.hierarchy import BoxTree

Floats = NDArray[np.float64]

# The longest piece (by the bound on its length) and the most it may stray from its chord.
_PIECE_M = 1000.0
_PIECE_SAG_M = 1.0
# Bounds the second derivatives of the Earth-centred position in (lat, lon), metres per
# radian squared: at most the largest radius of curvature (checked numerically to 1e-7).
_SECOND_DERIVATIVE_M = MAX_CURVATURE_RADIUS_M * 1.001
# Rounding in Earth-centred metres, added to every box.
_BOX_SLACK_M = 1e-3


@dataclass(frozen=True)
class Edges:
    """Edges from (a_lon, a_lat) to (b_lon, b_lat), degrees.

    `speed_m` bounds, per edge, how many metres a point moves along the edge
    per unit of its parameter t in [0, 1]: it is a Lipschitz constant for any
    distance measured to a point of the edge, which lets a search discard
    stretches of an edge that provably cannot hold the minimum. `sag_m`
    bounds how far the edge strays from the straight chord between its ends.
    """

    a_lon: Floats
    a_lat: Floats
    b_lon: Floats
    b_lat: Floats
    speed_m: Floats
    sag_m: Floats

    @classmethod
    def of_paths(cls, paths: Iterable[tuple[tuple[float, float], ...]]) -> Edges:
        """The edges between consecutive positions of each path, long ones cut into pieces."""
        return cls.of_arrays([lonlat_array(path) for path in paths])

    @classmethod
    def of_arrays(cls, xy: Sequence[Floats]) -> Edges:
        """The edges between consecutive rows of each array (n x 2, lon/lat), long ones cut
        into pieces."""
        if len(xy) == 1:  # one path (a corridor, a one-ring area): its rows as they are
            a, b = xy[0][:-1], xy[0][1:]
        else:
            a = np.concatenate([p[:-1] for p in xy]) if xy else np.empty((0, 2))
            b = np.concatenate([p[1:] for p in xy]) if xy else np.empty((0, 2))
        speed, sag = _bounds_m(a, b)
        cut_a, cut_b = _pieces(a, b, speed, sag)
        if cut_a is not a:  # cut: the pieces' own bounds
            a, b = cut_a, cut_b
            speed, sag = _bounds_m(a, b)
        return cls(a[:, 0], a[:, 1], b[:, 0], b[:, 1], speed, sag)

    def __len__(self) -> int:
        return len(self.a_lon)

    @property
    def bend_m(self) -> Floats:
        """Bounds, per edge, the second derivative in t of its Earth-centred position
        (metres per unit t squared): a chord's sag is an eighth of it."""
        bend: Floats = 8 * self.sag_m
        return bend

    @cached_property
    def _ends_xyz(self) -> Floats:
        """Both ends of every edge in Earth-centred metres, first ends then second ends:
        one conversion, not two (numpy's cost per call outweighs a short shape's rows)."""
        lon = np.concatenate((self.a_lon, self.b_lon))
        lat = np.concatenate((self.a_lat, self.b_lat))
        return ecef_array_m(lon, lat)

    @property
    def a_xyz(self) -> Floats:
        """Each edge's first end in Earth-centred metres, for chord bounds."""
        return self._ends_xyz[: len(self)]

    @property
    def b_xyz(self) -> Floats:
        """Each edge's second end in Earth-centred metres."""
        return self._ends_xyz[len(self) :]

    @cached_property
    def tree(self) -> BoxTree:
        """Boxes over the edges and runs of them, for `hierarchy.near_pairs`."""
        a_xyz, b_xyz = self.a_xyz, self.b_xyz
        grow = (self.sag_m + _BOX_SLACK_M)[:, None]
        low = np.minimum(a_xyz, b_xyz) - grow
        high = np.maximum(a_xyz, b_xyz) + grow
        joined = (self.b_lon[:-1] == self.a_lon[1:]) & (self.b_lat[:-1] == self.a_lat[1:])
        return BoxTree.of_boxes(low, high, self.speed_m, np.append(joined, False))

    def least_speed_m(self, edge: NDArray[np.intp]) -> Floats:
        """Per edge numbered `edge`, a lower bound of the metres a point moves along it per
        unit of t: the least radius of curvature, and cos(lat) where it is smallest."""
        d_lon = np.radians(self.b_lon[edge] - self.a_lon[edge])
        d_lat = np.radians(self.b_lat[edge] - self.a_lat[edge])
        farthest = np.maximum(np.abs(self.a_lat[edge]), np.abs(self.b_lat[edge]))
        slowest: Floats = (
            MIN_CURVATURE_RADIUS_M
            * np.hypot(d_lat, np.cos(np.radians(farthest)) * d_lon)
            * (1 - 1e-9)
        )
        return slowest

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


def lonlat_array(positions: Sequence[tuple[float, float]]) -> Floats:
    """Positions as an n x 2 array; a third of the time `np.array` takes on tuples."""
    flat = np.fromiter(
        itertools.chain.from_iterable(positions), dtype=np.float64, count=2 * len(positions)
    )
    return flat.reshape(-1, 2)


def _pieces(a: Floats, b: Floats, speed_m: Floats, sag_m: Floats) -> tuple[Floats, Floats]:
    """Edges (a[k] to b[k], their bounds `speed_m` and `sag_m`) cut evenly in lon/lat into
    pieces short and straight enough; `a` and `b` themselves when none needs cutting."""
    count = np.maximum(np.ceil(speed_m / _PIECE_M), np.ceil(np.sqrt(sag_m / _PIECE_SAG_M)))
    count = np.maximum(count, 1).astype(np.intp)
    if int(count.max(initial=1)) == 1:
        return a, b
    edge = np.repeat(np.arange(len(a)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    step = np.arange(edge.size) - first
    t0 = (step / count[edge])[:, None]
    t1 = ((step + 1) / count[edge])[:, None]
    span = b[edge] - a[edge]
    ends = a[edge] + t1 * span
    last = step + 1 == count[edge]
    ends[last] = b[edge[last]]  # the edge's own end, not one rounded by interpolation
    return a[edge] + t0 * span, ends


def _bounds_m(a: Floats, b: Floats) -> tuple[Floats, Floats]:
    """Per row, `path_length_bound_m` and a bound of how far the lon/lat-straight path from
    a[k] to b[k] strays from its chord, from one set of differences and cosines."""
    d_lon = np.radians(b[:, 0] - a[:, 0])
    d_lat = np.radians(b[:, 1] - a[:, 1])
    cos_max = np.cos(np.radians(_nearest_equator_deg(a, b)))
    return _speed_m(d_lon, d_lat, cos_max), _sag_m(np.abs(d_lon), np.abs(d_lat), cos_max)


def _sag_m(d_lon: Floats, d_lat: Floats, cos_max: Floats) -> Floats:
    # A curve strays from its chord by at most an eighth of its largest second
    # derivative; in (lat, lon) that is at most K (dlat^2 + 2 |dlat dlon| + cos dlon^2).
    second = _SECOND_DERIVATIVE_M * (d_lat**2 + 2 * d_lat * d_lon + cos_max * d_lon**2)
    sag: Floats = second / 8
    return sag


def _nearest_equator_deg(a: Floats, b: Floats) -> Floats:
    """The latitude of each edge nearest the equator (absolute, degrees)."""
    crosses_equator = np.sign(a[:, 1]) != np.sign(b[:, 1])
    nearest: Floats = np.where(crosses_equator, 0.0, np.minimum(np.abs(a[:, 1]), np.abs(b[:, 1])))
    return nearest


def path_length_bound_m(a: Floats, b: Floats) -> Floats:
    """Per row, a bound (metres) of the length of the lon/lat-straight path from a[k] to b[k]
    (n x 2, lon/lat, the longitudes as far apart as the path runs): so also of the geodesic
    distance between them, which no path undercuts. At most 1% above the geodesic over
    short paths (the largest radius of curvature against the local ones)."""
    # ds^2 = M^2 dlat^2 + N^2 cos^2(lat) dlon^2 with M, N <= MAX_CURVATURE_RADIUS_M,
    # and cos(lat) is largest at the latitude of the edge nearest the equator.
    d_lon = np.radians(b[:, 0] - a[:, 0])
    d_lat = np.radians(b[:, 1] - a[:, 1])
    return _speed_m(d_lon, d_lat, np.cos(np.radians(_nearest_equator_deg(a, b))))


def _speed_m(d_lon: Floats, d_lat: Floats, cos_max: Floats) -> Floats:
    speed = MAX_CURVATURE_RADIUS_M * np.hypot(d_lat, cos_max * d_lon)
    # A hair of slack so rounding never makes the bound too tight.
    result: Floats = speed * (1 + 1e-9) + 1e-6
    return result
