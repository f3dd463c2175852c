"""Feature ids through the command line: any script is sent and reported as stored; an id that
breaks the syntax exits 2 naming it, and nothing is sent. A real server on loopback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body
from tests.conftest import run_cli, write_plan

AT = ("--at", "37SET 30499 54443", "--radius-m", "500")
NIGHT = ("--start", "062200ZSEP30", "--end", "070300ZSEP30")


@pytest.fixture
def live(db: str) -> Iterator[LiveServer]:
    server = start_server(db, seed_parties(db))
    yield server
    server.stop()


def _as(live: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--server", live.url, "--token", live.tokens["russia"])


def _ids(live: LiveServer) -> list[str]:
    with live.client("russia") as russia:
        return [f["id"] for f in russia.get("/v1/features").json()["features"]]


@pytest.mark.parametrize("feature_id", ["удар-3", "ضربة-٣"])
def test_notify_sends_an_id_in_any_script_and_names_it(live: LiveServer, feature_id: str) -> None:
    sent = _as(live, "notify", *AT, *NIGHT, "--id", feature_id, "--json")
    assert sent.returncode == 0, sent.stderr
    [declared] = json.loads(sent.stdout)["declared"]
    assert declared["feature"]["id"] == feature_id
    assert _ids(live) == [feature_id]
    notam = _as(live, "notam", feature_id, "--party", "russia")
    assert notam.returncode == 0, notam.stderr


@pytest.mark.parametrize(
    "feature_id",
    ["💥-1", "a/b", "..", "line\nbreak", "x" * 201],
    ids=["emoji", "slash", "dots", "newline", "201"],
)
def test_notify_refuses_an_id_that_breaks_the_syntax_by_name(
    live: LiveServer, feature_id: str
) -> None:
    refused = _as(live, "notify", *AT, *NIGHT, "--id", feature_id)
    assert refused.returncode == 2, refused.stderr
    assert repr(feature_id) in refused.stderr
    assert "an id is 1-200 letters" in refused.stderr
    assert _ids(live) == []


def test_a_plan_with_a_nul_or_a_lone_surrogate_in_an_id_exits_2_naming_it(
    live: LiveServer, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.geojson"
    plan.write_text(
        json.dumps({"type": "FeatureCollection", "features": [strike_body("nul\u0000")]}).replace(
            "nul\\u0000", "surrogate\\ud800"
        ),
        encoding="utf-8",
    )
    for refused in (run_cli("check", str(plan)), _as(live, "notify", str(plan))):
        assert refused.returncode == 2, refused.stderr
        assert "surrogate\\ud800" in refused.stderr
    nul = write_plan(tmp_path / "nul.geojson", [strike_body("nul\u0000")])
    refused = _as(live, "notify", str(nul))
    assert refused.returncode == 2 and "'nul\\x00'" in refused.stderr
    assert _ids(live) == []
