"""The owner's console shows every probe of its hidden zones: who checked, which zone, and the
checked feature on the map; no other party's console shows it."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.e2e.conftest import Officer, open_console, sign_in

LINE = "Russian forces checked an activity that meets your hidden zone Battery Juliet"


def _hidden_battery(line: LiveServer) -> None:
    zone = zone_body("battery", radius_m=800, share="contact", name="Battery Juliet")
    zone["geometry"]["coordinates"] = [38.123456, 33.654321]
    with line.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=zone).status_code == 201


def _probe(line: LiveServer) -> None:
    """russia's dry run of a strike 900 m from the battery's centre."""
    strike = strike_body("probe-1")
    strike["geometry"]["coordinates"] = [38.13, 33.66]
    with line.client("russia-duty") as russia:
        assert russia.post("/v1/check", json=strike).status_code == 200


def test_a_probe_is_listed_live_in_the_owner_console_with_the_checked_feature_on_its_map(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    _hidden_battery(line)
    coalition = sign_in(open_console(browser, line.url, "coalition"), line.tokens["coalition-duty"])
    russia = sign_in(open_console(browser, line.url, "russia"), line.tokens["russia-duty"])
    consoles += [coalition, russia]
    c = coalition.page
    expect(c.locator("#probes")).to_be_hidden()

    _probe(line)
    item = c.locator("#probe-list li.probe")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(LINE)
    expect(item).to_have_attribute("data-party", "russia")
    expect(c.locator("#toasts")).to_contain_text(LINE)
    expect(c.locator('path.probe[data-party="russia"]')).to_have_count(1)
    assert int(c.evaluate("document.body.dataset.beeps")) >= 1
    item.locator("button").click()  # zooms to the checked feature
    coalition.shot("probe-listed")

    expect(russia.page.locator("#probes")).to_be_hidden()
    expect(russia.page.locator("path.probe")).to_have_count(0)
    coalition.assert_no_errors()
    russia.assert_no_errors()


def test_a_probe_made_while_the_owner_was_away_is_listed_when_it_signs_in(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    _hidden_battery(line)
    _probe(line)
    coalition = sign_in(open_console(browser, line.url, "coalition"), line.tokens["coalition-duty"])
    consoles.append(coalition)
    c = coalition.page
    expect(c.locator("#probe-list li.probe")).to_contain_text(LINE)
    expect(c.locator('path.probe[data-party="russia"]')).to_have_count(1)
    c.reload()
    c.wait_for_selector("body[data-ready=true]")
    expect(c.locator("#probe-list li.probe")).to_have_count(1)
    coalition.assert_no_errors()
