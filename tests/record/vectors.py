"""The reference vectors in tests/data/vectors, and how to read transparency-dev's cases."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"
TRANSPARENCY_DEV = VECTORS / "transparency-dev-merkle" / "testdata"


def load(path: Path) -> Any:
    """One JSON vector file."""
    return json.loads(path.read_text())


def cases(kind: str) -> list[Path]:
    """Every transparency-dev case file of `kind` ("inclusion" or "consistency"), sorted."""
    return sorted((TRANSPARENCY_DEV / kind).rglob("*.json"))


def case_id(path: Path) -> str:
    return str(path.relative_to(TRANSPARENCY_DEV))


def b64(value: str | None) -> bytes:
    """A base64 field of a transparency-dev case; absent means empty."""
    return base64.b64decode(value or "")


def b64_list(values: list[str] | None) -> list[bytes]:
    """A base64 proof of a transparency-dev case; null means no hashes."""
    return [b64(value) for value in values or []]
