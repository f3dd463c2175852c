"""The API against its own OpenAPI document: every operation, generated requests, every check.

schemathesis reads `/openapi.json` from a real server on loopback over a SQLite file holding a
small line (three parties, zones of both share levels, an activity that meets them, notices
read and answered, a probe), and sends each operation requests generated from the document with
a live admin token: examples, boundary values and random data, valid and invalid. Every answer
is checked: no server error, its status documented, its media type documented, its body and
headers as documented (problems included), invalid requests refused, the token not ignored.

A bounded run here (`DECONFLICT_API_FUZZ_EXAMPLES`, 20 by default, seeded); a longer run is the
same file with a larger number.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import schemathesis
from schemathesis.engine import events, from_schema

from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body, zone_body

EXAMPLES = int(os.environ.get("DECONFLICT_API_FUZZ_EXAMPLES", "20"))
SEED = 20260906


def _line(db: Path) -> LiveServer:
    """A server over `db` with something of every kind for the coalition's admin to see."""
    live = start_server(db, seed_parties(db))
    with live.client("coalition") as coalition, live.client("russia") as russia:
        hospital = zone_body("hospital", radius_m=2_000, share="contact", name="Hospital")
        for zone in (zone_body(), hospital):
            assert coalition.post("/v1/zones", json=zone).status_code == 201
        assert russia.post("/v1/activities", json=strike_body()).status_code == 201
        drill = strike_body("drill-1", lon=38.9, activity="drill")
        assert coalition.post("/v1/activities", json=drill).status_code == 201
        inbox = coalition.get("/v1/inbox").json()["notices"]
        notice = inbox[0]["id"]
        assert coalition.get(f"/v1/notices/{notice}").status_code == 200
        answer = {"response": "acknowledged", "text": "noted"}
        assert coalition.post(f"/v1/notices/{notice}/responses", json=answer).status_code == 201
        probe = strike_body("probe-1", lon=38.64)
        assert russia.post("/v1/check", json=probe).status_code == 200
    return live


def _config(token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "request-timeout": 20,
            "auth": {"openapi": {"bearer": {"bearer": token}}},
            "workers": 1,
            "generation": {"max-examples": EXAMPLES, "deterministic": True},
            "checks": {
                # 422 is how the line refuses what a schema cannot say: a position or time that
                # does not read, an id's characters, a feature's geodesic and time rules, a
                # range beyond the record; anything else refused would still fail.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                }
            },
            "operations": [
                {
                    # The stream never ends: read a few events, or what came within a second.
                    "include-path": "/v1/events",
                    "request-timeout": 1,
                    "max-stream-events": 5,
                    "generation": {"max-examples": 3},
                }
            ],
        }
    )


@dataclass
class Run:
    """What a run did: requests sent per operation, and every check that failed."""

    requests: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def fuzz(live: LiveServer) -> Run:
    """Every operation of the live server's document, every phase and check, as the CLI runs."""
    config = _config(live.tokens["coalition-admin"])
    api = schemathesis.openapi.from_url(f"{live.url}/openapi.json", config=config)
    run = Run()
    for event in from_schema(api).execute():
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            run.failures.append(f"{event.label}: {event.info.message}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        run.requests[recorder.label] += len(recorder.interactions)
        for checks in recorder.checks.values():
            run.failures += [
                f"{recorder.label}: {check.name}: {check.failure_info.failure.title}\n"
                f"{check.failure_info.code_sample}"
                for check in checks
                if check.failure_info is not None
            ]
    return run


def test_every_operation_answers_as_its_openapi_says(tmp_path: Path) -> None:
    live = _line(tmp_path / "line.db")
    try:
        with live.client() as anyone:
            paths = anyone.get("/openapi.json").json()["paths"]
        run = fuzz(live)
    finally:
        live.stop()
    documented = {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}
    print(f"{run.requests.total()} requests, {len(run.failures)} failed checks")
    assert all(run.requests[operation] for operation in documented), run.requests
    assert not run.failures, "\n\n".join(dict.fromkeys(run.failures))
