"""Shared fixtures: where the shared examples live, and a way to run the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_examples() -> Path:
    path = SHARED / "examples"
    if not path.is_dir():
        pytest.fail(f"the shared examples are missing: expected them at {path}")
    return path


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `deconflict ARGS` as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-c", "from deconflict.cli import main; main()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_plan(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path
