"""Declaring and amending from the console: a zone of every shape the line takes, typed or drawn,
stored as the API stores it; an activity amended in window and shape, its conflict shown by the
dry run before it is sent, and the other party's notice arriving live; the server's refusal
shown beside the field it names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from deconflict.geo.coords import Position, format_mgrs
from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.e2e.audit import axe_violations, layout_problems
from tests.e2e.conftest import EXPECTED_ERRORS, Officer, open_console, sign_in

START, END = "2030-09-06T22:00Z", "2030-09-07T02:00Z"

# Each shape as an officer types it (the fields it needs), and what the line must store.
TYPED: dict[str, tuple[dict[str, str], str, dict[str, Any]]] = {
    "circle": (
        {"#n-centre": format_mgrs(Position(lon_deg=38.64, lat_deg=33.5)), "#n-radius": "2500"},
        "Point",
        {"radius_m": 2500},
    ),
    "corridor": (
        {"#n-points": "33.50, 38.60\n33.55, 38.70\n33.60, 38.72", "#n-half-width": "800"},
        "LineString",
        {"half_width_m": 800},
    ),
    "polygon": (
        {"#n-points": "33.40, 38.50\n33.40, 38.60\n33.48, 38.55"},
        "Polygon",
        {},
    ),
    "sector": (
        {
            "#n-centre": "33°30'00\"N 038°38'24\"E",
            "#n-inner": "2000",
            "#n-outer": "15000",
            "#n-from": "300",
            "#n-to": "60",
        },
        "Point",
        {"sector": {"outer_m": 15000, "inner_m": 2000, "from_deg": 300, "to_deg": 60}},
    ),
    "orbit": (
        {"#n-points": "33.70, 38.40\n33.80, 38.55", "#n-orbit-width": "6000"},
        "LineString",
        {"orbit": {"width_m": 6000, "side": "left"}},
    ),
    "track": (
        {
            "#n-points": "33.20, 38.30\n33.25, 38.40\n33.22, 38.50",
            "#n-left": "1000",
            "#n-right": "3000",
        },
        "LineString",
        {"track": {"left_m": 1000, "right_m": 3000}},
    ),
}


def stored(line: LiveServer, party: str, feature_id: str) -> dict[str, Any]:
    """The feature as the line serves it to its own party."""
    with line.client(party) as client:
        answer = client.get(f"/v1/features/{feature_id}")
        assert answer.status_code == 200, answer.text
        feature: dict[str, Any] = answer.json()["feature"]
    return feature


def check_and_send(page: Page, feature_id: str) -> None:
    """The dry run first (Send waits for it), then the declaration."""
    page.click("#n-check")
    expect(page.locator("#n-result [data-conflicts]")).to_be_visible()
    expect(page.locator("#n-send")).to_be_enabled()
    page.click("#n-send")
    expect(page.locator(f'#n-result [data-sent="{feature_id}"]')).to_be_visible()


def test_a_zone_of_every_shape_typed_is_declared_with_its_geometry_and_measures(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "declare-typed"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    page.click("#tab-notify")
    page.check('input[name="kind"][value="zone"]')
    expect(page.locator("#n-activity")).to_be_hidden()
    expect(page.locator("#n-send")).to_have_text("Declare the zone")
    page.fill("#n-start", START)
    page.fill("#n-lower", "SFC")
    page.fill("#n-upper", "FL100")
    for shape, (fields, geometry, measures) in TYPED.items():
        page.check(f'input[name="shape"][value="{shape}"]')
        for selector, value in fields.items():
            page.fill(selector, value)
        if shape == "orbit":
            page.select_option("#n-orbit-side", "left")
        page.fill("#n-id", f"zone-{shape}")
        page.fill("#n-name", f"The {shape}")
        check_and_send(page, f"zone-{shape}")

        feature = stored(line, "coalition", f"zone-{shape}")
        properties = feature["properties"]
        assert feature["geometry"]["type"] == geometry, shape
        assert properties["kind"] == "zone" and properties["share"] == "shape"
        assert properties["name"] == f"The {shape}"
        assert properties["start"].startswith("2030-09-06T22:00")
        assert properties["altitude"]["lower_m"] == 0 and properties["altitude"]["upper_m"] > 3000
        for key, value in measures.items():
            assert properties[key] == value, (shape, key, properties[key])
    circle = stored(line, "coalition", "zone-circle")["geometry"]["coordinates"]
    assert circle == pytest.approx([38.64, 33.5], abs=1e-4)  # read from MGRS by the server
    ring = stored(line, "coalition", "zone-polygon")["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 4
    officer.shot("declared-every-shape")
    officer.assert_no_errors()


def test_a_polygon_drawn_on_the_map_is_declared_as_a_hidden_zone(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "declare-drawn"), line.tokens["aid"])
    consoles.append(officer)
    page = officer.page
    page.click("#tab-notify")
    page.check('input[name="kind"][value="zone"]')
    page.select_option("#n-share", "contact")
    page.check('input[name="shape"][value="polygon"]')
    page.fill("#n-start", START)
    page.fill("#n-id", "clinic-1")
    box = page.locator("#map").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.click("#draw")
    for dx, dy in ((-60, -40), (60, -40), (60, 40), (-60, 40)):
        page.mouse.click(x + dx, y + dy)
    page.keyboard.press("Enter")
    expect(page.locator("#n-points")).to_have_value(re.compile(r"^(.+\n){3}.+$"))
    expect(page.locator("#n-result [data-conflicts]")).to_be_visible()  # drawing checks it
    page.click("#n-send")
    expect(page.locator('#n-result [data-sent="clinic-1"]')).to_be_visible()

    feature = stored(line, "aid", "clinic-1")
    ring = feature["geometry"]["coordinates"][0]
    assert feature["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
    assert feature["properties"]["kind"] == "zone" and feature["properties"]["share"] == "contact"
    with line.client("russia") as russia:  # a hidden zone is no other party's to see
        assert russia.get("/v1/features/clinic-1").status_code == 404
    officer.assert_no_errors()


def test_an_amended_activity_shows_its_conflict_before_sending_and_its_notice_arrives_live(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    with line.client("coalition") as coalition, line.client("russia") as russia:
        assert coalition.post("/v1/zones", json=zone_body(radius_m=20_000)).status_code == 201
        far = strike_body(lon=39.5, altitude={"lower": "SFC", "upper": "FL120"})
        answer = russia.post("/v1/activities", json=far)
        assert answer.status_code == 201 and answer.json()["conflicts"] == []
    russia_officer = sign_in(open_console(browser, line.url, "amend-ru"), line.tokens["russia"])
    coalition_officer = sign_in(
        open_console(browser, line.url, "amend-en"), line.tokens["coalition"]
    )
    consoles += [russia_officer, coalition_officer]
    r, c = russia_officer.page, coalition_officer.page
    urgent = c.locator('#inbox article[data-feature="strike-1"][data-priority="true"]')
    expect(c.locator('#inbox article[data-feature="strike-1"]')).to_have_count(
        1
    )  # told, no conflict
    expect(urgent).to_have_count(0)

    r.click("#feature-index summary")
    r.click('#feature-list button[data-feature="strike-1"]')
    r.click('.leaflet-popup .card [data-act="amend"]')
    expect(r.locator("#n-amending")).to_be_visible()
    expect(r.locator("#n-amending-text")).to_contain_text("strike-1")
    expect(r.locator('input[name="kind"][value="activity"]')).to_be_checked()
    expect(r.locator('input[name="kind"][value="zone"]')).to_be_disabled()
    expect(r.locator('input[name="shape"][value="circle"]')).to_be_checked()
    expect(r.locator("#n-centre")).to_have_value("33.5, 39.5")
    expect(r.locator("#n-radius")).to_have_value("1500")
    expect(r.locator("#n-upper")).to_have_value("FL120")
    expect(r.locator("#n-id")).to_have_value("strike-1")

    r.fill("#n-centre", "33.45, 38.70")  # into the coalition's zone
    r.fill("#n-radius", "3000")
    r.fill("#n-start", "2030-09-07T20:00Z")
    r.fill("#n-end", "2030-09-07T23:30Z")
    r.click("#n-check")
    expect(r.locator("#n-result [data-conflicts]")).to_have_attribute("data-conflicts", "1")
    expect(r.locator("#n-result .conflicts")).to_contain_text("at-tanf")
    russia_officer.shot("amendment-checked")
    assert stored(line, "russia", "strike-1")["properties"]["version"] == 1  # checked, not stored

    r.click("#n-send")
    expect(r.locator('#n-result [data-sent="strike-1"]')).to_contain_text("2")
    expect(urgent).to_have_count(1, timeout=3_000)
    expect(urgent.locator(".conflicts, .thread").first).to_contain_text("at-tanf")
    coalition_officer.shot("amendment-arrived")

    feature = stored(line, "russia", "strike-1")
    properties = feature["properties"]
    assert properties["version"] == 2
    assert properties["start"].startswith("2030-09-07T20:00")
    assert properties["end"].startswith("2030-09-07T23:30")
    assert properties["radius_m"] == 3000 and properties["activity"] == "strike"
    assert feature["geometry"]["coordinates"] == pytest.approx([38.7, 33.45])
    with line.client("coalition") as coalition:
        inbox = coalition.get("/v1/inbox").json()["notices"]
        assert sorted(n["priority"] for n in inbox if n["feature"] == "strike-1") == [False, True]
    expect(r.locator("#n-amending")).to_be_hidden()
    russia_officer.assert_no_errors()
    coalition_officer.assert_no_errors()


def test_a_value_the_server_refuses_is_shown_beside_its_field(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "declare-refused"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    page.click("#tab-notify")
    page.check('input[name="kind"][value="zone"]')
    page.fill("#n-centre", "33.5, 38.64")
    page.fill("#n-radius", "5000")
    page.fill("#n-start", START)
    page.fill("#n-upper", "very high")
    page.click("#n-check")
    expect(page.locator("#n-upper")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#n-upper-error")).to_contain_text("is not a level")
    expect(page.locator("#n-upper")).to_be_focused()
    expect(page.locator("#n-send")).to_be_disabled()
    with line.client("coalition") as coalition:
        assert coalition.get("/v1/features").json()["features"] == []
    refused = [e for e in officer.errors if not EXPECTED_ERRORS.search(e)]
    assert refused == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]  # the refused check, and nothing else


def test_an_amendment_on_a_phone_fits_passes_axe_and_survives_a_reload(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    with line.client("russia") as russia:
        assert (
            russia.post("/v1/activities", json=strike_body(name="Night strike")).status_code == 201
        )
    phone: ViewportSize = {"width": 390, "height": 844}
    officer = open_console(browser, line.url, "amend-phone", "ar", phone)
    consoles.append(officer)
    page = sign_in(officer, line.tokens["russia"]).page
    page.click("#view-map")
    page.click("#feature-index summary")
    page.click('#feature-list button[data-feature="strike-1"]')
    page.click('.leaflet-popup .card [data-act="amend"]')
    # A loaded machine animates the map slowly: the form may take longer than the default wait.
    expect(page.locator("#n-amending")).to_be_visible(timeout=20_000)
    expect(page.locator("#view-inbox")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#tab-notify")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#n-amending-text")).to_be_focused()
    page.fill("#n-end", "2030-09-07T04:00Z")
    problems, _ = layout_problems(page)
    assert problems == []
    assert axe_violations(page) == []
    officer.shot("amending")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-notify")
    expect(page.locator("#n-amending-text")).to_contain_text("strike-1")
    expect(page.locator("#n-end")).to_have_value("2030-09-07T04:00Z")
    expect(page.locator("#n-name")).to_have_value("Night strike")
    expect(page.locator("#n-id")).to_have_attribute("readonly", "")
    page.click("#n-amend-stop")
    expect(page.locator("#n-amending")).to_be_hidden()
    expect(page.locator("#n-end")).to_have_value("")
    expect(page.locator("#n-id")).not_to_have_attribute("readonly", "")
    assert stored(line, "russia", "strike-1")["properties"]["version"] == 1
    officer.assert_no_errors()


def test_a_zone_with_a_hole_offers_no_amendment_that_would_drop_the_hole(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    outer = [[38.5, 33.3], [38.8, 33.3], [38.8, 33.6], [38.5, 33.6], [38.5, 33.3]]
    hole = [[38.6, 33.4], [38.7, 33.4], [38.7, 33.5], [38.6, 33.5], [38.6, 33.4]]
    holed = zone_body("camp")
    holed["geometry"] = {"type": "Polygon", "coordinates": [outer, hole]}
    del holed["properties"]["radius_m"]
    with line.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=holed).status_code == 201
        assert coalition.post("/v1/zones", json=zone_body("plain")).status_code == 201
    officer = sign_in(open_console(browser, line.url, "holed"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    page.click("#feature-index summary")
    page.click('#feature-list button[data-feature="camp"]')
    card = page.locator('.leaflet-popup .card[data-feature="camp"]')
    expect(card.locator('[data-note="not-amendable"]')).to_be_visible()
    expect(card.locator('[data-act="amend"]')).to_have_count(0)
    page.keyboard.press("Escape")
    page.click('#feature-list button[data-feature="plain"]')
    plain = page.locator('.leaflet-popup .card[data-feature="plain"]')
    expect(plain.locator('[data-act="amend"]')).to_be_visible()
    assert stored(line, "coalition", "camp")["geometry"]["coordinates"][1] == hole
