"""The shapes a zone or an activity occupies, as plain values.

Every shape is a *core* (a point, a path or an area) plus a *reach* in metres:
a circle is a point with a radius, a corridor a path with a half-width, an area
has no reach. Distances are decided on the cores, then reduced by the reaches,
so circles and corridors are never approximated by polygons.

Coordinates are (lon, lat) in decimal degrees, WGS84. Paths and area edges are
straight in lon/lat, as RFC 7946 reads them; a shape that crosses the
antimeridian arrives split in two.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import shapely
from shapely.geometry.base import BaseGeometry

from deconflict.geo.edges import Edges

LonLat = tuple[float, float]
Ring = tuple[LonLat, ...]
PolygonRings = tuple[Ring, ...]  # exterior ring first, then holes


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
    """One or more polygons (holes allowed) with straight lon/lat edges."""

    polygons: tuple[PolygonRings, ...]

    @property
    def reach_m(self) -> float:
        return 0.0

    @cached_property
    def planar(self) -> BaseGeometry:
        """The area as a planar lon/lat geometry, for exact containment tests."""
        parts = [shapely.Polygon(rings[0], rings[1:]) for rings in self.polygons]
        geometry = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
        shapely.prepare(geometry)
        return geometry

    @property
    def rings(self) -> tuple[Ring, ...]:
        """Every ring (exteriors and holes): together they are the area's boundary."""
        return tuple(ring for rings in self.polygons for ring in rings)

    @cached_property
    def edges(self) -> Edges:
        """The boundary's edges (exteriors and holes), for geodesic search."""
        return Edges.of_paths(self.rings)


Shape = Circle | Corridor | Area
