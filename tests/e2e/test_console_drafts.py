"""Nothing a duty officer types is lost: a half-typed answer survives the notice changing under
it (the other party writes through the API), a reload, and is gone once it is sent."""

from __future__ import annotations

from playwright.sync_api import Browser, Locator, Page, expect

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.e2e.conftest import Officer, open_console, sign_in

TYPED = "Which battery fires, and from where?"
OBJECTING = "Our advisers may be in the wadi"


def notice_for_coalition(line: LiveServer) -> int:
    """A Russian strike inside the coalition's zone: the notice to the coalition, by id."""
    with line.client("coalition") as coalition, line.client("russia") as russia:
        assert coalition.post("/v1/zones", json=zone_body()).status_code == 201
        answer = russia.post("/v1/activities", json=strike_body())
        assert answer.status_code == 201
        [notice] = [n for n in answer.json()["notices"] if n["recipient"] == "coalition"]
    return int(notice["id"])


def russia_replies(line: LiveServer, notice: int, text: str) -> None:
    with line.client("russia") as russia:
        assert russia.post(f"/v1/notices/{notice}/replies", json={"text": text}).status_code == 201


def drafts(page: Page) -> list[str]:
    """The keys of the drafts this tab keeps."""
    return list(
        page.evaluate("Object.keys(sessionStorage).filter((k) => k.startsWith('deconflict.draft'))")
    )


def reload(page: Page) -> None:
    page.reload()
    page.wait_for_selector("body[data-ready=true]")


def test_half_typed_answers_survive_a_live_update_and_a_reload_and_go_once_one_is_sent(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    notice = notice_for_coalition(line)
    officer = sign_in(open_console(browser, line.url, "draft"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    card = page.locator(f'#inbox article[data-notice="{notice}"]')
    card.locator('[data-act="clarify"]').click()
    text = card.locator('form[data-kind="clarification"] textarea')
    expect(text).to_be_focused()
    page.keyboard.type(TYPED)
    for _ in range(3):
        page.keyboard.press("ArrowLeft")

    russia_replies(line, notice, "Battery Juliet, from the north.")
    expect(card.locator(".thread")).to_contain_text("Battery Juliet", timeout=3_000)
    expect(text).to_have_value(TYPED)
    expect(text).to_be_focused()
    assert text.evaluate("t => [t.selectionStart, t.selectionEnd]") == [len(TYPED) - 3] * 2

    card.locator('[data-act="object"]').click()
    objection = card.locator('form[data-kind="objection"]')
    objection.locator("select").select_option("forces_present")
    objection.locator("textarea").fill(OBJECTING)

    reload(page)
    expect(text).to_be_visible()
    expect(text).to_have_value(TYPED)
    expect(objection.locator("select")).to_have_value("forces_present")
    expect(objection.locator("textarea")).to_have_value(OBJECTING)
    officer.shot("draft-after-reload")
    card.locator('form[data-kind="clarification"] button[type=submit]').click()
    expect(card).to_have_attribute("data-response", "clarification")
    expect(card.locator(".thread")).to_contain_text(TYPED)
    assert drafts(page) == []
    reload(page)
    expect(card.locator("form.respond:visible")).to_have_count(0)
    officer.assert_no_errors()


def test_a_slow_click_on_ask_for_clarification_lands_while_the_notice_changes(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    notice = notice_for_coalition(line)
    officer = sign_in(open_console(browser, line.url, "slow-click"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    card = page.locator(f'#inbox article[data-notice="{notice}"]')
    button = card.locator('[data-act="clarify"]')
    press(page, button)
    russia_replies(line, notice, "Battery Juliet, from the north.")
    expect(card.locator(".thread")).to_contain_text("Battery Juliet", timeout=3_000)
    page.mouse.up()
    expect(card.locator('form[data-kind="clarification"]')).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    officer.assert_no_errors()


def press(page: Page, target: Locator) -> None:
    """The mouse button held down over `target`, not yet let go."""
    box = target.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()


def test_a_half_filled_notify_form_survives_a_reload_and_is_cleared_once_sent(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "notify-draft"), line.tokens["russia"])
    consoles.append(officer)
    page = officer.page
    page.click("#tab-notify")
    page.check('input[name="shape"][value="corridor"]')
    page.fill("#n-points", "33.50, 38.60\n33.55, 38.70")
    page.fill("#n-half-width", "800")
    page.fill("#n-start", "2030-09-06T22:00Z")
    page.fill("#n-end", "2030-09-07T02:00Z")
    page.fill("#n-id", "convoy-1")
    page.select_option("#n-activity", "convoy")

    reload(page)
    page.click("#tab-notify")
    expect(page.locator('input[name="shape"][value="corridor"]')).to_be_checked()
    expect(page.locator("#n-points")).to_be_visible()
    expect(page.locator("#n-points")).to_have_value("33.50, 38.60\n33.55, 38.70")
    expect(page.locator("#n-half-width")).to_have_value("800")
    expect(page.locator("#n-id")).to_have_value("convoy-1")
    expect(page.locator("#n-activity")).to_have_value("convoy")

    page.click("#n-check")
    expect(page.locator("#n-send")).to_be_enabled()
    page.click("#n-send")
    expect(page.locator("#n-result [data-sent=convoy-1]")).to_be_visible()
    reload(page)
    page.click("#tab-notify")
    expect(page.locator("#n-points")).to_be_hidden()
    expect(page.locator("#n-start")).to_have_value("")
    officer.assert_no_errors()
