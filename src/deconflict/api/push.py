"""Live push to consoles: server-sent events, resumable from the last event id.

Events are rows in the store, numbered in commit order, so a console that
reconnects with `Last-Event-ID` (or after a server restart) gets exactly
what it missed. Writers wake the streams in this process at once; a stream
also looks every `poll_s` seconds, which covers writers elsewhere.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from deconflict.line.model import Event
from deconflict.line.service import Line

KEEPALIVE_S = 15.0
_BATCH = 500


class Broadcast:
    """Wakes every waiting stream when something was committed. `notify` is thread-safe.

    A generation counter closes the race between a stream's query and its
    wait: a stream waits only if nothing was committed since it last looked.
    """

    def __init__(self) -> None:
        self.generation = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Future[None]] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def notify(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._bump)

    def _bump(self) -> None:
        self.generation += 1
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, seen: int, timeout_s: float) -> None:
        """Return when the generation moves past `seen`, or after `timeout_s`."""
        if self.generation != seen:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout_s)
        except TimeoutError:
            return
        finally:
            self._waiters.discard(waiter)


def frame(event: Event) -> str:
    """One SSE frame: id, event kind, JSON data."""
    data = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


def start_after(request: Request, after: int | None) -> int:
    """Where a stream resumes: the Last-Event-ID header, else ?after=, else the beginning."""
    header = request.headers.get("last-event-id")
    if header is not None and header.strip().isdigit():
        return int(header.strip())
    return after or 0


async def stream(
    request: Request, line: Line, party: str, after: int, broadcast: Broadcast, poll_s: float
) -> AsyncIterator[str]:
    """Every event of `party` after `after`, then live ones as they come, until disconnect."""
    yield "retry: 2000\n\n"
    idle = 0.0
    while not await request.is_disconnected():
        seen = broadcast.generation
        events = await run_in_threadpool(line.store.events_after, party, after, _BATCH)
        for event in events:
            yield frame(event)
            after = event.id
        if await _mark_delivered(line, party, events):
            broadcast.notify()
        if len(events) == _BATCH:
            continue
        if events:
            idle = 0.0
        await broadcast.wait(seen, poll_s)
        idle += poll_s
        if idle >= KEEPALIVE_S:
            idle = 0.0
            yield ": keep-alive\n\n"


async def _mark_delivered(line: Line, party: str, events: list[Event]) -> bool:
    """Notices pushed to their recipient are delivered; True when any changed state."""
    notice_ids = [
        int(e.payload["id"])
        for e in events
        if e.kind == "notice"
        and e.payload.get("recipient") == party
        and e.payload.get("state") == "sent"
    ]
    if notice_ids:
        await run_in_threadpool(line.delivered, party, notice_ids)
    return bool(notice_ids)
