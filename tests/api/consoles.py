"""The parties' consoles on one live server: each speaks with its own token.

They share one connection pool, because a new httpx client costs about 45 ms
(it loads the CA bundle) and a request on loopback about 3 ms.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import LiveServer, seed_parties, start_server

PARTIES = ("coalition", "russia", "aid")


class Console:
    """Requests to the server with one token (or none), over the shared pool."""

    def __init__(self, pool: httpx.Client, token: str | None) -> None:
        self.pool = pool
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        return sent

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self.pool.request(method, path, headers=self._headers(headers), **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def stream(self, path: str, timeout: httpx.Timeout) -> AbstractContextManager[httpx.Response]:
        return self.pool.stream("GET", path, headers=self._headers(None), timeout=timeout)


class Consoles:
    """`consoles["russia"]` speaks with russia's planner token, `["russia-duty"]` its duty one."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.pool = live.client()

    def __getitem__(self, who: str) -> Console:
        return Console(self.pool, self.live.tokens[who])

    def with_token(self, token: str | None) -> Console:
        return Console(self.pool, token)

    def stored(self) -> list[Any]:
        """Every feature and notice on the line, as each party sees it: to show nothing moved."""
        seen = []
        for party in PARTIES:
            console = self[party]
            seen.append(console.get("/v1/features", params={"include_cancelled": True}).json())
            seen.append(console.get("/v1/outbox").json())
        return seen

    def close(self) -> None:
        self.pool.close()


@contextmanager
def consoles_on(live: LiveServer) -> Iterator[Consoles]:
    """Consoles on `live`, closed afterwards."""
    consoles = Consoles(live)
    try:
        yield consoles
    finally:
        consoles.close()


@contextmanager
def serving(
    db: str | Path, tokens: dict[str, str] | None = None, **settings: Any
) -> Iterator[Consoles]:
    """Consoles on a server of its own over `db` (parties seeded unless `tokens` are given)
    with `settings`; the server is stopped afterwards."""
    server = start_server(db, seed_parties(db) if tokens is None else tokens, **settings)
    try:
        with consoles_on(server) as consoles:
            yield consoles
    finally:
        server.stop()
