"""Reading a party's server-sent events over a real connection, as a console does."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.api.consoles import Console

Event = dict[str, Any]


@dataclass
class Received:
    """What came down the stream: the raw text, and the events parsed from it."""

    text: str = ""
    events: list[Event] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [e["kind"] for e in self.events]


def read_stream(
    console: Console,
    *,
    until: Callable[[Event], bool] | None = None,
    quiet_s: float = 1.0,
    within_s: float = 5.0,
) -> Received:
    """The console's stream from its beginning, read until an event matches `until` or,
    without `until`, until the stream has been quiet for `quiet_s` (all stored events came)."""
    received = Received()
    timeout = httpx.Timeout(within_s, read=within_s if until else quiet_s)
    deadline = time.monotonic() + within_s
    with console.stream("/v1/events", timeout) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        try:
            for event in _parse(response.iter_lines(), received):
                received.events.append(event)
                if (until is not None and until(event)) or time.monotonic() > deadline:
                    break
        except httpx.ReadTimeout:
            pass
    return received


def _parse(lines: Iterator[str], received: Received) -> Iterator[Event]:
    event: Event = {}
    for line in lines:
        received.text += line + "\n"
        if not line:
            if "data" in event:
                yield event
            event = {}
        elif line.startswith("id: "):
            event["id"] = int(line[4:])
        elif line.startswith("event: "):
            event["kind"] = line[7:]
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])
