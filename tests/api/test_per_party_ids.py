"""Ids are per party: two parties may use one id, each names its own by it, and nothing of
another party's ids can be learned from an answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import LiveServer, strike_body, zone_body
from tests.api.consoles import Consoles, consoles_on
from tests.api.problem_shape import problem_of, same_refusal

HIDDEN = "aid-hospital-7"


@pytest.fixture
def consoles(live: LiveServer) -> Iterator[Consoles]:
    with consoles_on(live) as consoles:
        yield consoles


def hidden_zone() -> dict[str, object]:
    """Aid's field hospital, shared only as a contact, far from everything else."""
    body = zone_body(HIDDEN, radius_m=500, name="Qasr field hospital", share="contact")
    body["geometry"]["coordinates"] = [36.0, 35.0]
    return body


def test_two_parties_declare_the_same_id_and_each_reads_its_own(consoles: Consoles) -> None:
    russia, coalition = consoles["russia"], consoles["coalition"]
    theirs = russia.post("/v1/activities", json=strike_body())
    ours = coalition.post("/v1/activities", json=strike_body(lon=39.5, name="Coalition strike"))
    assert (theirs.status_code, ours.status_code) == (201, 201)
    assert theirs.headers["location"] == "/v1/parties/russia/features/strike-1"
    assert ours.headers["location"] == "/v1/parties/coalition/features/strike-1"
    for console, party in ((russia, "russia"), (coalition, "coalition")):
        own = console.get("/v1/features/strike-1").json()["feature"]
        assert own["properties"]["party"] == party
        for owner in ("russia", "coalition"):
            named = console.get(f"/v1/parties/{owner}/features/strike-1").json()["feature"]
            assert named["properties"]["party"] == owner
    listed = [
        (f["properties"]["party"], f["id"])
        for f in coalition.get("/v1/features").json()["features"]
    ]
    assert sorted(listed) == [("coalition", "strike-1"), ("russia", "strike-1")]


def test_amending_and_cancelling_touch_only_the_callers_own_feature(consoles: Consoles) -> None:
    russia, coalition = consoles["russia"], consoles["coalition"]
    russia.post("/v1/activities", json=strike_body())
    coalition.post("/v1/activities", json=strike_body(lon=39.5))
    moved = coalition.put("/v1/activities/strike-1", json=strike_body(lon=39.6))
    assert moved.json()["feature"]["properties"]["version"] == 2
    assert coalition.post("/v1/features/strike-1/cancel").status_code == 200
    russias = russia.get("/v1/parties/russia/features/strike-1").json()["feature"]["properties"]
    assert (russias["version"], russias["cancelled_at"]) == (1, None)
    cancelled = russia.get("/v1/parties/coalition/features/strike-1").json()["history"]
    assert [v["change"] for v in cancelled] == ["declared", "amended", "cancelled"]
    # Russia was told of the coalition's strike-1, and of its cancellation; aid of both strikes.
    codes = [[m["code"] for m in n["thread"]] for n in russia.get("/v1/inbox").json()["notices"]]
    assert codes == [["notification"], ["amendment"], ["cancellation"]]


def test_a_strike_of_the_same_id_as_the_one_it_meets_names_both(consoles: Consoles) -> None:
    consoles["coalition"].post("/v1/zones", json=zone_body("strike-1"))
    answer = consoles["russia"].post("/v1/activities", json=strike_body()).json()
    [conflict] = answer["conflicts"]
    assert (conflict["party"], conflict["feature"], conflict["against"]) == (
        "coalition",
        "strike-1",
        "strike-1",
    )


def test_a_hidden_zones_id_is_free_to_another_party_and_says_nothing(consoles: Consoles) -> None:
    russia = consoles["russia"]
    assert consoles["aid"].post("/v1/zones", json=hidden_zone()).status_code == 201
    taken = russia.post("/v1/activities", json=strike_body(HIDDEN, lon=37.0))
    unused = russia.post("/v1/activities", json=strike_body("never-used", lon=37.0))
    assert (taken.status_code, unused.status_code) == (201, 201)
    again = russia.post("/v1/activities", json=strike_body(HIDDEN, lon=37.0))
    problem = problem_of(again, 409)
    assert problem["detail"] == "a feature with this id exists; amend it instead"


@pytest.mark.parametrize("suffix", ["", "/notam"])
def test_reading_a_hidden_zone_looks_like_reading_nothing(consoles: Consoles, suffix: str) -> None:
    russia = consoles["russia"]
    consoles["aid"].post("/v1/zones", json=hidden_zone())
    for hidden, nothing in (
        (f"/v1/features/{HIDDEN}", "/v1/features/no-such"),
        (f"/v1/parties/aid/features/{HIDDEN}", "/v1/parties/aid/features/no-such"),
        (f"/v1/parties/aid/features/{HIDDEN}", "/v1/parties/nobody/features/no-such"),
    ):
        refused = russia.get(hidden + suffix)
        problem_of(refused, 404)
        assert same_refusal(refused, russia.get(nothing + suffix))
        assert "36.0" not in refused.text and "Qasr" not in refused.text


def test_a_bare_id_names_the_one_visible_feature_and_asks_for_the_party_when_several(
    consoles: Consoles,
) -> None:
    aid = consoles["aid"]
    consoles["russia"].post("/v1/activities", json=strike_body())
    assert aid.get("/v1/features/strike-1").json()["feature"]["properties"]["party"] == "russia"
    assert aid.get("/v1/features/strike-1/notam").status_code == 200
    consoles["coalition"].post("/v1/activities", json=strike_body(lon=39.5))
    problem = problem_of(aid.get("/v1/features/strike-1"), 409)
    assert (problem["field"], problem["value"]) == ("party", ["coalition", "russia"])
    # A hidden zone of the same id is never one of the choices.
    consoles["aid"].post("/v1/zones", json=hidden_zone())
    assert consoles["russia"].get(f"/v1/features/{HIDDEN}").status_code == 404
    consoles["coalition"].post("/v1/zones", json=zone_body(HIDDEN))
    named = consoles["russia"].get(f"/v1/features/{HIDDEN}").json()["feature"]
    assert named["properties"]["party"] == "coalition"


def test_another_partys_feature_cannot_be_cancelled_by_its_party_path(consoles: Consoles) -> None:
    russia = consoles["russia"]
    consoles["coalition"].post("/v1/activities", json=strike_body())
    consoles["aid"].post("/v1/zones", json=hidden_zone())
    before = consoles.stored()
    for path in (
        "/v1/parties/coalition/features/strike-1/cancel",
        f"/v1/parties/aid/features/{HIDDEN}/cancel",
        "/v1/parties/aid/features/no-such/cancel",
    ):
        refused = russia.post(path)
        assert problem_of(refused, 403)["detail"] == "a party cancels only its own features"
    assert consoles.stored() == before
    assert consoles["coalition"].post("/v1/parties/coalition/features/strike-1/cancel").is_success
