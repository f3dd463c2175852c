"""The CLI's one table from errors to exit codes says what docs/reference.md says."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from deconflict import errors
from deconflict.cli import EXIT_CODES, Exit, ServerAnswered, exit_code
from deconflict.client import ApiError, ServerUnreachable
from deconflict.errors import DeconflictError
from deconflict.record.bundle import BundleInvalid
from deconflict.store import StoreUnavailable

REFERENCE = (Path(__file__).resolve().parents[2] / "docs" / "reference.md").read_text()
DOCUMENTED: dict[str, str] = dict(
    re.findall(r"^\| `(\w+)`(?: \(`[\w.]+`\))? \| .* \| ([^|]+) \|$", REFERENCE, re.M)
)
ERRORS = [
    kind
    for _, kind in inspect.getmembers(errors, inspect.isclass)
    if issubclass(kind, DeconflictError)
]


def _bare(kind: type[DeconflictError]) -> DeconflictError:
    """An error of `kind` without calling its constructor (each takes other arguments)."""
    return kind.__new__(kind)


@pytest.mark.parametrize("kind", [*ERRORS, ServerUnreachable, StoreUnavailable])
def test_each_documented_error_exits_as_the_reference_says(kind: type[DeconflictError]) -> None:
    assert DOCUMENTED[kind.__name__] == str(int(exit_code(_bare(kind))))


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, Exit.BAD_INPUT), (409, Exit.BAD_INPUT), (500, Exit.FAILURE), (503, Exit.FAILURE)],
)
def test_a_refusal_is_bad_input_and_a_server_failure_is_a_failure(status: int, code: Exit) -> None:
    assert DOCUMENTED["ApiError"] == "2 for 4xx, 3 for 5xx"
    assert exit_code(ApiError(status, {})) is code
    assert exit_code(ServerAnswered("told", status)) is code


def test_a_bundle_that_does_not_verify_exits_1() -> None:
    assert exit_code(BundleInvalid("the root does not match")) is Exit.CONFLICTS


def test_the_table_ends_with_the_root_so_every_error_has_a_code() -> None:
    assert EXIT_CODES[-1] == (DeconflictError, Exit.FAILURE)
