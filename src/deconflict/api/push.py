"""Live push to consoles: server-sent events, resumable from the last event id.

Events are rows in the store, numbered in commit order, so a console that
reconnects with `Last-Event-ID` (or after a server restart) gets exactly
what it missed. Writers wake the streams in this process at once, and writers
in other processes or nodes soon after (PostgreSQL's NOTIFY, SQLite's data
version: `store.listening`); the hub also looks every `poll_s` seconds, in case
a wake-up was lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from deconflict.errors import InvalidFeature
from deconflict.line.model import Event
from deconflict.line.service import Line

log = logging.getLogger("deconflict.api")

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
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if _running_loop() is loop:
            # A route on the loop itself: no wake-up through the loop's pipe (a system call
            # each way, about a tenth of the routes' own CPU per declaration, profiled).
            self._bump()
        else:
            loop.call_soon_threadsafe(self._bump)

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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of this thread, if it is running one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Framed(NamedTuple):
    """An event's id and its SSE frame, rendered once for every console."""

    id: int
    text: str


KEEPALIVE = Framed(0, ": keep-alive\n\n")
"""Queued to every stream every KEEPALIVE_S by the hub: one timer for all the consoles."""


def frame(event: Event) -> str:
    """One SSE frame: id, event kind, JSON data."""
    data = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


LAST_EVENT_ID = 2**63 - 1
"""The largest event id there can be (the store's ids are 64-bit)."""


def start_after(request: Request, after: int | None) -> int:
    """Where a stream resumes: the Last-Event-ID header, else ?after=, else the beginning.

    A header that is not an event id (digits, at most LAST_EVENT_ID) is refused, naming it.
    """
    header = request.headers.get("last-event-id")
    if header is None:
        return after or 0
    text = header.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > LAST_EVENT_ID:
        raise InvalidFeature(
            f"Last-Event-ID must be an event id, 0 to {LAST_EVENT_ID}",
            field="Last-Event-ID",
            value=header[:40],
        )
    return int(text)


class Hub:
    """One reader of new events for the whole process, fanning them out to every open stream.

    A thousand consoles cost one query per commit, not a thousand; and a
    notice pushed to its recipient's consoles is marked delivered once.
    """

    def __init__(self, line: Line, broadcast: Broadcast, poll_s: float) -> None:
        self.line = line
        self.broadcast = broadcast
        self.poll_s = poll_s
        self._queues: dict[str, set[asyncio.Queue[Framed]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def subscribe(self, party: str) -> asyncio.Queue[Framed]:
        """A queue that receives every event of `party` committed from now on."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
            self._keepalive = asyncio.get_running_loop().create_task(self._keep_alive())
        await self._ready.wait()
        queue: asyncio.Queue[Framed] = asyncio.Queue()
        self._queues[party].add(queue)
        return queue

    def unsubscribe(self, party: str, queue: asyncio.Queue[Framed]) -> None:
        self._queues[party].discard(queue)

    async def _keep_alive(self) -> None:
        """A keep-alive for every stream every KEEPALIVE_S, so that proxies keep idle ones
        open (a timer for each console's every wait cost more than the frames did)."""
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            for queues in self._queues.values():
                for queue in queues:
                    queue.put_nowait(KEEPALIVE)

    async def _run(self) -> None:
        last = await run_in_threadpool(self.line.store.last_event_id)
        self._ready.set()
        while True:
            seen = self.broadcast.generation
            try:
                events = await run_in_threadpool(self.line.store.events_since, last, _BATCH)
            except Exception:
                log.exception("reading new events failed; retrying")
                await asyncio.sleep(self.poll_s)
                continue
            if events:
                last = events[-1].id
                # Delivered is on record before the console has the notice, so a sender
                # never sees "sent" for a notice already on the recipient's screen.
                await mark_delivered(
                    self.line, self.broadcast, [e for e in events if self._queues.get(e.party)]
                )
            for event in events:
                queues = self._queues.get(event.party)
                if queues:
                    framed = Framed(event.id, frame(event))  # rendered once for every console
                    for queue in queues:
                        queue.put_nowait(framed)
            if len(events) < _BATCH:
                await self.broadcast.wait(seen, self.poll_s)


async def mark_delivered(line: Line, broadcast: Broadcast, events: list[Event]) -> None:
    """Notices among `events` (as pushed to their recipient's consoles) become delivered."""
    pushed: dict[str, list[int]] = defaultdict(list)
    for event in events:
        if (
            event.kind == "notice"
            and event.payload.get("recipient") == event.party
            and event.payload.get("state") == "sent"
        ):
            pushed[event.party].append(int(event.payload["id"]))
    for party, notice_ids in pushed.items():
        await run_in_threadpool(line.delivered, party, notice_ids)
    if pushed:
        broadcast.notify()


def hub_of(app: Any) -> Hub:
    """The app's hub, made on first use (inside the running event loop)."""
    hub: Hub | None = getattr(app.state, "hub", None)
    if hub is None:
        hub = Hub(app.state.line, app.state.broadcast, app.state.poll_s)
        app.state.hub = hub
    return hub


async def stream(request: Request, hub: Hub, party: str, after: int) -> AsyncIterator[str]:
    """Every event of `party` after `after`, then live ones as they come, until disconnect.

    The stream subscribes first, then catches up from the store; an event
    that arrives both ways is sent once (events carry increasing ids). Frames
    queued together go out in one write.
    """
    yield "retry: 2000\n\n"
    queue = await hub.subscribe(party)
    try:
        while True:
            missed = await run_in_threadpool(hub.line.store.events_after, party, after, _BATCH)
            await mark_delivered(hub.line, hub.broadcast, missed)
            for event in missed:
                yield frame(event)
                after = event.id
            if len(missed) < _BATCH:
                break
        # The response ends this generator when the client goes away.
        while True:
            framed = await queue.get()
            frames = []
            while True:
                if framed is KEEPALIVE:
                    frames.append(framed.text)
                elif framed.id > after:
                    frames.append(framed.text)
                    after = framed.id
                if queue.empty():
                    break
                framed = queue.get_nowait()
            if frames:
                yield "".join(frames)
    finally:
        hub.unsubscribe(party, queue)
