"""`deconflict check`: the planner's pre-flight on a draft plan."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from tests.conftest import run_cli, write_plan
from tests.oracle import ring_family


def _feature(fid: str, party: str, kind: str = "activity", **extra: Any) -> dict[str, Any]:
    properties = {
        "kind": kind,
        "party": party,
        "start": "2026-09-07T00:00:00Z",
        "end": "2026-09-07T06:00:00Z",
        **extra.pop("properties", {}),
    }
    geometry = extra.pop("geometry", {"type": "Point", "coordinates": [38.64, 33.5]})
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def test_check_json_gives_exactly_the_expected_conflicts_of_the_at_tanf_example(
    example_plans: Path,
) -> None:
    result = run_cli("check", str(example_plans / "at-tanf.geojson"), "--json")
    expected = json.loads((example_plans / "at-tanf.expected.json").read_text())
    assert result.returncode == 1, result.stderr
    got = json.loads(result.stdout)["conflicts"]
    assert [c["ids"] for c in got] == [c["ids"] for c in expected["conflicts"]]
    for mine, theirs in zip(got, expected["conflicts"], strict=True):
        assert abs(mine["distance_m"] - theirs["distance_m"]) <= 0.02
        assert (mine["start"], mine["end"]) == (theirs["start"], theirs["end"])


def test_plan_without_conflict_exits_zero_and_says_so(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.geojson", [_feature("a", "p1"), _feature("b", "p1")])
    result = run_cli("check", str(plan))
    assert result.returncode == 0
    assert "No conflict among 2 features" in result.stdout


def test_table_lists_conflicts_sorted_by_time_with_km(tmp_path: Path) -> None:
    late = _feature("late", "p2", properties={"start": "2026-09-07T05:00:00Z"})
    early = _feature(
        "early",
        "p3",
        geometry={"type": "Point", "coordinates": [38.0, 33.5]},
        properties={"buffer_m": 70_000},
    )
    plan = write_plan(tmp_path / "plan.geojson", [_feature("zone", "p1", "zone"), late, early])
    result = run_cli("check", str(plan))
    assert result.returncode == 1
    assert "3 conflicts" in result.stdout
    assert result.stdout.index("early") < result.stdout.index("late")
    assert " km" in result.stdout


def test_distances_read_one_way_only_metres_tenths_of_km_or_grouped_thousands(
    tmp_path: Path,
) -> None:
    def point(fid: str, party: str, lon: float, buffer_m: float) -> dict[str, Any]:
        return _feature(
            fid,
            party,
            geometry={"type": "Point", "coordinates": [lon, 0.0]},
            properties={"buffer_m": buffer_m},
        )

    # On the equator: 1.5 km, 1,500 km and 400 m between the pairs.
    plan = write_plan(
        tmp_path / "plan.geojson",
        [
            point("a", "p1", 0.0, 1_000),
            point("b", "p2", 1_500 / 111_319.49, 1_000),
            point("c", "p3", 1_500_000 / 111_319.49 + 40, 1_000_000),
            point("d", "p4", 40.0, 1_000_000),
            point("e", "p5", 70.0, 300),
            point("f", "p6", 70.0 + 400 / 111_319.49, 300),
        ],
    )
    result = run_cli("check", str(plan))
    assert result.returncode == 1, result.stderr
    assert re.search(r"\b1\.5 km\b", result.stdout)
    assert re.search(r"\b1,500 km\b", result.stdout)
    assert re.search(r"\b400 m\b", result.stdout)
    assert not re.search(r"\d\.\d{3} km", result.stdout)


def test_open_ended_overlap_is_reported_with_null_end(tmp_path: Path) -> None:
    zone = _feature("zone", "p1", "zone", properties={"end": None})
    strike = _feature("strike", "p2", properties={"end": None, "start": "2026-09-08T00:00:00Z"})
    result = run_cli("check", str(write_plan(tmp_path / "p.geojson", [zone, strike])), "--json")
    conflict = json.loads(result.stdout)["conflicts"][0]
    assert conflict == {
        "ids": ["strike", "zone"],
        "distance_m": 0.0,
        "start": "2026-09-08T00:00:00Z",
        "end": None,
    }


def test_every_problem_in_a_bad_plan_is_listed_with_id_and_field(tmp_path: Path) -> None:
    features = [
        _feature("no-party", ""),
        _feature("backwards", "p1", properties={"end": "2026-09-06T00:00:00Z"}),
        _feature("band", "p1", properties={"altitude": {"lower_m": 500, "upper_m": 100}}),
        _feature("radius", "p1", properties={"radius_m": -5}),
        _feature("buffer", "p1", properties={"buffer_m": -1}),
        _feature("kind", "p1", "hazard"),
        _feature("far", "p1", geometry={"type": "Point", "coordinates": [181.0, 0.0]}),
        _feature(
            "bowtie",
            "p1",
            geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
        ),
        _feature("twice", "p1"),
        _feature("twice", "p1"),
        {"type": "Feature", "geometry": None, "properties": {}},
    ]
    result = run_cli("check", str(write_plan(tmp_path / "bad.geojson", features)))
    assert result.returncode == 2
    err = result.stderr
    for expected in (
        "feature 'no-party', field 'party'",
        "feature 'backwards', field 'end': must be after start",
        "feature 'band', field 'altitude': lower_m 500.0 is above upper_m 100.0",
        "feature 'radius', field 'radius_m': must not be negative",
        "feature 'buffer', field 'buffer_m': must not be negative",
        "feature 'kind', field 'kind'",
        "feature 'far', field 'geometry.coordinates': longitude 181.0 is outside -180..180",
        "feature 'bowtie', field 'geometry': invalid polygon: Self-intersection",
        "feature 'twice', field 'id': id is used by an earlier feature of the same party",
        "feature '#10', field 'id'",
    ):
        assert expected in err, f"missing {expected!r} in:\n{err}"
    assert result.stdout == ""


def _ring(vertices: int) -> list[list[float]]:
    """A closed ring of exactly `vertices` positions round a point in Syria."""
    turn = [2 * math.pi * k / (vertices - 1) for k in range(vertices - 1)]
    corners = [[38.0 + 0.05 * math.cos(a), 33.0 + 0.05 * math.sin(a)] for a in turn]
    return [*corners, corners[0]]


def test_a_feature_over_the_vertex_limit_is_bad_input_naming_it_and_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECONFLICT_MAX_VERTICES_PER_FEATURE", "30")
    features = [
        _feature("at-limit", "p1", geometry={"type": "Polygon", "coordinates": [_ring(30)]}),
        _feature("over", "p1", geometry={"type": "Polygon", "coordinates": [_ring(31)]}),
    ]
    result = run_cli("check", str(write_plan(tmp_path / "plan.geojson", features)))
    assert result.returncode == 2, result.stderr
    assert "feature 'over', field 'geometry.coordinates': the geometry has 31 vertices" in (
        result.stderr
    )
    assert "limit of 30 per feature" in result.stderr
    assert "DECONFLICT_MAX_VERTICES_PER_FEATURE" in result.stderr
    assert "at-limit" not in result.stderr


def test_the_default_vertex_limit_holds_for_a_plan_checked_locally(tmp_path: Path) -> None:
    huge = _feature("sprawl", "p1", geometry={"type": "Polygon", "coordinates": [_ring(10_001)]})
    result = run_cli("check", str(write_plan(tmp_path / "plan.geojson", [huge])))
    assert result.returncode == 2, result.stderr
    assert "feature 'sprawl'" in result.stderr and "10,001 vertices" in result.stderr


def test_not_json_is_refused_with_line_and_column(tmp_path: Path) -> None:
    plan = tmp_path / "plan.geojson"
    plan.write_text('{"type": "FeatureCollection",\n "features": [,]}')
    result = run_cli("check", str(plan))
    assert result.returncode == 2
    assert "not JSON: line 2 column" in result.stderr


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path / "absent.geojson"))
    assert result.returncode == 2
    assert "cannot read the plan" in result.stderr


def test_plan_read_from_standard_input() -> None:
    example = run_cli("example", "at-tanf")
    result = run_cli("check", "-", "--json", stdin=example.stdout)
    assert result.returncode == 1
    ids = [c["ids"] for c in json.loads(result.stdout)["conflicts"]]
    assert ["at-tanf", "strike-north"] in ids
    assert ["at-tanf", "strike-west"] in ids


def test_bundled_example_drill_never_conflicts_with_its_own_garrison() -> None:
    example = run_cli("example", "at-tanf")
    result = run_cli("check", "-", "--json", stdin=example.stdout)
    ids = [c["ids"] for c in json.loads(result.stdout)["conflicts"]]
    assert not any("garrison-drill" in pair for pair in ids)


def test_position_prints_decimal_dms_and_mgrs() -> None:
    result = run_cli("position", "333000N0383824E", "--json")
    assert result.returncode == 0
    forms = json.loads(result.stdout)
    assert (forms["lat"], forms["lon"]) == (33.5, 38.64)
    assert forms["dms"].startswith("33°30'00.0\"N")


def test_unreadable_position_exits_two() -> None:
    result = run_cli("position", "33°75'N 38°E")
    assert result.returncode == 2
    assert "cannot read position" in result.stderr


def _ring_and_strike(strike_at: list[float]) -> list[dict[str, Any]]:
    ring = _feature(
        "ring",
        "a",
        "zone",
        geometry={"type": "Point", "coordinates": [20, 35]},
        properties={
            "start": "2027-01-01T00:00:00Z",
            "end": None,
            "sector": {"outer_m": 100_000, "inner_m": 50_000, "from_deg": 0, "to_deg": 0},
        },
    )
    strike = _feature(
        "c",
        "b",
        geometry={"type": "Point", "coordinates": strike_at},
        properties={
            "start": "2027-01-01T00:00:00Z",
            "end": "2027-01-01T01:00:00Z",
            "radius_m": 1000,
        },
    )
    return [ring, strike]


def test_strike_100m_outside_a_ring_sector_is_clear_in_the_table_and_in_json(
    tmp_path: Path,
) -> None:
    plan = write_plan(tmp_path / "plan.geojson", _ring_and_strike([20.789312, 35.641792]))
    table = run_cli("check", str(plan))
    assert (table.returncode, table.stderr) == (0, "")
    assert "No conflict among 2 features" in table.stdout
    as_json = run_cli("check", str(plan), "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"conflicts": []}


def test_strike_100m_inside_a_ring_sector_is_a_conflict_at_zero(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.geojson", _ring_and_strike([20.77987, 35.634205]))
    result = run_cli("check", str(plan), "--json")
    assert result.returncode == 1, result.stderr
    (conflict,) = json.loads(result.stdout)["conflicts"]
    assert (conflict["ids"], conflict["distance_m"]) == (["c", "ring"], 0.0)


def test_engine_fault_exits_3_with_one_line_naming_both_features(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.geojson", _ring_and_strike([20.789312, 35.641792]))
    injected = (
        "import deconflict.rules.conflicts as rules\n"
        "def fail(*_): raise FloatingPointError('injected fault')\n"
        "rules.distance_within_m = fail\n"
        "from deconflict.cli import main\n"
        "main()\n"
    )
    for extra in ([], ["--json"]):
        result = subprocess.run(
            [sys.executable, "-c", injected, "check", str(plan), *extra],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 3, result.stderr
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "features 'ring' and 'c': the conflict engine failed "
            "(FloatingPointError: injected fault); nothing was decided"
        ]


def _drill_every_two_weeks_and_a_zone() -> list[dict[str, Any]]:
    """A drill every 2 weeks on Mondays and Wednesdays, first on Wednesday 6 January 2027,
    against a zone from Monday 11 to Tuesday 19 January: counted from the drill's first day,
    Monday the 11th would be a drill day; counted in calendar weeks, Monday the 18th is."""
    drill = _feature(
        "drill",
        "p2",
        properties={
            "start": "2027-01-06T08:00:00Z",
            "end": "2027-01-06T10:00:00Z",
            "repeat": {"every": "week", "interval": 2, "on": ["mon", "wed"], "until": "UFN"},
        },
    )
    zone = _feature(
        "zone",
        "p1",
        "zone",
        properties={"start": "2027-01-11T00:00:00Z", "end": "2027-01-19T00:00:00Z"},
    )
    return [drill, zone]


CALENDAR_WEEKS = (
    "every 2 weeks counted in calendar weeks (Mon-Sun, UTC) from the week of 2027-01-06"
)


def test_every_two_weeks_on_a_day_before_the_first_is_checked_and_named_in_calendar_weeks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = write_plan(tmp_path / "plan.geojson", _drill_every_two_weeks_and_a_zone())
    as_json = run_cli("check", str(plan), "--json")
    assert as_json.returncode == 1, as_json.stderr
    (conflict,) = json.loads(as_json.stdout)["conflicts"]
    assert (conflict["start"], conflict["end"]) == ("2027-01-18T08:00:00Z", "2027-01-18T10:00:00Z")
    assert conflict["occurrences"]["total"] == 1
    assert conflict["weeks"] == {"drill": CALENDAR_WEEKS}
    monkeypatch.setenv("COLUMNS", "300")  # a terminal wide enough for the note on one line
    table = run_cli("check", str(plan))
    assert table.returncode == 1, table.stderr
    assert f"drill: {CALENDAR_WEEKS}" in table.stdout


def test_weeks_are_not_named_where_both_readings_agree(tmp_path: Path) -> None:
    drill, zone = _drill_every_two_weeks_and_a_zone()
    drill["properties"]["start"] = "2027-01-04T08:00:00Z"  # a Monday: no drill day before it
    drill["properties"]["end"] = "2027-01-04T10:00:00Z"
    plan = write_plan(tmp_path / "plan.geojson", [drill, zone])
    result = run_cli("check", str(plan), "--json")
    assert result.returncode == 1, result.stderr
    (conflict,) = json.loads(result.stdout)["conflicts"]
    assert conflict["start"] == "2027-01-18T08:00:00Z"
    assert "weeks" not in conflict


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_rings_and_strikes_beside_them_are_decided_by_the_definition(
    tmp_path: Path, seed: int
) -> None:
    features, expected = [], set()
    for k, (ring, strike, conflicts) in enumerate(ring_family(seed, 40)):
        ring["properties"]["party"], strike["properties"]["party"] = f"a{k}", f"b{k}"
        features += [ring, strike]
        if conflicts:
            expected.add((ring["id"], strike["id"]))
    plan = write_plan(tmp_path / "plan.geojson", features)
    result = run_cli("check", str(plan), "--json")
    assert result.returncode in (0, 1), result.stderr
    found = {tuple(c["ids"]) for c in json.loads(result.stdout)["conflicts"]}
    assert found == expected
    assert result.returncode == (1 if found else 0)


def test_a_long_report_is_aligned_lines_one_conflict_a_line_with_every_conflict(
    tmp_path: Path,
) -> None:
    # 40 activities of four parties on one spot: 600 conflicts (a party's own never meet), past
    # the table; one id in wide letters, which a terminal shows two cells each.
    features = [_feature(f"act-{n:02d}", f"p{n % 4}") for n in range(39)]
    features.append(_feature("分区-北", "p3"))
    plan = write_plan(tmp_path / "plan.geojson", features)
    result = run_cli("check", str(plan))
    told = json.loads(run_cli("check", str(plan), "--json").stdout)["conflicts"]
    assert result.returncode == 1, result.stderr
    assert len(told) == 600
    lines = result.stdout.splitlines()
    assert lines[0] == "600 conflicts"
    assert lines[1].split() == ["When", "(UTC)", "Feature", "Against", "Distance"]
    rows = lines[2:]
    assert len(rows) == 600
    found = {tuple(sorted(re.findall(r"(act-\d\d|分区-北) \(", row))) for row in rows}
    assert found == {tuple(sorted(c["ids"])) for c in told}
    # Every row ends in its distance, right-aligned under the header as a terminal shows it.
    assert {cell_len(row) for row in rows} == {cell_len(lines[1])}
    assert all(row.endswith("0 (overlap)") for row in rows)
