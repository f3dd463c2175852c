"""The operator's tile file through HTTP: TileJSON, tiles with their headers, refusals, and
the files `deconflict serve --tiles` will not start with."""

from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pmtiles.tile import Compression, TileType

from deconflict.console.tile_files import open_tile_file
from deconflict.settings import Settings, SettingsError
from tests.api.conftest import LiveServer, seed_parties, start_server
from tests.conftest import run_cli
from tests.tile_files import (
    png,
    raster_mbtiles,
    tiles_around,
    vector_mbtiles,
    vector_tile,
    write_pmtiles,
)

RED = (200, 30, 30)
BLUE = (30, 30, 200)


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A line serving an MBTiles file of red PNG tiles around At Tanf at zoom 5 and 6, with one
    blue tile at 6/38/25 (row 38 counted from the south in the file)."""
    folder = tmp_path_factory.mktemp("tiles")
    keys = tiles_around(33.5, 38.6, 5) + tiles_around(33.5, 38.6, 6)
    tiles = raster_mbtiles(folder / "area.mbtiles", keys, RED)
    db = sqlite3.connect(tiles)
    with db:
        db.execute(
            "UPDATE tiles SET tile_data = ? WHERE zoom_level = 6 AND tile_column = 38"
            " AND tile_row = 38",
            (png(BLUE),),
        )
    db.close()
    line = folder / "line.db"
    server = start_server(line, seed_parties(line), tiles=tiles)
    yield server
    server.stop()


@contextmanager
def signed_in(server: LiveServer, party: str = "coalition-duty") -> Iterator[httpx.Client]:
    """A client holding a console session cookie, as the browser does."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        answer = client.post("/console/sign-in", data={"token": server.tokens[party]})
        assert answer.status_code == 303 and "deconflict_session" in str(answer.headers)
        yield client


def test_the_tilejson_describes_the_file_from_its_metadata(tiled: LiveServer) -> None:
    with signed_in(tiled) as client:
        assert client.get("/console/session").json()["tiles"] == "/console/tiles.json"
        described = client.get("/console/tiles.json").json()
    assert described["tilejson"] == "3.0.0"
    assert described["tiles"] == [f"{tiled.url}/console/tiles/{{z}}/{{x}}/{{y}}"]
    assert (described["format"], described["minzoom"], described["maxzoom"]) == ("png", 5, 6)
    assert described["bounds"] == [36.0, 31.0, 41.0, 36.0]
    assert (described["name"], described["attribution"]) == ("area", "Test survey")
    assert "vector_layers" not in described


def test_a_tile_is_served_by_its_xyz_address_with_its_type_and_etag(tiled: LiveServer) -> None:
    with signed_in(tiled) as client:
        blue = client.get("/console/tiles/6/38/25")
        red = client.get("/console/tiles/6/38/24")
        again = client.get(
            "/console/tiles/6/38/25", headers={"If-None-Match": blue.headers["etag"]}
        )
    assert blue.status_code == 200 and blue.content == png(BLUE)  # the row flipped: 2**6-1-38
    assert red.content == png(RED)
    assert blue.headers["content-type"] == "image/png"
    assert "content-encoding" not in blue.headers
    assert blue.headers["cache-control"] == "private, max-age=3600"
    assert blue.headers["etag"] != red.headers["etag"]
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("address", ["4/9/6", "6/0/0", "7/77/50", "6/64/1", "31/0/0"])
def test_a_tile_outside_the_file_is_a_404_problem_naming_it(
    tiled: LiveServer, address: str
) -> None:
    with signed_in(tiled) as client:
        answer = client.get(f"/console/tiles/{address}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert (body["field"], body["value"]) == ("tile", address)
    assert address in body["detail"]


def test_tiles_are_refused_to_anyone_not_signed_in(tiled: LiveServer) -> None:
    for path in ("/console/tiles.json", "/console/tiles/6/38/25"):
        anonymous = httpx.get(f"{tiled.url}{path}")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.content != png(BLUE)
        forged = httpx.get(f"{tiled.url}{path}", cookies={"deconflict_session": "forged"})
        assert forged.status_code == 401
    with tiled.client("aid") as client:  # a token is as good as a session
        assert client.get("/console/tiles/6/38/25").content == png(BLUE)


def test_a_server_without_a_tile_file_says_so(line: LiveServer) -> None:
    with signed_in(line) as client:
        assert client.get("/console/session").json()["tiles"] is None
        answer = client.get("/console/tiles.json")
    assert answer.status_code == 404
    assert "--tiles" in answer.json()["detail"]


def test_vector_tiles_from_mbtiles_keep_their_gzip_as_the_content_encoding(tmp_path: Path) -> None:
    tiles = open_tile_file(vector_mbtiles(tmp_path / "v.mbtiles", [(3, 4, 3)], layer="roads"))
    try:
        assert (
            tiles.tile_set.vector
            and tiles.tile_set.media_type == "application/vnd.mapbox-vector-tile"
        )
        assert tiles.tile_set.vector_layers == [{"id": "roads", "fields": {}}]
        tile = tiles.tile(3, 4, 3)
        assert tile is not None and tile.encoding == "gzip"
        assert gzip.decompress(tile.data) == vector_tile("roads")
        assert tiles.tile(3, 4, 4) is None
    finally:
        tiles.close()


def test_a_vector_tile_is_served_gzip_encoded_or_plain_to_a_client_without_gzip(
    tmp_path: Path,
) -> None:
    db = tmp_path / "line.db"
    server = start_server(
        db, seed_parties(db), tiles=vector_mbtiles(tmp_path / "v.mbtiles", [(3, 4, 3)])
    )
    try:
        with signed_in(server) as client:
            described = client.get("/console/tiles.json").json()
            encoded = client.get("/console/tiles/3/4/3")
            plain = client.get("/console/tiles/3/4/3", headers={"Accept-Encoding": "identity"})
    finally:
        server.stop()
    assert described["format"] == "pbf"
    assert described["vector_layers"] == [{"id": "water", "fields": {}}]
    assert encoded.headers["content-encoding"] == "gzip"
    assert encoded.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert encoded.content == vector_tile("water")  # httpx undoes the gzip
    assert "content-encoding" not in plain.headers
    assert plain.content == vector_tile("water")


@pytest.mark.parametrize(
    ("tile_type", "compression", "encoding", "media_type"),
    [
        (TileType.PNG, Compression.NONE, None, "image/png"),
        (TileType.MVT, Compression.GZIP, "gzip", "application/vnd.mapbox-vector-tile"),
    ],
)
def test_a_pmtiles_file_is_read_by_xyz_address(
    tmp_path: Path,
    tile_type: TileType,
    compression: Compression,
    encoding: str | None,
    media_type: str,
) -> None:
    data = png(RED) if tile_type == TileType.PNG else gzip.compress(vector_tile(), mtime=0)
    keys = tiles_around(33.5, 38.6, 5, reach=1)
    path = write_pmtiles(
        tmp_path / "area.pmtiles",
        dict.fromkeys(keys, data),
        tile_type,
        compression,
        {"name": "At Tanf", "attribution": "Test survey", "vector_layers": [{"id": "water"}]},
        bounds=(36.0, 31.0, 41.0, 36.0),
    )
    tiles = open_tile_file(path)
    try:
        assert (tiles.tile_set.name, tiles.tile_set.attribution) == ("At Tanf", "Test survey")
        assert (tiles.tile_set.min_zoom, tiles.tile_set.max_zoom) == (5, 5)
        assert tiles.tile_set.bounds == (36.0, 31.0, 41.0, 36.0)
        assert tiles.tile_set.media_type == media_type
        tile = tiles.tile(*keys[0])
        assert tile is not None and (tile.data, tile.encoding) == (data, encoding)
        assert tiles.tile(5, 0, 0) is None
        assert tiles.tile(4, 9, 6) is None
    finally:
        tiles.close()


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Files a server must not start with, and what the refusal says of each."""
    empty = folder / "empty.mbtiles"
    raster_mbtiles(empty, [(1, 0, 0)], RED)
    db = sqlite3.connect(empty)
    with db:
        db.execute("DELETE FROM tiles")
    db.close()
    text = folder / "notes.mbtiles"
    text.write_text("these are not tiles\n")
    other = folder / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (a)").connection.close()
    truncated = folder / "cut.pmtiles"
    truncated.write_bytes(b"PMTiles\x03" + b"\x00" * 20)
    return {
        "missing": (folder / "nowhere.mbtiles", "No such file"),
        "not tiles": (text, "neither an MBTiles (SQLite) nor a PMTiles file"),
        "no tiles table": (other, "not a readable MBTiles file"),
        "no tiles": (empty, "holds no tiles"),
        "cut short": (truncated, "not a readable PMTiles v3 file"),
    }


def test_a_file_that_cannot_be_served_is_refused_by_name(tmp_path: Path) -> None:
    for path, says in bad_files(tmp_path).values():
        with pytest.raises(SettingsError) as refused:
            open_tile_file(path)
        assert str(refused.value).startswith(f"tiles (DECONFLICT_TILES): {path}: ")
        assert says in str(refused.value)


def test_serve_refuses_a_bad_tile_file_in_one_line_with_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    path, says = bad_files(tmp_path)["not tiles"]
    result = run_cli("serve", "--db", str(db), "--tiles", str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr and str(path) in result.stderr
    assert not db.exists()  # refused before the store was opened


def test_the_tile_file_is_a_setting_from_the_environment() -> None:
    settings = Settings.from_env({"DECONFLICT_TILES": "/srv/area.pmtiles"})
    assert settings.tiles == Path("/srv/area.pmtiles")
    assert Settings.from_env({"DECONFLICT_TILES": ""}).tiles is None
