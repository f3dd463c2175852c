"""Export evidence from a notice's card: the browser saves the file, and the CLI verifies it
offline as an arbiter would."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.conftest import run_cli
from tests.e2e.conftest import Officer, open_console, sign_in

OBJECTION = "Advisers are in the wadi that night."


def test_export_evidence_downloads_a_file_the_cli_verifies(
    line: LiveServer, browser: Browser, consoles: list[Officer], tmp_path: Path
) -> None:
    with line.client("coalition") as coalition, line.client("russia") as russia:
        assert coalition.post("/v1/zones", json=zone_body()).status_code == 201
        sent = russia.post("/v1/activities", json=strike_body("strike-2")).json()
        [notice] = [n["id"] for n in sent["notices"] if n["recipient"] == "coalition"]
        objected = coalition.post(
            f"/v1/notices/{notice}/responses",
            json={"response": "objection", "reason": "forces_present", "text": OBJECTION},
        )
        assert objected.status_code == 201
        log_key = coalition.get("/v1/log/key").text.strip()
    officer = sign_in(open_console(browser, line.url, "coalition"), line.tokens["coalition"])
    consoles.append(officer)
    card = officer.page.locator(f'#inbox article[data-notice="{notice}"]')
    button = card.locator('[data-act="evidence"]')
    expect(button).to_have_text("Export evidence")
    with officer.page.expect_download() as downloading:
        button.click()
    download = downloading.value
    assert download.suggested_filename == f"notice-{notice}-evidence-coalition.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert json.loads(saved.read_text())["exported_by"] == "coalition"
    expect(officer.page.locator(".toast.ok")).to_contain_text(f"Evidence of notice #{notice}")
    line.stop()  # the arbiter's check needs no line
    verified = run_cli("evidence", "verify", str(saved), "--log-key", log_key)
    assert verified.returncode == 0, verified.stderr
    assert f"Coalition objects to notice {notice}" in verified.stdout
    assert OBJECTION in verified.stdout
    officer.assert_no_errors()
