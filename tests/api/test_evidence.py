"""GET /v1/notices/{id}/evidence: a notice's thread proven for an arbiter, to its two parties only,
with nothing in it the asking party may not see; any byte of what it proves changed is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.api import schemas
from deconflict.client import Client
from deconflict.errors import DeconflictError
from deconflict.record.cosignature import Cosigner, WitnessPolicy
from deconflict.record.errors import NotWitnessed, RecordError
from deconflict.record.evidence import evidence_from, read_evidence, verify_evidence
from deconflict.record.note import NoteVerifier
from deconflict.record.signature import generate_party_key
from tests.api.conftest import (
    LiveServer,
    free_port,
    seed_parties,
    start_server,
    start_witness,
    strike_body,
    zone_body,
)

HIDDEN_SITE = "aid-hidden-clinic"
HIDDEN_AT = [38.7123, 33.5067]


def _log_key(line: LiveServer) -> NoteVerifier:
    with line.client("aid") as aid:
        return NoteVerifier.from_text(aid.get("/v1/log/key").text.strip())


def _objected_strike(line: LiveServer, signed: bool = True) -> int:
    """The At Tanf flows: the zone, a strike inside it, the coalition's objection, the strike
    amended out and acknowledged; the objected notice's id."""
    keys: dict[str, Ed25519PrivateKey | None] = {"coalition": None, "russia": None}
    for party in keys if signed else ():
        keys[party], public = generate_party_key()
        with Client(line.url, line.tokens[f"{party}-admin"]) as admin:
            admin.register_key(public)
    with (
        Client(line.url, line.tokens["coalition"], signing_key=keys["coalition"]) as coalition,
        Client(line.url, line.tokens["russia"], signing_key=keys["russia"]) as russia,
    ):
        coalition.declare_zone(zone_body())
        russia.notify(strike_body("strike-2"))
        [notice] = [n["id"] for n in coalition.inbox()["notices"] if n["feature"] == "strike-2"]
        coalition.notice(notice)
        coalition.respond(notice, "objection", reason="forces_present", text="Advisers there.")
        russia.amend(strike_body("strike-2", lon=39.6))
        [amended] = [n for n in coalition.inbox()["notices"] if n["version"] == 2]
        coalition.respond(amended["id"], "acknowledged")
    return int(notice)


def _evidence(line: LiveServer, party: str, notice: int) -> Any:
    with line.client(party) as client:
        return client.get(f"/v1/notices/{notice}/evidence")


def test_only_the_notices_sender_and_recipient_get_its_evidence(live: LiveServer) -> None:
    notice = _objected_strike(live)
    key = _log_key(live)
    files = {}
    for party in ("russia", "coalition"):
        answer = _evidence(live, party, notice)
        assert answer.status_code == 200, answer.text
        schemas.Evidence.model_validate(answer.json())
        files[party] = answer.json()
        thread = verify_evidence(evidence_from(files[party]), key)
        assert thread.exported_by == party
        codes = [view.get("code") for _, view in thread.entries if view["kind"] == "message"]
        assert codes.count("objection") == 1 and codes.count("acknowledgement") == 1
        assert thread.signatures_checked >= 4  # two signed features, two signed answers
    assert [e["index"] for e in files["russia"]["entries"]] == [
        e["index"] for e in files["coalition"]["entries"]
    ]
    for party, asked in (("aid", notice), ("russia", 10_000)):
        refused = _evidence(live, party, asked)
        assert refused.status_code == 404
        problem = refused.json()
        assert (problem["field"], problem["value"]) == ("notice", asked)


def test_a_hidden_zones_id_and_shape_never_reach_the_evidence(live: LiveServer) -> None:
    with live.client("aid") as aid:
        hidden = zone_body(HIDDEN_SITE, radius_m=400, share="contact")
        hidden["geometry"]["coordinates"] = HIDDEN_AT
        assert aid.post("/v1/zones", json=hidden).status_code == 201
    with live.client("coalition") as coalition:
        assert coalition.post("/v1/zones", json=zone_body()).status_code == 201
    with live.client("russia") as russia:
        sent = russia.post("/v1/activities", json=strike_body("strike-2", lon=38.71)).json()
    notices = {n["recipient"]: n["id"] for n in sent["notices"]}
    assert set(notices) == {"aid", "coalition"}
    asked = [("russia", "aid"), ("russia", "coalition"), ("coalition", "coalition")]
    for party, recipient in asked:
        notice = notices[recipient]
        text = _evidence(live, party, notice).text
        assert HIDDEN_SITE not in text and str(HIDDEN_AT[0]) not in text, (party, notice)
        assert str(HIDDEN_AT[1]) not in text
    own = verify_evidence(
        evidence_from(_evidence(live, "aid", notices["aid"]).json()), _log_key(live)
    )
    assert [v for _, v in own.entries if v["kind"] == "feature" and v["party"] == "aid"] == []


def test_a_lines_witnesses_cosign_the_evidence_a_party_requires_them_on(tmp_path: Path) -> None:
    db = str(tmp_path / "line.db")
    port = free_port()
    cosigner = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    stranger = Cosigner("stranger.example/witness", Ed25519PrivateKey.generate())
    line = start_server(
        db,
        seed_parties(db),
        witnesses=f"http://127.0.0.1:{port} {cosigner.verifier.to_text()}",
    )
    witness = start_witness(tmp_path / "witness.json", [_log_key(line)], cosigner, port)
    try:
        notice = _objected_strike(line, signed=False)
        policy = WitnessPolicy((cosigner.verifier,), 1)
        with Client(line.url, line.tokens["coalition"], witnesses=policy) as coalition:
            document = coalition.evidence(notice, wait_s=30)
        thread = verify_evidence(evidence_from(document), _log_key(line), policy)
        assert set(thread.witnessed) == {"coalition.example/witness"}
        assert abs(thread.witnessed["coalition.example/witness"] - time.time()) < 60
        other = WitnessPolicy((stranger.verifier,), 1)
        with (
            Client(line.url, line.tokens["russia"], witnesses=other) as russia,
            pytest.raises(NotWitnessed),
        ):
            russia.evidence(notice, wait_s=0.5)
    finally:
        line.stop()
        witness.stop()


@pytest.fixture(scope="module")
def proven_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, NoteVerifier]]:
    """One evidence file of the objected strike, as JSON text, and the key it verifies with."""
    db = str(tmp_path_factory.mktemp("evidence") / "line.db")
    line = start_server(db, seed_parties(db))
    try:
        notice = _objected_strike(line)
        yield _compact(_evidence(line, "coalition", notice).json()), _log_key(line)
    finally:
        line.stop()


def _compact(value: Any) -> str:
    # No whitespace between tokens: a changed byte is then always a changed token.
    return json.dumps(value, separators=(",", ":"))


def _proven_spans(text: str) -> list[tuple[int, int]]:
    """Where the file's signed and proven parts are, as (start, end) in its text: the
    checkpoint, every leaf index, leaf, proof hash and opening."""
    document = json.loads(text)
    parts = [_compact(document["checkpoint"])]
    for entry in document["entries"]:
        parts.append(f'"index":{entry["index"]},')
        parts += [_compact(entry["leaf"]), *map(_compact, entry["proof"])]
        parts += [_compact(opening) for opening in entry.get("openings", [])]
    spans = []
    for part in parts:
        start = text.index(part)
        spans.append((start, start + len(part)))
    return spans


@settings(max_examples=300, deadline=None)
@given(where=st.data(), byte=st.integers(0, 255))
def test_any_byte_changed_in_a_signed_or_proven_part_is_refused(
    proven_file: tuple[str, NoteVerifier], where: st.DataObject, byte: int
) -> None:
    text, key = proven_file
    raw = text.encode("utf-8")
    start, end = where.draw(st.sampled_from(_proven_spans(text)), label="part")
    at = where.draw(st.integers(start, end - 1), label="byte")
    if raw[at] == byte:
        byte = (byte + 1) % 256
    tampered = raw[:at] + bytes([byte]) + raw[at + 1 :]
    with pytest.raises(RecordError):
        verify_evidence(read_evidence(tampered), key)


def test_the_untampered_file_verifies(proven_file: tuple[str, NoteVerifier]) -> None:
    text, key = proven_file
    assert verify_evidence(read_evidence(text), key).notice > 0
    assert issubclass(RecordError, DeconflictError)
