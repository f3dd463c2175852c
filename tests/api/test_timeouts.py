"""HTTP deadlines: headers, bodies and idle connections, on a real uvicorn over loopback.

The server runs as `deconflict serve` runs it (`quiet_server`), with deadlines
short enough for a quick test: a request's headers and its body must each
arrive within 1 s, an idle connection is closed after 1 s.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from deconflict.server import create_app, quiet_server
from deconflict.settings import Settings
from tests.api.conftest import free_port, seed_parties, zone_body

DEADLINE_S = 1
SLACK_S = 1.5  # a loaded machine's scheduling, on top of the deadline


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """The port of a server with 1 s deadlines, and a planner's token."""
    db = tmp_path_factory.mktemp("deadlines") / "line.db"
    tokens = seed_parties(db)
    settings = Settings(
        db=str(db),
        port=free_port(),
        header_timeout_s=DEADLINE_S,
        body_timeout_s=DEADLINE_S,
        keep_alive_s=DEADLINE_S,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, poll_s=0.2), lifespan="on", **quiet_server(settings))
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = time.monotonic()
    while not server.started:
        assert time.monotonic() - started < 10, "the server did not start within 10 s"
        time.sleep(0.02)
    yield settings.port, tokens["aid"]
    server.should_exit = True
    thread.join(10)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def until_closed(sock: socket.socket, within_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and the seconds that took;
    fails if it is still open after `within_s`."""
    started = time.monotonic()
    received = b""
    while True:
        left = within_s - (time.monotonic() - started)
        assert left > 0, f"still open after {within_s} s; received {received[:200]!r}"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"still open after {within_s} s; received {received[:200]!r}")
        if not chunk:
            return received, time.monotonic() - started
        received += chunk


def problem_in(answer: bytes) -> dict[str, object]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), head
    assert b"content-type: application/problem+json" in head.lower()
    problem: dict[str, object] = json.loads(body)
    assert problem["status"] == 408
    return problem


def test_a_connection_that_sends_half_its_headers_is_answered_408_and_closed(
    served: tuple[int, str],
) -> None:
    with connect(served[0]) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\nX-Half: ")
        answer, took_s = until_closed(sock, DEADLINE_S + SLACK_S)
    problem = problem_in(answer)
    assert problem["field"] == "headers"
    assert "did not arrive within 1 s" in str(problem["detail"])
    assert took_s >= DEADLINE_S * 0.8


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    served: tuple[int, str],
) -> None:
    with connect(served[0]) as sock:
        answer, took_s = until_closed(sock, DEADLINE_S + SLACK_S)
    assert answer == b""
    assert took_s >= DEADLINE_S * 0.8


def test_a_request_whose_body_stops_half_way_is_answered_408_and_closed(
    served: tuple[int, str],
) -> None:
    port, token = served
    body = json.dumps(zone_body("camp")).encode()
    with connect(port) as sock:
        sock.sendall(
            b"POST /v1/zones HTTP/1.1\r\nHost: line\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        answer, took_s = until_closed(sock, DEADLINE_S + SLACK_S)
    assert problem_in(answer)["field"] == "body"
    assert took_s >= DEADLINE_S * 0.8


def test_the_next_request_on_a_kept_connection_has_its_header_deadline_too(
    served: tuple[int, str],
) -> None:
    with connect(served[0]) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\n\r\n")
        sock.settimeout(5)
        first = b""
        for _ in range(10):  # the answer's head and body may come apart
            first += sock.recv(65536)
            if first.endswith(b'{"status":"ok"}'):
                break
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        answer, took_s = until_closed(sock, DEADLINE_S + SLACK_S)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert problem_in(answer)["field"] == "headers"
    assert took_s >= DEADLINE_S * 0.8


def test_an_idle_keep_alive_connection_is_closed(served: tuple[int, str]) -> None:
    with connect(served[0]) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: line\r\n\r\n")
        answer, took_s = until_closed(sock, DEADLINE_S + SLACK_S)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b'{"status":"ok"}')
    assert took_s >= DEADLINE_S * 0.8


def test_a_slow_request_within_its_deadlines_is_answered(served: tuple[int, str]) -> None:
    port, token = served
    body = json.dumps(zone_body("slow-camp")).encode()
    head = (
        b"POST /v1/zones HTTP/1.1\r\nHost: line\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    )
    with connect(port) as sock:
        for piece in (head[:20], head[20:60], head[60:], body[:40], body[40:]):
            sock.sendall(piece)  # the headers over 0.7 s, then the body over 0.7 s
            time.sleep(DEADLINE_S * 0.35)
        sock.settimeout(10)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:300]


def test_an_event_stream_outlives_every_deadline(served: tuple[int, str]) -> None:
    port, token = served
    with connect(port) as sock:
        sock.sendall(
            b"GET /v1/events HTTP/1.1\r\nHost: line\r\n"
            + f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        sock.settimeout(5)
        first = sock.recv(65536)
        time.sleep(3 * DEADLINE_S)
        sock.setblocking(False)
        try:
            later = sock.recv(65536)
        except BlockingIOError:
            later = None  # open, and nothing new to say
    assert first.startswith(b"HTTP/1.1 200 ")
    assert later != b"", "the server closed a live event stream"


def test_the_serve_arguments_carry_the_deadlines_and_the_bound_on_connections(
    tmp_path: Path,
) -> None:
    settings = Settings(db=str(tmp_path / "x.db"), keep_alive_s=7, max_connections=99)
    served = quiet_server(settings)
    assert (served["timeout_keep_alive"], served["limit_concurrency"]) == (7, 99)
    assert (served["http"].header_timeout_s, served["http"].body_timeout_s) == (10, 60)
