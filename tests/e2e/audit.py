"""Checks run inside the page: axe-core's accessibility rules, and whether the layout fits.

axe-core is a test asset (tests/e2e/vendor/axe-core, see its README), never shipped in the
console. It is evaluated through the browser's debugging protocol, so the page's content
security policy stays as strict as it is in production.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LAYOUT = Path(__file__).parent / "layout.js"
SERIOUS = ("serious", "critical")


@cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_source(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
            .map((v) => ({ id: v.id, impact: v.impact,
                           targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
                           summary: v.nodes[0]?.failureSummary ?? "" }))"""
    )
    return [
        f"{v['impact']} {v['id']}: {', '.join(v['targets'])} ({v['summary'][:160]})"
        for v in found
        if v["impact"] in SERIOUS
    ]


def layout_problems(page: Page) -> tuple[list[str], set[str]]:
    """What does not fit the viewport, and the ids (or acts) of the controls one can click."""
    found: dict[str, Any] = page.evaluate(_source(LAYOUT))
    return list(found["problems"]), {r for r in found["reached"] if r}
