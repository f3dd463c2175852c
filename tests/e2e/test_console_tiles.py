"""The console draws the operator's tile file: raster MBTiles, vector MBTiles and PMTiles,
each asked of the server and drawn on the map; without one, the world map alone."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from pmtiles.tile import Compression, TileType

from tests.api.conftest import LiveServer, seed_parties, start_server
from tests.e2e.conftest import Officer, open_console, sign_in
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
WATER = (0x1F, 0x4E, 0x6E)  # the vector style's water (js/tiles.js)
KEYS = tiles_around(33.5, 38.6, 5, reach=3)  # the map opens at zoom 5 over At Tanf


def raster_pmtiles(path: Path) -> Path:
    tiles = dict.fromkeys(KEYS, png(BLUE))
    metadata = {"attribution": "Test survey"}
    return write_pmtiles(
        path, tiles, TileType.PNG, metadata=metadata, bounds=(36.0, 31.0, 41.0, 36.0)
    )


def vector_pmtiles(path: Path) -> Path:
    tiles = dict.fromkeys(KEYS, gzip.compress(vector_tile("ocean"), mtime=0))
    metadata = {"vector_layers": [{"id": "ocean", "fields": {}}]}
    return write_pmtiles(
        path, tiles, TileType.MVT, Compression.GZIP, metadata, bounds=(36.0, 31.0, 41.0, 36.0)
    )


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A line serving the tile file the test's parameter makes."""
    make = request.param
    tiles = make(tmp_path / f"area.{'pmtiles' if 'pmtiles' in make.__name__ else 'mbtiles'}")
    db = tmp_path / "line.db"
    server = start_server(db, seed_parties(db), tiles=tiles)
    yield server
    server.stop()


def signed_in(
    browser: Browser, server: LiveServer, consoles: list[Officer], answers: list[tuple[str, int]]
) -> Page:
    """A duty officer's console; `answers` collects the URL and status of each tile asked for."""
    officer = open_console(browser, server.url, "tiles")
    consoles.append(officer)
    officer.page.on(
        "response",
        lambda r: answers.append((r.url, r.status)) if "/console/tiles/" in r.url else None,
    )
    return sign_in(officer, server.tokens["coalition-duty"]).page


def pixel(page: Page, selector: str) -> list[int]:
    """The colour at the middle of the first loaded tile that `selector` finds (r, g, b, a)."""
    return list(
        page.locator(selector).first.evaluate(
            """(tile) => {
                const canvas = document.createElement("canvas");
                canvas.width = canvas.height = 1;
                const g = canvas.getContext("2d");
                const size = tile.naturalWidth || tile.width;
                g.drawImage(tile, size / 2, size / 2, 1, 1, 0, 0, 1, 1);
                return Array.from(g.getImageData(0, 0, 1, 1).data);
            }"""
        )
    )


def near(colour: list[int], rgb: tuple[int, int, int], within: int = 6) -> bool:
    return all(abs(a - b) <= within for a, b in zip(colour, rgb, strict=False))


def raster_mbtiles_file(path: Path) -> Path:
    return raster_mbtiles(path, KEYS, RED)


def vector_mbtiles_file(path: Path) -> Path:
    return vector_mbtiles(path, KEYS, layer="water")


@pytest.mark.parametrize(
    ("served", "colour"),
    [(raster_mbtiles_file, RED), (raster_pmtiles, BLUE)],
    indirect=["served"],
    ids=["mbtiles", "pmtiles"],
)
def test_raster_tiles_of_the_file_are_asked_for_and_drawn(
    served: LiveServer, browser: Browser, consoles: list[Officer], colour: tuple[int, int, int]
) -> None:
    answers: list[tuple[str, int]] = []
    page = signed_in(browser, served, consoles, answers)
    tile = ".tile-file img.leaflet-tile-loaded"
    page.wait_for_selector(tile)
    assert (f"{served.url}/console/tiles/5/19/12", 200) in answers
    assert {status for _, status in answers} == {200}
    assert "/console/tiles/5/19/1" in (page.locator(tile).first.get_attribute("src") or "")
    assert near(pixel(page, tile), colour)
    assert "Test survey" in page.locator(".leaflet-control-attribution").inner_text()
    consoles[0].assert_no_errors()


@pytest.mark.parametrize(
    "served", [vector_mbtiles_file, vector_pmtiles], indirect=True, ids=["mbtiles", "pmtiles"]
)
def test_vector_tiles_of_the_file_are_drawn_in_the_plain_style(
    served: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    answers: list[tuple[str, int]] = []
    page = signed_in(browser, served, consoles, answers)
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll(".tile-file canvas")).some((c) => {
            const d = c.getContext("2d").getImageData(c.width / 2, c.height / 2, 1, 1).data;
            return d[3] > 0;
        })"""
    )
    drawn = page.evaluate(
        """() => Array.from(document.querySelectorAll(".tile-file canvas")).map((c) =>
            Array.from(c.getContext("2d").getImageData(c.width / 2, c.height / 2, 1, 1).data))"""
    )
    assert any(near(colour, WATER, within=10) for colour in drawn), drawn
    assert (f"{served.url}/console/tiles/5/19/12", 200) in answers
    consoles[0].assert_no_errors()
