"""Feature ids have one syntax on every path, and a write is answered as it was stored.

Ids in any script are declared, answered with their URL percent-encoded (the Location header
is built before the commit), and read, amended, turned into a NOTAM and cancelled by it; ids
that break the syntax are refused with a 422 naming them, and nothing is stored. Both stores.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.conftest import LiveServer, strike_body
from tests.api.consoles import Consoles, consoles_on
from tests.api.problem_shape import problem_of

GOOD = {
    "cyrillic": "удар-3",
    "arabic": "ضربة-٣",
    "letters and marks": "हमला_1",
    "dots and colons": "op.night:2",
}
BAD = {
    "emoji": "💥-1",
    "slash": "a/b",
    "dot dot": "..",
    "newline": "line\nbreak",
    "nul": "nul\x00",
    "201 characters": "x" * 201,
    "space": "two words",
}


@pytest.fixture
def consoles(live: LiveServer) -> Iterator[Consoles]:
    with consoles_on(live) as consoles:
        yield consoles


def _url(feature_id: str) -> str:
    return f"/v1/parties/russia/features/{quote(feature_id, safe='')}"


@pytest.mark.parametrize("feature_id", GOOD.values(), ids=GOOD.keys())
def test_an_id_in_any_script_is_declared_named_and_used_by_its_url(
    consoles: Consoles, feature_id: str
) -> None:
    russia = consoles["russia"]
    created = russia.post("/v1/activities", json=strike_body(feature_id))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == _url(feature_id)
    assert created.headers["location"].isascii()
    read = russia.get(created.headers["location"])
    assert read.json()["feature"]["id"] == feature_id
    own = f"/v1/activities/{quote(feature_id, safe='')}"
    moved = russia.put(own, json=strike_body(feature_id, lon=38.9))
    assert moved.json()["feature"]["properties"]["version"] == 2
    assert consoles["aid"].get(f"{_url(feature_id)}/notam").status_code == 200
    cancelled = russia.post(f"{_url(feature_id)}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert [n["feature"] for n in consoles["aid"].get("/v1/inbox").json()["notices"]] == [
        feature_id
    ] * 3


def test_an_id_is_kept_in_its_nfc_form_so_one_id_typed_two_ways_is_one(
    consoles: Consoles,
) -> None:
    decomposed, composed = "cafe\u0301", unicodedata.normalize("NFC", "cafe\u0301")
    russia = consoles["russia"]
    created = russia.post("/v1/activities", json=strike_body(decomposed))
    assert created.json()["feature"]["id"] == composed
    again = russia.post("/v1/activities", json=strike_body(composed))
    assert problem_of(again, 409)["value"] == composed
    assert russia.get(f"/v1/features/{quote(decomposed)}").json()["feature"]["id"] == composed


@pytest.mark.parametrize("feature_id", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("path", ["/v1/activities", "/v1/zones", "/v1/check"])
def test_an_id_that_breaks_the_syntax_is_refused_by_name_and_nothing_is_stored(
    consoles: Consoles, feature_id: str, path: str
) -> None:
    before = consoles.stored()
    body = strike_body(feature_id, kind="zone" if path == "/v1/zones" else "activity")
    problem = problem_of(consoles["russia"].post(path, json=body), 422)
    assert problem["field"] == "id"
    assert problem["value"] == feature_id
    assert consoles.stored() == before


def test_a_lone_surrogate_in_an_id_is_refused_by_where_it_is(consoles: Consoles) -> None:
    text = json.dumps(strike_body("PLACEHOLDER")).replace("PLACEHOLDER", "strike\\ud800")
    before = consoles.stored()
    refused = consoles["russia"].post(
        "/v1/activities", content=text, headers={"Content-Type": "application/json"}
    )
    problem = problem_of(refused, 422)
    assert problem["value"] == "$.id" and "surrogate" in problem["detail"]
    assert consoles.stored() == before


@pytest.mark.parametrize("feature_id", BAD.values(), ids=BAD.keys())
def test_an_import_refuses_each_bad_id_by_name(consoles: Consoles, feature_id: str) -> None:
    body = {"features": [strike_body("good-1"), strike_body(feature_id)], "partial": True}
    answer = consoles["russia"].post("/v1/imports", json=body).json()
    assert [i["id"] for i in answer["imported"]] == ["good-1"]
    [refused] = answer["refused"]
    assert refused["index"] == 1 and refused["id"] == feature_id
    assert "an id is 1-200 letters" in refused["errors"][0]


@pytest.mark.parametrize(
    ("segment", "status"),
    [("%2E%2E", 422), ("%00", 422), ("%F0%9F%92%A5", 422), ("x" * 201, 422), ("a%2Fb", 404)],
)
@pytest.mark.parametrize("suffix", ["", "/notam"])
def test_a_url_that_names_no_possible_id_is_refused(
    consoles: Consoles, segment: str, status: int, suffix: str
) -> None:
    refused = consoles["russia"].get(f"/v1/features/{segment}{suffix}")
    problem: dict[str, Any] = problem_of(refused, status)
    if status == 422:
        assert problem["field"] == "id"
