"""The shapes a zone or an activity occupies, as plain values.

Every shape is a *core* (a point, a path or an area) plus a *reach* in metres:
a circle is a point with a radius, a corridor a path with a half-width, an area
has no reach. Distances are decided on the cores, then reduced by the reaches,
so circles and corridors are never approximated by polygons.

Coordinates are (lon, lat) in decimal degrees, WGS84. Paths and area edges are
straight in lon/lat, as RFC 7946 reads them; a shape that crosses the
antimeridian arrives split in two.

Sectors, orbits and tracks are described here and built into circles,
corridors and areas by `geo.construct` (`resolve`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from deconflict.geo.edges import Edges, Floats, lonlat_array

LonLat = tuple[float, float]
Ring = tuple[LonLat, ...]
PolygonRings = tuple[Ring, ...]  # exterior ring first, then holes
RingLengths = tuple[tuple[int, ...], ...]  # positions in each ring, per polygon


@dataclass(frozen=True)
class Circle:
    """A point with a radius in metres (radius 0 is a bare point)."""

    centre: LonLat
    radius_m: float = 0.0

    @property
    def reach_m(self) -> float:
        return self.radius_m


@dataclass(frozen=True)
class Corridor:
    """A path of two or more positions with a half-width in metres on each side."""

    path: tuple[LonLat, ...]
    half_width_m: float = 0.0

    @property
    def reach_m(self) -> float:
        return self.half_width_m

    @cached_property
    def planar(self) -> BaseGeometry:
        """The path as a planar lon/lat geometry, for exact intersection tests."""
        return shapely.LineString(self.path)

    @cached_property
    def edges(self) -> Edges:
        """The centre line's edges, for geodesic search."""
        return Edges.of_paths([self.path])


@dataclass(frozen=True)
class Area:
    """One or more polygons (holes allowed) with straight lon/lat edges.

    `margin_m` grows the area on every side; it is 0 for an area as typed and
    holds the construction tolerance of an area built from a sector or track.

    An area built from arrays (`of_arrays`: a sector or track, or any area sent
    back from a worker process) keeps them, and makes `polygons` as tuples only
    when they are first asked for: the engine measures on the arrays, and a
    large plan's built areas hold millions of positions.
    """

    polygons: tuple[PolygonRings, ...]
    margin_m: float = 0.0

    @classmethod
    def of_arrays(cls, positions: Floats, lengths: RingLengths, margin_m: float = 0.0) -> Area:
        """The area whose rings are consecutive runs of `positions` (n x 2, lon/lat), as
        many positions in each as `lengths` says (per polygon, exterior first)."""
        area = object.__new__(cls)
        kept = vars(area)  # a frozen dataclass refuses new attributes, not its __dict__
        kept["margin_m"] = margin_m
        kept["ring_lengths"] = lengths
        ends = itertools.accumulate(n for ring_lengths in lengths for n in ring_lengths)
        runs = itertools.pairwise(itertools.chain((0,), ends))
        kept["ring_arrays"] = tuple(positions[start:end] for start, end in runs)
        return area

    def __getattr__(self, name: str) -> tuple[PolygonRings, ...]:
        """`polygons` of an area built from arrays, made from them when first asked for."""
        if name != "polygons":
            raise AttributeError(f"'Area' object has no attribute '{name}'")
        rings = iter(_ring_tuples(self.ring_arrays))
        polygons = tuple(
            tuple(next(rings) for _ in ring_lengths) for ring_lengths in self.ring_lengths
        )
        vars(self)["polygons"] = polygons
        return polygons

    @property
    def reach_m(self) -> float:
        return self.margin_m

    @cached_property
    def ring_lengths(self) -> RingLengths:
        """How many positions each ring holds, per polygon (exterior first)."""
        return tuple(tuple(len(ring) for ring in rings) for rings in self.polygons)

    @cached_property
    def ring_arrays(self) -> tuple[Floats, ...]:
        """Every ring (exteriors and holes, in order) as an n x 2 array of lon/lat."""
        return tuple(lonlat_array(ring) for rings in self.polygons for ring in rings)

    def exterior_arrays(self) -> tuple[Floats, ...]:
        """Each polygon's exterior ring as an n x 2 array of lon/lat."""
        firsts = itertools.accumulate((len(rings) for rings in self.ring_lengths), initial=0)
        polygons = len(self.ring_lengths)
        return tuple(self.ring_arrays[first] for first in itertools.islice(firsts, polygons))

    @cached_property
    def planar(self) -> BaseGeometry:
        """The area as a planar lon/lat geometry, for exact containment tests."""
        rings = iter(self.ring_arrays)
        parts = []
        for ring_lengths in self.ring_lengths:
            exterior = next(rings)
            parts.append(shapely.Polygon(exterior, [next(rings) for _ in ring_lengths[1:]]))
        geometry = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
        shapely.prepare(geometry)
        return geometry

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled as one array of positions and the length of every ring: a worker process
        that built a plan's sectors and tracks sends them back in half the time tuples take
        (and a fifth fewer bytes), and they are read back as arrays."""
        flat = np.concatenate(self.ring_arrays) if self.ring_arrays else np.empty((0, 2))
        return (Area.of_arrays, (flat, self.ring_lengths, self.margin_m))

    @property
    def rings(self) -> tuple[Ring, ...]:
        """Every ring (exteriors and holes): together they are the area's boundary."""
        return tuple(ring for rings in self.polygons for ring in rings)

    @cached_property
    def edges(self) -> Edges:
        """The boundary's edges (exteriors and holes), for geodesic search."""
        return Edges.of_arrays(self.ring_arrays)


def _ring_tuples(arrays: tuple[Floats, ...]) -> list[Ring]:
    """Rings of lon/lat arrays as tuples of (lon, lat) floats."""
    return [tuple(zip(a[:, 0].tolist(), a[:, 1].tolist(), strict=True)) for a in arrays]


class Side(StrEnum):
    """Where an orbit lies against the line between its two points (seen from the first)."""

    CENTRE = "centre"
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class Sector:
    """Between two geodesic circles around `origin`, clockwise from one bearing to another.

    Bearings are degrees from true north; `from_deg == to_deg` (or a span of
    360) is the whole ring, and `inner_m == 0` reaches the origin. This is the
    ACO RADARC, and a pie slice or an annulus as special cases.
    """

    origin: LonLat
    outer_m: float
    inner_m: float = 0.0
    from_deg: float = 0.0
    to_deg: float = 360.0

    @property
    def span_deg(self) -> float:
        """Degrees swept clockwise from `from_deg` to `to_deg` (360 for the whole ring)."""
        span = (self.to_deg - self.from_deg) % 360.0
        return 360.0 if span == 0.0 else span

    def covers_bearing(self, bearing_deg: float) -> bool:
        """True when `bearing_deg` lies within the swept bearings (edges included)."""
        return (bearing_deg - self.from_deg) % 360.0 <= self.span_deg


@dataclass(frozen=True)
class Orbit:
    """A racetrack: every point within `width_m / 2` of the geodesic between two points.

    With `side` LEFT or RIGHT the racetrack lies wholly on that side of the
    line from `first` to `second`, the line being its edge (ACO ORBIT
    alignment L / R); CENTRE puts the line down its middle.
    """

    first: LonLat
    second: LonLat
    width_m: float
    side: Side = Side.CENTRE


@dataclass(frozen=True)
class Track:
    """A route with its own width on each side: `left_m` and `right_m` of the centre line.

    Sides are seen facing along the path. Each leg is the band between its
    two geodesic parallels, ends cut square at the first and last position;
    at a turn the outer side is filled by an arc around the turning point,
    so the track never opens a gap.
    """

    path: tuple[LonLat, ...]
    left_m: float
    right_m: float


BasicShape = Circle | Corridor | Area
Shape = Circle | Corridor | Area | Sector | Orbit | Track
