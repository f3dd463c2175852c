"""The Python client against a real server on loopback over a real SQLite file."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from itertools import islice
from pathlib import Path

import pytest

from deconflict.client import ApiError, Client, ServerUnreachable, StreamEvent
from deconflict.errors import DeconflictError
from tests.api.conftest import (
    LiveServer,
    free_port,
    seed_parties,
    start_server,
    strike_body,
    zone_body,
)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    db = tmp_path / "line.db"
    server = start_server(db, seed_parties(db))
    yield server
    server.stop()


@pytest.fixture
def line(live: LiveServer) -> Iterator[dict[str, Client]]:
    """A client per party (planner tokens); the coalition has declared At Tanf."""
    clients = {party: Client(live.url, live.tokens[party]) for party in ("coalition", "russia")}
    clients["coalition"].declare_zone(zone_body())
    yield clients
    for client in clients.values():
        client.close()


class LossyProxy:
    """A loopback TCP proxy to the server that breaks its first connection, then relays.

    `cut(received)` sees what the server has answered so far on that first
    connection and says how many of those bytes reach the client before the
    proxy hangs up (None: not yet).
    """

    def __init__(self, upstream: str, cut: Callable[[bytes], int | None]) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.cut = cut
        self.connections = 0
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()
        for sock in self._sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the relays; the server sees a hang-up
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            first = self.connections == 1
            threading.Thread(target=self._forward, args=(client, server), daemon=True).start()
            threading.Thread(target=self._answer, args=(server, client, first), daemon=True).start()

    @staticmethod
    def _forward(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass

    def _answer(self, server: socket.socket, client: socket.socket, first: bool) -> None:
        received, sent = b"", 0
        try:
            while data := server.recv(65536):
                received += data
                limit = self.cut(received) if first else None
                end = len(received) if limit is None else limit
                client.sendall(received[sent:end])
                sent = max(sent, end)
                if limit is not None:
                    break
        except OSError:
            pass
        for sock in (client, server):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _first(events: Iterator[StreamEvent], count: int) -> list[StreamEvent]:
    """The first `count` events; the stream closes when the iterator is dropped."""
    return list(islice(events, count))


def test_me_names_the_party_and_role_of_the_token(live: LiveServer) -> None:
    with Client(live.url, live.tokens["russia"]) as client:
        assert client.me() == {
            "party": "russia",
            "name": "Russian forces",
            "language": "ru",
            "role": "planner",
        }
        assert {p["id"] for p in client.parties()["parties"]} == {"coalition", "russia", "aid"}


def test_strike_inside_the_zone_comes_back_with_its_conflict_and_notices(
    line: dict[str, Client],
) -> None:
    answer = line["russia"].notify(strike_body())
    assert [(c["feature"], c["against"]) for c in answer["conflicts"]] == [("strike-1", "at-tanf")]
    priority = {n["recipient"]: n["priority"] for n in answer["notices"]}
    assert priority == {"coalition": True, "aid": False}
    inbox = line["coalition"].inbox()["notices"]
    assert [(n["feature"], n["priority"]) for n in inbox] == [("strike-1", True)]
    thread = line["coalition"].notice(inbox[0]["id"])["notice"]["thread"]
    assert [m["code"] for m in thread] == ["notification", "conflict_warning"]


def test_objection_then_amendment_out_of_the_zone_then_acknowledgement(
    line: dict[str, Client],
) -> None:
    coalition, russia = line["coalition"], line["russia"]
    russia.notify(strike_body())
    first = coalition.inbox()["notices"][0]["id"]
    objected = coalition.respond(first, "objection", reason="forces_present", text="our advisers")
    assert objected["notice"]["response"] == "objection"
    russia.reply(first, "moving it")
    moved = strike_body(lon=39.4)
    del moved["properties"]["kind"]  # amend finds the kind the line has stored
    amended = russia.amend(moved)
    assert amended["feature"]["properties"]["version"] == 2
    assert amended["conflicts"] == []
    second = next(n for n in coalition.inbox()["notices"] if n["version"] == 2)
    assert coalition.respond(second["id"], "acknowledged")["notice"]["state"] == "responded"
    outbox = russia.outbox()["notices"]
    assert {(n["version"], n["recipient"], n["response"]) for n in outbox} >= {
        (1, "coalition", "objection"),
        (2, "coalition", "acknowledged"),
    }
    assert [v["version"] for v in russia.feature("strike-1")["history"]] == [1, 2]


def test_dry_run_stores_nothing_and_cancel_removes_the_feature(line: dict[str, Client]) -> None:
    russia = line["russia"]
    assert len(russia.check(strike_body("draft"))["conflicts"]) == 1
    assert "draft" not in {f["id"] for f in russia.features()["features"]}
    russia.notify(strike_body("strike-9", lon=39.4))
    russia.cancel("strike-9")
    assert "strike-9" not in {f["id"] for f in russia.features()["features"]}
    cancelled = russia.features(include_cancelled=True)["features"]
    assert "strike-9" in {f["id"] for f in cancelled}


def test_invalid_feature_raises_api_error_carrying_the_problem_fields(
    line: dict[str, Client],
) -> None:
    with pytest.raises(ApiError) as caught:
        line["russia"].notify(strike_body("bad", start="tomorrow"))
    error = caught.value
    assert isinstance(error, DeconflictError)
    assert error.status == 422
    assert (error.feature_id, error.field, error.value) == ("bad", "start", "tomorrow")
    assert error.errors[0]["field"] == "start"
    assert error.problem["request_id"]
    assert "feature 'bad', field 'start'" in str(error)


def test_objection_without_a_reason_names_the_field(line: dict[str, Client]) -> None:
    line["russia"].notify(strike_body())
    notice = line["coalition"].inbox()["notices"][0]["id"]
    with pytest.raises(ApiError) as caught:
        line["coalition"].respond(notice, "objection")
    assert (caught.value.status, caught.value.field) == (422, "reason")


def test_unknown_token_is_refused_and_not_repeated(live: LiveServer) -> None:
    token = "dcf_00000000_not-a-real-token"
    with Client(live.url, token) as client, pytest.raises(ApiError) as caught:
        client.inbox()
    assert caught.value.status == 401
    assert token not in str(caught.value) and token not in repr(caught.value.problem)


def test_unreachable_server_raises_server_unreachable_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, "dcf_secret", timeout_s=2) as client, pytest.raises(ServerUnreachable) as got:
        client.me()
    assert got.value.url == url
    assert url in str(got.value) and "dcf_secret" not in str(got.value)


def test_same_idempotency_key_twice_makes_one_notice(line: dict[str, Client]) -> None:
    first = line["russia"].notify(strike_body(), idempotency_key="strike-1-once")
    again = line["russia"].notify(strike_body(), idempotency_key="strike-1-once")
    assert again == first
    assert len(line["coalition"].inbox()["notices"]) == 1


def test_same_key_for_a_different_request_is_refused(line: dict[str, Client]) -> None:
    line["russia"].notify(strike_body(), idempotency_key="k")
    with pytest.raises(ApiError) as caught:
        line["russia"].notify(strike_body("strike-2"), idempotency_key="k")
    assert (caught.value.status, caught.value.field) == (409, "Idempotency-Key")


def test_answer_lost_after_commit_is_retried_with_the_same_key_and_makes_one_notice(
    live: LiveServer, line: dict[str, Client]
) -> None:
    proxy = LossyProxy(live.url, cut=lambda received: 0)  # the server answered; nobody hears it
    try:
        with Client(proxy.url, live.tokens["russia"]) as russia:
            answer = russia.notify(strike_body())
    finally:
        proxy.close()
    assert proxy.connections == 2
    assert answer["feature"]["id"] == "strike-1"
    assert [n["feature"] for n in line["coalition"].inbox()["notices"]] == ["strike-1"]


class FailsFirstAnswer(LossyProxy):
    """A proxy that lets the first request reach the server, then answers it 500 itself: the
    write is stored and notified, and the client is told it failed."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, cut=lambda received: None)

    def _answer(self, server: socket.socket, client: socket.socket, first: bool) -> None:
        if not first:
            super()._answer(server, client, first)
            return
        with suppress(OSError):
            server.recv(65536)  # the server's own answer: it has committed
            client.sendall(
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/problem+json"
                b"\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"
            )
        for sock in (client, server):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize("unicode_id", ["strike-1", "удар-3"])
def test_a_stored_write_answered_500_is_retried_with_its_key_and_reported_stored(
    live: LiveServer, line: dict[str, Client], unicode_id: str
) -> None:
    proxy = FailsFirstAnswer(live.url)
    try:
        with Client(proxy.url, live.tokens["russia"]) as russia:
            answer = russia.notify(strike_body(unicode_id))
    finally:
        proxy.close()
    assert proxy.connections == 2
    assert answer["feature"]["id"] == unicode_id
    assert [n["feature"] for n in line["coalition"].inbox()["notices"]] == [unicode_id]


def _three_notices(line: dict[str, Client]) -> None:
    for number in range(3):
        line["russia"].notify(strike_body(f"strike-{number}", lon=39.4 + number / 10))


def test_events_after_an_id_start_just_after_it(line: dict[str, Client]) -> None:
    _three_notices(line)
    every = _first(line["coalition"].events(timeout_s=5), 3)
    assert [e.kind for e in every] == ["notice"] * 3
    assert [e.data["feature"] for e in every] == ["strike-0", "strike-1", "strike-2"]
    later = _first(line["coalition"].events(after=every[0].id, timeout_s=5), 2)
    assert later == every[1:]


def _inside_the_second_event(received: bytes) -> int | None:
    first = received.find(b"event: ")
    second = received.find(b"event: ", first + 1) if first >= 0 else -1
    return None if second < 0 else second + 3  # its "id:" line arrives, the event does not


def test_dropped_event_stream_resumes_with_last_event_id_without_loss_or_repeat(
    live: LiveServer, line: dict[str, Client]
) -> None:
    _three_notices(line)
    expected = _first(line["coalition"].events(timeout_s=5), 3)
    proxy = LossyProxy(live.url, cut=_inside_the_second_event)
    try:
        with Client(proxy.url, live.tokens["coalition"]) as coalition:
            got = _first(coalition.events(timeout_s=10), 3)
    finally:
        proxy.close()
    assert proxy.connections == 2
    assert got == expected


def test_bounded_event_stream_ends_on_time_when_nothing_happens(line: dict[str, Client]) -> None:
    started = time.monotonic()
    assert list(line["coalition"].events(after=10_000, timeout_s=1.5)) == []
    assert 1.4 <= time.monotonic() - started < 3.5


def test_live_event_arrives_on_an_open_stream(line: dict[str, Client]) -> None:
    stream = line["coalition"].events(timeout_s=10)
    later = threading.Timer(0.5, lambda: line["russia"].notify(strike_body()))
    later.start()
    [event] = _first(stream, 1)
    later.join()
    assert (event.kind, event.data["feature"], event.data["priority"]) == (
        "notice",
        "strike-1",
        True,
    )


def test_an_admin_issues_and_revokes_its_partys_tokens_and_only_those(live: LiveServer) -> None:
    with Client(live.url, live.tokens["russia-admin"]) as admin:
        issued = admin.issue_token("duty")
        assert (issued["party"], issued["role"]) == ("russia", "duty")
        with Client(live.url, issued["token"]) as duty:
            assert duty.me()["role"] == "duty"
            with pytest.raises(ApiError) as refused:
                duty.issue_token("admin")
            assert refused.value.status == 403
            assert admin.revoke_token(issued["token_id"])["revoked"] is True
            with pytest.raises(ApiError) as revoked:
                duty.me()
            assert revoked.value.status == 401
        theirs = live.tokens["coalition"].split("_")[1]
        with pytest.raises(ApiError) as not_ours:
            admin.revoke_token(theirs)
        assert (not_ours.value.status, not_ours.value.field) == (404, "token")
    with Client(live.url, live.tokens["coalition"]) as coalition:
        assert coalition.me()["party"] == "coalition"


def test_a_planner_cannot_register_the_partys_signing_key(live: LiveServer) -> None:
    public_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    with Client(live.url, live.tokens["russia"]) as planner:
        with pytest.raises(ApiError) as refused:
            planner.register_key(public_key)
        assert refused.value.status == 403
    with Client(live.url, live.tokens["russia-admin"]) as admin:
        assert admin.register_key(public_key) == {"party": "russia", "public_key": public_key}
