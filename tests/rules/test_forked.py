"""A large plan is read and checked on every core, and says the same as one process.

Each case runs in a process of its own: workers are forked only from a process
with a single thread, and a test process may hold others (servers of earlier
tests). The script reports whether it really forked, so a silent fallback to
one process fails the test instead of passing it.
"""

from __future__ import annotations

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
