"""Canonical bytes of a JSON value: RFC 8785, the JSON Canonicalization Scheme (JCS).

Every entry of the record and every payload a party signs is hashed or
signed in this form, so that anyone can recompute the same bytes from the
parsed value in any language. Numbers follow ECMAScript's shortest form
(1.0 -> 1, 1e21 -> 1e+21, 1e-7 -> 1e-7), object keys are sorted by their
UTF-16 code units, and the output is UTF-8 without whitespace.

JSON numbers are doubles. Python's json module reads a number written
without a fraction as an int, however large, so an integer beyond 2**53 is
taken as the double JSON means by it, provided nothing is lost: either the
double is exactly that integer (10**21 -> 1e+21), or it prints back as the
same digits (47263949197924900, which JCS itself writes for the double
4.72639491979249e16). Without this, canonical bytes read back by Python
could not be canonicalised again.

Most values the line records are written by Python's own JSON encoder (in C)
with sorted keys and no whitespace: for the values it is given there, its
bytes are RFC 8785's by construction (see `_as_written`), and a property test
holds them to the rfc8785 package's over generated values. Anything else
(a float that is tiny, huge or integral beyond 2**53, a key outside the Basic
Multilingual Plane, an integer beyond 2**53, a type other than JSON's own)
goes the rfc8785 package's way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import rfc8785

from deconflict.record.errors import NoCanonicalForm

JsonValue: TypeAlias = (
    bool | int | float | str | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None
)
"""A parsed JSON value. At run time arrays must be lists or tuples and objects dicts."""

_SAFE_INTEGER = 2**53 - 1
# Python writes a float as repr() does: exactly JCS's form for a non-integral magnitude in
# [1e-4, 1e16) (no exponent there in either); an integral one below 2**53 is written as the int.
_PLAIN_FLOAT_LOW, _PLAIN_FLOAT_HIGH = 1e-4, 1e16
# Keys sort by code point in Python, by UTF-16 code unit in JCS: the same order unless a key
# holds a character beyond U+FFFF.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_AS_IS = frozenset({str, bool, type(None)})
"""The types Python's encoder writes as JCS does, whatever the value."""
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, allow_nan=False, sort_keys=True, separators=(",", ":")
)


class _NotPlain(Exception):
    """A value Python's encoder would not write as JCS does."""


def canonical_bytes(value: JsonValue) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of `value`.

    Raises NoCanonicalForm for NaN or infinity, an integer that no double
    carries without loss (2**53 + 1: send such numbers as strings), a
    non-string key, a lone surrogate, or a type JSON does not have.

    >>> canonical_bytes({"b": 1.0, "a": [1e21, 0.000001, 1e-7, -0.0, "\u20ac"]})
    b'{"a":[1e+21,0.000001,1e-7,0,"\\xe2\\x82\\xac"],"b":1}'
    >>> canonical_bytes([10**21, 47263949197924900])
    b'[1e+21,47263949197924900]'
    """
    try:
        # A feature entry (measured): about 20 us this way, 70 us through rfc8785.
        return _ENCODER.encode(_as_written(value)).encode("utf-8")
    except (_NotPlain, UnicodeEncodeError):
        pass  # rfc8785 writes it, or names what has no canonical form
    try:
        return _jcs(value)
    except rfc8785.IntegerDomainError:
        # Rare: only values holding an integer beyond 2**53 pay for this second pass.
        return _jcs(_as_doubles(value))


def _as_written(value: Any) -> Any:
    """`value` as Python's encoder writes in JCS form: arrays and objects copied, each
    integral float below 2**53 as its int; _NotPlain for anything it would write otherwise."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
            return value
        raise _NotPlain
    if kind is float:
        magnitude = abs(value)
        if magnitude.is_integer():
            if magnitude <= _SAFE_INTEGER:
                return int(value)
            raise _NotPlain
        if _PLAIN_FLOAT_LOW <= magnitude < _PLAIN_FLOAT_HIGH:
            return value
        raise _NotPlain
    if kind is dict:
        for key in value:
            if type(key) is not str or (not key.isascii() and _ASTRAL.search(key)):
                raise _NotPlain
        # A string, true, false or null is written as it is, without a call of its own: most
        # of an entry's values are (a notification's nine values, 40 us this way, were 50).
        return {
            key: item if type(item) in _AS_IS else _as_written(item) for key, item in value.items()
        }
    if kind is list or kind is tuple:
        return [item if type(item) in _AS_IS else _as_written(item) for item in value]
    raise _NotPlain


def _jcs(value: JsonValue) -> bytes:
    """rfc8785's bytes, with its refusals as NoCanonicalForm (big integers excepted)."""
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        raise
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as error:
        raise NoCanonicalForm(f"no canonical JSON form: {error}") from None


def _as_doubles(value: JsonValue) -> JsonValue:
    """`value` with each integer beyond +-(2**53 - 1) as the double JSON reads it as."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _SAFE_INTEGER:
        return _double_of(value)
    if isinstance(value, dict):
        return {key: _as_doubles(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_doubles(item) for item in value]
    return value


def _double_of(integer: int) -> float:
    """The double an integer means in JSON; NoCanonicalForm if it would lose the integer."""
    try:
        double = float(integer)
    except OverflowError:
        raise NoCanonicalForm(
            "no canonical JSON form: an integer beyond the range of a double"
        ) from None
    if int(double) != integer and _jcs(double) != str(integer).encode():
        raise NoCanonicalForm(
            f"no canonical JSON form: {integer} is not exactly a JSON number (a double); "
            "send it as a string",
            value=integer,
        )
    return double
