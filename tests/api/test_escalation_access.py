"""A party's escalation destinations and delivery log are its admin's alone: every other party,
and every other role, is refused; a webhook's secret is never shown back once set."""

from __future__ import annotations

import pytest

from deconflict.line.deliveries import new_secret
from tests.api.conftest import LiveServer

LISTED = "/v1/parties/aid/escalation"
PATHS = ("/v1/parties/aid/escalation/destinations", "/v1/parties/aid/escalation/deliveries")
HOOK = {"channel": "webhook", "url": "https://hooks.aid.example.org/line/T0K3N"}


@pytest.mark.parametrize(
    "token", ["aid", "aid-duty", "coalition-admin", "russia-admin", "coalition", "russia-duty"]
)
def test_only_the_partys_own_admin_reads_or_changes_its_escalation(
    live: LiveServer, token: str
) -> None:
    with live.client(token=live.tokens[token]) as client:
        for path in (LISTED, PATHS[1]):
            assert client.get(path).status_code == 403, (token, path)
        added = client.post(PATHS[0], json=HOOK)
        assert added.status_code == 403
        assert added.headers["content-type"] == "application/problem+json"
        assert client.delete(f"{PATHS[0]}/1").status_code == 403
    with live.client("aid-admin") as admin:
        assert admin.get(LISTED).json() == {"destinations": []}  # nothing was added


def test_without_a_token_nothing_is_read(live: LiveServer) -> None:
    with live.client() as anonymous:
        assert all(anonymous.get(path).status_code == 401 for path in (LISTED, PATHS[1]))


def test_a_secret_the_line_makes_is_shown_once_and_one_given_never(live: LiveServer) -> None:
    given = new_secret()
    with live.client("aid-admin") as admin:
        made = admin.post(PATHS[0], json=HOOK)
        assert made.status_code == 201
        secret = made.json()["secret"]
        assert secret.startswith("whsec_") and len(secret) > 40
        kept = admin.post(PATHS[0], json=HOOK | {"secret": given})
        assert kept.status_code == 201 and kept.json()["secret"] is None
        keyed = admin.post(PATHS[0], json=HOOK | {"signing": "line-key"})
        mailed = admin.post(PATHS[0], json={"channel": "email", "address": "desk@aid.example.org"})
        assert keyed.json()["secret"] is None and mailed.json()["secret"] is None
        listed = admin.get(LISTED)
    text = listed.text
    assert secret not in text and given not in text
    assert secret[6:] not in text and given[6:] not in text
    hints = [d.get("secret_hint") for d in listed.json()["destinations"]]
    assert hints == [secret[:10] + "…", given[:10] + "…", None, None]


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ({"channel": "webhook", "url": "http://hooks.example.org/x"}, "url", None),
        ({"channel": "webhook", "url": "ftp://127.0.0.1/x"}, "url", None),
        ({"channel": "webhook", "url": "https://user:pw@hooks.example.org/"}, "url", None),
        (HOOK | {"secret": "whsec_c2hvcnQ="}, "secret", "whsec_c2hv…"),
        (HOOK | {"signing": "line-key", "secret": new_secret()}, "secret", None),
        ({"channel": "email", "address": "Desk <desk@aid.example.org>"}, "address", None),
        ({"channel": "email", "address": "desk@aid.example.org\r\nBcc: x@y.org"}, "address", None),
    ],
)
def test_an_unusable_destination_is_refused_naming_its_field(
    live: LiveServer, body: dict[str, str], field: str, value: str | None
) -> None:
    with live.client("aid-admin") as admin:
        refused = admin.post(PATHS[0], json=body)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["field"] == field
        if value is not None:
            assert problem["value"] == value
        assert "whsec_" not in str(problem["value"]) or problem["value"].endswith("…")
        assert admin.get(LISTED).json() == {"destinations": []}


def test_a_destination_removed_is_gone_and_another_partys_cannot_be_removed(
    live: LiveServer,
) -> None:
    with live.client("aid-admin") as aid, live.client("russia-admin") as russia:
        made = aid.post(PATHS[0], json=HOOK).json()["destination"]["id"]
        assert (
            russia.delete(f"/v1/parties/russia/escalation/destinations/{made}").status_code == 404
        )
        assert aid.delete(f"{PATHS[0]}/{made}").json() == {"destination": made, "removed": True}
        assert aid.delete(f"{PATHS[0]}/{made}").status_code == 404
        assert aid.get(LISTED).json() == {"destinations": []}
