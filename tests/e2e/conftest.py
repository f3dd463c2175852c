"""A real server on loopback and a real browser: Debian's chromium, never a downloaded one.

Each console is its own browser context (its own cookies and storage), so two
contexts are two duty officers of two parties. Screenshots go to test-artefacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from tests.api.conftest import LiveServer, seed_parties, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
# The only console error a page may log: the session probe before anyone signed in.
EXPECTED_ERRORS = re.compile(r"status of 401 \(Unauthorized\)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the console tests need Debian's chromium at {CHROMIUM}: "
            "apt-get update && apt-get install -y chromium (make test installs it as root)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def line(tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh line with coalition (en), russia (ru) and aid (ar) and their tokens."""
    db = tmp_path / "line.db"
    server = start_server(db, seed_parties(db))
    yield server
    server.stop()


@dataclass
class Officer:
    """One party's duty officer: a browser context signed in to the console."""

    context: BrowserContext
    page: Page
    name: str
    errors: list[str] = field(default_factory=list)

    def shot(self, step: str) -> Path:
        """A screenshot under test-artefacts/, named for the officer and the step."""
        ARTEFACTS.mkdir(exist_ok=True)
        path = ARTEFACTS / f"{self.name}-{step}.png"
        self.page.screenshot(path=path)
        return path

    def assert_no_errors(self) -> None:
        """No script error, no refused resource, no CSP violation in this console."""
        assert [e for e in self.errors if not EXPECTED_ERRORS.search(e)] == []


def open_console(
    browser: Browser,
    url: str,
    name: str,
    language: str | None = "en",
    viewport: ViewportSize = VIEWPORT,
) -> Officer:
    """A new browser context on the console's sign-in page (`language` chosen beforehand)."""
    context = browser.new_context(viewport=viewport, timezone_id="Asia/Amman", locale="en-GB")
    if language is not None:
        context.add_init_script(
            f"if (!localStorage.getItem('deconflict.language')) "
            f"localStorage.setItem('deconflict.language', '{language}');"
        )
    page = context.new_page()
    page.set_default_timeout(10_000)
    officer = Officer(context, page, name)
    page.on("pageerror", lambda error: officer.errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: officer.errors.append(message.text) if message.type == "error" else None,
    )
    page.goto(f"{url}/")
    return officer


def sign_in(officer: Officer, token: str) -> Officer:
    """Sign in with `token` through the form and wait until the console has loaded."""
    page = officer.page
    page.fill("#token", token)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    return officer


@pytest.fixture
def consoles(browser: Browser) -> Iterator[list[Officer]]:
    """Officers opened in a test; their contexts are closed afterwards."""
    opened: list[Officer] = []
    yield opened
    for officer in opened:
        officer.context.close()


def update_docs_screenshot() -> bool:
    """`make console-screenshot` sets this to refresh docs/console.png from the test run."""
    return os.environ.get("DECONFLICT_CONSOLE_SCREENSHOT") == "1"
