"""A real server on loopback over a real store, with three parties and their tokens.

`live` runs each test twice: over a SQLite file and over a PostgreSQL database of its own.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.api.witness_app import create_witness_app
from deconflict.line.parties import Party, Role, issue_token, register_party
from deconflict.record.cosignature import Cosigner
from deconflict.record.note import NoteVerifier
from deconflict.record.witness import Witness
from deconflict.server import create_app
from deconflict.settings import Settings
from deconflict.store import is_postgres_url, open_store
from deconflict.store.witness_state import WitnessStateFile
from tests.backends import log_key_of

NOW = datetime(2026, 9, 6, 20, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_in_thread(
    app: Any, port: int, what: str, **config: Any
) -> tuple[uvicorn.Server, threading.Thread]:
    """`app` served by uvicorn on 127.0.0.1:`port` in a daemon thread, once it has started
    (10 s at most; `what` names it if it does not)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test {what} did not start within 10 s")
        time.sleep(0.02)
    return server, thread


@dataclass
class LiveServer:
    url: str
    db: str
    tokens: dict[str, str]
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, party: str | None = None, token: str | None = None) -> httpx.Client:
        """An HTTP client speaking as `party` (planner token) or with an explicit token."""
        headers = {}
        if party is not None or token is not None:
            headers["Authorization"] = f"Bearer {token or self.tokens[party or '']}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    @property
    def log_key(self) -> Path:
        """The PEM file of the key that signs the record's checkpoints."""
        return log_key_of(self.db)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def seed_parties(db: str | Path) -> dict[str, str]:
    """coalition (en), russia (ru), aid (ar); planner, duty and admin tokens for each."""
    store = open_store(db)
    tokens = {}
    for party in (
        Party("coalition", "Coalition", "en", "TOC duty officer", "coalition watch floor"),
        Party("russia", "Russian forces", "ru", "Hmeimim duty officer", "Hmeimim command"),
        Party("aid", "Aid agency", "ar", "aid security desk"),
    ):
        tokens[f"{party.id}-admin"] = register_party(store, party, NOW)
        tokens[party.id] = issue_token(store, party.id, Role.PLANNER, NOW)
        tokens[f"{party.id}-duty"] = issue_token(store, party.id, Role.DUTY, NOW)
    store.close()
    return tokens


def start_server(db: str | Path, tokens: dict[str, str], **settings: Any) -> LiveServer:
    """A server over `db` (a SQLite path or a PostgreSQL URL) in a thread, until `stop`."""
    port = free_port()
    if is_postgres_url(db):
        settings.setdefault("log_key", log_key_of(db))  # not in the working directory
    app = create_app(Settings(db=str(db), **settings), poll_s=0.2)
    server, thread = serve_in_thread(app, port, "server", lifespan="on")
    return LiveServer(f"http://127.0.0.1:{port}", str(db), tokens, server, thread)


@pytest.fixture
def live(db: str) -> Iterator[LiveServer]:
    server = start_server(db, seed_parties(db))
    yield server
    server.stop()


def zone_body(fid: str = "at-tanf", radius_m: float = 55_000, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [38.64, 33.5]},
        "properties": {
            "kind": "zone",
            "start": "2026-01-01T00:00:00Z",
            "radius_m": radius_m,
            "name": "At Tanf",
            **properties,
        },
    }


def strike_body(fid: str = "strike-1", lon: float = 38.7, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, 33.5]},
        "properties": {
            "kind": "activity",
            "activity": "strike",
            "radius_m": 1500,
            "start": "2030-09-06T22:00:00Z",
            "end": "2030-09-07T02:00:00Z",
            **properties,
        },
    }


@dataclass
class LiveWitness:
    url: str
    cosigner: Cosigner
    state: Path
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def key(self) -> str:
        """Its verifier key, as a party pins it and the line's `witnesses` setting names it."""
        return self.cosigner.verifier.to_text()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_witness(
    state: Path,
    log_keys: list[NoteVerifier],
    cosigner: Cosigner | None = None,
    port: int | None = None,
) -> LiveWitness:
    """A party's witness of the logs of `log_keys` (origin: the key's name) in a thread, its
    state in the file `state`, on `port` (a free one by default), until `stop`."""
    cosigner = cosigner or Cosigner("party.example/witness", Ed25519PrivateKey.generate())
    logs: dict[str, list[NoteVerifier]] = {}
    for key in log_keys:
        logs.setdefault(key.name, []).append(key)
    witness = Witness(cosigner, logs, WitnessStateFile(state), lambda: int(time.time()))
    port = port or free_port()
    server, thread = serve_in_thread(create_witness_app(witness), port, "witness")
    return LiveWitness(f"http://127.0.0.1:{port}", cosigner, state, server, thread)
