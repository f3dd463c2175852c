"""Every bad input is a 4xx problem that names it, and nothing of it is stored.

Numbers JSON does not have (NaN, Infinity), numbers no double holds (1e400),
keys given twice, lone surrogates, times outside the years the line reads,
event ids beyond any there can be: each used to answer 500 or be read in some
silent way of the server's own choosing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.api.problem_shape import problem_of

TOKENS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400")
PLACES = (
    ("geometry.coordinates[0]", lambda body, t: body.replace("38.7,", f"{t},", 1)),
    ("properties.radius_m", lambda body, t: body.replace('"radius_m":1500', f'"radius_m":{t}')),
    ("properties.buffer_m", lambda body, t: body.replace('"radius_m":1500', f'"buffer_m":{t}')),
    (
        "properties.altitude",
        lambda body, t: body.replace(
            '"radius_m":1500', f'"radius_m":1500,"altitude":{{"lower_m":0,"upper_m":{t}}}'
        ),
    ),
)


def _strike_text(fid: str) -> str:
    return json.dumps(strike_body(fid), separators=(",", ":"))


def _post(live: LiveServer, path: str, text: str) -> Any:
    with live.client("russia") as russia:
        return russia.post(path, content=text, headers={"Content-Type": "application/json"})


def _stored(live: LiveServer, fid: str) -> bool:
    with live.client("russia") as russia:
        return bool(russia.get(f"/v1/features/{fid}").status_code == 200)


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize(("where", "put"), PLACES, ids=[p[0] for p in PLACES])
def test_a_number_json_does_not_have_is_refused_by_name(
    live: LiveServer, token: str, where: str, put: Any
) -> None:
    text = put(_strike_text("nan-1"), token)
    assert token in text, where
    for path in ("/v1/activities", "/v1/check"):
        body = problem_of(_post(live, path, text), 422)
        assert body["field"] == "body" and body["value"] == token
        assert token in body["detail"]
    assert not _stored(live, "nan-1")


def test_a_key_given_twice_is_refused_naming_it(live: LiveServer) -> None:
    text = _strike_text("twice-1").replace('"radius_m":1500', '"radius_m":1500,"radius_m":5')
    body = problem_of(_post(live, "/v1/activities", text), 422)
    assert body["value"] == "radius_m" and "twice" in body["detail"]
    assert not _stored(live, "twice-1")


def test_a_lone_surrogate_is_refused_naming_where_it_is(live: LiveServer) -> None:
    text = _strike_text("lone-1").replace('"activity":"strike"', '"activity":"str\\ud800ike"')
    body = problem_of(_post(live, "/v1/activities", text), 422)
    assert body["value"] == "$.properties.activity" and "surrogate" in body["detail"]
    assert not _stored(live, "lone-1")


def test_an_integer_longer_than_any_the_line_stores_is_refused(live: LiveServer) -> None:
    text = _strike_text("long-1").replace('"radius_m":1500', '"radius_m":' + "9" * 400)
    body = problem_of(_post(live, "/v1/activities", text), 422)
    assert "more than 19 digits" in body["detail"]


def test_a_body_that_is_not_utf8_is_refused(live: LiveServer) -> None:
    with live.client("russia") as russia:
        response = russia.post(
            "/v1/activities",
            content=_strike_text("latin-1").encode("utf-8").replace(b"strike", b"str\xe9ke"),
            headers={"Content-Type": "application/json"},
        )
    assert "not UTF-8" in problem_of(response, 422)["detail"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start", "1969-12-31T23:00:00Z"),
        ("end", "2200-01-01T00:00:00Z"),
        ("start", "0001-01-01T00:00:00Z"),
        ("end", "9999-12-31T23:59:59Z"),
    ],
)
def test_a_time_outside_the_lines_years_is_refused_naming_the_field(
    live: LiveServer, field: str, value: str
) -> None:
    body = strike_body("far-1")
    body["properties"][field] = value
    with live.client("russia") as russia:
        problem = problem_of(russia.post("/v1/activities", json=body), 422)
    assert problem["field"] == field and problem["value"] == value
    assert "the line reads" in problem["detail"]
    assert not _stored(live, "far-1")


@pytest.mark.parametrize(
    "value", ["1969-12-31T23:00:00Z", "2200-01-01T00:00:00Z", "010000ZJAN2200"]
)
def test_a_respond_by_outside_the_lines_years_is_refused(live: LiveServer, value: str) -> None:
    with live.client("russia") as russia:
        problem = problem_of(
            russia.post("/v1/activities", json=strike_body("due-1", respond_by=value)), 422
        )
    assert problem["field"] == "properties.respond_by"
    assert not _stored(live, "due-1")


def test_times_far_in_the_lines_years_are_stored_and_written_with_four_digit_years(
    live: LiveServer,
) -> None:
    """2150: a two-digit DTG year could not say it; every surface still writes it back."""
    with live.client("coalition") as coalition:
        coalition.post("/v1/zones", json=zone_body()).raise_for_status()
    far = strike_body("far-2", start="2150-03-01T10:00:00Z", end="2150-03-01T12:00:00Z")
    with live.client("russia") as russia:
        created = russia.post("/v1/activities", json=far)
        assert created.status_code == 201, created.text
        for path in ("/v1/export/kml", "/v1/export/notam", "/v1/cot", "/v1/features/far-2/notam"):
            response = russia.get(path, params={"ended": "include"})
            assert response.status_code == 200, f"{path}: {response.text}"
        read = russia.get("/v1/time", params={"text": "011000ZMAR2150"}).json()
    assert read["iso"] == "2150-03-01T10:00:00Z" and read["dtg"] == "011000ZMAR2150"
    with live.client("coalition") as coalition:
        inbox = coalition.get("/v1/inbox").text
    assert "MAR2150" in inbox


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"after": str(2**70)}, {}, "after"),
        ({"after": "-1"}, {}, "after"),
        ({}, {"Last-Event-ID": str(10**30)}, "Last-Event-ID"),
        ({}, {"Last-Event-ID": "12abc"}, "Last-Event-ID"),
        ({}, {"Last-Event-ID": "٣".encode()}, "Last-Event-ID"),  # an Arabic-Indic digit
    ],
)
def test_an_event_id_beyond_any_there_can_be_is_refused_not_an_aborted_stream(
    live: LiveServer, params: dict[str, str], headers: dict[str, Any], field: str
) -> None:
    with live.client("aid") as aid:
        response = aid.get("/v1/events", params=params, headers=headers)
    body = problem_of(response, 422)
    assert field in json.dumps(body)


@pytest.mark.parametrize("text", ["now+999999d", "now-999999d", "311200ZDEC1969"])
def test_a_typed_time_outside_the_lines_years_is_refused(live: LiveServer, text: str) -> None:
    with live.client("aid") as aid:
        problem = problem_of(aid.get("/v1/time", params={"text": text}), 422)
    assert "1970" in problem["detail"] or "the line reads" in problem["detail"]
