"""What the console must never do: let a wrong token in, show another party's `contact` zone,
or accept a write with only the cookie; and it must read right to left in Arabic."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Browser, Response, expect

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.api.consoles import consoles_on
from tests.api.event_stream import read_stream
from tests.e2e.conftest import Officer, open_console, sign_in

SAFEHOUSE = zone_body("safehouse-q7", 2_000, name="SAFEHOUSE Q7 NORTH WADI", share="contact")
SAFEHOUSE["geometry"]["coordinates"] = [38.91234, 33.71234]
SECRETS = ("safehouse-q7", "SAFEHOUSE Q7", "38.91234", "33.71234")


def test_a_wrong_token_is_refused_with_a_clear_message_and_no_cookie(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = open_console(browser, line.url, "sign-in-refused")
    consoles.append(officer)
    page = officer.page
    page.fill("#token", "dcf_this-is-not-a-token")
    page.click("#sign-in button[type=submit]")
    expect(page.locator("#sign-in-error")).to_be_visible()
    expect(page.locator("#sign-in-error")).to_contain_text("unknown or revoked")
    expect(page.locator("#console")).to_be_hidden()
    assert officer.context.cookies() == []
    officer.shot("refused")
    officer.assert_no_errors()


def test_the_session_cookie_is_http_only_and_strict(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "cookie"), line.tokens["coalition"])
    consoles.append(officer)
    [cookie] = officer.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert line.tokens["coalition"] not in json.dumps(officer.context.storage_state())
    assert officer.page.evaluate("document.cookie") == ""


def test_switching_to_arabic_lays_the_console_out_right_to_left_and_is_remembered(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "arabic"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.select_option("header select.language", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#tab-inbox")).to_contain_text("الوارد")
    side, workspace = page.locator("#side").bounding_box(), page.locator("#map").bounding_box()
    assert side is not None and workspace is not None
    assert side["x"] < workspace["x"]  # the inbox moved to the left
    officer.shot("rtl")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.select_option("header select.language", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    officer.assert_no_errors()


def test_a_contact_zone_never_reaches_another_party_page_or_api(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    with line.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=SAFEHOUSE).status_code == 201
        assert coalition.post("/v1/zones", json=zone_body()).status_code == 201
        own = coalition.get("/v1/features").text
    assert all(secret in own for secret in SECRETS[:3])  # the owner sees it: the probe works

    officer = sign_in(open_console(browser, line.url, "contact-zone"), line.tokens["russia"])
    consoles.append(officer)
    page = officer.page
    answers: list[Response] = []
    page.on("response", lambda answer: answers.append(answer))
    page.click("#tab-notify")
    page.fill("#n-centre", "33.71234, 38.91234")  # the very spot, typed
    page.fill("#n-radius", "500")
    page.fill("#n-start", "2030-09-06T22:00Z")
    page.fill("#n-end", "070200ZSEP30")
    page.fill("#n-id", "strike-on-the-wadi")
    page.click("#n-check")
    expect(page.locator("#n-result .conflicts")).to_contain_text("shape withheld")
    expect(page.locator("#n-result .conflicts")).to_contain_text("TOC duty officer")
    page.click("#n-send")
    expect(page.locator("#n-result [data-sent]")).to_be_visible()
    page.click("#tab-sent")
    expect(page.locator('#sent article[data-feature="strike-on-the-wadi"]')).not_to_have_count(0)
    expect(page.locator('path[data-feature="strike-on-the-wadi"][data-conflict]')).to_have_count(1)
    expect(page.locator('path[data-feature="at-tanf"][data-conflict]')).to_have_count(1)
    officer.shot("contact-zone-withheld")

    seen = [page.content(), *_bodies(answers), *_api_as(line, "russia")]
    leaks = [s for s in SECRETS[:2] if any(s in text for text in seen)]
    assert leaks == []
    assert page.locator('path[data-feature="at-tanf"]').count() == 1  # a shared zone is drawn
    officer.assert_no_errors()


def _bodies(answers: list[Response]) -> list[str]:
    """The body of every answer the page received, but the endless event stream."""
    return [
        a.text()
        for a in answers
        if "event-stream" not in (a.headers.get("content-type") or "") and a.status != 304
    ]


def _api_as(line: LiveServer, party: str) -> list[str]:
    with consoles_on(line) as consoles:
        console = consoles[party]
        texts = [
            console.get(path).text
            for path in ("/v1/features?include_cancelled=true", "/v1/inbox", "/v1/outbox")
        ]
        texts.append(read_stream(console).text)
    return texts


def test_a_write_with_the_cookie_but_without_the_csrf_header_is_refused(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "csrf"), line.tokens["russia"])
    consoles.append(officer)
    request = officer.context.request
    refused = request.post(f"{line.url}/v1/activities", data=strike_body("strike-csrf"))
    assert refused.status == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    forged = request.post(
        f"{line.url}/v1/activities",
        data=strike_body("strike-csrf"),
        headers={"X-CSRF-Token": "forged"},
    )
    assert forged.status == 403
    session: dict[str, Any] = request.get(f"{line.url}/console/session").json()
    accepted = request.post(
        f"{line.url}/v1/activities",
        data=strike_body("strike-csrf"),
        headers={"X-CSRF-Token": session["csrf"]},
    )
    assert accepted.status == 201, accepted.text()
    assert request.get(f"{line.url}/v1/features/strike-csrf").status == 200  # reads need none

    officer.page.click("#sign-out")
    expect(officer.page.locator("#sign-in")).to_be_visible()
    assert request.get(f"{line.url}/v1/me").status == 401
    officer.assert_no_errors()
