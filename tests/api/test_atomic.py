"""Check and store are one step: conflicting activities sent together never both pass unseen."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.api.conftest import LiveServer, strike_body

PAIRS = 12


def _post(live: LiveServer, party: str, body: dict[str, Any], start: threading.Barrier) -> Any:
    with live.client(party) as client:
        start.wait(10)
        response = client.post("/v1/activities", json=body)
        assert response.status_code == 201, response.text
        return response.json()


def test_every_pair_sent_at_once_is_seen_by_at_least_one_side(live: LiveServer) -> None:
    with ThreadPoolExecutor(max_workers=2 * PAIRS) as pool:
        futures = []
        for pair in range(PAIRS):
            start = threading.Barrier(2)
            lon = 20.0 + pair  # pairs far apart: each pair conflicts only within itself
            futures.append(
                (
                    pool.submit(_post, live, "coalition", strike_body(f"c{pair}", lon=lon), start),
                    pool.submit(_post, live, "russia", strike_body(f"r{pair}", lon=lon), start),
                )
            )
        for pair, (ours, theirs) in enumerate(futures):
            seen_by_ours = [c.get("against") for c in ours.result()["conflicts"]]
            seen_by_theirs = [c.get("against") for c in theirs.result()["conflicts"]]
            assert f"r{pair}" in seen_by_ours or f"c{pair}" in seen_by_theirs, pair
            assert not (seen_by_ours and seen_by_theirs), "only the later one can see the other"
