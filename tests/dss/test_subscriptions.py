"""Subscriptions: a USS's interest in a place and a time, the notifications owed to it, and
the intents that rely on it."""

from __future__ import annotations

from typing import Any

from tests.dss.conftest import CP, Dss, circle, intent_body, new_id, volume


def _subscription(
    extent: dict[str, Any], intents: bool = True, constraints: bool = False
) -> dict[str, Any]:
    return {
        "extents": extent,
        "uss_base_url": "https://watcher.example.org",
        "notify_for_operational_intents": intents,
        "notify_for_constraints": constraints,
    }


def test_a_subscription_is_made_read_queried_and_removed_by_its_manager(dss: Dss) -> None:
    place = circle(30.0, 5.0, 400.0)
    entity = new_id()
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        made = uss1.put(f"/subscriptions/{entity}", json=_subscription(volume(place, 0, 60)))
        assert made.status_code == 200, made.text
        subscription = made.json()["subscription"]
        assert subscription["notification_index"] == 0
        assert subscription["implicit_subscription"] is False
        assert made.json()["operational_intent_references"] == []
        assert "constraint_references" not in made.json()
        assert uss1.get(f"/subscriptions/{entity}").json()["subscription"] == subscription
        assert uss2.get(f"/subscriptions/{entity}").status_code == 403
        query = {"area_of_interest": volume(circle(30.0, 5.0, 10.0), None, None, None, None)}
        mine = uss1.post("/subscriptions/query", json=query).json()["subscriptions"]
        assert [s["id"] for s in mine] == [entity]
        assert uss2.post("/subscriptions/query", json=query).json()["subscriptions"] == []
        assert uss1.delete(f"/subscriptions/{entity}/stale-version").status_code == 409
        gone = uss1.delete(f"/subscriptions/{entity}/{subscription['version']}")
        assert gone.status_code == 200, gone.text
        assert uss1.get(f"/subscriptions/{entity}").status_code == 404


def test_versions_keep_read_modify_write_consistent(dss: Dss) -> None:
    entity = new_id()
    body = _subscription(volume(circle(31.0, 5.0, 400.0), 0, 60))
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        first = uss1.put(f"/subscriptions/{entity}", json=body).json()["subscription"]
        assert uss1.put(f"/subscriptions/{entity}", json=body).status_code == 409
        assert (
            uss1.put(f"/subscriptions/{new_id()}/{first['version']}", json=body).status_code == 404
        )
        assert uss2.put(f"/subscriptions/{entity}/{first['version']}", json=body).status_code == 403
        second = uss1.put(f"/subscriptions/{entity}/{first['version']}", json=body)
        assert second.status_code == 200, second.text
        assert second.json()["subscription"]["version"] != first["version"]
        stale = uss1.put(f"/subscriptions/{entity}/{first['version']}", json=body)
        assert stale.status_code == 409


def test_a_change_is_owed_to_each_subscription_it_meets(dss: Dss) -> None:
    place = circle(32.0, 5.0, 400.0)
    watcher, elsewhere = new_id(), new_id()
    with dss.uss("uss2") as uss2, dss.uss("uss1") as uss1:
        assert uss2.put(f"/subscriptions/{watcher}", json=_subscription(volume(place))).is_success
        far = _subscription(volume(circle(32.1, 5.0, 400.0)))
        assert uss2.put(f"/subscriptions/{elsewhere}", json=far).is_success
        made = uss1.put(
            f"/operational_intent_references/{new_id()}", json=intent_body(volume(place))
        )
        assert made.status_code == 201, made.text
        owed = {
            s["subscription_id"]: s["notification_index"]
            for group in made.json()["subscribers"]
            for s in group["subscriptions"]
        }
        assert owed[watcher] == 1
        assert elsewhere not in owed
        shown = uss2.get(f"/subscriptions/{watcher}").json()["subscription"]
        assert shown["notification_index"] == 1
        # The subscription now sees the intent, without its OVN.
        body = _subscription(volume(place))
        again = uss2.put(f"/subscriptions/{watcher}/{shown['version']}", json=body)
        [reference] = again.json()["operational_intent_references"]
        assert reference["manager"] == "uss1" and "ovn" not in reference


def test_a_subscription_an_intent_relies_on_keeps_covering_it(dss: Dss) -> None:
    place = circle(33.0, 5.0, 400.0)
    entity = new_id()
    with dss.uss("uss1") as uss1:
        made = uss1.put(f"/subscriptions/{entity}", json=_subscription(volume(place, 0, 90)))
        version = made.json()["subscription"]["version"]
        body = intent_body(volume(place, 10, 70), subscription_id=entity)
        del body["new_subscription"]
        intent = uss1.put(f"/operational_intent_references/{new_id()}", json=body)
        assert intent.status_code == 201, intent.text
        for shrunk in (
            volume(circle(33.0, 5.0, 100.0), 0, 90),  # smaller outline
            volume(place, 0, 60),  # ends before the intent
            volume(place, 0, 90, 50, 120),  # floor above the intent's
        ):
            answer = uss1.put(f"/subscriptions/{entity}/{version}", json=_subscription(shrunk))
            assert answer.status_code == 400, (shrunk, answer.text)
        assert uss1.delete(f"/subscriptions/{entity}/{version}").status_code == 400
        kept = uss1.put(
            f"/subscriptions/{entity}/{version}", json=_subscription(volume(place, 0, 80))
        )
        assert kept.status_code == 200, kept.text
        ids = [intent.json()["operational_intent_reference"]["id"]]
        assert kept.json()["subscription"]["dependent_operational_intents"] == ids


def test_an_intent_may_not_rely_on_a_subscription_that_does_not_cover_it(dss: Dss) -> None:
    entity = new_id()
    with dss.uss("uss1") as uss1, dss.uss("uss2") as uss2:
        body = _subscription(volume(circle(34.0, 5.0, 100.0)))
        assert uss1.put(f"/subscriptions/{entity}", json=body).is_success
        intent = intent_body(volume(circle(34.0, 5.0, 300.0)), subscription_id=entity)
        del intent["new_subscription"]
        wider = uss1.put(f"/operational_intent_references/{new_id()}", json=intent)
        assert wider.status_code == 400
        others = uss2.put(f"/operational_intent_references/{new_id()}", json=intent)
        assert others.status_code == 403


def test_what_a_subscription_may_not_ask_is_refused_400(dss: Dss) -> None:
    place = circle(35.0, 5.0, 100.0)
    with dss.uss("uss1", CP) as uss1:
        for body in (
            _subscription(volume(place), intents=False, constraints=False),
            _subscription(volume(place, 0, 25 * 60)),  # over a day
            _subscription(volume(place, -30, 30)),  # starts half an hour ago
            _subscription(volume(place, 60, 0)),  # ends before it starts
            {**_subscription(volume(place)), "uss_base_url": "ftp://watcher"},
        ):
            answer = uss1.put(f"/subscriptions/{new_id()}", json=body)
            assert answer.status_code == 400, (body, answer.text)


def test_a_window_left_open_is_settled_to_a_day_from_now(dss: Dss) -> None:
    entity = new_id()
    with dss.uss("uss1") as uss1:
        made = uss1.put(
            f"/subscriptions/{entity}",
            json=_subscription(volume(circle(36.0, 5.0, 100.0), None, None)),
        )
    assert made.status_code == 200, made.text
    shown = made.json()["subscription"]
    start, end = shown["time_start"]["value"], shown["time_end"]["value"]
    assert start[:10] <= end[:10] and start != end
