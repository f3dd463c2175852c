"""RFC 9421 HTTP Message Signatures on a real server: a party's signed writes and reads are
checked against its registered key, kept in the record, and verified offline from the bundle
and from a notice's evidence; every fault is a 403 naming it."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.client import Client, sign_request
from deconflict.record.bundle import BundleInvalid, verify_bundle
from deconflict.record.evidence import evidence_from, verify_evidence
from deconflict.record.keys import public_key_b64
from deconflict.record.note import NoteVerifier
from deconflict.record.signature import generate_party_key
from tests.api.conftest import LiveServer, strike_body, zone_body


def _registered(line: LiveServer, party: str) -> Ed25519PrivateKey:
    key, public = generate_party_key()
    with Client(line.url, line.tokens[f"{party}-admin"]) as admin:
        admin.register_key(public)
    return key


def _log_key(line: LiveServer) -> str:
    with line.client("aid") as aid:
        return aid.get("/v1/log/key").text.strip()


def _objection(line: LiveServer, coalition_key: Ed25519PrivateKey) -> int:
    """Russia notifies a strike in the coalition's zone; the coalition, signing with RFC 9421
    only, fetches its inbox and the notice signed, and objects; the notice's id."""
    with (
        Client(
            line.url,
            line.tokens["coalition"],
            signing_key=coalition_key,
            signing="rfc9421",
            sign_reads=True,
        ) as coalition,
        line.client("russia") as russia,
    ):
        coalition.declare_zone(zone_body())
        assert russia.post("/v1/activities", json=strike_body("strike-2")).status_code == 201
        [notice] = [n["id"] for n in coalition.inbox()["notices"]]
        coalition.notice(notice)
        coalition.respond(notice, "objection", reason="forces_present", text="Advisers there.")
    return int(notice)


def test_a_signed_objection_and_signed_reads_verify_from_the_bundle_and_the_evidence(
    live: LiveServer, tmp_path: Path
) -> None:
    notice = _objection(live, _registered(live, "coalition"))
    with Client(live.url, live.tokens["coalition"]) as coalition:
        coalition.export(tmp_path / "bundle")
        document = coalition.evidence(notice)
    verified = verify_bundle(tmp_path / "bundle", server_key=_log_key(live))
    assert verified.signatures_checked == 4  # the zone, two reads, the objection
    thread = verify_evidence(evidence_from(document), NoteVerifier.from_text(_log_key(live)))
    views = [view for _, view in thread.entries]
    [objection] = [v for v in views if v.get("code") == "objection"]
    base = objection["http_signed"]["base"]
    assert base.startswith(f'"@method": POST\n"@path": /v1/notices/{notice}/responses\n')
    assert '"content-digest": sha-256=:' in base and '"idempotency-key": ' in base
    assert "signed" not in objection  # RFC 9421 only: no commitment signature
    reads = [v for v in views if v["kind"] == "read"]
    assert [(r["party"], r["notice"], r.get("notices")) for r in reads] == [
        ("coalition", None, [notice]),
        ("coalition", notice, None),
    ]
    assert reads[0]["http_signed"]["base"].startswith('"@method": GET\n"@path": /v1/inbox\n')
    assert thread.signatures_checked == 3  # two reads and the objection


def test_a_changed_signature_base_in_the_evidence_is_refused_naming_its_entry(
    live: LiveServer,
) -> None:
    notice = _objection(live, _registered(live, "coalition"))
    with Client(live.url, live.tokens["coalition"]) as coalition:
        document = coalition.evidence(notice)
    key = NoteVerifier.from_text(_log_key(live))
    for entry in document["entries"]:
        for opening in entry.get("openings", []):
            signed = opening["value"].get("http_signed")
            if signed is None:
                continue
            forged = json.loads(json.dumps(document))
            [changed] = [
                o
                for e in forged["entries"]
                if e["index"] == entry["index"]
                for o in e["openings"]
                if "http_signed" in o["value"]
            ]
            changed["value"]["http_signed"]["base"] = signed["base"].replace(
                '"@path": /v1/', '"@path": /v2/'
            )
            with pytest.raises(BundleInvalid) as refused:
                verify_evidence(evidence_from(forged), key)
            assert refused.value.entry == entry["index"]
    assert any("http_signed" in json.dumps(e) for e in document["entries"])


def _signed(
    line: LiveServer,
    key: Ed25519PrivateKey,
    method: str,
    path: str,
    body: Any = None,
    *,
    change: Any = None,
) -> httpx.Response:
    """Send a request signed as the client signs it, after `change(request)` if given."""
    with line.client("coalition") as http:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method != "GET" else {}
        request = http.build_request(method, path, json=body, headers=headers)
        sign_request(request, key, write=method != "GET")
        if change is not None:
            change(request)
        return http.send(request)


def _problem(answer: httpx.Response) -> tuple[int, str, Any]:
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer.status_code, problem["code"], problem.get("field")


def test_every_fault_of_an_rfc_9421_signature_is_a_403_naming_it(live: LiveServer) -> None:
    key = _registered(live, "coalition")
    assert _signed(live, key, "POST", "/v1/zones", zone_body()).status_code == 201

    def body_changed(request: httpx.Request) -> None:
        request.stream = httpx.ByteStream(request.content.replace(b"55000", b"56000"))
        request._content = request.stream._stream

    stranger = Ed25519PrivateKey.generate()
    zone = zone_body("other")
    assert _problem(_signed(live, stranger, "POST", "/v1/zones", zone)) == (
        403,
        "http_signature_wrong_key",
        "keyid",
    )
    assert _problem(_signed(live, key, "POST", "/v1/zones", zone, change=body_changed)) == (
        403,
        "content_digest_mismatch",
        "Content-Digest",
    )

    def old(request: httpx.Request) -> None:
        created = datetime.now(UTC) - timedelta(minutes=10)
        _resign(request, key, created, ("@method", "@path", "content-digest", "idempotency-key"))

    assert _problem(_signed(live, key, "POST", "/v1/zones", zone, change=old)) == (
        403,
        "http_signature_stale",
        "created",
    )

    def narrow(request: httpx.Request) -> None:
        _resign(request, key, datetime.now(UTC), ("@method", "@path", "content-digest"))

    answer = _signed(live, key, "POST", "/v1/zones", zone, change=narrow)
    assert _problem(answer) == (403, "http_signature_component_missing", "Signature-Input")
    assert answer.json()["params"]["component"] == "idempotency-key"

    def forged(request: httpx.Request) -> None:
        request.headers["Signature"] = "sig1=:" + base64.b64encode(bytes(64)).decode() + ":"

    assert _problem(_signed(live, key, "POST", "/v1/zones", zone, change=forged)) == (
        403,
        "invalid_signature",
        "Signature",
    )

    def half(request: httpx.Request) -> None:
        del request.headers["Signature"]

    assert _problem(_signed(live, key, "GET", "/v1/inbox", change=half)) == (
        403,
        "http_signature_malformed",
        "Signature",
    )
    with live.client("coalition") as http:
        ids = [f["id"] for f in http.get("/v1/features").json()["features"]]
    assert "other" not in ids  # nothing refused was stored


def _resign(
    request: httpx.Request, key: Ed25519PrivateKey, created: datetime, covered: tuple[str, ...]
) -> None:
    """Sign the request again by hand: `created` and the components chosen by the test."""
    params = " ".join(f'"{c}"' for c in covered)
    line = f'({params});created={int(created.timestamp())};keyid="{public_key_b64(key)}"'
    values = {
        "@method": request.method,
        "@path": request.url.path,
        "content-digest": request.headers["Content-Digest"],
        "idempotency-key": request.headers["Idempotency-Key"],
    }
    base = "\n".join([*(f'"{c}": {values[c]}' for c in covered), f'"@signature-params": {line}'])
    request.headers["Signature-Input"] = f"sig1={line}"
    signature = base64.b64encode(key.sign(base.encode())).decode()
    request.headers["Signature"] = f"sig1=:{signature}:"


def test_unsigned_reads_leave_no_entry_and_a_signed_one_without_a_key_is_refused(
    live: LiveServer,
) -> None:
    with live.client("coalition") as http:
        before = len(http.get("/v1/log/entries").json()["entries"])
        assert http.get("/v1/inbox").status_code == 200
        assert len(http.get("/v1/log/entries").json()["entries"]) == before
    unregistered = Ed25519PrivateKey.generate()
    answer = _signed(live, unregistered, "GET", "/v1/inbox")
    assert answer.status_code == 403, answer.text


def test_a_signed_body_is_the_body_sent(live: LiveServer) -> None:
    key = _registered(live, "coalition")
    request = httpx.Request("POST", f"{live.url}/v1/zones", json=zone_body())
    request.headers["Idempotency-Key"] = "k-1"
    sign_request(request, key, write=True)
    digest = base64.b64encode(hashlib.sha256(request.content).digest()).decode()
    assert request.headers["Content-Digest"] == f"sha-256=:{digest}:"
    assert request.headers["Signature-Input"].startswith(
        'sig1=("@method" "@path" "content-digest" "idempotency-key");created='
    )
