"""Baselines for the conflict check: the same check, same data, same answers, done otherwise.

PostGIS: the stored volumes in a table (time range, altitude range and geography
core under one GiST index, the fastest set-up we found), one query per probe:
`ST_DWithin` on the spheroid plus range overlaps, party and kind. Lines and
polygon edges are densified to <= 1 km in lon/lat before the cast to geography,
so its great-circle edges follow our lon/lat-straight ones (to ~2 cm at 45
degrees, ~0.2 m at 85; undensified, a polar box or a line the long way round
the antimeridian is a different shape altogether).

Shapely: the naive scan, with no index: numpy masks for time, altitude, party
and kind over every stored volume, a conservative planar prefilter in degrees,
then the exact rule on the survivors.

Both run side by side with our check (a SqliteStore built as `check_latency`
builds it) on the same volumes and probes, in alternating blocks of probes, and
compare the answers probe by probe.
"""

from __future__ import annotations

import math
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg.conninfo import make_conninfo
from shapely.affinity import translate
from shapely.geometry.base import BaseGeometry

from benchmarks.check_latency import fill, volumes
from deconflict.geo.construct import resolve
from deconflict.geo.distance import geodesic_distance_m
from deconflict.geo.ellipsoid import ECCENTRICITY_SQUARED, SEMI_MAJOR_AXIS_M
from deconflict.geo.shapes import Circle, Shape
from deconflict.rules.conflicts import conflict_between, may_meet
from deconflict.rules.feature import AltitudeBand, Feature, Kind, TimeWindow
from deconflict.rules.plan import feature_to_geojson
from deconflict.store.sqlite import SqliteStore

_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# A degree of arc in lon/lat is at most 111.7 km on the ground (a meridian degree at
# the pole), so segments of 1/112 degree are under 1 km everywhere.
_SEGMENT_DEG = 1 / 112
# Disagreements closer than this to the limit are the two geometries' rounding, not a bug.
_TOLERANCE_M = 1.0
_SHORTEST_LAT_DEGREE_M = SEMI_MAJOR_AXIS_M * (1 - ECCENTRICITY_SQUARED) * math.pi / 180
_EQUATOR_LON_DEGREE_M = SEMI_MAJOR_AXIS_M * math.pi / 180
_NO_LON_BOUND_ABOVE_DEG = 89.0
_BLOCK = 50  # probes timed on one side before the other takes its turn


def postgis_comparison(stored: int, checks: int, admin_url: str | None = None) -> dict[str, Any]:
    """Our check against PostGIS doing it, on the same `stored` volumes and `checks` probes.

    Times per probe in ms (p50, p99), both sides in alternating blocks of probes;
    `speedup_*` = PostGIS time / our time. Answers are compared per probe: a
    disagreement within 1 m of the limit is a `near_miss` (geometry rounding), any
    other is a `finding`. `admin_url` (default $DECONFLICT_BENCH_POSTGRES, else
    postgres@127.0.0.1) must be allowed to create a database; a throwaway one is
    made and always dropped.
    """
    features, probes = _workload(stored, checks)
    url = admin_url or os.environ.get("DECONFLICT_BENCH_POSTGRES", _ADMIN_URL)
    with _sqlite_store(features) as store, _throwaway_postgis(url) as db:
        started = time.perf_counter()
        _load(db, features)
        load_s = time.perf_counter() - started
        widest_m = _widest_m(db)
        queries = [_check_parameters(probe, widest_m) for probe in probes]
        ours_ms, ours, postgis_ms, theirs = _side_by_side(
            [partial(_our_check, store, probe) for probe in probes],
            [partial(_postgis_check, db, query) for query in queries],
        )
        by_id = {feature.id: feature for feature in features}
        near_misses, findings = _disagreements(db, probes, ours, theirs, by_id)
    return {
        "stored": stored,
        "checks": checks,
        **_percentiles("ours", ours_ms),
        **_percentiles("postgis", postgis_ms),
        "speedup_p50": statistics.median(postgis_ms) / statistics.median(ours_ms),
        "speedup_p99": _p99(postgis_ms) / _p99(ours_ms),
        "postgis_load_s": load_s,
        "conflicts_per_check": sum(map(len, ours)) / checks,
        "probes_agreeing": sum(a == b for a, b in zip(ours, theirs, strict=True)),
        "near_misses": near_misses,
        "findings": findings,
    }


def shapely_scan(stored: int, checks: int) -> dict[str, Any]:
    """Our check against a vectorised scan of every stored volume, same volumes and probes.

    Times per probe in ms (p50, p99), both sides in alternating blocks of probes;
    `speedup_*` = scan time / our time. Raises AssertionError if the scan's
    answer differs from ours on any probe.
    """
    features, probes = _workload(stored, checks)
    table = _Table.of(features)
    with _sqlite_store(features) as store:
        ours_ms, ours, scan_ms, scanned = _side_by_side(
            [partial(_our_check, store, probe) for probe in probes],
            [partial(table.check, probe) for probe in probes],
        )
    for probe, expected, found in zip(probes, ours, scanned, strict=True):
        if found != expected:
            raise AssertionError(f"{probe.id}: scan {sorted(found)} != ours {sorted(expected)}")
    return {
        "stored": stored,
        "checks": checks,
        **_percentiles("ours", ours_ms),
        **_percentiles("scan", scan_ms),
        "speedup_p50": statistics.median(scan_ms) / statistics.median(ours_ms),
        "speedup_p99": _p99(scan_ms) / _p99(ours_ms),
        "exact_rule_runs_per_check": sum(len(table.candidates(p)) for p in probes) / checks,
        "conflicts_per_check": sum(map(len, ours)) / checks,
        "probes_agreeing": checks,
    }


def _workload(stored: int, checks: int) -> tuple[list[Feature], list[Feature]]:
    """The stored volumes and the probes of `check_latency` at this size."""
    span_days = 30.0 * stored / 1000
    return list(volumes(stored, span_days)), list(
        volumes(checks, span_days, seed=5, prefix="probe")
    )


Answer = set[str]  # the ids of the stored volumes a probe conflicts with


def _side_by_side(
    ours: Sequence[Callable[[], Answer]], theirs: Sequence[Callable[[], Answer]]
) -> tuple[list[float], list[Answer], list[float], list[Answer]]:
    """Runs the checks in alternating blocks: our block of probes, then theirs on the same.

    Blocks, not single probes: alternating every probe leaves each side's caches
    cold for the other (both times near doubled on this 2-core machine), while blocks of a
    few seconds still share the load of whatever else runs. Returns our ms and
    answers, then theirs.
    """
    ours_ms: list[float] = []
    their_ms: list[float] = []
    our_answers: list[Answer] = []
    their_answers: list[Answer] = []
    for start in range(0, len(ours), _BLOCK):
        for checks, times, answers in (
            (ours[start : start + _BLOCK], ours_ms, our_answers),
            (theirs[start : start + _BLOCK], their_ms, their_answers),
        ):
            for check in checks:
                started = time.perf_counter()
                answers.append(check())
                times.append((time.perf_counter() - started) * 1000)
    return ours_ms, our_answers, their_ms, their_answers


@contextmanager
def _sqlite_store(features: Sequence[Feature]) -> Iterator[SqliteStore]:
    """A SqliteStore in a temporary folder holding `features`, built as `check_latency` does."""
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "line.db")
        try:
            fill(store, features)
            yield store
        finally:
            store.close()


def _our_check(store: SqliteStore, probe: Feature) -> Answer:
    """The check as the line runs it: `conflicts_of` inside the store's transaction."""
    with store.atomic() as tx:
        found = tx.conflicts_of(probe)
    return {_other(conflict.ids, probe.id) for conflict, _ in found}


def _other(ids: tuple[str, str], probe_id: str) -> str:
    return ids[1] if ids[0] == probe_id else ids[0]


def _p99(times: Sequence[float]) -> float:
    """The 99th percentile as `check_latency` takes it."""
    ordered = sorted(times)
    return ordered[int(len(ordered) * 0.99) - 1]


def _percentiles(name: str, times: Sequence[float]) -> dict[str, float]:
    return {f"{name}_p50_ms": statistics.median(times), f"{name}_p99_ms": _p99(times)}


def _core(shape: Shape) -> BaseGeometry:
    """The shape's core as a planar lon/lat geometry: point, line or (multi)polygon."""
    built = resolve(shape)
    if isinstance(built, Circle):
        return shapely.Point(built.centre)
    return built.planar


# --- PostGIS ---------------------------------------------------------------------------

_STAGING = """
CREATE TABLE arriving (
    id text, party text, kind text, shape geometry(Geometry, 4326),
    reach_m float8, buffer_m float8, active tstzrange, altitude numrange
)"""
# One GiST over time, altitude and space: at 100k volumes it answers in a quarter of
# the time that separate indexes do (the planner then picks the spatial one, but time
# is by far the most selective), and time first beats space first by 2.5x.
_BUILD = [
    """CREATE TABLE volume AS
       SELECT id, party, kind, ST_Segmentize(shape, %(step)s)::geography AS core,
              reach_m, buffer_m, active, altitude
       FROM arriving""",
    "DROP TABLE arriving",
    "CREATE INDEX volume_4d ON volume USING gist (active, altitude, core)",
    "ANALYZE volume",
]
# The probe's core, densified like the stored ones.
_PROBE_CORE = "ST_Segmentize(ST_GeomFromEWKB(%(core)s), %(step)s)::geography"
# The first ST_DWithin has a constant distance (the widest any stored volume needs), so
# the GiST index can take it; the second is the exact per-row test. Written inline (not a
# CTE) so that psycopg's prepared, generic plan still puts all three dimensions in the
# index condition: 0.14 ms at p50 against 0.7 ms with a materialised CTE (10k volumes).
_CHECK = f"""
SELECT id FROM volume
WHERE ST_DWithin(core, {_PROBE_CORE}, %(widest_m)s + %(reach_m)s, true)
  AND ST_DWithin(core, {_PROBE_CORE}, reach_m + buffer_m + %(reach_m)s, true)
  AND active && %(active)s::tstzrange
  AND altitude && %(altitude)s::numrange
  AND party <> %(party)s
  AND (kind = 'activity' OR %(activity)s)
"""
_DISTANCE = f"SELECT ST_Distance(core, {_PROBE_CORE}, true) FROM volume WHERE id = %(id)s"


@contextmanager
def _throwaway_postgis(admin_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to a new database with PostGIS, dropped on the way out whatever happens."""
    name = f"deconflict_bench_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            with psycopg.connect(make_conninfo(admin_url, dbname=name), autocommit=True) as db:
                try:
                    db.execute("CREATE EXTENSION postgis")
                except psycopg.errors.FeatureNotSupported:
                    raise SystemExit(
                        "the PostGIS comparison needs PostGIS on the PostgreSQL server: "
                        "apt-get install postgresql-15-postgis-3"
                    ) from None
                yield db
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _load(db: psycopg.Connection[Any], features: Sequence[Feature]) -> None:
    """COPY the volumes in, densify and cast to geography, then index."""
    db.execute(_STAGING)
    with db.cursor() as cursor, cursor.copy("COPY arriving FROM STDIN") as copy:
        for feature in features:
            copy.write_row(
                (
                    feature.id,
                    feature.party,
                    feature.kind.value,
                    _ewkb(feature.shape).hex(),
                    feature.shape.reach_m,
                    feature.buffer_m,
                    _tstzrange(feature.window),
                    _numrange(feature.band),
                )
            )
    for statement in _BUILD:
        db.execute(statement, {"step": _SEGMENT_DEG} if "%(step)s" in statement else None)


def _widest_m(db: psycopg.Connection[Any]) -> float:
    """The most any stored volume adds to a probe's distance limit (reach plus buffer)."""
    row = db.execute("SELECT max(reach_m + buffer_m) FROM volume").fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


def _postgis_check(db: psycopg.Connection[Any], parameters: dict[str, Any]) -> Answer:
    """The one query, for the probe in `parameters`."""
    return {found for (found,) in db.execute(_CHECK, parameters).fetchall()}


def _check_parameters(probe: Feature, widest_m: float) -> dict[str, Any]:
    return {
        "core": _ewkb(probe.shape),
        "step": _SEGMENT_DEG,
        "widest_m": widest_m,
        "reach_m": probe.shape.reach_m + probe.buffer_m,
        "active": _tstzrange(probe.window),
        "altitude": _numrange(probe.band),
        "party": probe.party,
        "activity": probe.kind is Kind.ACTIVITY,
    }


def _ewkb(shape: Shape) -> bytes:
    """The shape's core as EWKB in SRID 4326, as PostGIS reads it."""
    return bytes(shapely.to_wkb(shapely.set_srid(_core(shape), 4326), include_srid=True))


def _tstzrange(window: TimeWindow) -> str:
    end = window.end.isoformat() if window.end else ""
    return f"[{window.start.isoformat()},{end})"


def _numrange(band: AltitudeBand) -> str:
    lower = "" if band.lower_m is None else repr(band.lower_m)
    upper = "" if band.upper_m is None else repr(band.upper_m)
    return f"[{lower},{upper}]"


def _disagreements(
    db: psycopg.Connection[Any],
    probes: Sequence[Feature],
    ours: Sequence[Answer],
    theirs: Sequence[Answer],
    by_id: dict[str, Feature],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every (probe, volume) found by one side only: near misses (within 1 m) and findings."""
    near_misses, findings = [], []
    for probe, mine, postgis in zip(probes, ours, theirs, strict=True):
        for volume_id in sorted(mine ^ postgis):
            volume = by_id[volume_id]
            case = _disagreement(db, probe, volume, "ours" if volume_id in mine else "postgis")
            margin = case["margin_m"]
            if margin is not None and abs(margin) < _TOLERANCE_M:
                near_misses.append(case)
            else:
                findings.append(
                    {
                        **case,
                        "probe": feature_to_geojson(probe),
                        "volume": feature_to_geojson(volume),
                    }
                )
    return near_misses, findings


def _disagreement(
    db: psycopg.Connection[Any], probe: Feature, volume: Feature, found_by: str
) -> dict[str, Any]:
    """Both sides' distances for one pair; margin = our distance - limit (None: not geometry)."""
    limit_m = probe.buffer_m + volume.buffer_m
    distance_m = geodesic_distance_m(probe.shape, volume.shape)
    row = db.execute(
        _DISTANCE,
        {"core": _ewkb(probe.shape), "step": _SEGMENT_DEG, "id": volume.id},
    ).fetchone()
    assert row is not None
    reaches_m = probe.shape.reach_m + volume.shape.reach_m
    return {
        "probe_id": probe.id,
        "volume_id": volume.id,
        "found_by": found_by,
        "limit_m": limit_m,
        "distance_m": distance_m,
        "postgis_distance_m": max(0.0, float(row[0]) - reaches_m),
        "margin_m": distance_m - limit_m if may_meet(probe, volume) else None,
    }


# --- The naive scan --------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """Every stored volume as columns, for numpy masks and shapely's vectorised predicates."""

    features: Sequence[Feature]
    start_s: np.ndarray
    end_s: np.ndarray  # inf when open-ended
    lower_m: np.ndarray  # -inf when unbounded
    upper_m: np.ndarray  # inf when unbounded
    parties: tuple[str, ...]
    party: np.ndarray  # index into parties (integers compare 30x faster than strings)
    activity: np.ndarray
    core: np.ndarray  # shapely geometries in lon/lat
    reach_m: np.ndarray  # reach plus buffer

    @classmethod
    def of(cls, features: Sequence[Feature]) -> _Table:
        parties = tuple(sorted({f.party for f in features}))
        code = {party: i for i, party in enumerate(parties)}
        return cls(
            features,
            np.array([f.window.start.timestamp() for f in features]),
            np.array([f.window.end.timestamp() if f.window.end else math.inf for f in features]),
            np.array([_value_or(f.band.lower_m, -math.inf) for f in features]),
            np.array([_value_or(f.band.upper_m, math.inf) for f in features]),
            parties,
            np.array([code[f.party] for f in features], dtype=np.intp),
            np.array([f.kind is Kind.ACTIVITY for f in features], dtype=bool),
            np.array([_core(f.shape) for f in features], dtype=object),
            np.array([f.shape.reach_m + f.buffer_m for f in features]),
        )

    def candidates(self, probe: Feature) -> np.ndarray:
        """Indices of the volumes that may conflict with `probe` (a superset, never less)."""
        end = probe.window.end.timestamp() if probe.window.end else math.inf
        party = self.parties.index(probe.party) if probe.party in self.parties else -1
        meets = (
            (self.party != party)
            & (self.activity | (probe.kind is Kind.ACTIVITY))
            & (self.start_s < end)
            & (probe.window.start.timestamp() < self.end_s)
            & (self.lower_m <= _value_or(probe.band.upper_m, math.inf))
            & (_value_or(probe.band.lower_m, -math.inf) <= self.upper_m)
        )
        index = np.flatnonzero(meets)
        reach_m = self.reach_m[index] + probe.shape.reach_m + probe.buffer_m
        near = _planar_within(self.core[index], _core(probe.shape), reach_m)
        survivors: np.ndarray = index[near]
        return survivors

    def check(self, probe: Feature) -> Answer:
        """The scan's answer: the exact rule on every candidate."""
        near = (self.features[i] for i in self.candidates(probe))
        return {other.id for other in near if conflict_between(probe, other) is not None}


def _value_or(value: float | None, default: float) -> float:
    return default if value is None else value


def _planar_within(cores: np.ndarray, probe: BaseGeometry, within_m: np.ndarray) -> np.ndarray:
    """Which cores may come within `within_m` metres (geodesic) of `probe`: a superset.

    A path of length L moves at most L / M_min in latitude (M_min the meridian
    radius at the equator) and at most L / (a cos(lat_max)) in longitude while it
    stays below lat_max; so |dlat| and |dlon| of the nearest points are bounded
    and their planar distance in degrees is at most the hypotenuse. Near a pole
    there is no useful longitude bound and nothing is dropped; near the
    antimeridian the probe is also tried shifted by 360 degrees.
    """
    west, south, east, north = shapely.bounds(probe)
    dlat_deg = within_m / _SHORTEST_LAT_DEGREE_M
    lat_max = max(abs(south), abs(north)) + dlat_deg
    cos_lat = np.cos(np.radians(np.minimum(lat_max, 90.0)))
    dlon_deg = np.where(
        lat_max < _NO_LON_BOUND_ABOVE_DEG, within_m / (_EQUATOR_LON_DEGREE_M * cos_lat), np.inf
    )
    if cores.size == 0 or np.isinf(dlon_deg).any():
        return np.ones(cores.size, dtype=bool)
    # A hair of slack for rounding in the bound itself.
    reach_deg = np.hypot(dlat_deg, dlon_deg) * (1 + 1e-9) + 1e-9
    widest = float(dlon_deg.max())
    shifts = [0.0]
    if west - widest < -180:
        shifts.append(360.0)
    if east + widest > 180:
        shifts.append(-360.0)
    near = np.zeros(cores.size, dtype=bool)
    for shift in shifts:
        moved = translate(probe, xoff=shift) if shift else probe
        near |= shapely.dwithin(cores, moved, reach_deg)
    return near
