"""A hostile party on every surface it can reach: not one byte of what is not its own.

Three parties and their secrets:
- aid's field hospital, shared at `contact` level and signed with aid's key: its id,
  name and coordinates in every written form;
- aid's clinic, declared at `contact` level and later amended to `shape`: the first
  version's name and position;
- the thread between russia and the coalition about russia's strike: the
  coalition's objection and free text.

Each observer walks every GET route of the API with every token of its party
(duty, planner, admin), the event stream, the console's pages, every export
format through the CLI, the record and its bundle, dry runs, and the errors of
writes aimed at another party's ids; every byte it receives is searched for the
secrets it must not learn. The routes are read from the app itself, so a new
endpoint is walked without anyone remembering to add it.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.client import Client
from deconflict.geo.coords import Position, format_dms, format_mgrs
from deconflict.line.parties import Role, issue_token
from deconflict.record.keys import private_key_pem
from deconflict.record.signature import generate_party_key
from deconflict.store import open_store
from tests.api.conftest import LiveServer, seed_parties, start_server, strike_body, zone_body
from tests.api.consoles import Consoles, consoles_on
from tests.api.event_stream import read_stream
from tests.api.problem_shape import same_refusal
from tests.conftest import run_cli

HOSPITAL_ID = "aid-hospital-7"
HOSPITAL_NAME = "Qasr field hospital"
HOSPITAL_AT = (38.712347, 33.507681)
CLINIC_ID = "aid-clinic-2"
CLINIC_OLD_NAME = "Old clinic site"
CLINIC_OLD_AT = (38.900163, 33.600241)
THREAD_TEXT = "Our advisers are at grid 37S DT 4471 2203"
STRIKE_ID = "strike-1"
NOW = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)


def _position_traces(lon: float, lat: float) -> tuple[str, ...]:
    """A position as any surface might write it: decimal (to a decimetre: fewer digits could
    be any other shape's vertex), DMS, MGRS (with and without spaces)."""
    mgrs = format_mgrs(Position(lon, lat))
    return (
        f"{lon:.6f}",
        f"{lat:.6f}",
        format_dms(Position(lon, lat)),
        mgrs,
        mgrs.replace(" ", ""),
    )


HOSPITAL_TRACES = (HOSPITAL_ID, HOSPITAL_NAME, *_position_traces(*HOSPITAL_AT))
CLINIC_TRACES = (CLINIC_OLD_NAME, *_position_traces(*CLINIC_OLD_AT))
THREAD_TRACES = (THREAD_TEXT, "4471 2203")


@dataclass(frozen=True)
class Observer:
    """A party, and what it must never learn."""

    party: str
    traces: tuple[str, ...]


OBSERVERS = (
    # Never met the hospital, nor party to russia's thread with the coalition... of its own.
    Observer("coalition", HOSPITAL_TRACES + CLINIC_TRACES),
    # Its strike met the hospital: it learns aid's contact, never where or what the zone is.
    Observer("russia", HOSPITAL_TRACES + CLINIC_TRACES),
    # Not party to the thread between russia and the coalition.
    Observer("aid", THREAD_TRACES),
)


@dataclass
class Line:
    live: LiveServer
    tokens: dict[str, dict[Role, str]]
    notice_ids: list[int]
    key_file: Path


def _find_leak(text: str, traces: tuple[str, ...]) -> list[str]:
    lowered = (text + "\n" + "\n".join(_decoded_base64(text))).lower()
    return [trace for trace in traces if trace.lower() in lowered]


_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def _decoded_base64(text: str) -> list[str]:
    """Whatever base64 in `text` decodes to as UTF-8 (the record's leaves travel so)."""
    found = []
    for run in _BASE64.findall(text):
        try:
            found.append(base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
    return found


def assert_no_trace(text: str, observer: Observer, where: str, asked: str = "") -> None:
    """No trace in `text`, except those the observer itself sent (`asked`: an echo)."""
    leaked = [t for t in _find_leak(text, observer.traces) if t.lower() not in asked.lower()]
    assert not leaked, f"{leaked} reached {observer.party} through {where}: {text[:1500]}"


@pytest.fixture
def line(db: str, tmp_path: Path) -> Iterator[Line]:
    """The three parties' secrets stored through the API, and a server over them."""
    planner_tokens = seed_parties(db)
    store = open_store(db)
    tokens: dict[str, dict[Role, str]] = {}
    for party in ("coalition", "russia", "aid"):
        tokens[party] = {
            Role.PLANNER: planner_tokens[party],
            Role.DUTY: planner_tokens[f"{party}-duty"],
            Role.ADMIN: issue_token(store, party, Role.ADMIN, NOW),
        }
    store.close()
    live = start_server(db, planner_tokens)
    private_key, public_b64 = generate_party_key()
    key_file = tmp_path / "aid.pem"
    key_file.write_bytes(private_key_pem(private_key))
    with live.client(token=tokens["aid"][Role.ADMIN]) as admin:
        admin.put("/v1/me/key", json={"public_key": public_b64}).raise_for_status()
    hospital = zone_body(HOSPITAL_ID, radius_m=500, name=HOSPITAL_NAME)
    hospital["geometry"]["coordinates"] = list(HOSPITAL_AT)
    with Client(live.url, tokens["aid"][Role.PLANNER], signing_key=private_key) as aid:
        aid.declare_zone(hospital, share="contact")
        clinic = zone_body(CLINIC_ID, radius_m=300, name=CLINIC_OLD_NAME)
        clinic["geometry"]["coordinates"] = list(CLINIC_OLD_AT)
        aid.declare_zone(clinic, share="contact")
        moved = zone_body(CLINIC_ID, radius_m=300, name="Clinic", share="shape")
        moved["geometry"]["coordinates"] = [40.1, 34.9]
        aid.amend(moved)
    with live.client("coalition") as coalition:
        coalition.post("/v1/zones", json=zone_body()).raise_for_status()
    with live.client("russia") as russia:
        created = russia.post("/v1/activities", json=strike_body(STRIKE_ID)).json()
    notice_ids = sorted(n["id"] for n in created["notices"])
    to_coalition = next(n["id"] for n in created["notices"] if n["recipient"] == "coalition")
    with live.client("coalition") as coalition:
        coalition.post(
            f"/v1/notices/{to_coalition}/responses",
            json={"response": "objection", "reason": "forces_present"},
        ).raise_for_status()
        coalition.post(
            f"/v1/notices/{to_coalition}/replies", json={"text": THREAD_TEXT}
        ).raise_for_status()
    yield Line(live, tokens, notice_ids, key_file)
    live.stop()


# -- every GET route, every token of the observer's party ----------------------------------------

FEATURE_IDS = (HOSPITAL_ID, CLINIC_ID, STRIKE_ID, "at-tanf", "no-such-feature")
PARTY_IDS = ("aid", "coalition", "russia", "nobody")
STREAMS = ("/v1/events",)


def _routes(live: LiveServer) -> list[str]:
    """Every GET path the app documents, and the console's, filled with every id worth trying."""
    with live.client() as anyone:
        documented = anyone.get("/openapi.json").json()["paths"]
    paths = [path for path, operations in documented.items() if "get" in operations]
    paths += ["/", "/console/session", "/healthz"]
    return [filled for path in paths if path not in STREAMS for filled in _filled(path)]


def _filled(path: str) -> list[str]:
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    choices = {
        "feature_id": FEATURE_IDS,
        "notice_id": tuple(str(n) for n in range(1, 9)),
        "party": PARTY_IDS,
        "party_id": PARTY_IDS,
    }
    filled = [path]
    for name in names:
        values = choices.get(name, ("1",))
        filled = [
            re.sub(r"{" + name + r"(?::\w+)?}", value, p, count=1)
            for p in filled
            for value in values
        ]
    return filled


QUERIES: tuple[dict[str, str], ...] = (
    {},
    {"ended": "include"},
    {"include_cancelled": "true", "ended": "include"},
    {"format": "kml"},
    {"format": "geojson"},
    {"format": "csv"},
    {"format": "aco"},
)


@pytest.mark.parametrize("observer", OBSERVERS, ids=lambda o: o.party)
def test_no_get_route_tells_a_party_what_is_not_its_own(line: Line, observer: Observer) -> None:
    paths = _routes(line.live)
    assert len(paths) > 20
    for role, token in line.tokens[observer.party].items():
        with line.live.client(token=token) as client:
            for path in paths:
                for query in QUERIES if "export" in path or "features" in path else ({},):
                    response = client.get(path, params=query)
                    where = f"GET {path} {query} as {role.value}"
                    assert response.status_code < 500, f"{where}: {response.text}"
                    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
                    assert_no_trace(headers + "\n" + response.text, observer, where, path)


@pytest.mark.parametrize("observer", OBSERVERS, ids=lambda o: o.party)
def test_the_record_and_every_page_of_it_hold_nothing_hidden(
    line: Line, observer: Observer
) -> None:
    with line.live.client(observer.party) as client:
        size = client.get("/v1/log/entries").json()["tree_size"]
        for start in range(size):
            page = client.get("/v1/log/entries", params={"start": start, "end": start + 1})
            assert_no_trace(page.text, observer, f"record entry {start}")


# -- the event stream and the console --------------------------------------------------------


@pytest.fixture
def consoles(line: Line) -> Iterator[Consoles]:
    with consoles_on(line.live) as consoles:
        yield consoles


@pytest.mark.parametrize("observer", OBSERVERS, ids=lambda o: o.party)
def test_the_event_stream_from_its_beginning_holds_nothing_hidden(
    line: Line, consoles: Consoles, observer: Observer
) -> None:
    for token in line.tokens[observer.party].values():
        received = read_stream(consoles.with_token(token))
        assert received.events, "the stream sent nothing: nothing was checked"
        assert_no_trace(received.text, observer, "the event stream")


@pytest.mark.parametrize("observer", OBSERVERS, ids=lambda o: o.party)
def test_the_console_pages_hold_nothing_hidden(line: Line, observer: Observer) -> None:
    with httpx.Client(base_url=line.live.url, timeout=10, follow_redirects=True) as browser:
        signed_in = browser.post(
            "/console/sign-in",
            data={"token": line.tokens[observer.party][Role.DUTY]},
            headers={"Origin": line.live.url},
        )
        assert signed_in.status_code == 200
        for path in ("/", "/console/session", "/v1/features", "/v1/inbox", "/v1/outbox"):
            response = browser.get(path)
            assert_no_trace(response.text, observer, f"the console's {path}")


# -- the CLI: every export format, the inbox, the bundle ------------------------------------------


@pytest.mark.parametrize("observer", OBSERVERS, ids=lambda o: o.party)
def test_every_cli_surface_holds_nothing_hidden(
    line: Line, observer: Observer, tmp_path: Path
) -> None:
    server = ("--server", line.live.url, "--token", line.tokens[observer.party][Role.PLANNER])
    runs = [run_cli("inbox", "--json", *server)]
    for file_format in ("geojson", "kml", "csv", "cot", "aco", "notam"):
        runs.append(run_cli("export", "--format", file_format, "--ended", *server))
    for feature_id in (CLINIC_ID, STRIKE_ID):
        runs.append(run_cli("notam", feature_id, *server))
    bundle = tmp_path / "bundle"
    runs.append(run_cli("log", "export", "--out", str(bundle), *server))
    runs.append(run_cli("verify", str(bundle)))
    for run in runs:
        assert run.returncode in (0, 1, 2, 4), run.stderr
        assert_no_trace(run.stdout + run.stderr, observer, f"the CLI ({run.args})")
    for written in bundle.iterdir():
        assert_no_trace(written.read_text(encoding="utf-8"), observer, f"the bundle's {written}")


# -- dry runs near the hospital ------------------------------------------------------------------


@pytest.mark.parametrize("observer", OBSERVERS[:2], ids=lambda o: o.party)
def test_a_dry_run_on_top_of_a_hidden_zone_tells_only_whom_to_call(
    line: Line, observer: Observer
) -> None:
    probe = strike_body("probe-1", lon=HOSPITAL_AT[0])
    probe["geometry"]["coordinates"] = list(HOSPITAL_AT)
    with line.live.client(observer.party) as client:
        response = client.post("/v1/check", json=probe)
    assert response.status_code == 200, response.text
    assert_no_trace(response.text, observer, "a dry run on the hospital")
    assert "aid" in response.text  # whom to call


# -- writes aimed at another party's ids: the same answer as for an id nobody uses ---------------


def _attempts(feature_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    zone = zone_body(feature_id, radius_m=100, name="Mine")
    zone["geometry"]["coordinates"] = [10.0, 10.0]
    return [
        ("GET", f"/v1/features/{feature_id}", None),
        ("PUT", f"/v1/zones/{feature_id}", zone),
        ("PUT", f"/v1/activities/{feature_id}", strike_body(feature_id, lon=10.0)),
        ("POST", f"/v1/features/{feature_id}/cancel", None),
    ]


@pytest.mark.parametrize("observer", OBSERVERS[:2], ids=lambda o: o.party)
def test_another_partys_hidden_id_answers_as_an_unused_one(line: Line, observer: Observer) -> None:
    with line.live.client(observer.party) as client:
        for hidden, unused in zip(_attempts(HOSPITAL_ID), _attempts("never-used-9"), strict=True):
            first = client.request(hidden[0], hidden[1], json=hidden[2])
            second = client.request(unused[0], unused[1], json=unused[2])
            where = f"{hidden[0]} {hidden[1]}"
            assert first.status_code == second.status_code, f"{where}: {first.text}"
            if first.status_code >= 400:
                assert same_refusal(first, second), f"{where}: {first.text} / {second.text}"
            assert_no_trace(first.text, observer, where, hidden[1])


def test_declaring_under_a_hidden_zones_id_confirms_nothing(line: Line) -> None:
    """Ids are per party: the coalition may use aid's hidden id for a zone of its own."""
    with line.live.client("coalition") as coalition:
        for fid in (HOSPITAL_ID, "never-used-8"):
            zone = zone_body(fid, radius_m=100, name="Coalition post")
            zone["geometry"]["coordinates"] = [10.0, 10.0]
            response = coalition.post("/v1/zones", json=zone)
            assert response.status_code == 201, response.text
            assert_no_trace(response.text, OBSERVERS[0], f"declaring {fid}", fid)


def test_another_partys_notice_is_refused_as_one_that_does_not_exist(line: Line) -> None:
    """aid is not party to russia's notice to the coalition: 404 exactly as for no notice,
    in the same time."""
    to_coalition = line.notice_ids
    with line.live.client("aid") as aid:
        outside = [n for n in to_coalition if aid.get(f"/v1/notices/{n}").status_code == 404]
        assert outside, "aid is party to every notice: nothing was tried"
        theirs, nobodys = f"/v1/notices/{outside[0]}", "/v1/notices/999999"
        assert same_refusal(aid.get(theirs), aid.get(nobodys))
        for path in (theirs, nobodys):
            answer = aid.post(f"{path}/replies", json={"text": "hello"})
            assert answer.status_code == 404
        durations: dict[str, list[float]] = {theirs: [], nobodys: []}
        for _ in range(40):
            for path in (theirs, nobodys):
                started = time.perf_counter()
                aid.get(path)
                durations[path].append(time.perf_counter() - started)
    slower, faster = sorted(statistics.median(d) for d in durations.values())[::-1]
    assert slower < 2 * faster + 0.002, durations


def test_the_bundle_each_party_exports_verifies_and_opens_only_its_own(
    line: Line, tmp_path: Path
) -> None:
    opened = {}
    for party in ("coalition", "russia", "aid"):
        bundle = tmp_path / party
        server = ("--server", line.live.url, "--token", line.tokens[party][Role.DUTY])
        assert run_cli("log", "export", "--out", str(bundle), *server).returncode == 0
        result = run_cli("verify", str(bundle), "--json")
        assert result.returncode == 0, result.stderr
        opened[party] = json.loads(result.stdout)["opened_entries"]
    # aid opens its two contact zones' versions, its signed payloads and its notices.
    assert min(opened.values()) > 0
