"""Roles mean what they say, on every endpoint: a duty token reads and answers notices, a
planner also declares, amends, cancels and notifies, an admin also manages the party's signing
key and tokens; and a party acts only on what is its own.

Every route of the app is in ROUTES (or PUBLIC, or DSS): a new endpoint fails the first test
until its rule is written here. Each route is then called with each role's token of russia, on
russia's own things and, where the route can name them, on another party's, and exactly the
calls the rule allows succeed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from deconflict.server import create_app
from deconflict.settings import Settings
from tests.api.conftest import seed_parties, strike_body, zone_body
from tests.api.consoles import Console, Consoles, serving

ROLES = ("duty", "planner", "admin")
RANK = {role: rank for rank, role in enumerate(ROLES)}
OWN, OTHER = "own", "other"


@dataclass(frozen=True)
class Call:
    """One request: where, and what it sends."""

    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None


class Scene:
    """Things on the line for each call to act on, made fresh for every call.

    Russia is the caller; the coalition owns the other party's things; aid receives notices.
    """

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles
        self.count = itertools.count()

    def fresh_id(self) -> str:
        return f"f-{next(self.count)}"

    def activity(self, party: str) -> str:
        """A new activity of `party` (each far from the others in time); its id."""
        fid = self.fresh_id()
        body = strike_body(fid, lon=30 + next(self.count) % 20)
        answer = self.consoles[party].post("/v1/activities", json=body)
        assert answer.status_code == 201, answer.text
        return fid

    def notice(self, recipient: str) -> int:
        """A new notice from the coalition to `recipient`; its id."""
        fid = self.activity("coalition")
        outbox = self.consoles["coalition"].get("/v1/outbox").json()["notices"]
        return int(
            next(n["id"] for n in outbox if n["feature"] == fid and n["recipient"] == recipient)
        )

    def token(self, party: str) -> str:
        """The id of a new duty token of `party`."""
        answer = self.consoles[f"{party}-admin"].post("/v1/me/tokens", json={"role": "duty"})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token_id"])


Build = Callable[[Scene, str], Call]


@dataclass(frozen=True)
class Rule:
    """Who may call a route: the least role, and on whose things (own, other)."""

    build: Build
    least: str = "duty"
    allowed: frozenset[str] = frozenset({OWN})
    names_a_party: bool = True
    """False: the call names nothing of a party's, so it is made once (as `own`)."""


def _fixed(method: str, path: str, **kwargs: Any) -> Build:
    return lambda scene, whose: Call(method, path, **kwargs)


def _owner(whose: str) -> str:
    return "russia" if whose == OWN else "coalition"


def _body(kind: str) -> Build:
    def build(scene: Scene, whose: str) -> Call:
        party, fid = _owner(whose), scene.fresh_id()
        body = zone_body(fid, party=party) if kind == "zone" else strike_body(fid, 20, party=party)
        path = {"zone": "/v1/zones", "activity": "/v1/activities", "check": "/v1/check"}[kind]
        return Call("POST", path, json=body)

    return build


def _import(scene: Scene, whose: str) -> Call:
    body = zone_body(scene.fresh_id(), party=_owner(whose))
    return Call("POST", "/v1/imports", json={"features": [body]})


def _amend(kind: str) -> Build:
    def build(scene: Scene, whose: str) -> Call:
        party = _owner(whose)
        fid = scene.fresh_id()
        if kind == "zone":
            scene.consoles[party].post("/v1/zones", json=zone_body(fid)).raise_for_status()
            return Call("PUT", f"/v1/zones/{fid}", json=zone_body(fid, radius_m=100))
        fid = scene.activity(party)
        return Call("PUT", f"/v1/activities/{fid}", json=strike_body(fid, lon=21))

    return build


def _feature(path: str, method: str = "GET") -> Build:
    def build(scene: Scene, whose: str) -> Call:
        party = _owner(whose)
        fid = scene.activity(party)
        return Call(method, path.format(party=party, id=fid))

    return build


def _notice(path: str, method: str = "GET", body: Any = None) -> Build:
    def build(scene: Scene, whose: str) -> Call:
        notice = scene.notice("russia" if whose == OWN else "aid")
        return Call(method, path.format(n=notice), json=body)

    return build


def _revoke(scene: Scene, whose: str) -> Call:
    return Call("DELETE", f"/v1/me/tokens/{scene.token(_owner(whose))}")


def _events(scene: Scene, whose: str) -> Call:
    return Call("GET", "/v1/events")


def _escalation(path: str, method: str = "GET", body: Any = None) -> Build:
    """A call on `party`'s escalation destinations; `{d}` in `path` is one of them, added by
    that party's admin."""

    def build(scene: Scene, whose: str) -> Call:
        party = _owner(whose)
        destination = ""
        if "{d}" in path:
            made = scene.consoles[f"{party}-admin"].post(
                f"/v1/parties/{party}/escalation/destinations", json=_address(scene, party)
            )
            assert made.status_code == 201, made.text
            destination = str(made.json()["destination"]["id"])
        return Call(method, path.format(party=party, d=destination), json=body)

    return build


def _address(scene: Scene, party: str) -> dict[str, str]:
    return {"channel": "email", "address": f"desk-{next(scene.count)}@{party}.example.org"}


def _new_destination(scene: Scene, whose: str) -> Call:
    party = _owner(whose)
    path = f"/v1/parties/{party}/escalation/destinations"
    return Call("POST", path, json=_address(scene, party))


PLANNER, ADMIN = "planner", "admin"
BOTH = frozenset({OWN, OTHER})
KEY = {"public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}
OUTLINE = {"geometry": {"type": "Point", "coordinates": [38.0, 33.0]}, "properties": {}}

ROUTES: dict[tuple[str, str], Rule] = {
    ("POST", "/v1/zones"): Rule(_body("zone"), PLANNER),
    ("PUT", "/v1/zones/{feature_id}"): Rule(_amend("zone"), PLANNER),
    ("POST", "/v1/activities"): Rule(_body("activity"), PLANNER),
    ("PUT", "/v1/activities/{feature_id}"): Rule(_amend("activity"), PLANNER),
    ("POST", "/v1/imports"): Rule(_import, PLANNER),
    ("POST", "/v1/features/{feature_id}/cancel"): Rule(
        _feature("/v1/features/{id}/cancel", "POST"), PLANNER
    ),
    ("POST", "/v1/parties/{party}/features/{feature_id}/cancel"): Rule(
        _feature("/v1/parties/{party}/features/{id}/cancel", "POST"), PLANNER
    ),
    ("POST", "/v1/check"): Rule(_body("check")),
    ("GET", "/v1/features"): Rule(_fixed("GET", "/v1/features"), names_a_party=False),
    ("GET", "/v1/features/{feature_id}"): Rule(_feature("/v1/features/{id}"), allowed=BOTH),
    ("GET", "/v1/parties/{party}/features/{feature_id}"): Rule(
        _feature("/v1/parties/{party}/features/{id}"), allowed=BOTH
    ),
    ("GET", "/v1/features/{feature_id}/notam"): Rule(
        _feature("/v1/features/{id}/notam"), allowed=BOTH
    ),
    ("GET", "/v1/parties/{party}/features/{feature_id}/notam"): Rule(
        _feature("/v1/parties/{party}/features/{id}/notam"), allowed=BOTH
    ),
    ("GET", "/v1/inbox"): Rule(_fixed("GET", "/v1/inbox"), names_a_party=False),
    ("GET", "/v1/outbox"): Rule(_fixed("GET", "/v1/outbox"), names_a_party=False),
    ("GET", "/v1/notices/{notice_id}"): Rule(_notice("/v1/notices/{n}")),
    ("POST", "/v1/notices/{notice_id}/responses"): Rule(
        _notice("/v1/notices/{n}/responses", "POST", {"response": "acknowledged"})
    ),
    ("POST", "/v1/notices/{notice_id}/replies"): Rule(
        _notice("/v1/notices/{n}/replies", "POST", {"text": "received"})
    ),
    ("GET", "/v1/parties"): Rule(_fixed("GET", "/v1/parties"), names_a_party=False),
    ("PUT", "/v1/me/key"): Rule(_fixed("PUT", "/v1/me/key", json=KEY), ADMIN, names_a_party=False),
    ("POST", "/v1/me/tokens"): Rule(
        _fixed("POST", "/v1/me/tokens", json={"role": "duty"}), ADMIN, names_a_party=False
    ),
    ("DELETE", "/v1/me/tokens/{token_id}"): Rule(_revoke, ADMIN),
    ("GET", "/v1/me"): Rule(_fixed("GET", "/v1/me"), names_a_party=False),
    ("GET", "/v1/position"): Rule(
        _fixed("GET", "/v1/position", params={"text": "33.5 38.6"}), names_a_party=False
    ),
    ("GET", "/v1/time"): Rule(
        _fixed("GET", "/v1/time", params={"text": "now+2h"}), names_a_party=False
    ),
    ("GET", "/v1/events"): Rule(_events, names_a_party=False),
    ("GET", "/v1/log/checkpoint"): Rule(_fixed("GET", "/v1/log/checkpoint"), names_a_party=False),
    ("GET", "/v1/log/key"): Rule(_fixed("GET", "/v1/log/key"), names_a_party=False),
    ("GET", "/v1/log/entries"): Rule(_fixed("GET", "/v1/log/entries"), names_a_party=False),
    ("GET", "/v1/log/proof/inclusion"): Rule(
        _fixed("GET", "/v1/log/proof/inclusion", params={"index": "0", "size": "1"}),
        names_a_party=False,
    ),
    ("GET", "/v1/log/proof/consistency"): Rule(
        _fixed("GET", "/v1/log/proof/consistency", params={"first": "1", "second": "2"}),
        names_a_party=False,
    ),
    ("GET", "/v1/cot"): Rule(_fixed("GET", "/v1/cot"), names_a_party=False),
    ("GET", "/v1/export/{file_format}"): Rule(
        _fixed("GET", "/v1/export/geojson"), names_a_party=False
    ),
    ("GET", "/v1/log/witnesses"): Rule(_fixed("GET", "/v1/log/witnesses"), names_a_party=False),
    ("GET", "/v1/notices/{notice_id}/evidence"): Rule(_notice("/v1/notices/{n}/evidence")),
    ("GET", "/v1/parties/{party}/escalation"): Rule(
        _escalation("/v1/parties/{party}/escalation"), ADMIN
    ),
    ("GET", "/v1/parties/{party}/escalation/deliveries"): Rule(
        _escalation("/v1/parties/{party}/escalation/deliveries"), ADMIN
    ),
    ("POST", "/v1/parties/{party}/escalation/destinations"): Rule(_new_destination, ADMIN),
    ("DELETE", "/v1/parties/{party}/escalation/destinations/{destination}"): Rule(
        _escalation("/v1/parties/{party}/escalation/destinations/{d}", "DELETE"), ADMIN
    ),
    ("GET", "/console/session"): Rule(_fixed("GET", "/console/session"), names_a_party=False),
    ("POST", "/console/outline"): Rule(
        _fixed("POST", "/console/outline", json=OUTLINE), names_a_party=False
    ),
}
PUBLIC = {
    ("GET", "/"),
    ("GET", "/favicon.ico"),
    ("GET", "/healthz"),
    ("POST", "/console/sign-in"),
    ("POST", "/console/sign-out"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
"""Routes open without a token: the console's page and sign-in, health, the API's docs."""
ELSEWHERE = {
    ("GET", "/console/tiles.json"),
    ("GET", "/console/tiles/{z}/{x}/{y}"),
}
"""Routes whose rule needs a server started with a tile file: every role of every party may
read them, and no one without a token (tests/e2e/test_console_tile_server.py)."""
DSS_ID = "00000000-0000-4000-8000-00000000d55a"
DSS = {
    ("POST", "/dss/v1/operational_intent_references/query"),
    ("GET", "/dss/v1/operational_intent_references/{entityid}"),
    ("PUT", "/dss/v1/operational_intent_references/{entityid}"),
    ("PUT", "/dss/v1/operational_intent_references/{entityid}/{ovn}"),
    ("DELETE", "/dss/v1/operational_intent_references/{entityid}/{ovn}"),
    ("POST", "/dss/v1/constraint_references/query"),
    ("GET", "/dss/v1/constraint_references/{entityid}"),
    ("PUT", "/dss/v1/constraint_references/{entityid}"),
    ("PUT", "/dss/v1/constraint_references/{entityid}/{ovn}"),
    ("DELETE", "/dss/v1/constraint_references/{entityid}/{ovn}"),
    ("POST", "/dss/v1/subscriptions/query"),
    ("GET", "/dss/v1/subscriptions/{subscriptionid}"),
    ("PUT", "/dss/v1/subscriptions/{subscriptionid}"),
    ("PUT", "/dss/v1/subscriptions/{subscriptionid}/{version}"),
    ("DELETE", "/dss/v1/subscriptions/{subscriptionid}/{version}"),
    ("POST", "/dss/v1/reports"),
    ("GET", "/dss/v1/uss_availability/{uss_id}"),
    ("PUT", "/dss/v1/uss_availability/{uss_id}"),
    ("GET", "/aux/v1/version"),
    ("GET", "/aux/v1/validate_oauth"),
}
"""Routes of the DSS (ASTM F3548-21): a USS's signed access token opens them, by the scopes
it holds (tests/dss/), and no line token of any role: the last test here."""


def _routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers; mounts (static files) aside."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield method, route.path
        else:
            assert isinstance(route, Mount), f"a route of a kind this test does not know: {route}"


def test_every_route_of_the_app_has_its_rule_here(tmp_path: Path) -> None:
    app = create_app(Settings(db=str(tmp_path / "line.db")))
    assert set(_routes(app.routes)) == set(ROUTES) | PUBLIC | ELSEWHERE | DSS


@pytest.fixture(scope="module")
def scene(
    new_db: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scene]:
    db = new_db(tmp_path_factory.mktemp("roles"))
    with serving(db, seed_parties(db)) as consoles:
        # Two leaves in the record, for the consistency proof.
        consoles["aid"].post("/v1/zones", json=zone_body("aid-camp", party="aid"))
        yield Scene(consoles)


def _succeeds(console: Console, call: Call, url: str) -> bool:
    if call.path == "/console/session":
        return _session_succeeds(console, url)
    if call.path == "/v1/events":
        with console.stream(call.path, httpx.Timeout(5.0)) as stream:
            return stream.is_success
    response = console.request(call.method, call.path, json=call.json, params=call.params)
    assert response.status_code < 500, response.text
    return response.is_success


def _session_succeeds(console: Console, url: str) -> bool:
    """Sign in to the console with the console's token, then ask for the session."""
    with httpx.Client(base_url=url, timeout=10) as browser:
        browser.post("/console/sign-in", data={"token": console.token or ""})
        return browser.get("/console/session").is_success


def _token(role: str) -> str:
    return {"duty": "russia-duty", "planner": "russia", "admin": "russia-admin"}[role]


@pytest.mark.parametrize(("method", "path"), list(ROUTES), ids=[f"{m} {p}" for m, p in ROUTES])
def test_exactly_the_allowed_roles_and_parties_succeed(
    scene: Scene, method: str, path: str
) -> None:
    rule = ROUTES[method, path]
    cases = [
        (role, whose)
        for role in ROLES
        for whose in ((OWN, OTHER) if rule.names_a_party else (OWN,))
    ]
    succeeded = {
        (role, whose)
        for role, whose in cases
        if _succeeds(
            scene.consoles[_token(role)], rule.build(scene, whose), scene.consoles.live.url
        )
    }
    expected = {
        (role, whose)
        for role, whose in cases
        if RANK[role] >= RANK[rule.least] and whose in rule.allowed
    }
    assert succeeded == expected


@pytest.mark.parametrize(("method", "path"), sorted(DSS), ids=[f"{m} {p}" for m, p in sorted(DSS)])
def test_no_line_token_opens_a_dss_route(scene: Scene, method: str, path: str) -> None:
    filled = re.sub(r"\{[a-z_]+\}", DSS_ID, path)
    for role in ROLES:
        console = scene.consoles[_token(role)]
        answer = console.request(method, filled, json={} if method in ("POST", "PUT") else None)
        assert answer.status_code == 401, (role, answer.text)
        assert answer.json()["code"] == "not_signed_in"
