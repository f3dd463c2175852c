"""The syntax of a feature id, the same on every path: API bodies and URLs, the CLI, every file.

An id is 1 to 200 characters, after NFC normalisation: letters of any script (with their
combining marks), decimal digits of any script, and `-`, `_`, `.`, `:`. So no `/`, no space,
no control character, no symbol or emoji, and not only dots (`.` and `..` name folders in a
URL). Ids are stored and compared in their NFC form, so one id typed two ways is one id.
"""

from __future__ import annotations

import unicodedata

from deconflict.errors import InvalidFeature

ID_MAX = 200
ID_PUNCTUATION = frozenset("-_.:")
ID_SYNTAX = "1-200 letters of any script, digits, '-', '_', '.' or ':'"


def normal_id(text: str) -> str:
    """The id in its one stored form (NFC)."""
    return unicodedata.normalize("NFC", text)


def id_problem(text: str) -> str | None:
    """What is wrong with `text` as an id (already NFC), or None when it is one."""
    if not text:
        return "is empty"
    if len(text) > ID_MAX:
        return f"has {len(text)} characters, more than {ID_MAX}"
    for character in text:
        if not _allowed(character):
            return f"holds {_named(character)}"
    if set(text) == {"."}:
        return "is only dots, which a URL reads as a folder"
    return None


def read_id(text: str, field: str = "id") -> str:
    """The id in its NFC form; InvalidFeature naming the id and what is wrong with it."""
    normal = normal_id(text)
    problem = id_problem(normal)
    if problem is not None:
        raise InvalidFeature(
            f"the id {normal!r} {problem}; an id is {ID_SYNTAX}",
            feature_id=normal,
            field=field,
            value=normal,
        )
    return normal


def _allowed(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] in "LM" or category == "Nd" or character in ID_PUNCTUATION


def _named(character: str) -> str:
    """A character as an operator can find it: its code point, and its name when it has one."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}" + (f" ({name})" if name else "")
