"""The header says whether the line's witnesses cosign its record: a real witness beside a real
line on loopback, two parties' consoles (English on a desktop, Arabic on a phone), the witness
stopped and the line writing on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Locator, ViewportSize, expect

from deconflict.record.cosignature import Cosigner
from tests.api.conftest import (
    LiveServer,
    LiveWitness,
    free_port,
    seed_parties,
    start_server,
    start_witness,
    strike_body,
    zone_body,
)
from tests.api.test_witnesses import log_key, witness_setting
from tests.e2e.audit import axe_violations, layout_problems
from tests.e2e.conftest import Officer, open_console, sign_in

NAME = "coalition.example/witness"
PHONE: ViewportSize = {"width": 390, "height": 844}
# The live update shows a witness lagging within seconds; the header's poll alone would take 30 s.
LAGGING_MS = 15_000


@pytest.fixture
def witnessed(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveWitness]]:
    """A line whose one witness is up, counting a witness behind for 1 s as lagging."""
    db = tmp_path / "line.db"
    port = free_port()
    cosigner = Cosigner(NAME, Ed25519PrivateKey.generate())
    setting = witness_setting((f"http://127.0.0.1:{port}", cosigner))
    line = start_server(db, seed_parties(db), witnesses=setting, witness_alert_s=1)
    witness = start_witness(tmp_path / "witness.json", [log_key(line)], cosigner, port)
    yield line, witness
    line.stop()
    witness.stop()


def cosigned(line: LiveServer) -> None:
    """Wait until the witness cosigned the checkpoint the line serves."""
    deadline = time.monotonic() + 30
    with line.client("aid-duty") as aid:
        while not aid.get("/v1/log/witnesses").json()["witnesses"][0]["cosigned"]:
            assert time.monotonic() < deadline, "the witness did not cosign within 30 s"
            time.sleep(0.1)


def declare(client: httpx.Client, path: str, body: dict[str, object]) -> None:
    answer = client.post(path, json=body)
    assert answer.status_code == 201, answer.text


def fits(officer: Officer, screen: str) -> None:
    """The header fits the screen and passes axe (the live update's toasts closed first)."""
    for close in officer.page.locator(".toast button.close").all():
        close.click()
    problems, _ = layout_problems(officer.page)
    assert problems == [], f"{screen}: {problems}"
    assert axe_violations(officer.page) == [], screen


def test_the_header_is_green_while_the_witness_cosigns_and_amber_naming_it_once_it_stops(
    witnessed: tuple[LiveServer, LiveWitness], browser: Browser, consoles: list[Officer]
) -> None:
    line, witness = witnessed
    with line.client("coalition") as coalition, line.client("aid") as aid:
        declare(coalition, "/v1/zones", zone_body("at-tanf"))
        declare(aid, "/v1/zones", zone_body("aid-camp", radius_m=20_000))
    cosigned(line)
    english = sign_in(
        open_console(browser, line.url, "witnesses-en", "en"), line.tokens["coalition"]
    )
    arabic = sign_in(
        open_console(browser, line.url, "witnesses-ar", "ar", PHONE), line.tokens["aid"]
    )
    consoles.extend([english, arabic])
    header: dict[str, Locator] = {
        "en": english.page.locator("#witnesses"),
        "ar": arabic.page.locator("#witnesses"),
    }
    for officer, indicator, words in (
        (english, header["en"], "Witnesses 1/1"),
        (arabic, header["ar"], "الشهود 1/1"),
    ):
        expect(indicator).to_have_text(words)
        expect(indicator).to_have_attribute("data-status", "ok")
        fits(officer, "witnesses up")

    witness.stop()
    # The line writes on: a strike that meets both zones, told live to both consoles.
    with line.client("russia") as russia:
        declare(russia, "/v1/activities", strike_body())
    expect(header["en"]).to_have_attribute("data-status", "lagging", timeout=LAGGING_MS)
    expect(header["en"]).to_have_text(f"Witness {NAME} has not cosigned for 1 min")
    expect(header["ar"]).to_have_attribute("data-status", "lagging", timeout=LAGGING_MS)
    expect(header["ar"]).to_have_text(f"الشاهد {NAME} لم يوقّع منذ 1 د")
    for indicator in header.values():
        name = indicator.locator("bdi")
        expect(name).to_have_text(NAME)
        expect(name).to_have_attribute("translate", "no")
    fits(english, "a witness lagging")
    fits(arabic, "a witness lagging")
    arabic.shot("witness-lagging")
    english.assert_no_errors()
    arabic.assert_no_errors()


def test_a_line_without_witnesses_shows_nothing_of_them(
    line: LiveServer, browser: Browser, consoles: list[Officer]
) -> None:
    officer = sign_in(open_console(browser, line.url, "no-witnesses", "en"), line.tokens["aid"])
    consoles.append(officer)
    with line.client("aid") as aid:
        assert aid.get("/v1/log/witnesses").json()["witnesses"] == []
    with officer.page.expect_response("**/v1/log/witnesses") as answer:
        officer.page.reload()
    assert answer.value.ok
    expect(officer.page.locator("#witnesses")).to_be_hidden()
    officer.assert_no_errors()
