"""A duty officer without a mouse: every control is reached with Tab and shows where focus is."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.e2e.conftest import Officer, open_console, sign_in


def test_a_notice_is_acknowledged_with_the_keyboard_alone(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    with line.client("coalition") as coalition, line.client("russia") as russia:
        assert coalition.post("/v1/zones", json=zone_body()).status_code == 201
        assert russia.post("/v1/activities", json=strike_body()).status_code == 201
    officer = sign_in(open_console(browser, line.url, "keyboard"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    notice = page.locator('#inbox article[data-feature="strike-1"]')
    expect(notice).to_be_visible()
    page.evaluate("document.activeElement.blur()")
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "[document.activeElement.id || document.activeElement.dataset.act || '',"
            " getComputedStyle(document.activeElement).outlineStyle]"
        )
        reached.append(focused[0])
        assert focused[1] != "none", f"no focus ring on {focused[0]!r}"
        if focused[0] == "acknowledge":
            break
    assert reached[0] == "skip", "the skip link comes first"
    assert {"sign-out", "map", "time-slider", "tab-inbox", "acknowledge"} <= set(reached)
    officer.shot("keyboard-focus")
    page.keyboard.press("Enter")
    expect(page.locator('#inbox article[data-feature="strike-1"]')).to_have_attribute(
        "data-response", "acknowledged"
    )
    officer.assert_no_errors()


def test_the_first_tab_after_signing_in_is_the_skip_link_and_the_map_is_one_stop(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    with line.client("coalition") as coalition, line.client("russia") as russia:
        for i in range(6):
            zone = zone_body(f"zone-{i}", radius_m=5_000 + 1_000 * i, name=f"Post {i}")
            assert coalition.post("/v1/zones", json=zone).status_code == 201
        assert russia.post("/v1/activities", json=strike_body()).status_code == 201
    officer = sign_in(open_console(browser, line.url, "first-tab"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    focused = "document.activeElement.id"
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate(focused) == "side"

    page.focus("#map")
    stops: list[str] = []
    while page.evaluate(focused) != "time-now" and len(stops) < 20:
        page.keyboard.press("Tab")
        stops.append(page.evaluate("document.activeElement.tagName"))
    # Zoom in and out, Measure, the search, the list, the layers (their summary and a box for each
    # party and kind), the attribution, Now: never a shape.
    boxes = page.locator("#layers input[type=checkbox]").count()
    assert "path" not in stops and len(stops) <= 8 + boxes, stops

    page.focus("#feature-index summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    listed = page.locator("#feature-list button")
    expect(listed).to_have_count(7)
    expect(listed.first).to_be_focused()
    assert listed.evaluate_all("bs => bs.filter((b) => b.tabIndex === 0).length") == 1
    page.keyboard.press("ArrowDown")
    expect(listed.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    chosen = listed.nth(1).get_attribute("data-feature") or ""
    card = page.locator(".leaflet-popup .card")
    expect(card).to_be_focused()
    expect(card).to_have_attribute("data-feature", chosen)
    page.keyboard.press("Escape")
    expect(card).to_have_count(0)
    expect(listed.nth(1)).to_be_focused()
    officer.assert_no_errors()
