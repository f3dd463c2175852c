"""The layers stay layered: the domain imports no web framework, database or outer layer."""

from __future__ import annotations

import ast
from pathlib import Path

import deconflict

SOURCE = Path(deconflict.__file__).parent
DOMAIN = ("geo", "rules", "line", "record")
FORBIDDEN = (
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "sqlite3",
    "psycopg",
    "sqlalchemy",
    "typer",
    "rich",
    "deconflict.api",
    "deconflict.store",
    "deconflict.cli",
    "deconflict.console",
    "deconflict.client",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_imports_no_web_framework_database_or_outer_layer() -> None:
    offences = []
    for layer in DOMAIN:
        for path in (SOURCE / layer).rglob("*.py"):
            for name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                    offences.append(f"{path.relative_to(SOURCE)} imports {name}")
    assert offences == []


def test_the_architecture_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlite3\nfrom deconflict.store.sqlite import SqliteStore\n")
    assert {"sqlite3", "deconflict.store.sqlite"} <= _imports(sample)


def test_public_api_is_exactly_what_is_documented() -> None:
    assert sorted(deconflict.__all__) == [
        "AltitudeBand",
        "Area",
        "Circle",
        "Conflict",
        "Corridor",
        "DeconflictError",
        "EngineFailure",
        "Feature",
        "Forbidden",
        "InvalidCoordinate",
        "InvalidFeature",
        "InvalidPlan",
        "Kind",
        "NotFound",
        "StateConflict",
        "TimeWindow",
        "distance_within_m",
        "find_conflicts",
        "geodesic_distance_m",
        "parse_plan",
    ]
    for name in deconflict.__all__:
        assert getattr(deconflict, name) is not None
