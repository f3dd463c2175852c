"""Real server processes on one database: a cluster of API nodes, as deployed.

Each node is `uvicorn --factory deconflict.server:app_from_env` configured only
through DECONFLICT_* variables, all signing the record with one log key: on
PostgreSQL, node processes of their own; on a SQLite file, the worker processes
of one uvicorn (`--workers`). Deadlines are 1 s and the nodes tick every second,
so escalation races for real.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from deconflict.record.note import generate_signer
from tests.api.conftest import free_port, seed_parties
from tests.backends import Databases, sign_head

ORIGIN = "deconflict.test/multinode"


@dataclass
class Node:
    """One API node: a uvicorn process of its own."""

    url: str
    process: subprocess.Popen[bytes]
    workers: int = 1
    """Worker processes under this one uvicorn, taking its connections as the kernel hands them."""
    startup_log: Path | None = None

    def workers_connected(self) -> set[int]:
        """The ids of this uvicorn's processes holding a client's connection now (from /proc)."""
        port = f":{int(self.url.rsplit(':', 1)[1]):04X}"
        with open("/proc/net/tcp") as table:  # local address, state (01: established), inode
            rows = [row.split() for row in table]
        inodes = {f"socket:[{row[9]}]" for row in rows if row[1].endswith(port) and row[3] == "01"}
        held = set()
        for pid in _children(self.process.pid):
            try:
                if any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir()):
                    held.add(pid)
            except OSError:
                continue  # gone, or the descriptor closed while looked at
        return held

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to the database."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    """Nodes on one database, the parties' tokens (planner as `party`, duty as `party-duty`),
    and the key the nodes sign the record with."""

    db: str
    nodes: list[Node]
    tokens: dict[str, str]
    log_key: Path

    def client(self, node: int, party: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[party]}"}
        return httpx.Client(base_url=self.nodes[node].url, headers=headers, timeout=10)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def _children(pid: int) -> list[int]:
    """The ids of a process's children (from /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(entry.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.parent.name))
        except (OSError, ValueError):
            continue
    return found


def start_node(db: str, log_key: Path, workers: int = 1, **settings: Any) -> Node:
    """One uvicorn serving `db`; with `workers` > 1, that many worker processes under it."""
    port = free_port()
    environ = {
        **os.environ,
        "DECONFLICT_DB": db,
        "DECONFLICT_LOG_KEY": str(log_key),
        "DECONFLICT_LOG_ORIGIN": ORIGIN,
        **{f"DECONFLICT_{name.upper()}": str(value) for name, value in settings.items()},
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "deconflict.server:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if workers == 1:
        return Node(f"http://127.0.0.1:{port}", subprocess.Popen(command, env=environ))
    # Each worker says "Application startup complete." once it has checked the store and listens.
    startup_log = log_key.with_name(f"{log_key.name}.{port}.log")
    command[-1:] = ["info", "--no-access-log", "--workers", str(workers)]
    with startup_log.open("wb") as said:
        process = subprocess.Popen(command, env=environ, stderr=said)
    return Node(f"http://127.0.0.1:{port}", process, workers, startup_log)


def wait_until_serving(node: Node, within_s: float = 30.0) -> None:
    """Until the node answers /healthz and, with workers, every one of them has started."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"the node at {node.url} exited with {node.process.returncode}")
        try:
            if httpx.get(f"{node.url}/healthz", timeout=1).status_code == 200 and (
                node.startup_log is None
                or node.startup_log.read_text().count("Application startup complete.")
                == node.workers
            ):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the node at {node.url} did not serve within {within_s} s")


def new_store(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """A store of its own for a cluster on `backend`: a SQLite file in `folder`, or a new
    PostgreSQL database."""
    if backend == "sqlite":
        return str(folder / "line.db")
    databases: Databases = request.getfixturevalue("databases")
    return databases.new()


def start_cluster(
    db: str, folder: Path, count: int = 2, *, workers: bool = False, **settings: Any
) -> Cluster:
    """`count` nodes on the database `db`, started together, sharing one log key. `workers`:
    the nodes are the worker processes of one uvicorn (as several processes serve a SQLite
    file), all at one address, so which worker takes a connection is the kernel's choice."""
    tokens = seed_parties(db)
    log_key = folder / "log-key.pem"
    log_key.write_bytes(generate_signer(ORIGIN)[2])
    log_key.chmod(0o600)
    sign_head(db, log_key, ORIGIN)  # the parties were added before the key was first used
    if workers:
        nodes = [start_node(db, log_key, count, **settings)] * count
    else:
        nodes = [start_node(db, log_key, **settings) for _ in range(count)]
    try:
        for node in nodes:
            wait_until_serving(node)
    except RuntimeError:
        for node in nodes:
            node.stop()
        raise
    return Cluster(db, nodes, tokens, log_key)


@pytest.fixture(scope="module")
def cluster(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three nodes on one database (the third is killed last); notices due after 1 s; every
    node ticks every second."""
    made = start_cluster(
        databases.new(), tmp_path_factory.mktemp("cluster"), 3, respond_within_s=1, tick_s=1
    )
    yield made
    made.stop()


@dataclass
class ConsoleStream:
    """A console's live event stream on one node, read in a thread as the events come."""

    url: str
    token: str
    last_event_id: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    cookies: dict[str, str] | None = None
    """A signed-in console's cookies, sent instead of the token when given."""

    def __post_init__(self) -> None:
        headers = {} if self.cookies else {"Authorization": f"Bearer {self.token}"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        self._client = httpx.Client(
            base_url=self.url,
            headers=headers,
            cookies=self.cookies,
            timeout=httpx.Timeout(5, read=30),
        )
        self._closing = False
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.connected.wait(10), f"no event stream from {self.url}"

    def _read(self) -> None:
        event: dict[str, Any] = {}
        try:
            with self._client.stream("GET", "/v1/events") as response:
                assert response.status_code == 200
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.connected.set()
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        event["id"] = int(line[4:])
                    elif line.startswith("event: "):
                        event["kind"] = line[7:]
                    elif line.startswith("data: "):
                        event["data"] = json.loads(line[6:])
                    elif not line and "id" in event:
                        self.events.append({**event, "at": time.monotonic()})
                        event = {}
        except (httpx.HTTPError, RuntimeError):
            if not self._closing:
                raise

    def wait_for(self, count: int, within_s: float = 10.0) -> list[dict[str, Any]]:
        """The first `count` events, once they have come."""
        deadline = time.monotonic() + within_s
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.events) >= count, f"{len(self.events)} of {count} events came"
        return self.events[:count]

    def close(self) -> None:
        """Hang up: shutting the socket down wakes the reader blocked on it."""
        self._closing = True
        if self._socket is not None:
            self._socket.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._client.close()
