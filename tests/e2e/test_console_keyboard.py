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
    assert reached[0] == "", "the skip link comes first"
    assert {"sign-out", "map", "time-slider", "tab-inbox", "acknowledge"} <= set(reached)
    officer.shot("keyboard-focus")
    page.keyboard.press("Enter")
    expect(page.locator('#inbox article[data-feature="strike-1"]')).to_have_attribute(
        "data-response", "acknowledged"
    )
    officer.assert_no_errors()
