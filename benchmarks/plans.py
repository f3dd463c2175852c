"""Synthetic plans for benchmarks: worldwide, with dense clusters, reproducible by seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(2026, 10, 1, tzinfo=UTC)
_CLUSTERS = [(38.64, 33.5), (179.5, -17.0), (0.0, 89.0), (-75.0, 40.0), (30.0, -1.0)]


def random_plan(count: int, seed: int = 7, max_radius_m: float = 600_000.0) -> dict[str, Any]:
    """A FeatureCollection of `count` circles, a fifth of them corridors or areas."""
    rng = random.Random(seed)
    features = [_feature(rng, f"f{i:06d}", max_radius_m) for i in range(count)]
    return {"type": "FeatureCollection", "features": features}


def _position(rng: random.Random) -> tuple[float, float]:
    if rng.random() < 0.5:
        lon, lat = rng.choice(_CLUSTERS)
        return (
            max(-180.0, min(180.0, lon + rng.gauss(0, 1.0))),
            max(-90.0, min(90.0, lat + rng.gauss(0, 0.5))),
        )
    return rng.uniform(-180, 180), rng.uniform(-80, 80)


def _feature(rng: random.Random, fid: str, max_radius_m: float) -> dict[str, Any]:
    lon, lat = _position(rng)
    start = _EPOCH + timedelta(hours=rng.randrange(0, 24 * 20))
    end = None if rng.random() < 0.1 else start + timedelta(hours=rng.randrange(1, 96))
    properties: dict[str, Any] = {
        "kind": "zone" if rng.random() < 0.4 else "activity",
        "party": f"p{rng.randrange(1, 6)}",
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": end.isoformat().replace("+00:00", "Z") if end else None,
        "buffer_m": rng.choice([0, 500, 2000, 10_000]),
    }
    if rng.random() < 0.7:
        lower = rng.choice([0, 1000, 3000])
        properties["altitude"] = {"lower_m": lower, "upper_m": lower + rng.choice([500, 5000])}
    shape = rng.random()
    if shape < 0.8 or abs(lat) > 85 or abs(lon) > 178:
        properties["radius_m"] = rng.uniform(100.0, max_radius_m) ** 1.0 * rng.random()
        geometry = {"type": "Point", "coordinates": [lon, lat]}
    elif shape < 0.9:
        properties["half_width_m"] = rng.uniform(100, 5000)
        path = [[lon, lat]]
        for _ in range(rng.randrange(1, 5)):
            lon = max(-180.0, min(180.0, lon + rng.uniform(-0.5, 0.5)))
            lat = max(-85.0, min(85.0, lat + rng.uniform(-0.5, 0.5)))
            path.append([lon, lat])
        geometry = {"type": "LineString", "coordinates": path}
    else:
        size = rng.uniform(0.01, 0.5)
        ring = [
            [lon, lat],
            [lon + size, lat],
            [lon + size, lat + size],
            [lon, lat + size],
            [lon, lat],
        ]
        geometry = {"type": "Polygon", "coordinates": [ring]}
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


_MIDDLE_EAST = (34.0, 29.0, 48.0, 38.0)  # lon, lat of its south-west and north-east corners
_MIXED_EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def mixed_plan(count: int, seed: int = 5) -> dict[str, Any]:
    """`count` features over the Middle East: a third circles, a sixth corridors, a sixth
    polygons, a third sectors, orbits and tracks; windows over three months, some stacked bands."""
    rng = random.Random(seed)
    features = []
    for i in range(count):
        lon = rng.uniform(_MIDDLE_EAST[0], _MIDDLE_EAST[2])
        lat = rng.uniform(_MIDDLE_EAST[1], _MIDDLE_EAST[3])
        geometry, shape = _mixed_shape(rng, lon, lat)
        start = _MIXED_EPOCH + timedelta(hours=rng.randrange(0, 24 * 90))
        zone = rng.random() < 0.4
        properties: dict[str, Any] = {
            "kind": "zone" if zone else "activity",
            "party": f"p{rng.randrange(1, 5)}",
            "start": start.isoformat().replace("+00:00", "Z"),
            "end": (start + timedelta(hours=rng.randrange(1, 25)))
            .isoformat()
            .replace("+00:00", "Z"),
            "buffer_m": rng.choice([0, 500, 1000, 5000]),
            **shape,
        }
        if zone and rng.random() < 0.1:
            properties["end"] = None
        if rng.random() < 0.5:
            lower = rng.choice([0, 1500, 4500])
            properties["altitude"] = {"lower_m": lower, "upper_m": lower + rng.choice([1500, 6000])}
        features.append(
            {"type": "Feature", "id": f"m{i:06d}", "geometry": geometry, "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features}


def _mixed_shape(
    rng: random.Random, lon: float, lat: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(GeoJSON geometry, shape properties) of one feature at (lon, lat), kind drawn by weight."""
    point = {"type": "Point", "coordinates": [lon, lat]}
    kind = rng.choices(
        ["circle", "corridor", "polygon", "sector", "orbit", "track"], [6, 3, 3, 2, 2, 2]
    )[0]
    if kind == "circle":
        return point, {"radius_m": rng.uniform(200.0, 10_000.0)}
    if kind == "sector":
        inner = rng.choice([0.0, rng.uniform(1_000.0, 10_000.0)])
        outer = inner + rng.uniform(2_000.0, 25_000.0)
        start = rng.uniform(0.0, 360.0)
        sweep = rng.choice([0.0, rng.uniform(5.0, 180.0)])  # 0: the whole ring
        return point, {
            "sector": {
                "outer_m": outer,
                "inner_m": inner,
                "from_deg": start,
                "to_deg": (start + sweep) % 360.0,
            }
        }
    path = [[lon, lat]]
    for _ in range(1 if kind == "orbit" else rng.randrange(1, 4)):
        path.append([path[-1][0] + rng.uniform(-0.3, 0.3), path[-1][1] + rng.uniform(-0.3, 0.3)])
    line = {"type": "LineString", "coordinates": path}
    if kind == "corridor":
        return line, {"half_width_m": rng.uniform(100.0, 3_000.0)}
    if kind == "orbit":
        return line, {
            "orbit": {
                "width_m": rng.uniform(2_000.0, 15_000.0),
                "side": rng.choice(["centre", "left", "right"]),
            }
        }
    if kind == "track":
        return line, {
            "track": {
                "left_m": rng.choice([0.0, rng.uniform(500.0, 5_000.0)]),
                "right_m": rng.uniform(500.0, 5_000.0),
            }
        }
    size = rng.uniform(0.01, 0.2)
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}, {}
