"""Operational intent references: made, read, updated and removed as ASTM F3548-21 says,
with the key of OVNs checked against what the line's engine finds they meet."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from pyproj import Geod

from tests.dss.conftest import AA, Dss, circle, intent_body, new_id, polygon, volume

GEOD = Geod(ellps="WGS84")


def _east_of(lng: float, lat: float, metres: float) -> float:
    """The longitude `metres` due east of (lng, lat) along the geodesic."""
    east, _, _ = GEOD.fwd(lng, lat, 90.0, metres)
    return float(east)


def _create(uss: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    entity = new_id()
    answer = uss.put(f"/operational_intent_references/{entity}", json=body)
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_an_intent_is_made_read_and_shown_without_its_ovn_to_others(dss: Dss) -> None:
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        made = _create(uss1, intent_body(volume(circle(20.0, 10.0, 200.0), 5, 65)))
        reference = made["operational_intent_reference"]
        assert reference["version"] == 1
        assert reference["state"] == "Accepted"
        assert reference["manager"] == "uss1"
        assert reference["uss_availability"] == "Unknown"
        assert len(reference["ovn"]) >= 16
        own = uss1.get(f"/operational_intent_references/{reference['id']}").json()
        assert own["operational_intent_reference"] == reference
        other = uss2.get(f"/operational_intent_references/{reference['id']}").json()
        assert "ovn" not in other["operational_intent_reference"]
        implicit = uss1.get(f"/subscriptions/{reference['subscription_id']}").json()
        assert implicit["subscription"]["implicit_subscription"] is True
        assert implicit["subscription"]["dependent_operational_intents"] == [reference["id"]]


def test_a_write_without_the_ovn_of_an_intent_it_meets_is_refused_409(dss: Dss) -> None:
    place = circle(21.0, 10.0, 300.0)
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        made = _create(uss1, intent_body(volume(place)))
        first = made["operational_intent_reference"]
        # Its own making is owed to its own implicit subscription too.
        [own] = made["subscribers"][0]["subscriptions"]
        assert own == {"subscription_id": first["subscription_id"], "notification_index": 1}
        entity = new_id()
        refused = uss2.put(
            f"/operational_intent_references/{entity}", json=intent_body(volume(place))
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "missing_ovns"
        missing = refused.json()["missing_operational_intents"]
        assert [m["id"] for m in missing] == [first["id"]]
        assert "ovn" not in missing[0]  # learnt only from the managing USS
        accepted = uss2.put(
            f"/operational_intent_references/{entity}",
            json=intent_body(volume(place), key=[first["ovn"]]),
        )
        assert accepted.status_code == 201, accepted.text
        subscribers = {s["uss_base_url"]: s for s in accepted.json()["subscribers"]}
        owed = subscribers["https://uss.example.org/utm"]["subscriptions"]
        indices = {s["subscription_id"]: s["notification_index"] for s in owed}
        assert indices[first["subscription_id"]] == 2


@pytest.mark.parametrize(("gap_m", "meet"), [(-0.5, True), (0.5, False)])
def test_circles_meet_exactly_when_their_rims_touch(dss: Dss, gap_m: float, meet: bool) -> None:
    """Two 1 km circles whose centres are 2 km ± 0.5 m apart along the geodesic: decided
    exactly, where a covering by cells would answer the same for both."""
    lat = 30.0 + gap_m  # each case in a place of its own
    second = _east_of(40.0, lat, 2000.0 + gap_m)
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        _create(uss1, intent_body(volume(circle(40.0, lat, 1000.0))))
        answer = uss2.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(circle(second, lat, 1000.0))),
        )
    assert answer.status_code == (409 if meet else 201), answer.text


def test_a_polygon_beside_a_circle_is_decided_by_the_geodesic_distance(dss: Dss) -> None:
    lng, lat = 41.0, 20.0
    edge = _east_of(lng, lat, 500.0 + 1.0)  # 1 m clear of a 500 m circle's rim
    far = _east_of(lng, lat, 900.0)
    square = polygon(
        (edge, lat - 0.002), (far, lat - 0.002), (far, lat + 0.002), (edge, lat + 0.002)
    )
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        _create(uss1, intent_body(volume(circle(lng, lat, 500.0))))
        clear = uss2.put(
            f"/operational_intent_references/{new_id()}", json=intent_body(volume(square))
        )
        assert clear.status_code == 201, clear.text
        wider = uss2.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(circle(lng, lat, 502.0))),
        )
        assert wider.status_code == 409


def test_intents_apart_in_altitude_or_time_need_no_key(dss: Dss) -> None:
    place = circle(22.0, 10.0, 300.0)
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        _create(uss1, intent_body(volume(place, 0, 60, 0, 100)))
        _create(uss2, intent_body(volume(place, 0, 60, 100.5, 200)))
        _create(uss2, intent_body(volume(place, 61, 120, 0, 100)))


def test_an_update_names_the_current_ovn_and_bumps_the_version(dss: Dss) -> None:
    place = circle(23.0, 10.0, 300.0)
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        made = _create(uss1, intent_body(volume(place)))["operational_intent_reference"]
        path = f"/operational_intent_references/{made['id']}"
        again = uss1.put(path, json=intent_body(volume(place)))
        assert again.status_code == 409  # it exists: an update names its OVN
        stale = uss1.put(f"{path}/{'x' * 20}", json=intent_body(volume(place)))
        assert stale.status_code == 409
        by_other = uss2.put(f"{path}/{made['ovn']}", json=intent_body(volume(place)))
        assert by_other.status_code == 403
        body = intent_body(
            volume(place), state="Activated", subscription_id=made["subscription_id"]
        )
        del body["new_subscription"]
        updated = uss1.put(f"{path}/{made['ovn']}", json=body)
        assert updated.status_code == 200, updated.text
        reference = updated.json()["operational_intent_reference"]
        assert (reference["version"], reference["state"]) == (2, "Activated")
        assert reference["ovn"] != made["ovn"]
        assert reference["subscription_id"] == made["subscription_id"]


def test_removing_an_intent_removes_its_implicit_subscription(dss: Dss) -> None:
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        made = _create(uss1, intent_body(volume(circle(24.0, 10.0, 300.0))))
        reference = made["operational_intent_reference"]
        path = f"/operational_intent_references/{reference['id']}"
        assert uss2.delete(f"{path}/{reference['ovn']}").status_code == 403
        assert uss1.delete(f"{path}/{'y' * 20}").status_code == 409
        removed = uss1.delete(f"{path}/{reference['ovn']}")
        assert removed.status_code == 200, removed.text
        assert removed.json()["operational_intent_reference"]["id"] == reference["id"]
        assert uss1.get(path).status_code == 404
        assert uss1.get(f"/subscriptions/{reference['subscription_id']}").status_code == 404
        assert uss1.delete(f"{path}/{reference['ovn']}").status_code == 404


def test_a_query_finds_what_meets_the_area_of_interest(dss: Dss) -> None:
    with dss.uss("uss1") as uss1:
        made = _create(uss1, intent_body(volume(circle(25.0, 10.0, 300.0), 30, 90)))
        entity = made["operational_intent_reference"]["id"]

        def found(area: dict[str, Any]) -> bool:
            answer = uss1.post(
                "/operational_intent_references/query", json={"area_of_interest": area}
            )
            assert answer.status_code == 200, answer.text
            return entity in [r["id"] for r in answer.json()["operational_intent_references"]]

        assert found(volume(circle(25.0, 10.0, 10.0), None, None, None, None))
        assert found(volume(circle(25.0, 10.0, 10.0), 89, 100))
        assert not found(volume(circle(25.0, 10.0, 10.0), 91, 100))
        assert not found(volume(circle(25.0, 10.0, 10.0), 0, 29))
        assert not found(volume(circle(25.0, 10.0, 10.0), None, None, 121, 200))
        assert not found(volume(circle(_east_of(25.0, 10.0, 320.0), 10.0, 10.0)))


BAD_BODIES: dict[str, dict[str, Any]] = {
    "extents not a list": intent_body(volume(circle(26.0, 10.0, 100.0)))
    | {"extents": volume(circle(26.0, 10.0, 100.0))},
    "no start": intent_body(volume(circle(26.0, 10.0, 100.0), None, 60)),
    "no upper altitude": intent_body(volume(circle(26.0, 10.0, 100.0), 0, 60, 0, None)),
    "ended": intent_body(volume(circle(26.0, 10.0, 100.0), -120, -60)),
    "start after end": intent_body(volume(circle(26.0, 10.0, 100.0), 60, 0)),
    "created Activated": intent_body(volume(circle(26.0, 10.0, 100.0)), state="Activated"),
    "state Ended": intent_body(volume(circle(26.0, 10.0, 100.0)), state="Ended"),
    "http base URL": intent_body(volume(circle(26.0, 10.0, 100.0)), uss_base_url="http://u"),
    "two outlines": intent_body(
        volume(circle(26.0, 10.0, 100.0) | polygon((26, 10), (26.001, 10), (26, 10.001)))
    ),
    "crossing edges": intent_body(
        volume(polygon((26, 10), (26.01, 10.01), (26.01, 10), (26, 10.01)))
    ),
    "over 2500 km²": intent_body(volume(circle(26.0, 10.0, 30_000.0))),
    "feet": intent_body(volume(circle(26.0, 10.0, 100.0)))
    | {
        "extents": [
            {
                **volume(circle(26.0, 10.0, 100.0)),
                "volume": {
                    **circle(26.0, 10.0, 100.0),
                    "altitude_lower": {"value": 0, "reference": "W84", "units": "FT"},
                    "altitude_upper": {"value": 10, "reference": "W84", "units": "M"},
                },
            }
        ]
    },
    "subscription and new subscription": intent_body(
        volume(circle(26.0, 10.0, 100.0)), subscription_id=new_id()
    ),
    "unknown subscription": {
        **intent_body(volume(circle(26.0, 10.0, 100.0)), subscription_id=new_id()),
        "new_subscription": None,
    },
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_what_the_standard_refuses_is_answered_400(dss: Dss, case: str) -> None:
    body = {k: v for k, v in BAD_BODIES[case].items() if v is not None}
    with dss.uss("uss1") as uss1:
        answer = uss1.put(f"/operational_intent_references/{new_id()}", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"]


def test_an_id_that_is_not_a_uuid4_is_refused(dss: Dss) -> None:
    with dss.uss("uss1") as uss1:
        body = intent_body(volume(circle(27.0, 10.0, 100.0)))
        assert uss1.put("/operational_intent_references/not-a-uuid", json=body).status_code == 400


def test_a_uss_marked_down_may_not_accept_an_intent(dss: Dss) -> None:
    with dss.uss("uss-down", AA) as arbiter, dss.uss("uss-down") as uss:
        made = _create(uss, intent_body(volume(circle(28.0, 10.0, 100.0))))
        down = arbiter.put("/uss_availability/uss-down", json={"availability": "Down"})
        assert down.status_code == 200, down.text
        answer = uss.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(circle(28.1, 10.0, 100.0))),
        )
        assert answer.status_code == 412
        assert answer.json()["code"] == "uss_down"
        shown = uss.get(
            f"/operational_intent_references/{made['operational_intent_reference']['id']}"
        )
        assert shown.json()["operational_intent_reference"]["uss_availability"] == "Down"
        normal = arbiter.put(
            "/uss_availability/uss-down",
            json={"availability": "Normal", "old_version": down.json()["version"]},
        )
        assert normal.status_code == 200
        _create(uss, intent_body(volume(circle(28.1, 10.0, 100.0))))


def test_the_area_limit_is_the_references(dss: Dss) -> None:
    """A circle of 2500 km² is accepted; the radius a metre more is not."""
    radius = math.sqrt(2500e6 / math.pi)
    with dss.uss("uss1") as uss1:
        _create(uss1, intent_body(volume(circle(29.0, -40.0, radius - 1.0))))
        answer = uss1.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(circle(29.0, -40.0, radius + 1.0))),
        )
    assert answer.status_code == 400
