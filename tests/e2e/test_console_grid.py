"""The console's MGRS: the pointer's position in MGRS, DMS and decimal degrees, and the grid
that follows the zoom, checked against the Python mgrs package the line reads positions with."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import mgrs
import pytest
from playwright.sync_api import Browser, Page, expect
from pyproj import Geod

from deconflict.geo.coords import Position, format_dms, format_mgrs
from tests.api.conftest import seed_parties, start_server
from tests.e2e.conftest import open_console, sign_in

# (lat, lon): At Tanf; either side of the 36°E zone boundary; either side of the equator;
# Sydney and Cape Horn (south); Norway's zone 32V and Svalbard's 33X; the last band's edges.
POINTS = [
    (33.5, 38.64),
    (33.5, 35.99999),
    (33.5, 36.00001),
    (0.00001, 0.5),
    (-0.00001, 0.5),
    (-33.8568, 151.2153),
    (-55.98, -67.27),
    (60.39, 5.32),
    (78.22, 15.65),
    (-79.9, -120.3),
    (83.9, 170.2),
]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Page]:
    """One duty officer's console on an empty line, its map over At Tanf at zoom 5."""
    db = tmp_path_factory.mktemp("grid") / "line.db"
    server = start_server(db, seed_parties(db))
    officer = sign_in(open_console(browser, server.url, "grid"), server.tokens["coalition-duty"])
    yield officer.page
    officer.assert_no_errors()
    officer.context.close()
    server.stop()


def in_page(page: Page, module: str, script: str, arg: Any) -> Any:
    """Run `script` (a function of the module and `arg`) on the console's own module."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/console/static/js/{module}'); "
        f"return ({script})(m, arg); }}",
        arg,
    )


def test_positions_are_written_as_the_python_mgrs_package_writes_them(console: Page) -> None:
    written = in_page(
        console,
        "position.js",
        "(m, points) => points.map(([lat, lon]) => [m.mgrsText(lat, lon), m.dmsText(lat, lon)])",
        POINTS,
    )
    expected = [
        [format_mgrs(Position(lon_deg=lon, lat_deg=lat)), format_dms(Position(lon, lat))]
        for lat, lon in POINTS
    ]
    assert written == expected
    assert written[1][0].startswith("36S") and written[2][0].startswith("37S")
    assert written[7][0].startswith("32V") and written[8][0].startswith("33X")


def test_the_pointer_is_shown_in_mgrs_dms_and_decimal(console: Page) -> None:
    box = console.locator("#map").bounding_box()
    assert box is not None
    console.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    text = console.locator("#cursor").inner_text()
    grid, dms, decimal = text.split("\n")
    lat, lon = (float(v) for v in decimal.split(", "))
    assert re.fullmatch(r"\d{1,2}[C-X][A-Z]{2} \d{5} \d{5}", grid)
    assert grid[:-4] == format_mgrs(Position(lon, lat))[:-4]  # the decimal is rounded to ~1 m
    assert dms == format_dms(Position(lon, lat))


def test_grid_lines_lie_on_their_mgrs_eastings_and_northings(console: Page) -> None:
    view = {"south": 33.45, "north": 33.55, "west": 38.55, "east": 38.7}
    grid = in_page(console, "grid.js", "(m, view) => m.gridLines(view, 13)", view)
    labels = grid["labels"]
    eastings = {label["text"] for label in labels if label["kind"] == "easting"}
    assert {"60", "66", "70"} <= eastings
    reader = mgrs.MGRS()
    for label in labels:
        if label["kind"] not in ("easting", "northing"):
            continue
        lat, lon = label["at"]
        reference = reader.toMGRS(lat, lon, MGRSPrecision=5)
        metres = int(reference[5:10] if label["kind"] == "easting" else reference[10:15])
        # On the line: within a metre of a whole km (truncation may put it just below).
        assert (metres + 1) % 1000 <= 2, (label, reference)
        assert f"{(metres + 1) // 1000 % 100:02d}" == label["text"]
    assert {label["text"] for label in labels if label["kind"] == "square"} == {"37S DT"}
    assert sum(1 for line in grid["lines"] if line["kind"] == "line") >= 20


def zoom_to(page: Page, zoom: int, grid: str) -> None:
    """In with the zoom button, a step at a time, to `zoom`; there the map shows `grid`."""
    map_ = page.locator("#map")
    while int(map_.get_attribute("data-zoom") or 0) < zoom:
        before = map_.get_attribute("data-zoom") or ""
        page.click(".leaflet-control-zoom-in")
        expect(map_).not_to_have_attribute("data-zoom", before)
    expect(map_).to_have_attribute("data-grid", grid)


def test_the_grid_follows_the_zoom(console: Page) -> None:
    expect(console.locator("#map")).to_have_attribute("data-grid", "zones")
    expect(console.locator(".grid-label-zone", has_text="37S")).to_have_count(1)
    zoom_to(console, 6, "100000")
    expect(console.locator(".grid-label-square", has_text=re.compile("^DT$"))).to_have_count(1)
    expect(console.locator(".grid-label-zone")).to_have_count(0)
    zoom_to(console, 9, "10000")
    expect(console.locator(".grid-label-easting").first).to_be_visible()
    expect(console.locator(".grid-label-square", has_text="37S DT")).to_have_count(1)


def test_grid_lines_crossing_a_zone_boundary_stop_at_it(console: Page) -> None:
    view = {"south": 33.0, "north": 34.0, "west": 35.5, "east": 36.5}
    grid = in_page(console, "grid.js", "(m, view) => m.gridLines(view, 9)", view)
    squares = {label["text"] for label in grid["labels"] if label["kind"] == "square"}
    assert any(s.startswith("36S ") for s in squares) and any(s.startswith("37S ") for s in squares)
    for line in grid["lines"]:
        for part in line["latlngs"]:
            lons = [lon for _, lon in part]
            assert max(lons) <= 36.0 + 1e-9 or min(lons) >= 36.0 - 1e-9, line


def test_range_and_bearing_between_two_clicks_are_the_geodesic_s(console: Page) -> None:
    box = console.locator("#map").bounding_box()
    assert box is not None
    console.click("#measure")
    expect(console.locator("#measure")).to_have_attribute("aria-pressed", "true")
    expect(console.locator("#measure-result")).to_have_text("Click the first point")
    console.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    expect(console.locator("#measure-result")).to_have_text("Click the second point")
    console.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    result = console.locator("#measure-result")
    expect(result).to_have_attribute("data-distance-m", re.compile(r"\d"))
    lat1, lon1 = (float(v) for v in (result.get_attribute("data-from") or "").split(","))
    lat2, lon2 = (float(v) for v in (result.get_attribute("data-to") or "").split(","))
    azimuth, _, metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    assert float(result.get_attribute("data-distance-m") or 0) == pytest.approx(metres, abs=1e-3)
    assert float(result.get_attribute("data-bearing-deg") or 0) == pytest.approx(
        azimuth % 360, abs=1e-6
    )
    km = f"{metres / 1000:.1f}" if metres < 100_000 else f"{round(metres / 1000):,}"
    assert result.inner_text() == f"{km} km · {round(azimuth % 360, 1):05.1f}° true"
    console.keyboard.press("Escape")  # the map has focus from the clicks
    expect(console.locator("#measure")).to_have_attribute("aria-pressed", "false")
    expect(result).to_be_hidden()
