"""Deadlines on what a client sends: a request's headers, then its body, must arrive in time.

uvicorn closes a connection left idle between requests (`timeout_keep_alive`),
but sets no deadline on a request being received: a client that opens a
connection and sends nothing, half its headers, or its headers and half a
body holds the connection, and what it sent, for ever; a few hundred such
clients hold the server. `with_deadlines` gives uvicorn's h11 protocol both
deadlines (served by `deconflict serve`, as `uvicorn.Config(http=...)`).

When a deadline passes the connection is closed, after a 408 problem+json
answer where one can still be given: to a request begun but not whole, not to
a connection that sent nothing (as an idle keep-alive one is closed).
"""

from __future__ import annotations

import asyncio
import logging
from enum import Enum
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

from deconflict.api.problems import problem

log = logging.getLogger("deconflict.api")


class _Awaited(Enum):
    HEADERS = "headers"
    BODY = "body"


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for a request's headers (from the connection's
    opening, or from the first byte after a keep-alive pause) and one for its body (from
    the end of its headers)."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._awaited: _Awaited | None = None
        self._begun = False  # some bytes of the awaited headers have arrived
        self._seen: RequestResponseCycle | None = None  # the last request whose headers came

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]  # uvicorn's own override
        self._await(_Awaited.HEADERS, self.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._awaited is None and self._between_requests():
            self._await(_Awaited.HEADERS, self.header_timeout_s)
        if self._awaited is _Awaited.HEADERS:
            self._begun = True
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()  # a pipelined request may have been read just now

    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _follow(self) -> None:
        """Move the deadline on as h11 reads: headers whole, then body whole."""
        cycle = self.cycle
        if cycle is not None and cycle is not self._seen:
            self._seen = cycle
            self._cancel()
            if cycle.more_body:
                self._await(_Awaited.BODY, self.body_timeout_s)
        elif self._awaited is _Awaited.BODY and cycle is not None and not cycle.more_body:
            self._cancel()

    def _await(self, awaited: _Awaited, timeout_s: float) -> None:
        self._cancel()
        self._awaited = awaited
        self._begun = False
        self._deadline = self.loop.call_later(timeout_s, self._expired)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._awaited = None

    def _expired(self) -> None:
        awaited, begun = self._awaited, self._begun
        self._deadline, self._awaited = None, None
        if awaited is None or self.transport.is_closing():
            return
        timeout_s = self.header_timeout_s if awaited is _Awaited.HEADERS else self.body_timeout_s
        if begun if awaited is _Awaited.HEADERS else self._unanswered():
            self.transport.write(_timeout_answer(awaited.value, timeout_s))
        log.info(
            "closed a connection: the request's %s did not arrive within %s s client=%s",
            awaited.value,
            timeout_s,
            self.client,
        )
        self.transport.close()

    def _unanswered(self) -> bool:
        return self.cycle is not None and not self.cycle.response_started


def _timeout_answer(what: str, timeout_s: float) -> bytes:
    """A whole HTTP/1.1 408 answer, problem+json, that closes the connection."""
    answer = problem(
        None,
        408,
        f"the request's {what} did not arrive within {timeout_s:g} s; the connection is closed",
        field=what,
        params={"timeout_s": timeout_s},
    )
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        f"content-type: {answer.media_type}\r\n"
        f"content-length: {len(answer.body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + bytes(answer.body)


def with_deadlines(header_timeout_s: float, body_timeout_s: float) -> type[DeadlineProtocol]:
    """The protocol class (for `uvicorn.Config(http=...)`) that holds these deadlines."""
    return type(
        "DeadlineProtocol",
        (DeadlineProtocol,),
        {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s},
    )
