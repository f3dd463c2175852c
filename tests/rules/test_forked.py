"""A large plan is read and checked on every core, and says the same as one process.

Each case runs in a process of its own: workers are forked only from a process
with a single thread, and a test process may hold others (servers of earlier
tests). The script reports whether it really forked, so a silent fallback to
one process fails the test instead of passing it.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

from tests.conftest import DATA

# The example plan, copied under fresh ids until it is large enough to be read in
# workers, with mistakes planted early, in the middle and at the end.
_READ_BOTH_WAYS = """
import copy, json, sys
import deconflict.rules.forked as forked
import deconflict.rules.plan as plan
from deconflict.errors import InvalidPlan
from deconflict.line.check import check_plan

example = json.load(open(sys.argv[1], encoding="utf-8"))["features"]
features = []
for copy_number in range(8):
    for item in example:
        item = copy.deepcopy(item)
        item["id"] = f"{item['id']}-{copy_number}"
        features.append(item)
good = {"type": "FeatureCollection", "features": features}
bad = copy.deepcopy(good)
bad["features"][3]["geometry"]["coordinates"] = [0.0, 91.0]
bad["features"][1200]["properties"]["sector"] = {"outer_m": 5e6, "from_deg": 0, "to_deg": 90}
bad["features"][1200]["geometry"] = {"type": "Point", "coordinates": [0.0, 80.0]}
bad["features"][-1]["id"] = bad["features"][0]["id"]
bad["features"][-1]["properties"]["party"] = bad["features"][0]["properties"]["party"]

forks = []
real = forked.map_forked
def counted(*args):
    forks.append(args[0].__name__)
    return real(*args)
forked.map_forked = counted

def problems(document):
    try:
        plan.parse_plan(document)
    except InvalidPlan as error:
        return [[p.feature_id, p.field, p.message] for p in error.problems]
    return []

def summary(features):
    return [[c.ids, round(c.distance_m, 6), str(c.window.start)] for c in check_plan(features)]

plan._PARALLEL_FROM_FEATURES = 10**9
one = [summary(plan.parse_plan(good)), problems(bad)]
plan._PARALLEL_FROM_FEATURES = 1_000
every = [summary(plan.parse_plan(good)), problems(bad)]
print(json.dumps({"forks": forks, "one": one, "every": every}))
"""


def test_a_plan_read_on_every_core_gives_the_same_features_and_the_same_mistakes() -> None:
    run = subprocess.run(
        [sys.executable, "-c", _READ_BOTH_WAYS, str(DATA / "examples" / "random-300.geojson")],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(run.stdout)
    # Both plans were read in workers (the check may fork too: its pairs are many).
    assert [work for work in result["forks"] if work == "_parsed_range"] == ["_parsed_range"] * 2
    assert result["every"] == result["one"]
    conflicts, mistakes = result["one"]
    assert len(conflicts) > 0
    assert [m[1] for m in mistakes] == ["geometry.coordinates", "sector", "id"]


# Work that says which process took each item, and fails on the items asked for.
_SHARED_BY_TURNS = """
import json, os, sys, time
import deconflict.rules.forked as forked
from deconflict.rules.forked import map_chunks

failing = set(json.loads(sys.argv[1]))

def work(shared, items):
    for item in items:
        if item in failing:
            raise ValueError(f"item {item}")
    time.sleep(0.002 * len(items))  # long enough that both processes take chunks
    return [(item, os.getpid()) for item in items]

try:
    found = map_chunks(work, None, range(2_000), 2)
    here = [pid == os.getpid() for _, pid in found]
    print(json.dumps({"items": [item for item, _ in found], "here": here}))
except ValueError as error:
    print(json.dumps({"error": str(error)}))
"""


def _by_turns(failing: list[int]) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-c", _SHARED_BY_TURNS, json.dumps(failing)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(run.stdout)
    return result


def test_the_caller_takes_the_first_chunks_and_a_worker_the_last_in_one_run_each() -> None:
    result = _by_turns([])
    assert result["items"] == list(range(2_000))
    here = result["here"]
    assert isinstance(here, list)
    # Both took part, this process from the first item on, the worker from the last back:
    # one seam between them, so a place's shapes are built in one process.
    assert here[0] is True and here[-1] is False
    assert sum(1 for a, b in itertools.pairwise(here) if a != b) == 1


def test_the_first_failing_chunk_in_order_is_raised_whichever_process_took_it() -> None:
    assert _by_turns([10, 1_990]) == {"error": "item 10"}
    assert _by_turns([1_990]) == {"error": "item 1990"}
    assert _by_turns([1_000, 1_990]) == {"error": "item 1000"}
