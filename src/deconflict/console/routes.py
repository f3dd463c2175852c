"""The console's server side: the page and its assets, sign-in and sign-out, security headers.

The page is static (no data in it); everything a party may see reaches the
browser through the same /v1 API and the same visibility rules as any client,
authenticated by the session cookie set here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from deconflict.console.tile_files import TileFile
from deconflict.console.tiles import TILEJSON_PATH
from deconflict.console.tiles import router as tiles_router
from deconflict.errors import InvalidPlan
from deconflict.geo.construct import outline
from deconflict.geo.geojson import parse_shape, shape_to_geojson
from deconflict.line.parties import LANGUAGES, Credential, PartyStore, Role, authenticate
from deconflict.settings import Settings
from deconflict.web.auth import requires
from deconflict.web.sessions import (
    COOKIE,
    CSRF_HEADER,
    LIFETIME_S,
    Session,
    Sessions,
    install_sessions,
    session_of,
)

log = logging.getLogger("deconflict.console")

STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/console/static"

router = APIRouter(include_in_schema=False)


def install_console(app: FastAPI, settings: Settings, tiles: TileFile | None = None) -> None:
    """Serve the console at `/` on `app`: routes, assets, sessions and security headers;
    and `tiles`, the operator's tile file, when there is one."""
    install_sessions(app)
    app.state.console_tile_url = settings.tile_url
    app.state.console_tiles = tiles
    app.include_router(router)
    app.include_router(tiles_router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="console-static")
    app.add_middleware(SecurityHeaders, policy=content_security_policy(settings.tile_url))


def content_security_policy(tile_url: str) -> str:
    """Scripts, styles and data from this origin only; images also from the tile server, if any.

    Raises ValueError for a tile URL that is not an http(s) `{z}/{x}/{y}` template.
    """
    images = "'self' data:"
    if tile_url:
        parts = urlsplit(tile_url)
        placeholders = all(p in tile_url for p in ("{z}", "{x}", "{y}"))
        if parts.scheme not in ("http", "https") or not parts.netloc or not placeholders:
            raise ValueError(
                f"tile_url must be an http(s) URL with {{z}}, {{x}} and {{y}}, not {tile_url!r}"
            )
        images += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


@router.get("/")
def page() -> FileResponse:
    """The console page: sign-in form, then the map and inbox (the script decides which)."""
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse(f"{STATIC_PATH}/favicon.svg", status_code=308)


@router.post("/console/sign-in")
async def sign_in(request: Request) -> Response:
    """Exchange a party token (form field `token`) for a session cookie; back to `/` either way."""
    _same_origin(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    store: PartyStore = request.app.state.store
    credential = authenticate(store, token) if token else None
    if credential is None:
        log.info("console sign-in refused")
        return RedirectResponse("/?sign-in=failed", status_code=303)
    session = await run_in_threadpool(_sessions(request).open, credential)
    request.state.party = credential.party_id
    log.info("console sign-in party=%s role=%s", credential.party_id, credential.role.value)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        session.key,
        max_age=LIFETIME_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/console/sign-out", status_code=204)
def sign_out(request: Request) -> Response:
    """End the session (its CSRF header required) and clear the cookie."""
    session = session_of(request)
    if session is not None:
        if not session.csrf_matches(request.headers.get(CSRF_HEADER)):
            raise HTTPException(403, f"signing out needs the session's {CSRF_HEADER} header")
        _sessions(request).close(session.key)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/console/session")
def current_session(request: Request) -> dict[str, Any]:
    """Who this console speaks for, its CSRF token, the parties and the map settings
    (`tiles`: the TileJSON of the server's tile file, None without one)."""
    session = _live_session(request)
    store = request.app.state.store
    credential = session.credential
    request.state.party = credential.party_id
    party = store.party(credential.party_id)
    return {
        "party": credential.party_id,
        "name": party.name if party else credential.party_id,
        "language": party.language if party else "en",
        "role": credential.role.value,
        "csrf": session.csrf,
        "csrf_header": CSRF_HEADER,
        "languages": list(LANGUAGES),
        "tile_url": request.app.state.console_tile_url,
        "tiles": TILEJSON_PATH if request.app.state.console_tiles is not None else None,
        "parties": [{"id": p.id, "name": p.name, "language": p.language} for p in store.parties()],
    }


Duty = Annotated[Credential, Depends(requires(Role.DUTY))]


class DraftBody(BaseModel):
    """A feature being drafted in the notify form: only its geometry and measures are read."""

    model_config = ConfigDict(extra="allow")
    id: str | None = Field(default=None, max_length=200)
    geometry: dict[str, Any]
    properties: dict[str, Any]


@router.post("/console/outline")
def draft_outline(request: Request, body: DraftBody, credential: Duty) -> dict[str, Any]:
    """The outline of a drafted shape as a GeoJSON Polygon or MultiPolygon, for the map only.

    Sectors, orbits and tracks are built geodesically on the server, so the
    draft is drawn exactly as the line will draw the declared feature. Stores
    nothing; a shape that cannot be read is refused as the dry run refuses it.
    """
    too_large = request.app.state.limits.feature_problem(body.id, body.geometry)
    if too_large is not None:
        raise InvalidPlan([too_large])
    shape, problems = parse_shape(body.geometry, body.properties, body.id)
    if shape is None:
        raise InvalidPlan(problems)
    return {"outline": shape_to_geojson(outline(shape))[0]}


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.console_sessions
    return sessions


def _live_session(request: Request) -> Session:
    session = session_of(request)
    if session is None:
        raise HTTPException(401, "not signed in to the console")
    return session


def _same_origin(request: Request) -> None:
    """Refuse a form posted from another site's page, as the browser names where it came from."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    foreign = origin not in (None, "null") and urlsplit(origin).netloc != host
    if foreign or site in ("cross-site", "same-site"):
        raise HTTPException(403, "sign in from the console's own page")


Scope = dict[str, Any]


class SecurityHeaders:
    """nosniff on every response; on the console's own paths also the CSP and framing refusal."""

    def __init__(self, app: Any, policy: str) -> None:
        self.app = app
        self.console = [
            (b"content-security-policy", policy.encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        console = path == "/" or path.startswith("/console/")
        static = path.startswith(STATIC_PATH + "/")

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-content-type-options", b"nosniff"))
                if console:
                    headers.extend(self.console)
                if static:
                    headers.append((b"cache-control", b"no-cache"))
            await send(message)

        await self.app(scope, receive, with_headers)
