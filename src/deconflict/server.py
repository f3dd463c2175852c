"""The HTTP server: one app that serves the API and the console, built by `create_app(settings)`.

Nothing is built at import time. The app also carries the middleware every
request passes through (request id and log line, body limit) and the ticker
that escalates overdue notices.

Serve with `uvicorn --factory deconflict.server:app_from_env` or `deconflict serve`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from deconflict.api import openapi, problems
from deconflict.api.cosigning import Cosigning, witness_endpoints
from deconflict.api.deadlines import with_deadlines
from deconflict.api.dss_bridge import Bridge
from deconflict.api.dss_routes import DSS_PREFIXES, aux_router, dss_router
from deconflict.api.escalation_routes import escalation_router
from deconflict.api.evidence import evidence_router
from deconflict.api.exports import exports_router
from deconflict.api.feeds import feeds_router
from deconflict.api.log_routes import log_router
from deconflict.api.push import Broadcast
from deconflict.api.routes import declarations, router
from deconflict.api.strict_json import JSON_BODY, JsonRefused, read_strict
from deconflict.console.routes import install_console
from deconflict.console.tile_files import TileFile, open_tile_file
from deconflict.line.deliveries import Retries
from deconflict.line.escalation import Escalations
from deconflict.line.model import NoticePolicy, ProbeBudget
from deconflict.line.service import Clock, Line
from deconflict.outbound.worker import Outbound, mail_server
from deconflict.record.note import generate_signer, load_signer
from deconflict.rules.limits import Limits
from deconflict.settings import Settings, SettingsError
from deconflict.store import LogKey, Store, dss_tables, listening, open_store, shown
from deconflict.store.audit import StoreInconsistent, check_store, partial_note, refusal
from deconflict.store.files import write_new
from deconflict.store.head import HeadFile, head_path
from deconflict.utm.model import ovn_secret
from deconflict.utm.service import Dss
from deconflict.web.utm_tokens import TokenCheck

log = logging.getLogger("deconflict.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def utc_now() -> datetime:
    """The wall clock, aware UTC."""
    return datetime.now(UTC)


def create_app(settings: Settings, clock: Clock = utc_now, poll_s: float = 1.0) -> FastAPI:
    """The deconflict API over the store `settings.db`, escalating every `settings.tick_s`.

    Refuses (StoreInconsistent) a store that differs from its record, unless
    `settings.skip_check`; and (SettingsError) a tile file `settings.tiles` it cannot serve.
    """
    witnesses = witness_endpoints(settings)  # refused by name before anything is made
    utm_tokens = utm_token_check(settings)
    tiles = open_tile_file(settings.tiles) if settings.tiles is not None else None
    key_made = not settings.log_key_path.exists()
    try:
        log_key = open_log_key(settings)
        store = open_store(settings.db, log_key)
    except BaseException:
        _close(tiles)
        raise
    try:
        check_at_start(
            store, HeadFile(head_path(settings.log_key_path), log_key), settings, key_made
        )
    except BaseException:
        store.close()
        _close(tiles)
        raise
    policy = NoticePolicy(
        timedelta(seconds=settings.respond_within_s),
        timedelta(seconds=settings.respond_before_start_s),
    )
    line = Line(store, policy, clock, ProbeBudget(settings.probes_per_hour))
    escalations = Escalations(store, clock, retries(settings), settings.console_url)
    broadcast = Broadcast()
    cosigning = Cosigning(
        witnesses, store, settings.witness_timeout_s, settings.witness_alert_s, clock
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broadcast.bind(asyncio.get_running_loop())
        ticker = asyncio.create_task(_tick_forever(line, broadcast, settings.tick_s))
        asking = asyncio.create_task(cosigning.run(broadcast))
        outbound = Outbound(
            escalations, mail_server(settings), log_key.signer, settings.delivery_timeout_s
        )
        sender = asyncio.create_task(_deliver_forever(outbound, broadcast, settings.tick_s))
        try:
            # Other nodes' and processes' commits wake this node's streams too.
            with listening(store, broadcast.notify):
                yield
        finally:
            ticker.cancel()
            asking.cancel()
            sender.cancel()
            await asyncio.gather(ticker, asking, sender, return_exceptions=True)
            outbound.close()
            store.close()
            _close(tiles)

    app = FastAPI(
        title="deconflict",
        version="1",
        summary="A deconfliction line: declare, notify, respond; every clash found.",
        lifespan=lifespan,
        # The line logs each request itself (RequestLog) and sets up no OpenTelemetry: without
        # this, FastAPI looks up the global providers on every request (6 us, measured).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.store = store
    app.state.line = line
    app.state.escalations = escalations
    app.state.broadcast = broadcast
    app.state.cosigning = cosigning
    app.state.poll_s = poll_s
    app.state.settings = settings
    app.state.limits = Limits.of(settings)
    app.state.dss = Dss(dss_tables(store), clock, ovn_secret(log_key.signer))
    app.state.utm_tokens = utm_tokens
    app.state.dss_bridge = Bridge(line, settings.utm_party_map())
    problems.install(app)
    openapi.install(app)
    app.include_router(declarations)
    app.include_router(router)
    app.include_router(log_router)
    app.include_router(evidence_router)
    app.include_router(feeds_router)
    app.include_router(exports_router)
    app.include_router(escalation_router)
    app.include_router(dss_router)
    app.include_router(aux_router)
    install_console(app, settings, tiles)
    app.add_middleware(
        RequestBodies,
        limit=settings.max_body_bytes,
        larger={"/v1/imports": settings.max_import_bytes},
        limits=app.state.limits,
    )
    app.add_middleware(RequestLog, log=access_log(settings.access_log))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def utm_token_check(settings: Settings) -> TokenCheck:
    """The check of USSs' tokens at the DSS, with the keys and audiences configured."""
    try:
        return TokenCheck.from_files(settings.utm_key_files(), settings.utm_audience_names())
    except ValueError as error:
        raise SettingsError(f"utm_jwt_keys (DECONFLICT_UTM_JWT_KEYS): {error}") from None


def _close(tiles: TileFile | None) -> None:
    if tiles is not None:
        tiles.close()


def check_at_start(store: Store, head: HeadFile, settings: Settings, key_made: bool) -> None:
    """Check the store against its record and its head file before serving; then keep the head
    file after every commit. A key made just now has signed no head yet: none is required."""
    if settings.skip_check:
        log.warning(
            "NOT CHECKED: %s is served without checking it against its record (skip_check);"
            " its head file %s is left as it was until `deconflict db check` passes",
            shown(settings.db),
            head.path,
        )
        return
    report = check_store(store, head, not key_made, settings.start_check_entries)
    if report.findings:
        raise StoreInconsistent(refusal(shown(settings.db), report))
    store.keep_head(head)
    head.advance(store.log_size, store.log_checkpoint)
    if report.first:
        log.warning("checked %s at start:%s", shown(settings.db), partial_note(report))
    log.info(
        "checked %s against its record: %d entries, %.2f s",
        shown(settings.db),
        report.size,
        report.seconds,
    )


def open_log_key(settings: Settings) -> LogKey:
    """The record's signing key from its PEM file, made (mode 0600) when there is none yet."""
    path = settings.log_key_path
    if not path.exists():
        signer, _, pem = generate_signer(settings.log_origin)
        # Worker processes starting together on a new store each try; one key is made, and
        # the others read it.
        if write_new(path, pem):
            made = signer.verifier.to_text()
            log.info("made the record's signing key path=%s key=%s", path, made)
            return LogKey(signer, settings.log_origin)
    return LogKey(load_signer(settings.log_origin, path.read_bytes()), settings.log_origin)


def quiet_server(settings: Settings) -> dict[str, Any]:
    """uvicorn.run's arguments for a server that says only what goes wrong (no start-up
    chatter, and no access lines of its own: ours follow `settings.access_log`), with the
    deadlines and the bound on connections of `settings`."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "access_log": False,
        "http": with_deadlines(settings.header_timeout_s, settings.body_timeout_s),
        "timeout_keep_alive": settings.keep_alive_s,
        "limit_concurrency": settings.max_connections,
    }


def requests_logged(settings: Settings) -> str:
    """Where the server's one line per request goes, said for whoever started it."""
    if settings.access_log == "-":
        return "Each request is logged on standard error (DECONFLICT_ACCESS_LOG=-)."
    if settings.access_log:
        return f"Each request is logged to {settings.access_log} (DECONFLICT_ACCESS_LOG)."
    return (
        "Requests are not logged; DECONFLICT_ACCESS_LOG=requests.log (or - for this terminal) "
        "logs one line each."
    )


def app_from_env() -> FastAPI:
    """The app configured from DECONFLICT_* variables (for `uvicorn --factory`); exits 1 with
    the findings when the store differs from its record."""
    try:
        return create_app(Settings.from_env())
    except StoreInconsistent as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(1) from None


async def _tick_forever(line: Line, broadcast: Broadcast, every_s: float) -> None:
    """Escalate and close out on a schedule; deadlines live in the store, so none is lost."""
    while True:
        try:
            done = await run_in_threadpool(line.tick)
            if done.escalated or done.closed:
                log.info("tick escalated=%s closed=%s", list(done.escalated), list(done.closed))
                broadcast.notify()
        except Exception:
            log.exception("tick failed; retrying in %ss", every_s)
        await asyncio.sleep(every_s)


def retries(settings: Settings) -> Retries:
    """How failed deliveries are retried, from `settings`."""
    return Retries(
        timedelta(seconds=settings.delivery_retry_s),
        timedelta(seconds=settings.delivery_retry_max_s),
        timedelta(seconds=settings.delivery_give_up_s),
    )


async def _deliver_forever(outbound: Outbound, broadcast: Broadcast, every_s: float) -> None:
    """Send the escalations that are due, on a schedule; the jobs live in the store, so none
    is lost to a restart."""
    while True:
        try:
            settled = await run_in_threadpool(outbound.run_once)
            for attempt in settled:
                log.info(
                    "delivery notice=%s delivery=%s channel=%s attempt=%s outcome=%s reason=%s",
                    attempt.delivery.notice_id,
                    attempt.delivery.id,
                    attempt.delivery.destination.channel.value,
                    attempt.attempt,
                    attempt.outcome.value,
                    attempt.reason,
                )
            if settled:
                broadcast.notify()
                continue  # more may be due at once
        except Exception:
            log.exception("delivering escalations failed; retrying in %ss", every_s)
        await asyncio.sleep(every_s)


class RequestBodies:
    """Refuses a request body over `limit` bytes with 413, whether declared or streamed, a
    JSON body the line does not read (api/strict_json.py) with 422, and one that carries more
    features or vertices than `limits` allow in one request with 413.

    A body is read whole before the route sees it (at most `limit` bytes are
    held), so a streamed body that grows too large is refused as cleanly as
    one whose Content-Length says so; and it is counted as soon as it is read,
    before any route builds a model or a shape of it.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        limits: Limits,
        larger: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}  # paths (bulk imports) that may carry more
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break
        if body and _is_json(scope) and not scope["path"].startswith(DSS_PREFIXES):
            try:
                document = read_strict(bytes(body))
                too_large = self.limits.request_refusal(document)
            except JsonRefused as refused:
                item = {"feature_id": None, "field": "body", "value": refused.value}
                said = {k: v for k, v in item.items() if v is not None}
                response = problems.problem(
                    Request(scope),
                    422,
                    refused.detail,
                    field="body",
                    value=refused.value,
                    errors=[
                        item | {"detail": refused.detail, "code": "invalid_json", "params": said}
                    ],
                    code="invalid_json",
                )
                await response(scope, receive, send)
                return
            if too_large is not None:
                await problems.rendered(Request(scope), too_large)(scope, receive, send)
                return
            scope.setdefault("state", {})[JSON_BODY] = document
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        request = Request(scope)
        response = problems.problem(
            request,
            413,
            f"the body is over {limit} bytes",
            code="body_too_large",
            params={"limit_bytes": limit},
        )
        await response(scope, receive, send)


def _is_json(scope: Scope) -> bool:
    """A body sent as JSON, or with no type at all (which the routes read as JSON too)."""
    content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip()
    return content_type in (b"", b"application/json") or content_type.endswith(b"+json")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over the buffered body once, then listens to the client again."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def access_log(destination: str) -> logging.Logger:
    """The logger of one line per request: to a file (appended), "-" standard error, "" nowhere.

    A logger of this app's own (not registered by name), so two apps in one process
    never share or stack handlers.
    """
    logger = logging.Logger("deconflict.access", logging.INFO)
    if destination == "-":
        logger.addHandler(logging.StreamHandler(sys.stderr))
    elif destination:
        logger.addHandler(logging.FileHandler(destination, encoding="utf-8", delay=True))
    else:
        logger.disabled = True
    for handler in logger.handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    return logger


class RequestLog:
    """A request id for every request (X-Request-ID), and one log line per request."""

    def __init__(self, app: ASGIApp, log: logging.Logger) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)  # 16 hex digits, as uuid4's first 16 (3 us less)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            self.log.info(
                "request request_id=%s party=%s method=%s path=%s status=%s ms=%.1f",
                request_id,
                scope["state"].get("party"),
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )
