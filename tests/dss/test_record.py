"""Every DSS write is an entry of the line's record, and a store holding them still passes
the check at start."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from deconflict.store import open_store
from tests.api.conftest import start_server
from tests.dss.conftest import (
    AA,
    AUDIENCE,
    Dss,
    circle,
    intent_body,
    make_authority,
    new_id,
    volume,
)


def _dss_entries(db: str) -> list[dict[str, object]]:
    store = open_store(db)
    try:
        leaves = store.log_leaves(0, store.log_size())
    finally:
        store.close()
    entries = [json.loads(data) for _, data, _ in leaves]
    return [e for e in entries if e["kind"] == "dss"]


def test_each_dss_write_is_recorded_without_its_ovn(
    new_db: Callable[[Path], str], tmp_path: Path
) -> None:
    authority = make_authority(tmp_path)
    db = new_db(tmp_path)
    settings = {"utm_jwt_keys": str(authority.public_pem), "utm_audiences": AUDIENCE}
    server = start_server(db, {}, **settings)
    try:
        dss = Dss(server, authority)
        with dss.uss("uss1") as uss1, dss.uss("arbiter", AA) as arbiter:
            made = uss1.put(
                f"/operational_intent_references/{new_id()}",
                json=intent_body(volume(circle(60.0, 0.0, 100.0))),
            ).json()["operational_intent_reference"]
            gone = uss1.delete(f"/operational_intent_references/{made['id']}/{made['ovn']}")
            assert gone.status_code == 200
            assert arbiter.put("/uss_availability/uss1", json={"availability": "Normal"}).is_success
            exchange = {
                "url": "https://uss2.example/uss/v1/operational_intents/x",
                "method": "GET",
                "headers": ["Authorization: Bearer secret-token"],
                "recorder_role": "Client",
                "request_time": {"value": "2030-01-01T00:00:00Z", "format": "RFC3339"},
            }
            report = uss1.post("/reports", json={"exchange": exchange}).json()
            assert uss1.get(f"/operational_intent_references/{made['id']}").status_code == 404
    finally:
        server.stop()
    entries = _dss_entries(db)
    said = [(e["change"], e["entity"], e["id"], e["uss"]) for e in entries]
    assert said == [
        ("put", "subscription", made["subscription_id"], "uss1"),
        ("put", "operational_intent", made["id"], "uss1"),
        ("delete", "operational_intent", made["id"], "uss1"),
        ("delete", "subscription", made["subscription_id"], "uss1"),
        ("put", "uss_availability", "uss1", "arbiter"),
        ("put", "report", report["report_id"], "uss1"),
    ]
    assert "secret-token" not in json.dumps(entries)  # a report is on the record by digest
    assert made["ovn"] not in json.dumps(entries)
    document = entries[1]["document"]
    assert isinstance(document, dict) and len(document["ovn_sha256"]) == 64
    # The store with these entries passes the check a server makes as it starts.
    start_server(db, {}, **settings).stop()
