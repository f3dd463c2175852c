"""Fixtures for every test: the example plans, a way to run the real CLI, and both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backends import BACKENDS, Databases
from tests.postgres_cluster import ClusterUnavailable, start_cluster

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    """Throwaway PostgreSQL databases, gone when the session ends: on a throwaway server
    started for this session from the installed binaries, or on the server at
    $DECONFLICT_TEST_POSTGRES (an admin URL) when that is set."""
    given = os.environ.get("DECONFLICT_TEST_POSTGRES")
    if given:
        on_given = Databases(given)
        yield on_given
        on_given.drop_all()
        return
    try:
        cluster = start_cluster()
    except ClusterUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    try:
        made = Databases(cluster.admin_url)
        yield made
        made.drop_all(server_discarded=True)
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which store a test runs on: each test that asks runs on both."""
    return str(request.param)


@pytest.fixture(scope="session")
def new_db(backend: str, request: pytest.FixtureRequest) -> Callable[[Path], str]:
    """Makes a new, empty store on the backend: a SQLite file in the folder given, or a
    PostgreSQL database of its own (for fixtures that outlive one test)."""
    if backend == "sqlite":
        return lambda folder: str(folder / "line.db")
    databases: Databases = request.getfixturevalue("databases")
    return lambda folder: databases.new()


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty store of this test's own: a SQLite file or a PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp_path / "line.db")
        return
    databases: Databases = request.getfixturevalue("databases")
    url = databases.new()
    yield url
    databases.release(url)


@pytest.fixture
def example_plans() -> Path:
    """tests/data/examples: plans with the conflicts they must give."""
    path = DATA / "examples"
    if not path.is_dir():
        pytest.fail(f"the example plans are missing: expected them at {path}")
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
