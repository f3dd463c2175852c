"""Conflicting writes on several processes at once: the concurrency test's rounds, timed.

The rounds are tests/multinode/test_concurrent_writes.py run by pytest in a
process of its own (three node processes on one PostgreSQL database, three
uvicorn workers over one SQLite file), with every check it makes; the figures
are the lines it prints, one per store.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/multinode/test_concurrent_writes.py"
FIGURES = re.compile(
    r"^(?P<store>\w+): (?P<rounds>\d+) rounds, (?P<requests>\d+) requests on (?P<nodes>\d+) "
    r"nodes in (?P<seconds>[\d.]+) s, (?P<per_s>\d+) requests/s$",
    re.MULTILINE,
)


def rounds_on_each_store(rounds: int) -> dict[str, dict[str, float]]:
    """`rounds` rounds on each store, every check passed (else RuntimeError with pytest's
    output): store -> rounds, requests, nodes, seconds, requests/s."""
    environ = {**os.environ, "DECONFLICT_MULTINODE_ROUNDS": str(rounds)}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", TEST],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if ran.returncode != 0:
        raise RuntimeError(f"the concurrency test failed:\n{ran.stdout}\n{ran.stderr}")
    return figures_printed(ran.stdout)


def figures_printed(output: str) -> dict[str, dict[str, float]]:
    """The figures in the test's output, by store."""
    return {
        found["store"]: {
            name: float(found[name]) for name in ("rounds", "requests", "nodes", "seconds")
        }
        | {"requests_per_s": float(found["per_s"])}
        for found in FIGURES.finditer(output)
    }


def concurrency_section(figures: dict[str, dict[str, float]]) -> list[str]:
    """The report's section on the rounds' figures."""
    setups = {
        "postgres": "PostgreSQL, three node processes on one database",
        "sqlite": "SQLite, three uvicorn worker processes over one file",
    }
    return [
        "## Conflicting writes on several processes at once",
        "",
        "The concurrency test (tests/multinode/test_concurrent_writes.py, `make multinode`): "
        "in each round a zone and an activity inside it are sent at the same instant to two "
        "nodes, a far activity to the third, some requests again with one idempotency key on "
        "other nodes; four lanes of rounds at once. "
        "Every check passed: each pair told once, nothing lost or stored twice, same-key "
        "repeats answered alike, every live stream whole and in order, the store checks "
        "against its record. Seconds are the rounds' alone (not starting the nodes or the "
        "checks after). The machine is shared with other work, so the figures move from run "
        "to run.",
        "",
        "| store | rounds | requests | seconds | requests/s |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {setups.get(store, store)} | {f['rounds']:,.0f} | {f['requests']:,.0f} "
            f"| {f['seconds']:.1f} | {f['requests_per_s']:.0f} |"
            for store, f in sorted(figures.items())
        ],
        "",
    ]
