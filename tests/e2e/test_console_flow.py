"""Two duty officers, two parties, one line: the At Tanf story, then a strike typed into the
coalition's zone through the Russian console, seen live by the coalition, objected to, and
the objection seen live by the Russian side."""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from rich.console import Console

from deconflict.demo import DemoResult, run_demo
from deconflict.geo.coords import Position, format_mgrs
from deconflict.i18n.dtg import format_dtg, parse_moment
from tests.api.conftest import LiveServer, start_server
from tests.e2e.conftest import ROOT, Officer, open_console, sign_in, update_docs_screenshot

STRIKE_AT = Position(lon_deg=38.55, lat_deg=33.45)  # about 10 km west of the garrison
OBJECTION = "Our advisers are in the wadi that night."


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, DemoResult]]:
    """The At Tanf story told through the API, then its line served for the consoles."""
    db = tmp_path_factory.mktemp("story") / "at-tanf.db"
    result = run_demo(db=db, console=Console(file=io.StringIO()))
    server = start_server(db, result.tokens)
    yield server, result
    server.stop()


def the_story_night(server: LiveServer, token: str) -> tuple[str, str]:
    """The night of the story's strikes, as date-time groups an officer would type."""
    with server.client(token=token) as client:
        strike = client.get("/v1/features/strike-1").json()["feature"]["properties"]
    return format_dtg(parse_moment(strike["start"])), format_dtg(parse_moment(strike["end"]))


def test_a_strike_typed_into_the_coalition_zone_is_seen_live_objected_to_and_answered(
    story: tuple[LiveServer, DemoResult], browser: Browser, consoles: list[Officer]
) -> None:
    server, result = story
    russia = sign_in(
        open_console(browser, server.url, "russia", language=None), result.tokens["russia"]
    )
    coalition = sign_in(open_console(browser, server.url, "coalition"), result.tokens["coalition"])
    consoles += [russia, coalition]
    r, c = russia.page, coalition.page
    expect(r.locator("html")).to_have_attribute("lang", "ru")  # the party's language by default

    start, end = the_story_night(server, result.tokens["russia"])
    r.click("#tab-notify")
    r.fill("#n-centre", format_mgrs(STRIKE_AT))
    r.fill("#n-radius", "1500")
    r.fill("#n-start", start)
    r.fill("#n-end", end)
    r.fill("#n-id", "strike-3")
    r.click("#n-check")
    checked = r.locator("#n-result [data-conflicts]")
    expect(checked).to_have_attribute("data-conflicts", "1")
    expect(r.locator("#n-result .conflicts")).to_contain_text("at-tanf")
    expect(r.locator("#n-result .understood")).to_contain_text("33°27'00.0\"N 038°33'00.0\"E")
    expect(r.locator('path[data-overlap="strike-3"]')).to_have_count(1)
    russia.shot("1-strike-checked")

    r.click("#n-send")
    sent_at = time.monotonic()
    notice = c.locator('#inbox article[data-feature="strike-3"]')
    expect(notice).to_be_visible(timeout=2_000)
    assert time.monotonic() - sent_at < 2.0
    expect(notice).to_have_attribute("data-priority", "true")
    expect(notice.locator(".countdown")).to_contain_text(re.compile(r"respond within \d+:\d\d"))
    assert re.match(r"\(\d+\) deconflict", c.title())
    assert int(c.evaluate("document.body.dataset.beeps")) >= 1
    expect(r.locator("#n-result [data-sent=strike-3]")).to_be_visible()
    expect(r.locator("#n-result .receipt")).to_contain_text(re.compile(r"\d+"))
    coalition.shot("2-notice-arrived")

    notice.locator('[data-act="object"]').click()
    objection = notice.locator('form[data-kind="objection"]')
    objection.locator("select").select_option("forces_present")
    objection.locator("textarea").fill(OBJECTION)
    objection.locator("button[type=submit]").click()
    answered = c.locator('#inbox article[data-feature="strike-3"][data-response="objection"]')
    expect(answered).to_be_visible()
    expect(answered.locator(".receipt")).to_contain_text("Recorded as entry")

    seen = r.locator('#sent article[data-feature="strike-3"][data-response="objection"]')
    expect(seen).to_have_count(1, timeout=3_000)
    expect(r.locator(".toast.error")).to_be_visible()
    r.click("#tab-sent")
    expect(seen.locator(".thread")).to_contain_text(OBJECTION)
    russia.shot("3-objection-seen")

    answered.locator('[data-act="show"]').click()
    expect(c.locator('path[data-feature="strike-3"][data-conflict="true"]')).to_have_count(1)
    expect(c.locator("path[data-overlap]")).not_to_have_count(0)
    expect(c.locator("#time-shown")).to_contain_text(start)
    c.keyboard.press("Escape")
    while c.locator(".toast .close").count():
        c.locator(".toast .close").first.click()
    c.mouse.move(5, 5)
    c.wait_for_timeout(400)  # let the map settle after its zoom
    picture = coalition.shot("console-1366x768")
    if update_docs_screenshot():
        shutil.copyfile(picture, ROOT / "docs" / "console.png")
    russia.assert_no_errors()
    coalition.assert_no_errors()


def test_an_activity_drawn_on_the_map_is_read_back_into_the_form(
    story: tuple[LiveServer, DemoResult], browser: Browser, consoles: list[Officer]
) -> None:
    server, result = story
    officer = sign_in(open_console(browser, server.url, "russia-draw"), result.tokens["russia"])
    consoles.append(officer)
    page = officer.page
    page.click("#tab-notify")
    page.fill("#n-start", "2030-09-06T22:00Z")
    box = page.locator("#map").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.click("#draw")
    page.mouse.click(x, y)
    page.mouse.click(x + 60, y)
    expect(page.locator("#n-centre")).to_have_value(re.compile(r"^\d+\.\d{5}, \d+\.\d{5}$"))
    assert int(page.input_value("#n-radius")) > 0
    expect(page.locator("#n-result .understood")).to_contain_text("Centre read as")
    expect(page.locator("#n-result [data-conflicts]")).to_be_visible()
    expect(page.locator("path.draft")).not_to_have_count(0)

    page.check('input[name="shape"][value="corridor"]')
    page.click("#draw")
    for dx in (0, 80, 160):
        page.mouse.click(x - 100 + dx, y + (20 if dx == 80 else 0))
    page.keyboard.press("Enter")
    expect(page.locator("#n-points")).to_have_value(re.compile(r"^(.+\n){2}.+$"))
    officer.shot("drawn-corridor")
    officer.assert_no_errors()


def test_readme_points_at_the_committed_screenshot() -> None:
    assert "docs/console.png" in (ROOT / "README.md").read_text()
    assert Path(ROOT / "docs" / "console.png").stat().st_size > 50_000
