"""The example plans in tests/data: every conflict found, exactly as `.expected.json` lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deconflict.line.check import check_plan
from deconflict.rules.conflicts import Conflict, find_conflicts
from deconflict.rules.feature import Feature
from deconflict.rules.plan import parse_plan, parse_time
from deconflict.store.sqlite import SqliteStore
from tests.conftest import DATA

EXAMPLES = DATA / "examples"
PLANS = sorted(EXAMPLES.glob("*.geojson"))


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _expected(plan: Path) -> list[dict[str, Any]]:
    conflicts: list[dict[str, Any]] = _read(plan.with_suffix(".expected.json"))["conflicts"]
    return conflicts


def _assert_as_expected(found: list[Conflict], expected: list[dict[str, Any]]) -> None:
    assert [c.ids for c in found] == [tuple(e["ids"]) for e in expected]
    for conflict, listed in zip(found, expected, strict=True):
        tolerance = max(0.01, 1e-6 * listed["distance_m"])
        assert conflict.distance_m == pytest.approx(listed["distance_m"], abs=tolerance), listed
        assert conflict.window.start == parse_time(listed["start"]), listed
        end = None if listed["end"] is None else parse_time(listed["end"])
        assert conflict.window.end == end, listed


def test_the_example_plans_are_there_each_with_its_expected_conflicts() -> None:
    assert {p.name for p in PLANS} >= {"at-tanf.geojson", "random-300.geojson"}
    for plan in PLANS:
        assert plan.with_suffix(".expected.json").is_file(), plan


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_example_plan_has_exactly_its_expected_conflicts(plan: Path) -> None:
    _assert_as_expected(find_conflicts(parse_plan(_read(plan))), _expected(plan))


@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_example_plan_through_the_index_has_exactly_its_expected_conflicts(plan: Path) -> None:
    features: list[Feature] = parse_plan(_read(plan))
    by_id = {f.id: f for f in features}
    store = SqliteStore(":memory:")
    try:
        store.add_features(features)
        found = find_conflicts(features, lambda f: [by_id[i] for i in store.candidate_ids(f)])
    finally:
        store.close()
    _assert_as_expected(found, _expected(plan))


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-processes"])
@pytest.mark.parametrize("plan", PLANS, ids=lambda p: p.stem)
def test_example_plan_checked_as_deconflict_check_does_has_exactly_its_expected_conflicts(
    plan: Path, workers: int
) -> None:
    _assert_as_expected(check_plan(parse_plan(_read(plan)), workers=workers), _expected(plan))


# Run in a process of its own: workers are forked only from a process with one thread,
# and a test process may hold others (servers of earlier tests). The check hands out its
# pairs in place order, the worker taking them from the last back and the process itself
# from the first on: the victim is the conflict met first or last in that order.
_FAILING_WORKER = """
import json, os, sys
from deconflict.errors import EngineFailure
from deconflict.line.check import _by_place, check_plan
from deconflict.rules import conflicts
from deconflict.rules.candidates import meeting_pairs, volume_boxes
from deconflict.rules.plan import parse_plan

features = parse_plan(json.load(open(sys.argv[1], encoding="utf-8")))
found = {c.ids for c in check_plan(features, workers=1)}
boxes = volume_boxes(features)
order = _by_place(meeting_pairs(boxes), boxes).tolist()
met = [tuple(sorted((features[i].id, features[j].id))) for i, j in order]
victim = [ids for ids in met if ids in found][0 if sys.argv[2] == "first" else -1]
shapes = {f.id: f.shape for f in features}
real = conflicts.distance_within_m
parent = os.getpid()

def failing(a, b, limit_m):
    if {id(a), id(b)} == {id(shapes[victim[0]]), id(shapes[victim[1]])}:
        raise IndexError(f"injected in {'a worker' if os.getpid() != parent else 'the parent'}")
    return real(a, b, limit_m)

conflicts.distance_within_m = failing
try:
    check_plan(features, workers=2)
except EngineFailure as failure:
    print(json.dumps([sorted(victim), sorted([failure.feature_id, failure.other_id]),
                      str(failure.cause)]))
"""


@pytest.mark.parametrize(
    ("met", "where"), [("last", "a worker"), ("first", "the parent")], ids=["worker", "parent"]
)
def test_an_engine_failure_in_a_worker_fails_the_whole_check_naming_the_pair(
    met: str, where: str
) -> None:
    plan = EXAMPLES / "random-300.geojson"
    run = subprocess.run(
        [sys.executable, "-c", _FAILING_WORKER, str(plan), met],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    victim, named, cause = json.loads(run.stdout)
    assert named == victim
    assert cause == f"injected in {where}"


def test_at_tanf_strike_inside_the_zone_is_at_zero_and_the_drill_is_not_a_conflict() -> None:
    found = {c.ids: c for c in find_conflicts(parse_plan(_read(EXAMPLES / "at-tanf.geojson")))}
    assert found[("at-tanf-zone", "strike-1")].distance_m == 0.0
    # The coalition's own drill inside its own zone is never a conflict.
    assert not any("drill-1" in ids for ids in found)
