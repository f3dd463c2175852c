"""`deconflict example`: the bundled plan, dated from today, and the aid agency's site list."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from deconflict.formats import Defaults
from deconflict.formats.sites_csv import read_sites_csv
from deconflict.rules.plan import parse_time
from tests.conftest import run_cli


def _activity_starts(plan: dict[str, object]) -> list[datetime]:
    features = plan["features"]
    assert isinstance(features, list)
    return [
        parse_time(f["properties"]["start"])
        for f in features
        if f["properties"]["kind"] == "activity"
    ]


def test_the_at_tanf_plan_starts_within_the_coming_day() -> None:
    before = datetime.now(UTC)
    printed = run_cli("example", "at-tanf")
    assert printed.returncode == 0, printed.stderr
    first = min(_activity_starts(json.loads(printed.stdout)))
    assert before + timedelta(hours=2) <= first <= before + timedelta(days=1, hours=2, minutes=1)
    assert first.strftime("%H:%M") == "22:00"  # moved by whole days: the night stays a night


def test_the_moved_plan_has_the_conflicts_of_the_plan_as_written(tmp_path: Path) -> None:
    written = resources.files("deconflict") / "examples" / "at-tanf.geojson"
    as_written = tmp_path / "as-written.geojson"
    as_written.write_text(written.read_text(encoding="utf-8"), encoding="utf-8")
    moved = tmp_path / "plan.geojson"
    moved.write_text(run_cli("example", "at-tanf").stdout, encoding="utf-8")
    before, after = (
        json.loads(run_cli("check", str(p), "--json").stdout) for p in (as_written, moved)
    )
    shift = parse_time(after["conflicts"][0]["start"]) - parse_time(before["conflicts"][0]["start"])
    assert shift.total_seconds() % 86_400 == 0
    assert [(c["ids"], c["distance_m"]) for c in after["conflicts"]] == [
        (c["ids"], c["distance_m"]) for c in before["conflicts"]
    ]
    for old, new in zip(before["conflicts"], after["conflicts"], strict=True):
        assert parse_time(new["start"]) - parse_time(old["start"]) == shift


def test_the_site_list_reads_every_row_in_every_form_of_position() -> None:
    printed = run_cli("example", "sites-csv")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines()[0] == ("name,lat,lon,mgrs,radius_m,category,contact,notes")
    reading = read_sites_csv(printed.stdout, Defaults("aid", datetime.now(UTC)))
    assert reading.rejected == ()
    assert [f.id for f in reading.features] == [
        "rukban-field-hospital",
        "al-tanf-crossing-clinic",
        "palmyra-national-hospital",
        "al-sukhnah-health-centre",
        "mobile-clinic-3",
    ]


def test_an_unknown_example_exits_2_naming_those_there_are() -> None:
    result = run_cli("example", "kabul")
    assert result.returncode == 2
    assert "no bundled example named 'kabul'; there are 'at-tanf', 'sites-csv'" in result.stderr
