"""One language all the way: in Russian and in Arabic no screen of the console shows an English
word (only what a party typed, names, ids and notation such as DTGs and levels are as they are,
each element marked `translate="no"`); a refusal of the server is said in the console's language
naming its field; a thread reads in the console's language whatever the party's; and mixed
Latin and Arabic read in order."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from rich.console import Console

from deconflict.demo import DemoResult, run_demo
from tests.api.conftest import LiveServer, start_server
from tests.e2e.conftest import Officer, open_console, sign_in

# Visible text outside elements marked translate="no", as the reader sees it, with the Latin
# words in it. Notation the line writes in every language (DTGs, levels, grid references,
# units of time) is in elements marked too; what is left must be the console's own words.
ENGLISH_WORDS = r"""() => {
  // Isolated values (U+2066-U+2068 ... U+2069) are names and ids kept whole in a sentence;
  // date-time groups (062200ZSEP27) and UTC offsets (GMT+3) are the line's notation.
  const own = (text) => text.replace(/[\u2066-\u2068][^\u2069]*\u2069/g, " ")
    .replace(/\b\d{6}Z[A-Z]{3}\d{2,4}\b/g, " ").replace(/\bGMT[+-]\d+/g, " ");
  const latin = (text) => own(text).match(/[A-Za-z]{2,}/g) || [];
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest('[translate="no"], script, style, [hidden]')) continue;
    if (!element.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    for (const word of latin(node.textContent)) {
      words.push(`${word} in <${element.tagName.toLowerCase()} class="${element.className}">`);
    }
  }
  for (const input of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
    if (!input.closest('[translate="no"]') && input.checkVisibility()) {
      for (const word of latin(input.placeholder)) {
        words.push(`${word} in the placeholder of #${input.id}`);
      }
    }
  }
  for (const element of document.querySelectorAll("[aria-label], [title]")) {
    if (element.closest('[translate="no"]') || !element.checkVisibility()) continue;
    const said = ["aria-label", "title"].map((name) => element.getAttribute(name) || "").join(" ");
    for (const word of latin(said)) {
      words.push(`${word} in the label of <${element.tagName.toLowerCase()} id="${element.id}">`);
    }
  }
  return words;
}"""
# Notation that is the same in every language of the line (ICAO and military abbreviations,
# grid and time formats the forms ask for, the keys named as their caps read): not English words.
NOTATION = {
    "DTG", "ISO", "MGRS", "DMS", "UTC", "SFC", "FL", "AGL", "MSL", "UNL", "ft", "JSON", "API",
    "Enter", "Esc",
}  # fmt: skip


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, DemoResult]]:
    """The At Tanf story told through the API, then its line served for the consoles."""
    db = tmp_path_factory.mktemp("language") / "at-tanf.db"
    result = run_demo(db=db, console=Console(file=io.StringIO()))
    server = start_server(db, result.tokens)
    yield server, result
    server.stop()


def english_in(page: Page, screen: str) -> list[str]:
    found: list[str] = page.evaluate(ENGLISH_WORDS)
    return [f"{screen}: {w}" for w in found if w.split(" ")[0] not in NOTATION]


@pytest.mark.parametrize("language", ["ru", "ar"])
def test_no_screen_shows_an_english_word(
    story: tuple[LiveServer, DemoResult], browser: Browser, consoles: list[Officer], language: str
) -> None:
    server, result = story
    officer = open_console(browser, server.url, f"words-{language}", language)
    consoles.append(officer)
    page = officer.page
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#sign-in button[type=submit]")).not_to_have_text("Sign in")
    found = english_in(page, "sign-in")
    sign_in(officer, result.tokens["coalition"])  # an English-speaking party's console
    notice = page.locator("#inbox article[data-priority=true]").first
    expect(notice.locator(".thread li").first).to_be_visible()
    found += english_in(page, "inbox")
    notice.locator('[data-act="reply"]').click()
    found += english_in(page, "a notice open")
    page.click("#tab-sent")
    found += english_in(page, "sent")
    page.click("#feature-index summary")
    found += english_in(page, "the features on the map")
    page.locator("#feature-list button").first.click()
    expect(page.locator(".leaflet-popup .card")).to_be_visible()
    found += english_in(page, "a feature's card")
    page.click("#tab-notify")
    page.fill("#n-centre", "37S DT 66561 06777x")
    page.fill("#n-radius", "5000")
    page.fill("#n-start", "2030-09-06T22:00Z")
    page.click("#n-check")
    expect(page.locator("#n-centre")).to_have_attribute("aria-invalid", "true")
    found += english_in(page, "a refused declaration")
    page.fill("#time-go-text", "no such time")
    page.press("#time-go-text", "Enter")
    expect(page.locator(".toast").first).to_be_visible()
    found += english_in(page, "the timeline and a toast")
    assert found == [], "\n".join(sorted(set(found)))


REFUSED = {
    "ru": ("Не удалось прочитать координаты", "после квадрата MGRS допустимы только цифры"),
    "ar": ("تعذّرت قراءة الموقع", "لا يلي مربع MGRS إلا أرقام"),
}


@pytest.mark.parametrize("language", ["ru", "ar"])
def test_a_refused_position_is_said_in_the_consoles_language_naming_the_field_and_the_fault(
    story: tuple[LiveServer, DemoResult], browser: Browser, consoles: list[Officer], language: str
) -> None:
    server, result = story
    officer = open_console(browser, server.url, f"refused-{language}", language)
    consoles.append(officer)
    page = officer.page
    sign_in(officer, result.tokens["coalition"])
    page.click("#tab-notify")
    page.fill("#n-centre", "37S DT 66561 06777x")
    page.fill("#n-radius", "5000")
    page.fill("#n-start", "2030-09-06T22:00Z")
    page.click("#n-check")
    said = page.locator("#n-centre-error")
    field, fault = REFUSED[language]
    expect(said).to_contain_text(field)
    expect(said).to_contain_text(fault)
    expect(said).to_contain_text("x")
    expect(said).not_to_contain_text("unexpected")
    expect(page.locator("#n-send")).to_be_disabled()


def test_an_english_partys_thread_reads_in_arabic_with_latin_kept_in_order(
    story: tuple[LiveServer, DemoResult], browser: Browser, consoles: list[Officer]
) -> None:
    server, result = story
    officer = open_console(browser, server.url, "thread-ar", "ar")
    consoles.append(officer)
    page = officer.page
    sign_in(officer, result.tokens["coalition"])
    notice = page.locator("#inbox article[data-priority=true]").first
    message = notice.locator('.thread li[data-code="notification"] .text').first
    expect(message).to_contain_text("إشعار من")  # the coalition's own language is English
    typed = page.locator(".thread .typed[dir=auto]")
    expect(typed.first).to_be_attached()
    for label in page.locator(".thread .untranslated").all_inner_texts():
        assert label.strip() == "نص مكتوب، غير مترجم:"
    at = notice.locator(".thread .at").first
    assert at.evaluate("e => e.tagName + ' ' + e.dir") == "BDI ltr"
    # What a party typed in a Latin or Cyrillic script keeps its full stop at its end: isolated,
    # it is laid out left to right inside the Arabic line, its last character rightmost.
    order = typed.first.evaluate(
        """(typed) => {
      const text = typed.firstChild;
      const range = document.createRange();
      const left = (i) => {
        range.setStart(text, i);
        range.setEnd(text, i + 1);
        return range.getBoundingClientRect().left;
      };
      const direction = (element) => getComputedStyle(element).direction;
      const last = text.length - 1;
      return [direction(typed.closest(".message")), direction(typed), left(0) < left(last)];
    }"""
    )
    assert order == ["rtl", "ltr", True]
    officer.assert_no_errors()


def test_the_briefing_prints_the_map_its_features_and_the_open_notices_on_a4(
    story: tuple[LiveServer, DemoResult], browser: Browser, consoles: list[Officer]
) -> None:
    server, result = story
    officer = open_console(browser, server.url, "briefing-ar", "ar")
    consoles.append(officer)
    page = officer.page
    sign_in(officer, result.tokens["coalition"])
    expect(page.locator("#print")).to_have_text("طباعة الإحاطة")
    expect(page.locator("#briefing")).to_be_hidden()
    with server.client(token=result.tokens["coalition"]) as coalition:
        boxes = [coalition.get(f"/v1/{box}").json()["notices"] for box in ("inbox", "outbox")]
    open_ids = {str(n["id"]) for box in boxes for n in box if n["respond_by"] and not n["response"]}
    assert open_ids, "the story leaves notices to answer"
    in_view = set(
        page.evaluate("""() => Array.from(document.querySelectorAll(
        '#map path[data-feature]')).filter((p) => { const b = p.getBoundingClientRect();
        const m = document.getElementById('map').getBoundingClientRect();
        return b.right > m.left && b.left < m.right && b.bottom > m.top && b.top < m.bottom; })
        .map((p) => p.dataset.feature)""")
    )

    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    briefing = page.locator("#briefing")
    expect(briefing).to_be_visible()
    expect(briefing.locator("h2")).to_have_text("إحاطة")
    listed = briefing.locator("#briefing-features tbody tr")
    assert set(listed.evaluate_all("rows => rows.map((r) => r.dataset.key)")) == in_view
    assert listed.first.locator("td").count() == 5  # name, party, kind, window, band
    notices = briefing.locator("#briefing-notices tbody tr")
    assert set(notices.evaluate_all("rows => rows.map((r) => r.dataset.key)")) == open_ids
    expect(page.locator("#map")).to_be_visible()
    for control in (
        "#print",
        "#sign-out",
        "#tab-inbox",
        "#time-now",
        "#notify",
        ".leaflet-control-zoom",
    ):
        expect(page.locator(control)).to_be_hidden()
    officer.assert_no_errors()
