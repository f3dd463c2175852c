"""The console speaks the line's airspace conventions: sectors, orbits and tracks drawn from the
server's outlines, levels as a pilot reads them, repeating features on only during their
occurrences, ended features leaving the console on their own, and the notify form for all of it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice, takewhile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, Locator, Page, expect

from deconflict.i18n.dtg import format_dtg
from deconflict.rules.altitude import Datum, format_level
from deconflict.rules.plan import format_time, repeat_to_json
from deconflict.rules.schedule import Every, Recurrence, TimeWindow, occurrences, span
from tests.api.conftest import LiveServer, zone_body
from tests.e2e.conftest import EXPECTED_ERRORS, Officer, open_console, sign_in

TOMORROW_0600 = (datetime.now(UTC) + timedelta(days=1)).replace(
    hour=6, minute=0, second=0, microsecond=0
)


def feature(fid: str, geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def sector_zone() -> dict[str, Any]:
    """A coalition wedge east-north-east of At Tanf, surface to FL195."""
    return feature(
        "wedge",
        {"type": "Point", "coordinates": [38.64, 33.5]},
        kind="zone",
        start="2026-01-01T00:00:00Z",
        sector={"outer_m": 20_000, "inner_m": 5_000, "from_deg": 30, "to_deg": 120},
        altitude={"lower": "SFC", "upper": "FL195"},
    )


def daily_track(fid: str = "patrol-track", days: int = 10) -> dict[str, Any]:
    """A Russian patrol flown 06:00-08:00Z every day from tomorrow, west of the wedge."""
    return feature(
        fid,
        {"type": "LineString", "coordinates": [[38.2, 33.4], [38.35, 33.45], [38.45, 33.35]]},
        kind="activity",
        activity="patrol",
        start=format_time(TOMORROW_0600),
        end=format_time(TOMORROW_0600 + timedelta(hours=2)),
        track={"left_m": 3_000, "right_m": 1_000},
        altitude={"lower": "1500 ft AGL", "upper": "FL100"},
        repeat={"every": "day", "until": format_time(TOMORROW_0600 + timedelta(days=days))},
    )


def declare(line: LiveServer, party: str, path: str, body: dict[str, Any]) -> None:
    with line.client(party) as client:
        answer = client.post(path, json=body)
        assert answer.status_code == 201, answer.text


def assert_outline(path: Locator) -> None:
    """A closed polygon of many vertices: neither a bare marker (arcs) nor an open line."""
    drawn = path.get_attribute("d") or ""
    assert drawn.rstrip().endswith("z") and " a" not in drawn and drawn.count("L") >= 10, drawn


def go_to(page: Page, moment: datetime) -> None:
    """Move the console's time to `moment` through the time panel's "go to" field."""
    page.fill("#time-go-text", format_time(moment))
    page.press("#time-go-text", "Enter")
    expect(page.locator("#time-shown")).to_contain_text(format_dtg(moment))


def test_a_sector_zone_and_a_track_activity_are_drawn_as_outlines_with_pilot_levels(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    declare(line, "coalition", "/v1/zones", sector_zone())
    declare(line, "russia", "/v1/activities", daily_track())
    officer = sign_in(open_console(browser, line.url, "outlines"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page

    wedge = page.locator('path[data-feature="wedge"][data-shape="sector"]')
    track = page.locator('path[data-feature="patrol-track"][data-shape="track"]')
    for outline in (wedge, track):
        expect(outline).to_have_count(1)
        assert_outline(outline)
    assert (wedge.get_attribute("fill") or "").startswith("#")  # zones: the party colour
    assert (track.get_attribute("fill") or "").startswith("url(#hatch-")  # activities: hatched

    wedge.focus()
    page.keyboard.press("Enter")
    card = page.locator('.leaflet-popup .card[data-feature="wedge"]')
    expect(card).to_contain_text("SFC – FL195")
    expect(card).to_contain_text("5,000–20,000 m")
    expect(card).to_contain_text("030°–120°")
    page.keyboard.press("Escape")
    track.focus()
    page.keyboard.press("Enter")
    until = (TOMORROW_0600 + timedelta(days=10)).strftime("%d %b %y").upper()
    card = page.locator('.leaflet-popup .card[data-feature="patrol-track"]')
    expect(card).to_contain_text("1,500 FT AGL (457 m) – FL100")
    expect(card).to_contain_text(f"daily 06:00–08:00Z until {until}")
    officer.shot("conventions-outlines")
    officer.assert_no_errors()


def test_a_repeating_activity_is_on_the_map_only_inside_its_occurrences(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    declare(line, "russia", "/v1/activities", daily_track(days=3))
    officer = sign_in(open_console(browser, line.url, "occurrences"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    track = page.locator('path[data-feature="patrol-track"]')
    second_day = TOMORROW_0600 + timedelta(days=1)

    go_to(page, second_day + timedelta(minutes=105))  # 07:45Z, inside the second occurrence
    expect(track).not_to_have_class(re.compile(r"\binactive\b"))
    page.focus("#time-slider")
    page.keyboard.press("ArrowRight")  # 15 minutes on: 08:00Z, the occurrence has ended
    expect(page.locator("#time-shown")).to_contain_text(format_dtg(second_day + timedelta(hours=2)))
    expect(track).to_have_class(re.compile(r"\binactive\b"))

    go_to(page, second_day - timedelta(hours=12))  # between the first and the second
    expect(track).to_have_class(re.compile(r"\binactive\b"))
    expect(page.locator('#strip .span-bar[data-feature="patrol-track"]')).to_have_count(2)
    go_to(page, second_day + timedelta(days=1, minutes=30))  # the third and last occurrence
    expect(track).not_to_have_class(re.compile(r"\binactive\b"))
    go_to(page, second_day + timedelta(days=2, minutes=30))  # the schedule stopped before this
    expect(track).to_have_class(re.compile(r"\binactive\b"))
    officer.assert_no_errors()


def test_a_sector_with_flight_levels_and_a_daily_repeat_is_checked_from_the_notify_form(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    declare(line, "coalition", "/v1/zones", zone_body(altitude={"lower_m": 0, "upper_m": 3_000}))
    officer = sign_in(open_console(browser, line.url, "notify-sector"), line.tokens["russia"])
    consoles.append(officer)
    page = officer.page
    until = TOMORROW_0600 + timedelta(days=5)
    page.click("#tab-notify")
    page.check('input[name="shape"][value="sector"]')
    page.fill("#n-centre", "33°30'00\"N 038°38'24\"E")
    page.fill("#n-outer", "20000")
    page.fill("#n-to", "90")
    page.fill("#n-lower", "FL050")
    page.fill("#n-upper", "FL195")
    page.fill("#n-start", format_dtg(TOMORROW_0600))
    page.fill("#n-end", format_dtg(TOMORROW_0600 + timedelta(hours=2)))
    page.select_option("#n-repeat", "day")
    page.fill("#n-until", format_dtg(until))
    page.fill("#n-id", "sector-strike")
    with page.expect_request("**/v1/check") as checking:
        page.click("#n-check")
    body = checking.value.post_data_json
    assert body is not None
    sent = body["properties"]
    assert sent["sector"] == {"outer_m": 20000, "inner_m": 0, "from_deg": 0, "to_deg": 90}
    assert sent["altitude"] == {"lower": "FL050", "upper": "FL195"}
    assert sent["repeat"] == {"every": "day", "until": format_time(until)}

    result = page.locator("#n-result")
    expect(result.locator("[data-conflicts]")).to_have_attribute("data-conflicts", "1")
    expect(result.locator(".conflicts")).to_contain_text("at-tanf")
    expect(result.locator(".conflicts")).to_contain_text("occurrences meet")
    expect(result.locator(".conflicts")).to_contain_text("altitude datums differ (FL, MSL)")
    expect(result.locator(".understood")).to_contain_text(
        f"Repeats: daily 06:00–08:00Z until {until.strftime('%d %b %y').upper()}"
    )
    draft = page.locator('path.draft[data-shape="sector"]')
    expect(draft).to_have_count(1)
    assert_outline(draft)  # the outline the server made of the draft
    expect(page.locator('path[data-overlap="sector-strike"]')).to_have_count(1)
    officer.shot("conventions-notify-sector")

    page.fill("#n-inner", "30000")  # beyond the outer radius: the server names sector.inner_m
    page.fill("#n-until", format_dtg(TOMORROW_0600 - timedelta(days=1)))  # and repeat.until
    page.click("#n-check")
    expect(page.locator("#n-inner-error")).to_contain_text("must be less than outer_m")
    expect(page.locator("#n-until-error")).to_contain_text("must be after start")
    expect(page.locator("#n-inner")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#n-send")).to_be_disabled()
    refused = [e for e in officer.errors if not EXPECTED_ERRORS.search(e)]
    assert refused == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]  # the refused check, and nothing else


def test_a_feature_whose_last_occurrence_ends_leaves_the_map_and_the_inbox_without_reload(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    declare(line, "coalition", "/v1/zones", zone_body())
    # Hourly, half an hour each; the second and last occurrence ends a few seconds from now.
    last_end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    first = last_end - timedelta(minutes=90)
    fading = feature(
        "fading-drill",
        {"type": "Point", "coordinates": [38.64, 33.5]},
        kind="activity",
        activity="drill",
        radius_m=1_000,
        start=format_time(first),
        end=format_time(first + timedelta(minutes=30)),
        repeat={"every": "hours", "until": format_time(first + timedelta(minutes=61))},
    )
    declare(line, "russia", "/v1/activities", fading)
    officer = sign_in(open_console(browser, line.url, "expiry"), line.tokens["coalition"])
    consoles.append(officer)
    page = officer.page
    shape = page.locator('path[data-feature="fading-drill"]')
    notice = page.locator('#inbox article[data-feature="fading-drill"]')
    expect(shape).to_have_count(1)
    expect(shape).not_to_have_class(re.compile(r"\binactive\b"))
    expect(notice).to_have_count(1)

    expect(shape).to_have_count(0, timeout=12_000)
    expect(notice).to_have_count(0)
    expect(page.locator('#strip [data-feature="fading-drill"]')).to_have_count(0)
    assert page.evaluate("document.body.dataset.ready") == "true"  # the same page, not reloaded
    with line.client("coalition") as client:  # the record keeps it
        assert client.get("/v1/features/fading-drill").status_code == 200
    officer.assert_no_errors()


def test_a_drafted_shape_is_outlined_by_the_server_for_a_signed_in_party_only(
    line: LiveServer,
) -> None:
    draft = sector_zone()
    with line.client() as stranger:
        assert stranger.post("/console/outline", json=draft).status_code == 401
    with line.client("russia") as russia:
        outline = russia.post("/console/outline", json=draft).json()["outline"]
        assert outline["type"] == "Polygon" and len(outline["coordinates"][0]) > 20
        draft["properties"]["sector"]["inner_m"] = 30_000
        refused = russia.post("/console/outline", json=draft)
    assert refused.status_code == 422
    assert refused.json()["field"] == "sector.inner_m"


STRIP = timedelta(days=3)  # the timeline's default window
MINUTE = timedelta(minutes=1)


def ms(moment: datetime | None) -> float | None:
    """Milliseconds since the epoch, as the console's scripts count time."""
    return None if moment is None else moment.timestamp() * 1000


@st.composite
def schedules(draw: st.DrawFn) -> tuple[TimeWindow, Recurrence, datetime]:
    """A first occurrence, a valid recurrence (no occurrence longer than the gap to the next),
    and a moment to look at: anywhere, or a minute either side of an occurrence's edge."""
    start = datetime(2027, 3, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 14)))
    every = draw(st.sampled_from(list(Every)))
    interval = draw(st.integers(1, 4))
    weekdays: tuple[int, ...] = ()
    if every is Every.WEEK and draw(st.booleans()):
        others = draw(st.sets(st.integers(0, 6), max_size=4))
        weekdays = tuple(sorted(others | {start.weekday()}))
    pattern = Recurrence(every, interval, weekdays)
    length = timedelta(minutes=draw(st.integers(1, pattern.shortest_gap(start) // MINUTE)))
    edges = [e for s in islice(pattern.starts(start), 1, 12) for e in (s, s + length)]
    until = draw(
        st.one_of(
            st.none(),
            st.integers(1, 60 * 24 * 60).map(lambda m: start + m * MINUTE),
            st.sampled_from(edges[::2]),  # exactly when an occurrence would start
        )
    )
    near = edges if until is None else [until, until + length]
    at = draw(
        st.one_of(
            st.integers(-60 * 24, 60 * 24 * 90).map(lambda m: start + m * MINUTE),
            st.builds(lambda e, d: e + d * MINUTE, st.sampled_from(near), st.integers(-1, 1)),
        )
    )
    return TimeWindow(start, start + length), replace(pattern, until=until), at


def test_the_console_computes_occurrences_and_levels_exactly_as_the_line_does(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = open_console(browser, line.url, "oracle")
    consoles.append(officer)
    page = officer.page
    page.wait_for_function("document.readyState === 'complete'")

    @settings(max_examples=150, deadline=None)
    @given(schedules())
    def occurrences_agree(schedule: tuple[TimeWindow, Recurrence, datetime]) -> None:
        window, repeat, at = schedule
        assert window.end is not None
        holding = next(iter(occurrences(window, repeat, after=at)), None)
        expected = holding if holding is not None and holding.start <= at else None
        coming = takewhile(lambda o: o.start < at + STRIP, occurrences(window, repeat, after=at))
        properties = {
            "start": format_time(window.start),
            "end": format_time(window.end),
            "repeat": repeat_to_json(repeat),  # as the API lists it
        }
        on, strip, last = page.evaluate(
            """async ([properties, at, strip]) => {
                const s = await import('/console/static/js/schedule.js');
                const on = s.occurrenceAt(properties, at);
                const bars = s.occurrencesBetween(properties, at, at + strip);
                const pairs = bars.map((o) => [o.start, o.end]);
                return [on && [on.start, on.end], pairs, s.lastEnd(properties)];
            }""",
            [properties, ms(at), STRIP / timedelta(milliseconds=1)],
        )
        assert on == (None if expected is None else [ms(expected.start), ms(expected.end)])
        assert strip == [[ms(o.start), ms(o.end)] for o in coming]
        assert last == ms(span(window, repeat).end)

    @settings(max_examples=150, deadline=None)
    @given(
        st.one_of(st.none(), st.integers(-500_000, 20_000_000).map(lambda mm: mm / 1000)),
        st.sampled_from(list(Datum)),
    )
    def levels_agree(metres: float | None, datum: Datum) -> None:
        written = page.evaluate(
            """async ([metres, datum]) =>
                (await import('/console/static/js/levels.js')).formatLevel(metres, datum)""",
            [metres, datum.value],
        )
        assert written == format_level(metres, datum)

    occurrences_agree()
    levels_agree()
    officer.assert_no_errors()
