"""The console's MGRS: the pointer's position in MGRS, DMS and decimal degrees, and the grid
that follows the zoom, checked against the Python mgrs package the line reads positions with."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import mgrs
import pytest
from playwright.sync_api import Browser, Page, expect

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


def zoom_in(page: Page) -> None:
    """One step in with the zoom button, once the map has stopped moving."""
    page.click(".leaflet-control-zoom-in")
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")


def test_the_grid_follows_the_zoom(console: Page) -> None:
    labels = console.locator(".grid-label")
    expect(console.locator(".grid-label-zone", has_text="37S")).to_have_count(1)
    zoom_in(console)
    expect(console.locator(".grid-label-square", has_text=re.compile("^DT$"))).to_have_count(1)
    for _ in range(3):
        zoom_in(console)
    expect(console.locator(".grid-label-easting").first).to_be_visible()
    expect(console.locator(".grid-label-zone")).to_have_count(0)
    assert labels.count() > 4


def test_grid_lines_crossing_a_zone_boundary_stop_at_it(console: Page) -> None:
    view = {"south": 33.0, "north": 34.0, "west": 35.5, "east": 36.5}
    grid = in_page(console, "grid.js", "(m, view) => m.gridLines(view, 9)", view)
    squares = {label["text"] for label in grid["labels"] if label["kind"] == "square"}
    assert any(s.startswith("36S ") for s in squares) and any(s.startswith("37S ") for s in squares)
    for line in grid["lines"]:
        for part in line["latlngs"]:
            lons = [lon for _, lon in part]
            assert max(lons) <= 36.0 + 1e-9 or min(lons) >= 36.0 - 1e-9, line
