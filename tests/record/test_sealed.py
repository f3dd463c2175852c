"""Sealed parts: an opening proves exactly the value it was made from, and nothing else does."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.record.canonical import JsonValue, canonical_bytes
from deconflict.record.errors import RecordError
from deconflict.record.sealed import SALT_SIZE, Opening, commitments_in, opened, seal
from tests.record.test_canonical import json_values

salts = st.binary(min_size=SALT_SIZE, max_size=SALT_SIZE)
objects = st.dictionaries(st.text(min_size=1), json_values, min_size=1, max_size=6)


def test_the_commitment_is_sha256_of_salt_then_canonical_bytes() -> None:
    salt = bytes(range(SALT_SIZE))
    value: dict[str, JsonValue] = {"free_text": "Advisers at 37S DT 935 200", "notice": 7}
    expected = hashlib.sha256(salt + b'{"free_text":"Advisers at 37S DT 935 200","notice":7}')
    assert seal(value, salt) == expected.hexdigest()


@settings(max_examples=150, deadline=None, database=None)
@given(json_values, salts)
def test_an_opening_holds_and_reads_back_from_its_document(value: JsonValue, salt: bytes) -> None:
    opening = Opening.of(value, salt)
    assert opening.holds()
    again = Opening.from_document(opening.document())
    assert again.holds() and again.commitment == opening.commitment


@settings(max_examples=150, deadline=None, database=None)
@given(json_values, json_values, salts, salts)
def test_no_other_value_or_salt_opens_a_commitment(
    value: JsonValue, other: JsonValue, salt: bytes, other_salt: bytes
) -> None:
    commitment = seal(value, salt)
    if canonical_bytes(other) != canonical_bytes(value):
        assert not Opening(commitment, salt, other).holds()
    if other_salt != salt:
        assert not Opening(commitment, other_salt, value).holds()


@settings(max_examples=200, deadline=None, database=None)
@given(objects, salts, st.integers(0, SALT_SIZE - 1))
def test_one_flipped_salt_bit_fails(value: dict[str, JsonValue], salt: bytes, at: int) -> None:
    flipped = bytearray(salt)
    flipped[at] ^= 0x01
    assert not Opening(seal(value, salt), bytes(flipped), value).holds()


@settings(max_examples=200, deadline=None, database=None)
@given(objects, salts)
def test_the_opened_entry_is_the_public_fields_and_the_sealed_ones(
    value: dict[str, JsonValue], salt: bytes
) -> None:
    opening = Opening.of(value, salt)
    entry = {"kind": "message", "at": "2027-01-01T00:00:00Z", "sealed": opening.commitment}
    assert commitments_in(entry) == [opening.commitment]
    view = opened(entry, [opening])
    assert "sealed" not in view and view["kind"] == value.get("kind", "message")
    assert {k: view[k] for k in value} == value
    # An opening that does not hold opens nothing.
    forged = Opening(opening.commitment, salt, {**value, "forged": True})
    assert opened(entry, [forged]) is entry


@pytest.mark.parametrize(
    "document",
    [
        None,
        {"commitment": "00", "salt": "AAAA"},
        {"commitment": "00", "salt": "AAAA", "value": 1},
        {"commitment": "00", "salt": "not base64!", "value": 1},
        {"commitment": "00", "salt": "A" * 43 + "=", "value": 1, "extra": 2},
    ],
)
def test_a_malformed_opening_is_refused_by_name(document: object) -> None:
    with pytest.raises(RecordError, match=r"opening|salt"):
        Opening.from_document(document)
