"""Specification of canonical JSON bytes (RFC 8785) for entries and signed payloads."""

from __future__ import annotations

import json
import math
import struct

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.record.canonical import JsonValue, canonical_bytes
from deconflict.record.errors import NoCanonicalForm


def test_keys_are_sorted_by_utf16_code_units_rfc8785_3_2_3() -> None:
    # RFC 8785 section 3.2.3's example: U+1F600 sorts by its surrogate 0xD83D, before U+FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    assert json.loads(canonical_bytes(value)) == value
    assert [*json.loads(canonical_bytes(value))] == [
        "\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33",
    ]  # fmt: skip


def test_numbers_take_the_ecmascript_shortest_form() -> None:
    assert canonical_bytes([1.0, 1e21, 0.000001, 1e-7, -0.0, 1e20, 123.456, -1.5]) == (
        b"[1,1e+21,0.000001,1e-7,0,100000000000000000000,123.456,-1.5]"
    )


@pytest.mark.parametrize(
    ("ieee_hex", "expected"),
    [
        # RFC 8785 appendix B.
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_rfc8785_number_samples(ieee_hex: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(ieee_hex))
    assert canonical_bytes(number) == expected.encode()


def test_strings_escape_only_what_json_requires_rfc8785_3_2_2_2() -> None:
    value = "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/"
    assert canonical_bytes(value) == '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()
    assert canonical_bytes("\b\f\n\r\t\x00\x1f\x7f") == b'"\\b\\f\\n\\r\\t\\u0000\\u001f\x7f"'


def test_the_rfc8785_sample_object_is_canonical() -> None:
    # RFC 8785 section 3.2.2's input, written out of order and with spaces.
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    assert (
        canonical_bytes(json.loads(text))
        == (
            '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
            '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
        ).encode()
    )


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, -math.inf, [1, math.nan], {"a": math.inf}],
    ids=["nan", "inf", "-inf", "nan-in-array", "inf-in-object"],
)
def test_nan_and_infinity_have_no_canonical_form(value: JsonValue) -> None:
    with pytest.raises(NoCanonicalForm):
        canonical_bytes(value)


@pytest.mark.parametrize(
    "value",
    [2**53 + 1, [-(2**53) - 1], 10**400, {1: "a"}, "\ud800", {"\udc00": 1}, {1, 2}, b"bytes"],
    ids=[
        "2**53+1",
        "-2**53-1",
        "10**400",
        "int-key",
        "lone-surrogate",
        "surrogate-key",
        "set",
        "bytes",
    ],
)
def test_values_json_cannot_carry_exactly_have_no_canonical_form(value: object) -> None:
    with pytest.raises(NoCanonicalForm):
        canonical_bytes(value)  # type: ignore[arg-type]


def test_big_integers_are_the_doubles_json_reads_them_as_when_nothing_is_lost() -> None:
    # Python's json reads 100000000000000000 as an int; JSON and JCS mean a double.
    assert canonical_bytes(10**17) == b"100000000000000000"
    assert canonical_bytes(2**53) == b"9007199254740992"
    assert canonical_bytes(10**21) == b"1e+21"
    # The double 4.72639491979249e16 is written 47263949197924900, and read back the same way.
    assert canonical_bytes(4.72639491979249e16) == b"47263949197924900"
    assert canonical_bytes(json.loads(b"47263949197924900")) == b"47263949197924900"
    with pytest.raises(NoCanonicalForm, match="send it as a string"):
        canonical_bytes({"id": 2**53 + 1})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.integers(-(2**1000), 2**1000).map(lambda n: int(float(n)))  # big, exactly doubles
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, database=None)
@given(json_values)
def test_canonical_bytes_are_json_of_the_same_value_and_a_fixed_point(value: JsonValue) -> None:
    encoded = canonical_bytes(value)
    # Read every number as the double JSON means (ints compare equal to their floats).
    assert json.loads(encoded, parse_int=float) == value
    assert canonical_bytes(json.loads(encoded)) == encoded


def _boundaries() -> list[float]:
    """Floats either side of where Python's writing and JCS's part ways."""
    edges = [1e-4, 1e16, 2.0**53, 1e21, 1e-6, 1e-7]
    around = [math.nextafter(x, direction) for x in edges for direction in (0.0, math.inf)]
    return [sign * x for x in edges + around for sign in (1.0, -1.0)]


every_character = st.characters(exclude_categories=())
exact_numbers = (
    st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats()
    | st.integers(-(2**53), 2**53).map(float)
    | st.sampled_from(_boundaries())
    | st.floats(1e-8, 1e-3)
    | st.floats(1e15, 1e22)
)
json_like = st.recursive(
    st.none() | st.booleans() | exact_numbers | st.text(every_character),
    lambda children: (
        st.lists(children)
        | st.lists(children).map(tuple)
        | st.dictionaries(st.text(every_character), children)
        | st.dictionaries(
            st.sampled_from(["\ufb33", "\U0001f600", "a", "\u20ac", "\ud800"]), children
        )
    ),
    max_leaves=30,
)


def _rfc8785_or_refusal(value: object) -> bytes | None:
    try:
        return rfc8785.dumps(value)  # type: ignore[arg-type]  # the oracle takes what it is given
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return None


@settings(max_examples=1500, deadline=None, database=None)
@given(json_like)
def test_canonical_bytes_are_the_rfc8785_packages_bytes_or_both_refuse(value: JsonValue) -> None:
    expected = _rfc8785_or_refusal(value)
    if expected is None:
        with pytest.raises(NoCanonicalForm):
            canonical_bytes(value)
    else:
        assert canonical_bytes(value) == expected


@pytest.mark.parametrize("number", _boundaries())
def test_floats_at_the_edges_of_pythons_own_form_are_written_as_rfc8785_writes_them(
    number: float,
) -> None:
    assert canonical_bytes({"x": [number]}) == rfc8785.dumps({"x": [number]})
