"""Guarded surfaces: every command, setting and error type is documented."""

from __future__ import annotations

import inspect
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import typer.main

from deconflict import errors
from deconflict.cli import app
from deconflict.problem_codes import CODES, POSITION_REASONS
from deconflict.settings import Settings

REFERENCE = (Path(__file__).resolve().parents[1] / "docs" / "reference.md").read_text()


def _commands(group: Any, prefix: str = "deconflict") -> list[tuple[str, Any]]:
    """(path, command) for every leaf command below `group`."""
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.extend(_commands(command, f"{prefix} {name}"))
        else:
            found.append((f"{prefix} {name}", command))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_every_cli_command_is_in_the_reference() -> None:
    assert len(COMMANDS) >= 6
    assert [path for path, _ in COMMANDS if f"`{path}" not in REFERENCE] == []


def test_every_cli_command_help_ends_with_an_example() -> None:
    for path, command in COMMANDS:
        assert "Example: deconflict" in (command.help or ""), path


def test_every_setting_and_its_variable_is_in_the_reference() -> None:
    for field in fields(Settings):
        assert f"`{field.name}`" in REFERENCE
        assert f"`DECONFLICT_{field.name.upper()}`" in REFERENCE


def test_every_error_type_is_in_the_reference() -> None:
    types = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.DeconflictError)
    ]
    assert len(types) >= 7
    assert [t.__name__ for t in types if f"`{t.__name__}`" not in REFERENCE] == []


RECORD = (Path(__file__).resolve().parents[1] / "docs" / "record.md").read_text()


def test_every_record_entry_kind_is_documented() -> None:
    from deconflict.line.entries import ENTRY_KINDS

    assert [kind for kind in ENTRY_KINDS if f"| `{kind}` |" not in RECORD] == []


def test_every_record_error_type_is_documented() -> None:
    from deconflict.record import bundle
    from deconflict.record import errors as record_errors

    types = [
        obj
        for module in (record_errors, bundle)
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, errors.DeconflictError) and obj.__module__ == module.__name__
    ]
    assert len(types) >= 6
    assert [t.__name__ for t in types if f"`{t.__name__}`" not in RECORD] == []


def test_every_problem_code_and_position_reason_is_in_the_reference() -> None:
    assert [code for code in CODES if f"| `{code}` |" not in REFERENCE] == []
    assert [reason for reason in POSITION_REASONS if f"`{reason}`" not in REFERENCE] == []


def test_the_console_says_every_problem_code_and_position_reason_in_each_language() -> None:
    root = Path(__file__).resolve().parents[1]
    source = (root / "src/deconflict/console/static/js/problems.js").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"^const (en|ru|ar) = \{\n(.*?)^\};", source, re.M | re.S))
    words = {lang: set(re.findall(r'^  "([\w.]+)": ', text, re.M)) for lang, text in blocks.items()}
    wanted = {f"problem.{code}" for code in CODES} | {f"position.{r}" for r in POSITION_REASONS}
    assert set(words) == {"en", "ru", "ar"}
    assert wanted - words["en"] == set()
    assert words["ru"] == words["en"] == words["ar"]
