"""`deconflict import`, `export` and `notam`, run as a user would against a real server."""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body, zone_body
from tests.conftest import run_cli

SITES = """name,lat,lon,mgrs,radius,category,contact
Qasr field hospital,33.5077,38.7123,,500,hospital,+963 11 000 0001
Camp Rukban,33.3,38.7,,2000,camp,camp desk
School 14,,,37S DT 96540 07950,300,school,
"""
BAD_SITES = SITES + "Broken row,95.2,38.7,,500,clinic,\nNegative,33.4,38.7,,-5,clinic,\n"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    db = tmp_path / "line.db"
    server = start_server(db, seed_parties(db))
    yield server
    server.stop()


def _as(live: LiveServer, party: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "--server", live.url, "--token", live.tokens[party])


def _ids(live: LiveServer, party: str) -> list[str]:
    with live.client(party) as http:
        return sorted(f["id"] for f in http.get("/v1/features").json()["features"])


def test_importing_agency_sites_stores_them_and_prints_a_summary(
    live: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    result = _as(live, "aid", "import", str(path))
    assert result.returncode == 0, result.stderr
    summary = " ".join(result.stdout.replace("│", " ").split())
    assert "imported 3" in summary and "skipped 0" in summary and "notices sent 0" in summary
    assert len(_ids(live, "aid")) == 3


def test_one_bad_row_imports_nothing_and_names_the_rows(live: LiveServer, tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(BAD_SITES, encoding="utf-8")
    result = _as(live, "aid", "import", str(path))
    assert result.returncode == 2
    assert "nothing imported: 2 items refused" in result.stderr
    assert "sites.csv line 5 (Broken row)" in result.stderr and "95.2" in result.stderr
    assert "sites.csv line 6 (Negative)" in result.stderr
    assert _ids(live, "aid") == []


def test_a_partial_import_stores_the_good_rows_and_lists_the_skipped(
    live: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(BAD_SITES, encoding="utf-8")
    result = _as(live, "aid", "import", str(path), "--partial", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert len(answer["imported"]) == 3 and len(answer["skipped"]) == 2
    assert any("line 5" in reason for reason in answer["skipped"])
    assert len(_ids(live, "aid")) == 3


def test_a_partial_import_over_the_servers_request_limits_goes_in_smaller_batches(
    tmp_path: Path,
) -> None:
    db = tmp_path / "line.db"
    server = start_server(
        db, seed_parties(db), max_vertices_per_feature=100, max_vertices_per_request=300
    )
    try:
        sites = [_polygon_site(f"site-{k}", 30.0 + k / 10, 50) for k in range(30)]
        path = tmp_path / "sites.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": sites}))
        # All or nothing: one request, over the limit, refused whole.
        whole = _as(server, "aid", "import", str(path))
        assert whole.returncode == 2 and "max_vertices_per_request" in whole.stderr
        assert _ids(server, "aid") == []
        # Partial: batches halved on each refusal until the server takes them.
        result = _as(server, "aid", "import", str(path), "--partial", "--json")
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)["imported"]) == 30
        assert _ids(server, "aid") == [f"site-{k}" for k in sorted(range(30), key=str)]
    finally:
        server.stop()


def _polygon_site(fid: str, lon: float, vertices: int) -> dict[str, object]:
    ring = [
        [
            lon + 0.01 * math.cos(2 * math.pi * k / vertices),
            33.5 + 0.01 * math.sin(2 * math.pi * k / vertices),
        ]
        for k in range(vertices - 1)
    ]
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        "properties": {"kind": "zone", "party": "aid", "start": "2030-01-01T00:00:00Z"},
    }


def test_an_import_that_meets_an_activity_exits_1_and_says_so(
    live: LiveServer, tmp_path: Path
) -> None:
    with live.client("russia") as http:
        http.post("/v1/activities", json=strike_body(lon=38.7123)).raise_for_status()
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    result = _as(live, "aid", "import", str(path), "--start", "2030-09-01T00:00:00Z")
    assert result.returncode == 1, result.stderr
    assert "conflict" in result.stdout


def test_a_geojson_of_another_partys_features_is_refused_by_line(
    live: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "plan.geojson"
    foreign = zone_body("theirs", party="coalition")
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [foreign]}))
    result = _as(live, "aid", "import", str(path))
    assert result.returncode == 2
    assert "line 1 (theirs): belongs to 'coalition'" in result.stderr


def test_an_unknown_file_asks_for_its_format(live: LiveServer, tmp_path: Path) -> None:
    path = tmp_path / "sites.dat"
    path.write_text("whatever\n")
    result = _as(live, "aid", "import", str(path))
    assert result.returncode == 2
    assert "give --format" in result.stderr


@pytest.mark.parametrize(
    ("name", "marker"), [("kml", "<kml"), ("cot", "<events"), ("aco", "MSGID/ACO")]
)
def test_export_writes_what_the_party_sees(
    live: LiveServer, tmp_path: Path, name: str, marker: str
) -> None:
    with live.client("coalition") as http:
        http.post("/v1/zones", json=zone_body()).raise_for_status()
    out = tmp_path / f"line.{name}"
    result = _as(live, "russia", "export", "--format", name, "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert marker in text and ("At Tanf" in text or "AT TANF" in text)
    back = _as(live, "russia", "import", str(out), "--format", name)
    if name == "aco":
        # An ACO does not carry the owner: its airspace is read as russia's own, and ids
        # are per party, so russia's zone of the same id sits beside the coalition's.
        assert back.returncode == 0, back.stderr
        with live.client("russia") as http:
            owners = [f["properties"]["party"] for f in http.get("/v1/features").json()["features"]]
        assert sorted(owners) == ["coalition", "russia"]
        return
    # Russia may not declare the coalition's zone as its own: KML and CoT carry the owner.
    assert back.returncode == 2
    assert "belongs to 'coalition'" in " ".join(back.stderr.split())


def test_notam_prints_an_activity_for_briefing(live: LiveServer) -> None:
    with live.client("russia") as http:
        http.post("/v1/activities", json=strike_body()).raise_for_status()
    result = _as(live, "coalition", "notam", "strike-1", "--fir", "OSTT")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("(A0001/") and "Q) OSTT/" in result.stdout


def test_notam_of_an_unknown_feature_exits_2(live: LiveServer) -> None:
    result = _as(live, "coalition", "notam", "no-such")
    assert result.returncode == 2
    assert "no such feature" in result.stderr


def test_notam_never_publishes_a_zone_shared_only_as_a_contact(live: LiveServer) -> None:
    with live.client("aid") as http:
        http.post("/v1/zones", json=zone_body("clinic", share="contact")).raise_for_status()
    result = _as(live, "aid", "notam", "clinic")
    assert result.returncode == 2
    assert "shared only as a contact" in " ".join(result.stderr.split())


def test_a_csv_export_names_the_feature_a_site_row_cannot_hold(live: LiveServer) -> None:
    with live.client("russia") as http:
        strike = strike_body()
        strike["geometry"] = {"type": "LineString", "coordinates": [[38.7, 33.5], [38.8, 33.6]]}
        del strike["properties"]["radius_m"]
        http.post("/v1/activities", json=strike).raise_for_status()
    result = _as(live, "russia", "export", "--format", "csv")
    assert result.returncode == 2
    assert "feature 'strike-1'" in result.stderr


@pytest.fixture
def small(tmp_path: Path) -> Iterator[LiveServer]:
    """A server that takes at most 40 vertices a feature and 3 features an import."""
    db = tmp_path / "small.db"
    server = start_server(
        db, seed_parties(db), max_vertices_per_feature=40, max_features_per_import=3
    )
    yield server
    server.stop()


def _kml_area(name: str, vertices: int) -> str:
    turn = [2 * math.pi * k / (vertices - 1) for k in range(vertices - 1)]
    corners = [f"{38.6 + 0.05 * math.cos(a)},{33.5 + 0.05 * math.sin(a)}" for a in turn]
    ring = " ".join([*corners, corners[0]])
    return (
        f"<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing>"
        f"<coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )


def test_a_kml_area_over_the_vertex_limit_imports_nothing_and_names_it(
    small: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "areas.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        + _kml_area("Camp west", 40)
        + _kml_area("Camp sprawl", 41)
        + "</Document></kml>",
        encoding="utf-8",
    )
    result = _as(small, "aid", "import", str(path))
    assert result.returncode == 2, result.stderr
    assert "camp-sprawl" in result.stderr and "41 vertices" in result.stderr
    assert "max_vertices_per_feature" in result.stderr
    assert _ids(small, "aid") == []


def test_a_site_list_over_the_features_per_import_imports_nothing_and_names_the_limit(
    small: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(SITES + "Clinic 9,33.6,38.8,,300,clinic,\n", encoding="utf-8")
    result = _as(small, "aid", "import", str(path))
    assert result.returncode == 2, result.stderr
    assert "4 features" in result.stderr and "limit of 3 per import" in result.stderr
    assert "DECONFLICT_MAX_FEATURES_PER_IMPORT" in result.stderr
    assert _ids(small, "aid") == []
