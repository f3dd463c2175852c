"""The map's layers and search, and four faults of the console fixed: a party or a kind hidden
from the map (and its list) but never from the inbox, kept through live updates and a reload;
features found by id or name in Latin, Cyrillic and Arabic; the timeline's day labels inside the
strip; the legend folded on a phone; one tab bar in a phone's inbox; an amendment's respond-by."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body, zone_body
from tests.e2e.conftest import VIEWPORT, Officer, open_console, sign_in

PHONE: ViewportSize = {"width": 390, "height": 844}
NIGHT_STRIKE = "Ночной удар"  # its й is one code point (NFC)
WAREHOUSE = "مستودع الطريق"


@dataclass
class Line:
    server: LiveServer
    officer: Officer  # the coalition's duty officer, in English on a laptop

    @property
    def page(self) -> Page:
        return self.officer.page


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Line]:
    """Coalition's zone, two Russian strikes (one inside it), Aid's zones (one hidden), and the
    coalition's console."""
    db = tmp_path_factory.mktemp("layers") / "line.db"
    server = start_server(db, seed_parties(db))
    with (
        server.client("coalition") as coalition,
        server.client("russia") as russia,
        server.client("aid") as aid,
    ):
        ahead, passed = "2030-09-06T12:00Z", "2020-01-01T00:00Z"  # respond-by
        bodies = [
            (coalition, "zones", zone_body(radius_m=20_000, name="At Tanf garrison")),
            (russia, "activities", strike_body(name=NIGHT_STRIKE, respond_by=ahead)),
            (russia, "activities", strike_body("strike-2", lon=39.5, respond_by=passed)),
            (aid, "zones", zone_body("warehouse", radius_m=2_000, name=WAREHOUSE)),
            (aid, "zones", zone_body("clinic", radius_m=1_000, share="contact", contact="desk")),
        ]
        for client, collection, body in bodies:
            assert client.post(f"/v1/{collection}", json=body).status_code == 201
    officer = sign_in(open_console(browser, server.url, "layers"), server.tokens["coalition-duty"])
    yield Line(server, officer)
    officer.assert_no_errors()
    officer.context.close()
    server.stop()


@pytest.fixture
def page(line: Line) -> Page:
    """The coalition's console as a new tab would open it: a laptop's width, every layer shown."""
    page = line.page
    page.set_viewport_size(VIEWPORT)
    page.evaluate("sessionStorage.clear(); localStorage.setItem('deconflict.language', 'en')")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    return page


def drawn(page: Page) -> set[str]:
    """The ids of the features drawn on the map."""
    paths = page.locator("path[data-feature]")
    return set(paths.evaluate_all("ps => ps.map((p) => p.dataset.feature)"))


def listed(page: Page) -> set[str]:
    """The ids in the map's list of what is on it (On the map)."""
    return set(
        page.locator("#feature-list button").evaluate_all("bs => bs.map((b) => b.dataset.feature)")
    )


def layer(page: Page, party: str = "", kind: str = "") -> str:
    return f'#layers input[data-party="{party}"]' if party else f'#layers input[data-kind="{kind}"]'


def test_a_party_hidden_leaves_the_map_and_its_list_but_not_the_inbox(page: Page) -> None:
    everything = drawn(page)
    assert everything >= {"at-tanf", "strike-1", "strike-2", "warehouse"}
    expect(page.locator("#layers")).to_have_attribute("open", "")
    expect(page.locator("#layers-hidden")).to_have_text("")
    page.uncheck(layer(page, "russia"))
    assert drawn(page) == {"at-tanf", "warehouse"}
    assert listed(page) == {"at-tanf", "warehouse"}
    expect(page.locator("#feature-index-count")).to_have_text("2")
    expect(page.locator("#layers-hidden")).to_have_text(f"{len(everything) - 2} hidden")
    expect(page.locator("#layers .hint")).to_contain_text("the inbox")
    conflict = page.locator('#inbox article[data-feature="strike-1"][data-priority="true"]')
    expect(conflict).to_be_visible()
    expect(conflict.locator(".conflicts")).to_contain_text("at-tanf")

    page.check(layer(page, "russia"))
    assert drawn(page) == everything and listed(page) == everything
    expect(page.locator("#layers-hidden")).to_have_text("")
    page.uncheck(layer(page, kind="zone"))
    assert drawn(page) == everything - {"at-tanf", "warehouse"}
    expect(page.locator("#layers-hidden")).to_have_text("2 hidden")
    page.check(layer(page, kind="zone"))
    page.uncheck(layer(page, "russia"))
    conflict.locator('[data-act="show"]').click()  # asked for by name: shown again
    expect(page.locator(layer(page, "russia"))).to_be_checked()
    assert drawn(page) == everything


def test_a_notice_shown_on_the_map_shows_the_officers_own_feature_it_meets(page: Page) -> None:
    page.uncheck(layer(page, "coalition"))
    assert "at-tanf" not in drawn(page)
    conflict = page.locator('#inbox article[data-feature="strike-1"][data-priority="true"]')
    conflict.locator('[data-act="show"]').click()
    # The strike and the coalition's own zone it meets: both layers shown again.
    expect(page.locator(layer(page, "coalition"))).to_be_checked()
    expect(page.locator('path[data-feature="at-tanf"]').first).to_be_attached()
    assert {"at-tanf", "strike-1"} <= drawn(page)


def test_a_link_to_a_notice_opens_its_card_and_an_unknown_one_says_so(
    line: Line, page: Page
) -> None:
    with line.server.client("coalition") as coalition:
        [notice] = [
            n for n in coalition.get("/v1/inbox").json()["notices"] if n["feature"] == "strike-1"
        ]
    page.evaluate(f"location.hash = '#notice/{notice['id']}'")  # as an escalation e-mail links it
    expect(page.locator(f'#inbox [data-notice="{notice["id"]}"] article')).to_be_focused()
    page.set_viewport_size(PHONE)
    page.goto(f"{line.server.url}/#notice/999999")
    page.wait_for_selector("body[data-ready=true]")
    # (other toasts may stand beside it: the line escalates a strike of this scene as it goes)
    expect(page.locator("#toasts .toast.error", has_text="Notice 999999")).to_be_visible()
    page.goto(f"{line.server.url}/#notice/{notice['id']}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("body")).to_have_attribute("data-view", "inbox")
    expect(page.locator(f'#inbox [data-notice="{notice["id"]}"] article')).to_be_focused()
    page.goto(f"{line.server.url}/")  # the link stays in the address until left


def test_a_live_feature_of_a_hidden_party_stays_hidden_and_a_reload_keeps_the_choice(
    line: Line, page: Page
) -> None:
    page.uncheck(layer(page, "russia"))
    with line.server.client("russia") as russia:
        body = strike_body("strike-live", lon=38.72, name="Live strike")
        assert russia.post("/v1/activities", json=body).status_code == 201
    arrived = page.locator('#inbox article[data-feature="strike-live"][data-priority="true"]')
    expect(arrived).to_be_visible()  # the notice and its conflict, whatever the map hides
    expect(page.locator("#layers-hidden")).to_have_text("3 hidden")  # once it is loaded
    assert "strike-live" not in drawn(page) | listed(page)

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator(layer(page, "russia"))).not_to_be_checked()
    expect(page.locator(layer(page, "coalition"))).to_be_checked()
    expect(page.locator("#layers-hidden")).to_have_text("3 hidden")
    assert drawn(page) == {"at-tanf", "warehouse"}
    page.check(layer(page, "russia"))
    assert {"strike-1", "strike-live"} <= drawn(page)


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("STRIKE-2", ["strike-2"]),
        ("garrison", ["at-tanf"]),
        ("ночной", ["strike-1"]),
        (unicodedata.normalize("NFD", "НОЧНОЙ УД"), ["strike-1"]),  # й typed as и and a breve
        ("مستودع", ["warehouse"]),
        ("clinic", []),  # Aid's hidden zone never reaches this console
    ],
)
def test_a_feature_is_found_by_id_or_name_in_any_script_and_case(
    page: Page, typed: str, found: list[str]
) -> None:
    page.fill("#map-search", typed)
    results = page.locator("#map-search-results button")
    expect(results).to_have_count(len(found))
    assert results.evaluate_all("bs => bs.map((b) => b.dataset.feature)") == found
    expect(page.locator("#map-search-status")).to_have_text(
        f"{len(found)} found." if found else "Nothing found."
    )


def test_a_match_jumps_to_its_feature_and_opens_its_card_showing_a_hidden_layer(
    page: Page,
) -> None:
    page.uncheck(layer(page, "aid"))
    assert "warehouse" not in drawn(page)
    page.fill("#map-search", "مستودع")
    match = page.locator('#map-search-results button[data-feature="warehouse"]')
    expect(match).to_have_attribute("data-hidden", "true")
    expect(match).to_contain_text("hidden layer")
    page.keyboard.press("ArrowDown")
    expect(match).to_be_focused()
    page.keyboard.press("Enter")
    card = page.locator('.leaflet-popup .card[data-feature="warehouse"]')
    expect(card).to_be_focused()
    expect(page.locator(layer(page, "aid"))).to_be_checked()
    assert "warehouse" in drawn(page)
    # A jump, not a flight: the card stands still from the moment it opens.
    before = card.bounding_box()
    page.wait_for_timeout(400)
    assert card.bounding_box() == before
    expect(page.locator("#map-search-results button")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(card).to_have_count(0)
    expect(page.locator("#map-search")).to_be_focused()

    page.fill("#map-search", "ночной")
    page.keyboard.press("Enter")  # the first match
    expect(page.locator('.leaflet-popup .card[data-feature="strike-1"]')).to_be_visible()


def test_the_timelines_day_labels_stay_inside_the_strip_in_english_and_arabic(page: Page) -> None:
    # The window then ends an hour after a midnight: that day's label is at its very end.
    page.fill("#time-go-text", "2030-09-10T07:00Z")
    page.click("#time-go button")
    expect(page.locator("#time-shown")).to_contain_text("100700ZSEP30")
    for language in ("ar", "en"):
        page.locator("header select.language").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        ticks = page.locator("#strip .tick")
        expect(ticks).to_have_count(3)
        track = page.locator("#strip .ticks").bounding_box()
        assert track is not None
        boxes = [box for box in (t.bounding_box() for t in ticks.all()) if box]
        for box in boxes:
            assert track["x"] - 0.5 <= box["x"], (language, box, track)
            assert box["x"] + box["width"] <= track["x"] + track["width"] + 0.5, (language, box)
        labelled = sorted((b["x"], b["x"] + b["width"]) for b in boxes if b["width"] > 2)
        assert len(labelled) == 3, labelled
        assert all(a[1] <= b[0] + 0.5 for a, b in itertools.pairwise(labelled))


def test_on_a_phone_the_legend_is_folded_and_opens_on_request(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.click("#view-map")
    corner = page.locator(".leaflet-bottom.leaflet-left").bounding_box()
    area = page.locator("#map").bounding_box()
    assert corner is not None and area is not None
    share = corner["width"] * corner["height"] / (area["width"] * area["height"])
    assert share < 0.02, f"the legend covers {share:.1%} of the map"
    expect(page.locator("#layers")).not_to_have_attribute("open", "")
    page.click("#layers summary")
    expect(page.locator(layer(page, "russia"))).to_be_visible()
    expect(page.locator("#layers .key")).to_contain_text("conflict")


@pytest.mark.parametrize("language", ["en", "ru", "ar"])
def test_a_phones_inbox_shows_one_tab_bar(page: Page, language: str) -> None:
    page.locator("header select.language").select_option(language)
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.click("#view-inbox")
    bar = ["#view-map", "#tab-inbox", "#tab-sent", "#tab-notify", "#view-timeline"]
    tops = set()
    for control in bar:
        expect(page.locator(control)).to_be_visible()
        box = page.locator(control).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        tops.add(round(box["y"]))
    assert len(tops) == 1, f"the controls stand in {len(tops)} rows"
    inbox = page.locator('[data-i18n="tab.inbox"]:visible')
    expect(inbox).to_have_count(1)
    page.click("#tab-sent")
    expect(page.locator("#panel-sent")).to_be_visible()
    page.click("#view-map")
    expect(page.locator("#view-inbox")).to_be_visible()
    page.set_viewport_size(VIEWPORT)
    expect(page.locator('#side > [role="tablist"]')).to_be_visible()


def test_an_amendment_keeps_the_respond_by_its_notices_carry_while_it_is_ahead(
    line: Line, browser: Browser, consoles: list[Officer]
) -> None:
    russia = open_console(browser, line.server.url, "layers-amend", "ru")
    sign_in(russia, line.server.tokens["russia"])
    consoles.append(russia)
    page = russia.page
    page.click("#feature-index summary")
    for feature, respond_by in (("strike-1", "2030-09-06T12:00:00Z"), ("strike-2", "")):
        page.click(f'#feature-list button[data-feature="{feature}"]')
        page.click('.leaflet-popup .card [data-act="amend"]')
        expect(page.locator("#n-amending-text")).to_contain_text(feature)
        expect(page.locator("#n-respond-by")).to_have_value(respond_by)  # one passed is not kept
    russia.assert_no_errors()
