"""Guarded surfaces: every command, setting and error type is documented."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path
from typing import Any

import typer.main

from deconflict import errors
from deconflict.cli import app
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
