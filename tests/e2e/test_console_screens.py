"""Every screen of the console on the At Tanf line, at a phone's, a tablet's and a laptop's width,
in English, Russian and Arabic: nothing runs off the screen, every control can be reached and
clicked, the map has room, axe-core finds nothing serious; and the first view shows the work."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from rich.console import Console

from deconflict.demo import DemoResult, run_demo
from deconflict.i18n.dtg import format_dtg, parse_moment
from tests.api.conftest import LiveServer, start_server
from tests.e2e.audit import axe_violations, layout_problems
from tests.e2e.conftest import ROOT, Officer, open_console, sign_in, update_docs_screenshot

WIDTHS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "tablet": {"width": 768, "height": 1024},
    "desktop": {"width": 1366, "height": 768},
}
# What a duty officer must be able to reach at any width (on a phone, through the tab bar).
CONTROLS = {
    "sign-out", "sound", "map", "time-now", "time-next", "time-slider", "time-span",
    "time-go-text", "tab-inbox", "tab-sent", "tab-notify", "show", "reply", "draw", "n-centre",
}  # fmt: skip


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, DemoResult]]:
    """The At Tanf story told through the API, then its line served for the consoles."""
    db = tmp_path_factory.mktemp("screens") / "at-tanf.db"
    result = run_demo(db=db, console=Console(file=io.StringIO()))
    server = start_server(db, result.tokens)
    yield server, result
    server.stop()


def fits(page: Page, screen: str) -> set[str]:
    """Assert nothing on `screen` runs off or lies under something; the controls one can click."""
    problems, reached = layout_problems(page)
    assert problems == [], f"{screen}: {problems}"
    assert axe_violations(page) == [], screen
    return reached


def views(page: Page, phone: bool) -> Iterator[str]:
    """Each view in turn: on a phone through its tab bar, elsewhere the one screen that has all."""
    if not phone:
        expect(page.locator(".views")).to_be_hidden()
        yield "all"
        return
    for view in ("map", "inbox", "timeline"):
        page.click(f"#view-{view}")
        expect(page.locator(f"#view-{view}")).to_have_attribute("aria-pressed", "true")
        yield view


@pytest.mark.parametrize("language", ["en", "ru", "ar"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_screen_fits_its_width_keeps_every_control_in_reach_and_passes_axe(
    story: tuple[LiveServer, DemoResult],
    browser: Browser,
    consoles: list[Officer],
    width: str,
    language: str,
) -> None:
    server, result = story
    viewport = WIDTHS[width]
    officer = open_console(browser, server.url, f"{width}-{language}", language, viewport)
    consoles.append(officer)
    page = officer.page
    fits(page, "sign-in")
    sign_in(officer, result.tokens["coalition"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("main:visible")).to_have_count(1)
    expect(page.locator("h1:visible")).to_have_count(1)

    phone = width == "phone"
    reached: set[str] = set()
    for view in views(page, phone):
        reached |= fits(page, view)
        if view in ("map", "all"):
            box = page.locator("#map").bounding_box()
            assert box is not None and box["height"] >= 300 and box["width"] >= 300, box
            if phone:
                assert box["width"] == viewport["width"]
        if phone:
            officer.shot(f"{view}")

    if phone:
        page.click("#view-inbox")
    page.click("#tab-notify")
    page.check('input[name="shape"][value="sector"]')
    page.select_option("#n-repeat", "week")
    reached |= fits(page, "notify")
    page.click("#tab-inbox")
    notice = page.locator("#inbox article[data-priority=true]").first
    notice.locator('[data-act="reply"]').click()
    expect(notice.locator('form[data-kind="reply"]')).to_be_visible()
    notice.locator('[data-act="reply"]').scroll_into_view_if_needed()
    reached |= fits(page, "a notice open")
    feature = notice.get_attribute("data-feature")
    notice.locator('[data-act="show"]').click()
    shape = page.locator(f'path[data-feature="{feature}"]').first
    expect(shape).to_be_visible()
    page.wait_for_timeout(300)  # the map's zoom
    box = shape.bounding_box()
    assert box is not None and box["width"] > 30, f"zoomed to {feature}: {box}"
    reached |= fits(page, "a notice shown on the map")
    assert reached >= CONTROLS, CONTROLS - reached
    page.mouse.move(1, viewport["height"] - 1)  # no tooltip in the picture
    picture = officer.shot("shown")
    if update_docs_screenshot() and (width, language) == ("phone", "en"):
        shutil.copyfile(picture, ROOT / "docs" / "console-phone.png")
    officer.assert_no_errors()


def test_the_first_view_opens_on_the_next_activity_and_names_every_lane_in_full(
    story: tuple[LiveServer, DemoResult], browser: Browser, consoles: list[Officer]
) -> None:
    server, result = story
    officer = sign_in(open_console(browser, server.url, "first-view"), result.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    expect(page.locator("#time-now")).to_have_attribute("aria-pressed", "false")
    lit = "path[data-kind=activity]:not(.inactive)"
    expect(page.locator(lit).first).to_be_attached()
    lit_first = set(page.locator(lit).evaluate_all("ps => ps.map((p) => p.dataset.feature)"))
    assert lit_first & {"strike-1", "strike-2"}, lit_first  # tonight's strikes, the next activities

    names = page.locator("#strip .lane-name")
    assert set(names.evaluate_all("bs => bs.map((b) => b.dataset.feature)")) >= {
        "strike-1", "strike-2", "drill-1", "artillery-1", "at-tanf",
    }  # fmt: skip
    strip = page.locator("#strip").evaluate("s => [s.scrollHeight, s.clientHeight]")
    assert strip[0] <= strip[1], "every lane is in view"
    cut = names.evaluate_all(
        "bs => bs.filter((b) => b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight)"
        ".map((b) => b.textContent)"
    )
    assert cut == []

    shown = chosen_time(page)
    page.click("#time-next")
    expect(page.locator("#time-shown")).not_to_contain_text(format_dtg(shown))
    assert chosen_time(page) > shown
    expect(page.locator(lit).first).to_be_attached()
    assert set(page.locator(lit).evaluate_all("ps => ps.map((p) => p.dataset.feature)")) != (
        lit_first
    )
    page.click("#time-now")
    expect(page.locator("#time-now")).to_have_attribute("aria-pressed", "true")
    officer.assert_no_errors()


def chosen_time(page: Page) -> datetime:
    """The time the slider shows, read from its date-time group."""
    return parse_moment(page.locator("#time-shown").inner_text().split(" ")[0])


def test_every_console_word_is_in_english_russian_and_arabic() -> None:
    source = (ROOT / "src/deconflict/console/static/js/i18n.js").read_text(encoding="utf-8")
    words = {
        language: set(re.findall(r'^  "?([\w.]+)"?: ', block, re.MULTILINE))
        for language, block in re.findall(r"^const (en|ru|ar) = \{\n(.*?)^\};", source, re.M | re.S)
    }
    assert set(words) == {"en", "ru", "ar"}
    assert len(words["en"]) > 200
    assert words["ru"] == words["en"] and words["ar"] == words["en"]
