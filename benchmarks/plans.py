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
