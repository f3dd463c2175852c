"""The shared qmark SQL on psycopg: each `?` placeholder becomes `%s`, once per statement.

Only a statement whose every `?` can be nothing but a placeholder is turned.
Refused (ValueError), since psycopg or PostgreSQL would read it otherwise:
a `%` (psycopg's own placeholders and escapes), a `$` (PostgreSQL's positional
parameters and dollar quotes), a backslash (an escape string may hide a quote),
a `?` inside a string, a quoted name or a comment, and a `?` that may be a
jsonb operator: followed by `|` or `&`, or standing after an operand
(`document ? 'key'`). A `?` followed by a number or a name (SQLite's numbered
and named forms) is refused too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import psycopg

_LEXEMES = re.compile(r"""'[^']*'|"[^"]*"|--[^\n]*|/\*.*?\*/|\?|[^'"?/-]+|.""", re.DOTALL)
_REFUSED = re.compile(r"[%$\\]")
_AFTER_OPERATOR = tuple("(,=<>+-*/|")
"""A placeholder stands where a value does: after one of these, or after a keyword below."""
_KEYWORDS_BEFORE_VALUE = frozenset(
    {"and", "or", "not", "is", "like", "between", "select", "where", "when", "then", "else"}
    | {"limit", "offset"}
)
_LAST_WORD = re.compile(r"(\w+)$")


@cache
def to_format(sql: str) -> str:
    """`sql` with each qmark placeholder as psycopg's `%s`; ValueError for what it cannot turn
    safely (see the module's docstring).

    >>> to_format("SELECT id FROM party WHERE name = ? LIMIT ?")
    'SELECT id FROM party WHERE name = %s LIMIT %s'
    """
    refused = _REFUSED.search(sql)
    if refused:
        raise ValueError(f"{refused.group()!r} has a meaning of its own to psycopg: {sql!r}")
    turned: list[str] = []
    for match in _LEXEMES.finditer(sql):
        lexeme = match.group()
        if lexeme == "?":
            _check_placeholder(sql, "".join(turned), match.end())
            turned.append("%s")
        elif "?" in lexeme and lexeme[0] in "'\"-/":
            raise ValueError(f"a '?' inside {lexeme!r} is not a placeholder: {sql!r}")
        else:
            turned.append(lexeme)
    return "".join(turned)


def _check_placeholder(sql: str, before: str, end: int) -> None:
    after = sql[end : end + 1]
    if after in ("|", "&") or after.isalnum() or after == "_":
        raise ValueError(f"'?{after}' is not a bare placeholder: {sql!r}")
    before = before.rstrip()
    if not before or before.endswith(_AFTER_OPERATOR):
        return
    word = _LAST_WORD.search(before)
    if word is None or word.group(1).lower() not in _KEYWORDS_BEFORE_VALUE:
        raise ValueError(f"a '?' after an operand may be jsonb's operator: {sql!r}")


class QmarkConnection:
    """A psycopg connection that runs qmark statements (the SQL both stores share)."""

    def __init__(self, db: psycopg.Connection) -> None:
        self.db = db

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        return self.db.execute(to_format(sql), parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        # psycopg pipelines the rows: one round trip for all, not one each.
        with self.db.cursor() as cursor:
            cursor.executemany(to_format(sql), rows)
