"""The field conventions: airspace shapes in the exact rule, repeating schedules, site imports.

Shapes and schedules are timed in process against the circle and the one-off
they extend; site imports go through a real server (uvicorn over a SQLite
file) on loopback. Every loop stops after a fixed amount of work.

Usage: python -m benchmarks.conventions [--quick]  (prints the markdown; writes nothing)
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.line_api import _seed, server
from deconflict.formats import Defaults
from deconflict.formats.registry import read_geojson, write_geojson
from deconflict.formats.sites_csv import read_sites_csv
from deconflict.geo.construct import resolve
from deconflict.geo.distance import distance_within_m, geodesic_distance_m
from deconflict.geo.ellipsoid import WGS84
from deconflict.geo.shapes import Area, Circle, Corridor, LonLat, Orbit, Sector, Shape, Track
from deconflict.rules.plan import feature_to_geojson
from deconflict.rules.schedule import Every, Recurrence, Schedule, TimeWindow, overlaps

_ORIGIN = (38.64, 33.5)  # At Tanf, where the line began
_PROBE_RADIUS_M = 5000.0
_NEAR_GAP_M = 2000.0  # the probe's edge stands this far from the shape...
_LIMIT_SLACK_M = 50.0  # ...and the limit this much either side of it
_FAR_M = 100_000.0
_T0 = datetime(2030, 1, 7, tzinfo=UTC)  # a Monday
_SITE_CLUSTERS = [(36.2, 36.2), (38.64, 33.5), (36.3, 33.5), (40.1, 35.3), (44.4, 33.3)]
_CATEGORIES = ("hospital", "clinic", "school", "camp", "warehouse", "water point")


def moved(point: LonLat, azimuth_deg: float, distance_m: float) -> LonLat:
    """The point `distance_m` metres from `point` along the geodesic leaving at `azimuth_deg`."""
    lon, lat, _ = WGS84.fwd(point[0], point[1], azimuth_deg, distance_m)
    return float(lon), float(lat)


def _per_call_s(action: Callable[[], object], budget_s: float, repeats: int) -> float:
    """Median over `repeats` of seconds per call; each repeat loops for about `budget_s`."""
    action()  # warm: caches, imports, first-call set-up
    started = time.perf_counter()
    action()
    calls = max(1, min(20_000, int(budget_s / max(time.perf_counter() - started, 1e-7))))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        times.append((time.perf_counter() - started) / calls)
    return statistics.median(times)


def shapes_under_test() -> dict[str, Shape]:
    """The shapes a 5 km circle is measured against, all around the same origin."""
    star = [moved(_ORIGIN, i * 18.0, 10_000.0 if i % 2 else 6_000.0) for i in range(20)]
    legs = [_ORIGIN]
    for heading in (60.0, 120.0, 60.0, 120.0, 90.0):
        legs.append(moved(legs[-1], heading, 10_000.0))
    return {
        "Circle, 5 km": Circle(_ORIGIN, 5_000.0),
        "Polygon, 20 vertices": Area((((*star, star[0]),),)),
        "Corridor, 4 legs, 2 km": Corridor(
            tuple(moved(_ORIGIN, 90.0, i * 10_000.0) for i in range(5)), 2_000.0
        ),
        "Sector, 90°, 20 km": Sector(_ORIGIN, 20_000.0, 0.0, 45.0, 135.0),
        "Sector, 90°, 5-20 km": Sector(_ORIGIN, 20_000.0, 5_000.0, 45.0, 135.0),
        "Orbit, 40 x 10 km": Orbit(_ORIGIN, moved(_ORIGIN, 90.0, 40_000.0), 10_000.0),
        "Track, 5 legs, 2/5 km": Track(tuple(legs), 2_000.0, 5_000.0),
    }


def _probe_at_gap(shape: Shape, gap_m: float) -> Circle:
    """A 5 km circle south-south-west of the shape whose edge is `gap_m` from it (bisection)."""
    low_m, high_m = 0.0, 500_000.0
    for _ in range(26):  # 500 km / 2**26: under a centimetre
        middle_m = (low_m + high_m) / 2.0
        probe = Circle(moved(_ORIGIN, 200.0, middle_m), _PROBE_RADIUS_M)
        if geodesic_distance_m(shape, probe) < gap_m:
            low_m = middle_m
        else:
            high_m = middle_m
    return Circle(moved(_ORIGIN, 200.0, high_m), _PROBE_RADIUS_M)


def _margin_cm(shape: Shape) -> float | None:
    """What construction added to the true shape, in centimetres (None: nothing was built)."""
    if isinstance(shape, Orbit):
        return (resolve(shape).reach_m - shape.width_m / 2.0) * 100.0
    if isinstance(shape, (Sector, Track)):
        built = resolve(shape)
        return built.margin_m * 100.0 if isinstance(built, Area) else 0.0
    return None


def _distance_us(
    shape: Shape, probe: Circle, limit_m: float, budget_s: float, repeats: int
) -> float:
    return _per_call_s(lambda: distance_within_m(shape, probe, limit_m), budget_s, repeats) * 1e6


def _build_ms(shape: Sector | Orbit | Track, budget_s: float, repeats: int) -> float:
    """Building the shape for the engine, once per fresh instance (the result is cached on it)."""
    return _per_call_s(lambda: resolve(dataclasses.replace(shape)), budget_s, repeats) * 1e3


def distance_rows(budget_s: float, repeats: int) -> list[dict[str, Any]]:
    """Per shape: µs per exact distance near the limit (both sides) and far away; build cost."""
    rows = []
    for name, shape in shapes_under_test().items():
        resolve(shape)  # built once, as the line builds it once per feature
        near = _probe_at_gap(shape, _NEAR_GAP_M)
        far = _probe_at_gap(shape, _FAR_M)
        inside, outside = _NEAR_GAP_M + _LIMIT_SLACK_M, _NEAR_GAP_M - _LIMIT_SLACK_M
        assert distance_within_m(shape, near, inside) is not None, name
        assert distance_within_m(shape, near, outside) is None, name
        assert distance_within_m(shape, far, _NEAR_GAP_M) is None, name
        rows.append(
            {
                "shape": name,
                "within_us": _distance_us(shape, near, inside, budget_s, repeats),
                "beyond_us": _distance_us(shape, near, outside, budget_s, repeats),
                "far_us": _distance_us(shape, far, _NEAR_GAP_M, budget_s, repeats),
                "build_ms": _build_ms(shape, budget_s, repeats)
                if isinstance(shape, (Sector, Orbit, Track))
                else None,
                "margin_cm": _margin_cm(shape),
            }
        )
    return rows


def shapes_section(budget_s: float, repeats: int) -> list[str]:
    """The exact rule on the airspace shapes, beside the circle, corridor and polygon."""
    rows = distance_rows(budget_s, repeats)
    circle = rows[0]

    def cell(row: dict[str, Any], key: str) -> str:
        return f"{row[key]:,.0f} µs ({row[key] / circle[key]:,.0f}x)"

    def built(row: dict[str, Any]) -> str:
        if row["build_ms"] is None:
            return "-"
        return f"{row['build_ms']:.1f} ms / {row['margin_cm']:.1f} cm"

    return [
        "## Airspace shapes in the exact rule",
        "",
        "`distance_within_m` between a 5 km circle and each shape (all around At Tanf; the "
        f"circle's edge {_NEAR_GAP_M / 1000:.0f} km from the shape with the limit "
        f"{_LIMIT_SLACK_M:.0f} m above it (a conflict: the exact distance is found) or below "
        f"it (clear: proven beyond), and {_FAR_M / 1000:.0f} km away), the shape built "
        f"beforehand as the line builds it once per feature; median of {repeats} timed loops, "
        "ratio to circle against circle. Building is `resolve(shape)` on a fresh instance; "
        "the margin is the measured construction tolerance the built shape adds.",
        "",
        "| shape | near, conflict | near, clear | 100 km away | build / margin |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {r['shape']} | {cell(r, 'within_us')} | {cell(r, 'beyond_us')} "
            f"| {cell(r, 'far_us')} | {built(r)} |"
            for r in rows
        ],
        "",
    ]


def schedule_cases() -> dict[str, tuple[Schedule, Schedule]]:
    """Pairs of schedules as `overlaps` takes them."""
    hour = timedelta(hours=1)
    ten_years = _T0 + timedelta(days=3653)
    daily = Recurrence(Every.DAY)
    three_days = Recurrence(Every.WEEK, weekdays=(0, 2, 4))
    every_6_h = Recurrence(Every.HOURS, 6, until=ten_years)
    return {
        "one-off against one-off": (
            (TimeWindow(_T0, _T0 + 2 * hour), None),
            (TimeWindow(_T0 + hour, _T0 + 3 * hour), None),
        ),
        "daily against weekly on 3 days, both UFN": (
            (TimeWindow(_T0 + 6 * hour, _T0 + 8 * hour), daily),
            (TimeWindow(_T0 + 31 * hour, _T0 + 33 * hour), three_days),
        ),
        "every 6 h for 10 years against a permanent zone": (
            (TimeWindow(_T0, _T0 + hour), every_6_h),
            (TimeWindow(_T0 - 30 * 24 * hour, None), None),
        ),
        "every 6 h for 10 years against daily for 10 years": (
            (TimeWindow(_T0, _T0 + hour), every_6_h),
            (
                TimeWindow(_T0 + 6 * hour, _T0 + 8 * hour),
                dataclasses.replace(daily, until=ten_years),
            ),
        ),
        "weekly on 3 days for 10 years against every 5 h for 10 years": (
            (
                TimeWindow(_T0 + 6 * hour, _T0 + 8 * hour),
                dataclasses.replace(three_days, until=ten_years),
            ),
            (TimeWindow(_T0 + hour, _T0 + 2 * hour), Recurrence(Every.HOURS, 5, until=ten_years)),
        ),
    }


def schedules_section(budget_s: float, repeats: int) -> list[str]:
    """`overlaps` as the conflict rule calls it, on one-off and repeating schedules."""
    rows = []
    one_off_us = None
    for name, (a, b) in schedule_cases().items():
        found = overlaps(a, b)
        assert found is not None, name
        per_call_us = _per_call_s(functools.partial(overlaps, a, b), budget_s, repeats) * 1e6
        one_off_us = one_off_us or per_call_us  # the first case: one-off against one-off
        total = "UFN" if found.total is None else f"{found.total:,}"
        rows.append(
            f"| {name} | {found.first.start:%Y-%m-%d %H:%M} | {total} "
            f"| {per_call_us:,.1f} µs ({per_call_us / one_off_us:,.0f}x) |"
        )
    return [
        "## Repeating schedules",
        "",
        "`overlaps` as the conflict rule calls it (the first 20 meetings listed, all counted "
        "unless both go on until further notice, when one whole cycle decides); median of "
        f"{repeats} timed loops, ratio to one-off against one-off.",
        "",
        "| schedules | first meeting | meetings | per call |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
    ]


def site_rows(count: int, seed: int = 11) -> list[list[str]]:
    """`count` aid-agency sites around five towns, as rows of a site list (header first)."""
    rng = random.Random(seed)
    rows = [
        ["Site code", "Site name", "Latitude", "Longitude", "Radius (m)", "Type", "Focal point"]
    ]
    for i in range(count):
        lon, lat = rng.choice(_SITE_CLUSTERS)
        category = rng.choice(_CATEGORIES)
        rows.append(
            [
                f"SY{i:06d}",
                f"{category.title()} {i}",
                f"{lat + rng.gauss(0.0, 0.3):.5f}",
                f"{lon + rng.gauss(0.0, 0.3):.5f}",
                f"{rng.choice([200, 300, 500, 1000, 2000])}",
                category,
                f"+963 11 {rng.randrange(1_000_000, 9_999_999)}",
            ]
        )
    return rows


def _post_s(client: httpx.Client, path: str, body: bytes, expected: int) -> float:
    started = time.perf_counter()
    answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    assert answer.status_code == expected, f"{path}: {answer.status_code} {answer.text[:300]}"
    return elapsed


def _renamed(features: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{**f, "id": f"{prefix}{f['id']}"} for f in features]


def import_rates(count: int, singles: int, repeats: int) -> dict[str, float]:
    """Sites per second: reading CSV and GeoJSON, one import of `count`, single POSTs."""
    csv_text = "\n".join(",".join(row) for row in site_rows(count)) + "\n"
    defaults = Defaults("p1", _T0)
    reading = read_sites_csv(csv_text, defaults)
    assert len(reading.features) == count and not reading.rejected, reading.rejected[:3]
    geojson_text = write_geojson(reading.features)
    csv_s = _per_call_s(lambda: read_sites_csv(csv_text, defaults), 0.0, repeats)
    geojson_s = _per_call_s(lambda: read_geojson(geojson_text, defaults), 0.0, repeats)
    documents = [feature_to_geojson(f) for f in reading.features]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "line.db"
        tokens = _seed(db)
        with (
            server(db) as url,
            httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {tokens['p1']}"}, timeout=600
            ) as client,
        ):
            imports = []
            for r in range(repeats):
                body = json.dumps({"features": _renamed(documents, f"i{r}-")}).encode()
                imports.append(_post_s(client, "/v1/imports", body, 200))
            one_by_one = [json.dumps(item).encode() for item in _renamed(documents[:singles], "z-")]
            single_s = sum(_post_s(client, "/v1/zones", body, 201) for body in one_by_one)
    return {
        "csv_per_s": count / csv_s,
        "geojson_per_s": count / geojson_s,
        "import_per_s": count / statistics.median(imports),
        "single_per_s": singles / single_s,
    }


def imports_section(count: int, singles: int, repeats: int) -> list[str]:
    """Aid-agency site lists: reading them, then one bulk import against one POST per site."""
    rates = import_rates(count, singles, repeats)
    return [
        "## Site imports",
        "",
        f"{count:,} aid-agency sites (circles of 200 m to 2 km around five towns) read from a "
        "site CSV and from the same sites as GeoJSON, then sent to a uvicorn process over a "
        "SQLite file on loopback (the path `deconflict import` takes) as one all-or-nothing "
        f"`POST /v1/imports` (median of {repeats}) and, for the first {singles:,}, one "
        "`POST /v1/zones` at a time (each its own durable commit).",
        "",
        "| read site CSV | read GeoJSON | one import | one POST per site | import / single |",
        "| --- | --- | --- | --- | --- |",
        f"| {rates['csv_per_s']:,.0f} sites/s | {rates['geojson_per_s']:,.0f} sites/s "
        f"| {rates['import_per_s']:,.0f} sites/s | {rates['single_per_s']:,.0f} sites/s "
        f"| {rates['import_per_s'] / rates['single_per_s']:.1f}x |",
        "",
    ]


@dataclass(frozen=True)
class Sizes:
    """How much work each part does: seconds per timed loop, repeats, sites imported."""

    loop_s: float
    repeats: int
    sites: int
    single_posts: int
    import_repeats: int


QUICK = Sizes(loop_s=0.01, repeats=3, sites=1_000, single_posts=100, import_repeats=3)
FULL = Sizes(loop_s=0.1, repeats=5, sites=10_000, single_posts=1_000, import_repeats=3)


def conventions_section(sizes: Sizes) -> list[str]:
    """The three conventions sections, in the order the report shows them."""
    return [
        *shapes_section(sizes.loop_s, sizes.repeats),
        *schedules_section(sizes.loop_s, sizes.repeats),
        *imports_section(sizes.sites, sizes.single_posts, sizes.import_repeats),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes")
    print("\n".join(conventions_section(QUICK if parser.parse_args().quick else FULL)))


if __name__ == "__main__":
    main()
