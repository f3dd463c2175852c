"""Constraint references and USS availability."""

from __future__ import annotations

from tests.dss.conftest import AA, CM, CP, SC, Dss, circle, intent_body, new_id, volume


def test_a_constraint_is_made_updated_and_removed_by_its_manager(dss: Dss) -> None:
    entity = new_id()
    body = {"extents": [volume(circle(50.0, 0.0, 300.0))], "uss_base_url": "https://c.example"}
    with dss.uss("authority", CM) as manager, dss.uss("uss1", CP) as reader:
        made = manager.put(f"/constraint_references/{entity}", json=body)
        assert made.status_code == 201, made.text
        constraint = made.json()["constraint_reference"]
        assert (constraint["version"], constraint["manager"]) == (1, "authority")
        assert (
            "ovn"
            not in reader.get(f"/constraint_references/{entity}").json()["constraint_reference"]
        )
        query = {"area_of_interest": volume(circle(50.0, 0.0, 10.0))}
        found = reader.post("/constraint_references/query", json=query).json()
        assert [c["id"] for c in found["constraint_references"]] == [entity]
        path = f"/constraint_references/{entity}"
        assert manager.put(path, json=body).status_code == 409
        updated = manager.put(f"{path}/{constraint['ovn']}", json=body)
        assert updated.status_code == 200, updated.text
        newer = updated.json()["constraint_reference"]
        assert newer["version"] == 2
        assert manager.delete(f"{path}/{constraint['ovn']}").status_code == 409
        assert manager.delete(f"{path}/{newer['ovn']}").status_code == 200
        assert reader.get(path).status_code == 404


def test_an_intent_that_processes_constraints_must_know_them(dss: Dss) -> None:
    place = circle(51.0, 0.0, 300.0)
    entity = new_id()
    with dss.uss("authority", CM) as manager, dss.uss("uss1", SC, CP) as uss1:
        body = {"extents": [volume(place)], "uss_base_url": "https://c.example"}
        constraint = manager.put(f"/constraint_references/{entity}", json=body).json()
        ovn = constraint["constraint_reference"]["ovn"]
        processing = {"uss_base_url": "https://uss.example", "notify_for_constraints": True}
        refused = uss1.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(place), new_subscription=processing),
        )
        assert refused.status_code == 409, refused.text
        assert [c["id"] for c in refused.json()["missing_constraints"]] == [entity]
        accepted = uss1.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(place), key=[ovn], new_subscription=processing),
        )
        assert accepted.status_code == 201, accepted.text
        # An intent whose subscription does not process constraints needs no OVN of them.
        plain = uss1.put(
            f"/operational_intent_references/{new_id()}",
            json=intent_body(volume(circle(51.0, 0.01, 100.0))),
        )
        assert plain.status_code == 201, plain.text


def test_availability_is_unknown_until_set_and_versioned_after(dss: Dss) -> None:
    with dss.uss("arbiter", AA) as arbiter:
        unknown = arbiter.get("/uss_availability/uss-a").json()
        assert unknown == {"status": {"uss": "uss-a", "availability": "Unknown"}, "version": ""}
        normal = arbiter.put("/uss_availability/uss-a", json={"availability": "normal"})
        assert normal.status_code == 200, normal.text
        assert normal.json()["status"]["availability"] == "Normal"
        version = normal.json()["version"]
        stale = arbiter.put("/uss_availability/uss-a", json={"availability": "Down"})
        assert stale.status_code == 409
        bad = {"availability": "purple", "old_version": version}
        assert arbiter.put("/uss_availability/uss-a", json=bad).status_code == 400
        down = {"availability": "Down", "old_version": version}
        assert arbiter.put("/uss_availability/uss-a", json=down).status_code == 200
        assert arbiter.get("/uss_availability/uss-a").json()["status"]["availability"] == "Down"


def test_a_report_is_archived_with_an_id(dss: Dss) -> None:
    exchange = {
        "url": "https://uss2.example/uss/v1/operational_intents/x",
        "method": "GET",
        "headers": ["Authorization: Bearer secret-token"],
        "recorder_role": "Client",
        "request_time": {"value": "2030-01-01T00:00:00Z", "format": "RFC3339"},
        "response_code": 500,
        "problem": "the details did not come",
    }
    with dss.uss("uss1", CP) as uss1:
        made = uss1.post("/reports", json={"exchange": exchange})
        assert made.status_code == 201, made.text
        assert made.json()["exchange"] == exchange
        assert len(made.json()["report_id"]) == 36
        for bad in ({}, {"exchange": {**exchange, "recorder_role": "Bystander"}}):
            assert uss1.post("/reports", json=bad).status_code == 400
    with dss.uss("uss1", "utm.read") as reader:
        assert reader.post("/reports", json={"exchange": exchange}).status_code == 403
