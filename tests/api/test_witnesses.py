"""The line and the parties' witnesses, all real servers on loopback: the line asks its
witnesses after each commit without ever waiting for them, serves their cosignatures, and a
party that requires its own witness is never shown a forked record unnoticed. On a SQLite file
and on a PostgreSQL database alike, and with two API nodes on one PostgreSQL database."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.client import Client
from deconflict.record.cosignature import (
    CosignatureVerifier,
    Cosigner,
    WitnessPolicy,
    cosignatures,
)
from deconflict.record.errors import NotWitnessed
from deconflict.record.note import NoteVerifier, open_checkpoint
from deconflict.store import is_postgres_url
from deconflict.store.head import head_path
from tests.api.conftest import (
    LiveServer,
    LiveWitness,
    free_port,
    seed_parties,
    start_server,
    start_witness,
    zone_body,
)
from tests.backends import Databases, log_key_of


def witness_setting(*witnesses: tuple[str, Cosigner]) -> str:
    return ", ".join(f"{url} {cosigner.verifier.to_text()}" for url, cosigner in witnesses)


def log_key(line: LiveServer) -> NoteVerifier:
    with line.client("aid") as aid:
        return NoteVerifier.from_text(aid.get("/v1/log/key").text.strip())


def client(line: LiveServer, party: str, *witnesses: Cosigner, required: int = 1) -> Client:
    policy = WitnessPolicy(tuple(w.verifier for w in witnesses), required)
    return Client(line.url, line.tokens[party], witnesses=policy)


def test_a_witness_that_is_down_delays_its_cosignature_and_never_a_write(
    db: str, tmp_path: Path
) -> None:
    port = free_port()
    cosigner = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    line = start_server(
        db, seed_parties(db), witnesses=witness_setting((f"http://127.0.0.1:{port}", cosigner))
    )
    witness: LiveWitness | None = None
    try:
        with line.client("coalition") as coalition:
            started = time.monotonic()
            for number in range(3):
                answer = coalition.post("/v1/zones", json=zone_body(f"zone-{number}"))
                assert answer.status_code == 201
            assert time.monotonic() - started < 3  # no write waited for the witness
            note = coalition.get("/v1/log/checkpoint").text
            assert cosignatures(note, [cosigner.verifier]) == {}
            witness = start_witness(tmp_path / "witness.json", [log_key(line)], cosigner, port)
            with client(line, "coalition", cosigner) as party:
                first = party.witnessed_checkpoint(wait_s=30)
                assert first.witnesses.keys() == {"coalition.example/witness"}
                # The next commit is cosigned from the size the witness holds, with its proof.
                receipt = party.declare_zone(zone_body("zone-3"))["receipt"]
                assert party.witnessed_receipt(receipt, wait_s=30).checkpoint.size > (
                    first.checkpoint.size
                )
    finally:
        line.stop()
        if witness is not None:
            witness.stop()


def copy_line(db: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A copy of a stopped line's store, its log key and head file: the operator's fork. On
    PostgreSQL, a database made from the line's as a template."""
    if is_postgres_url(db):
        databases: Databases = request.getfixturevalue("databases")
        fork = databases.copy(db)
    else:
        fork = str(tmp_path / "fork.db")
        with sqlite3.connect(db) as source, sqlite3.connect(fork) as target:
            source.backup(target)
    shutil.copy(log_key_of(db), log_key_of(fork))
    shutil.copy(head_path(log_key_of(db)), head_path(log_key_of(fork)))
    return fork


def test_a_forked_record_never_gains_the_cosignature_of_the_party_it_is_shown_to(
    db: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    tokens = seed_parties(db)
    coalition_witness = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    russia_witness = Cosigner("russia.example/witness", Ed25519PrivateKey.generate())
    urls = [free_port(), free_port()]
    setting = witness_setting(
        (f"http://127.0.0.1:{urls[0]}", coalition_witness),
        (f"http://127.0.0.1:{urls[1]}", russia_witness),
    )
    line = start_server(db, tokens, witnesses=setting)
    key = log_key(line)
    witnesses = [
        start_witness(tmp_path / "coalition.json", [key], coalition_witness, urls[0]),
        start_witness(tmp_path / "russia.json", [key], russia_witness, urls[1]),
    ]
    fork: LiveServer | None = None
    try:
        with client(line, "coalition", coalition_witness, russia_witness, required=2) as party:
            party.declare_zone(zone_body("common"))
            party.witnessed_checkpoint(wait_s=30)  # both witnesses hold the common history
        line.stop()
        fork_db = copy_line(db, request, tmp_path)
        line = start_server(db, tokens, witnesses=setting)
        fork = start_server(fork_db, tokens, witnesses=setting)
        # The operator goes on with one history, which both witnesses see ...
        with client(line, "coalition", coalition_witness, russia_witness, required=2) as both:
            honest = both.declare_zone(zone_body("honest"))["receipt"]
            assert both.witnessed_receipt(honest, wait_s=30)
        # ... and shows Russia another, signed with the same key.
        with client(fork, "russia", russia_witness) as russia:
            forked = russia.declare_zone(zone_body("forked"))["receipt"]
            seen = open_checkpoint(russia.checkpoint(), [key], origin=key.name)
            assert seen.size == forked["tree_size"]  # the line's signature alone checks out
            with pytest.raises(NotWitnessed, match=r"russia\.example/witness"):
                russia.witnessed_receipt(forked, wait_s=3)
            with pytest.raises(NotWitnessed):
                russia.witnessed_checkpoint(wait_s=1)
        # Shown the history its witness saw, Russia trusts it.
        with client(line, "russia", russia_witness) as russia:
            assert russia.witnessed_checkpoint(wait_s=30).checkpoint.size >= honest["tree_size"]
    finally:
        line.stop()
        if fork is not None:
            fork.stop()
        for witness in witnesses:
            witness.stop()


def test_a_witness_changes_its_key_and_parties_that_know_both_keep_trusting(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "line.db")
    port = free_port()
    old = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    new = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    url = f"http://127.0.0.1:{port}"
    line = start_server(db, seed_parties(db), witnesses=witness_setting((url, old), (url, new)))
    state = tmp_path / "witness.json"
    witness = start_witness(state, [log_key(line)], old, port)
    try:
        with client(line, "coalition", old, new) as both, client(line, "aid", old) as stale:
            both.declare_zone(zone_body("before"))
            assert both.witnessed_checkpoint(wait_s=30).witnesses
            assert stale.witnessed_checkpoint(wait_s=30).witnesses
            witness.stop()
            witness = start_witness(state, [log_key(line)], new, port)  # same state, new key
            after = both.declare_zone(zone_body("after"))["receipt"]
            assert both.witnessed_receipt(after, wait_s=30)
            with pytest.raises(NotWitnessed):  # a party that never learned the new key
                stale.witnessed_checkpoint(wait_s=1, at_least=after["tree_size"])
    finally:
        line.stop()
        witness.stop()


def test_two_nodes_on_one_postgres_database_serve_only_cosignatures_over_what_they_serve(
    databases: Databases, tmp_path: Path
) -> None:
    db = databases.new()
    tokens = seed_parties(db)
    cosigners = [
        Cosigner("coalition.example/witness", Ed25519PrivateKey.generate()),
        Cosigner("russia.example/witness", Ed25519PrivateKey.generate()),
    ]
    ports = [free_port(), free_port()]
    setting = witness_setting(
        *((f"http://127.0.0.1:{port}", c) for port, c in zip(ports, cosigners, strict=True))
    )
    nodes = [start_server(db, tokens, witnesses=setting) for _ in range(2)]
    key = log_key(nodes[0])
    witnesses = [
        start_witness(tmp_path / f"{number}.json", [key], cosigner, port)
        for number, (port, cosigner) in enumerate(zip(ports, cosigners, strict=True))
    ]
    verifiers = [c.verifier for c in cosigners]
    try:
        for number in range(6):  # the nodes take turns, each asking the witnesses itself
            with nodes[number % 2].client("coalition") as coalition:
                answer = coalition.post("/v1/zones", json=zone_body(f"zone-{number}"))
                assert answer.status_code == 201
                # Whatever a node serves meanwhile, every line on it is a cosignature over it.
                served = coalition.get("/v1/log/checkpoint").text
                cosignatures(served, verifiers)  # raises if any known line does not verify
                assert _foreign_lines(served, verifiers) == []
        size = answer.json()["receipt"]["tree_size"]
        for node in nodes:
            with client(node, "aid", *cosigners, required=2) as party:
                witnessed = party.witnessed_checkpoint(wait_s=30, at_least=size)
                assert witnessed.witnesses.keys() == {c.name for c in cosigners}
                assert _foreign_lines(witnessed.note, verifiers) == []
    finally:
        for node in nodes:
            node.stop()
        for witness in witnesses:
            witness.stop()
        databases.release(db)


def _foreign_lines(note: str, verifiers: list[CosignatureVerifier]) -> list[str]:
    """The signature lines of a note that are neither the log's nor a witness's cosignature
    over exactly this note's text (a node that kept another node's lines would show them)."""
    text, lines = note[: note.rfind("\n\n") + 1], note[note.rfind("\n\n") + 2 :].splitlines()
    return [
        line
        for line in lines[1:]  # the first is the log's own signature
        if not cosignatures(text + "\n" + line + "\n", verifiers)
    ]


def witness_status(line: LiveServer, party: str = "aid-duty") -> dict[str, Any]:
    with line.client(party) as reader:
        answer = reader.get("/v1/log/witnesses")
    assert answer.status_code == 200, answer.text
    status: dict[str, Any] = answer.json()
    return status


def until(line: LiveServer, seen: Callable[[dict[str, Any]], bool], wait_s: float = 30) -> Any:
    """The first witness status of the line that `seen` accepts, asked every 0.1 s."""
    deadline = time.monotonic() + wait_s
    while True:
        status = witness_status(line)
        if seen(status):
            return status
        assert time.monotonic() < deadline, f"not seen within {wait_s} s: {status}"
        time.sleep(0.1)


def test_every_party_sees_whether_each_witness_cosigned_and_which_one_lags_and_why(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "line.db")
    port = free_port()
    cosigner = Cosigner("coalition.example/witness", Ed25519PrivateKey.generate())
    url = f"http://127.0.0.1:{port}"
    line = start_server(
        db, seed_parties(db), witnesses=witness_setting((url, cosigner)), witness_alert_s=1
    )
    state = tmp_path / "witness.json"
    witness = start_witness(state, [log_key(line)], cosigner, port)
    try:
        with line.client("coalition") as coalition:
            assert coalition.post("/v1/zones", json=zone_body("before")).status_code == 201
        up = until(line, lambda status: status["witnesses"][0]["cosigned"])
        assert up["alert_s"] == 1
        assert up["witnesses"] == [
            {
                "name": "coalition.example/witness",
                "cosigned": True,
                "cosigned_size": up["size"],
                "cosigned_at": up["witnesses"][0]["cosigned_at"],
                "behind_since": None,
                "lagging": False,
                "error": None,
            }
        ]
        cosigned_at = datetime.fromisoformat(up["witnesses"][0]["cosigned_at"])
        assert abs((datetime.now(UTC) - cosigned_at).total_seconds()) < 30
        witness.stop()
        with line.client("coalition") as coalition:
            assert coalition.post("/v1/zones", json=zone_body("after")).status_code == 201
        down = until(line, lambda status: status["witnesses"][0]["lagging"])
        stopped = down["witnesses"][0]
        assert down["size"] > up["size"]
        assert (stopped["cosigned"], stopped["cosigned_size"]) == (False, up["size"])
        assert stopped["cosigned_at"] == up["witnesses"][0]["cosigned_at"]
        behind = datetime.fromisoformat(stopped["behind_since"])
        assert datetime.now(UTC) - behind >= timedelta(seconds=1)
        assert "cannot connect" in stopped["error"]
        assert "reachable from the line" in stopped["error"]
        assert "Traceback" not in stopped["error"]
        witness = start_witness(state, [log_key(line)], cosigner, port)
        back = until(line, lambda status: status["witnesses"][0]["cosigned"])["witnesses"][0]
        assert (back["cosigned_size"], back["behind_since"], back["lagging"]) == (
            down["size"],
            None,
            False,
        )
        assert back["error"] is None
    finally:
        line.stop()
        witness.stop()


def test_a_line_without_witnesses_lists_none_and_a_stranger_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "line.db")
    line = start_server(db, seed_parties(db))
    try:
        # The record holds the three parties' registrations; nobody is asked to cosign it.
        assert witness_status(line) == {"size": 3, "alert_s": 600, "witnesses": []}
        with line.client() as stranger:
            refused = stranger.get("/v1/log/witnesses")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
    finally:
        line.stop()
