"""The line asks its witnesses to cosign its checkpoints, in the background (C2SP tlog-witness).

After each commit (and at least every `IDLE_S`), the checkpoint of the
record's head goes to every witness that has not cosigned it yet, with the
consistency proof from the size the witness holds (learned from its 409).
At most `CONCURRENCY` requests are in flight, each bounded by the timeout;
a witness that fails or is unreachable is asked again after a pause that
doubles up to `MAX_BACKOFF_S`. No write ever waits for a witness: a witness
that is down only delays its cosignature. Each witness's latest cosignature
lines are kept with the checkpoint text they cosign, and `cosigned` appends
to a note exactly those over its text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from starlette.concurrency import run_in_threadpool

from deconflict.api.push import Broadcast
from deconflict.record.cosignature import CosignatureVerifier, cosignatures, with_cosignatures
from deconflict.record.errors import RecordError
from deconflict.record.note import Checkpoint, note_signatures
from deconflict.record.witness import AddCheckpoint
from deconflict.settings import Settings, SettingsError
from deconflict.store import Store

log = logging.getLogger("deconflict.witnesses")

CONCURRENCY = 8
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 60.0
IDLE_S = 30.0


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the line asks: its URL prefix and the keys its cosignatures verify with
    (several while it changes its key)."""

    url: str
    keys: tuple[CosignatureVerifier, ...]


def witness_endpoints(settings: Settings) -> list[WitnessEndpoint]:
    """The witnesses of the `witnesses` setting, a URL named twice (two keys) merged into one;
    SettingsError naming the setting for a key that does not read."""
    keys: dict[str, list[CosignatureVerifier]] = {}
    for url, key in settings.witness_keys():
        try:
            keys.setdefault(url, []).append(CosignatureVerifier.from_text(key))
        except RecordError as error:
            raise SettingsError(
                f"witnesses (DECONFLICT_WITNESSES): the key of {url} does not read: {error.message}"
            ) from None
    return [WitnessEndpoint(url, tuple(found)) for url, found in keys.items()]


@dataclass
class _Asked:
    """What the line knows of one witness."""

    endpoint: WitnessEndpoint
    size: int = 0
    """The size of the tree the witness holds, as it last said (0: it said nothing yet)."""
    text: str = ""
    """The checkpoint text its kept cosignature lines are over."""
    lines: list[str] = field(default_factory=list)
    failures: int = 0
    retry_at: float = 0.0


class Cosigning:
    """The line's witnesses and the cosignatures they gave."""

    def __init__(
        self, endpoints: Sequence[WitnessEndpoint], store: Store, timeout_s: float
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self._asked = [_Asked(endpoint) for endpoint in endpoints]
        self._slots = asyncio.Semaphore(CONCURRENCY)

    def cosigned(self, note: str) -> str:
        """The signed note with every kept cosignature over exactly its text appended."""
        text = note[: note.rfind("\n\n") + 1]
        return with_cosignatures(
            note, [line for asked in self._asked if asked.text == text for line in asked.lines]
        )

    async def run(self, broadcast: Broadcast) -> None:
        """Ask the witnesses after every commit, until cancelled."""
        if not self._asked:
            return
        async with httpx.AsyncClient(timeout=self.timeout_s) as http:
            while True:
                seen = broadcast.generation
                try:
                    await self.ask_all(http)
                except Exception:
                    log.exception("asking the witnesses failed; trying again")
                await broadcast.wait(seen, self._pause_s())

    async def ask_all(self, http: httpx.AsyncClient) -> None:
        """Send the head's checkpoint to every witness due that has not cosigned it."""
        note = await run_in_threadpool(self.store.log_checkpoint)
        text, _ = note_signatures(note)
        checkpoint = Checkpoint.from_text(text)
        now = time.monotonic()
        due = [a for a in self._asked if a.text != text and a.retry_at <= now]
        await asyncio.gather(*(self._ask(http, asked, note, checkpoint) for asked in due))

    def _pause_s(self) -> float:
        """How long to wait for a commit before asking again: until the next retry is due."""
        waiting = [a.retry_at for a in self._asked if a.failures]
        if not waiting:
            return IDLE_S
        return max(0.05, min(IDLE_S, min(waiting) - time.monotonic()))

    async def _ask(
        self, http: httpx.AsyncClient, asked: _Asked, note: str, checkpoint: Checkpoint
    ) -> None:
        async with self._slots:
            for _ in range(2):  # once more when a 409 tells the size the witness holds
                if asked.size > checkpoint.size:
                    self._failed(asked, f"it holds {asked.size} entries, more than the record")
                    return
                body = await self._request(asked.size, note, checkpoint.size)
                try:
                    answer = await http.post(f"{asked.endpoint.url}/add-checkpoint", content=body)
                except httpx.HTTPError as error:
                    self._failed(asked, f"{type(error).__name__}: {error}")
                    return
                if answer.status_code == 409 and answer.text.strip().isdigit():
                    asked.size = int(answer.text)
                    continue
                if answer.status_code != 200:
                    self._failed(asked, f"answered {answer.status_code}: {answer.text[:200]}")
                    return
                self._keep(asked, note, checkpoint, answer.text)
                return

    async def _request(self, old: int, note: str, size: int) -> bytes:
        proof: list[bytes] = []
        if 0 < old < size:
            proof = await run_in_threadpool(self.store.log_consistency, old, size)
        return AddCheckpoint(old, tuple(proof), note).body()

    def _keep(self, asked: _Asked, note: str, checkpoint: Checkpoint, answer: str) -> None:
        """Keep the answer's lines that are the witness's valid cosignatures of the note."""
        lines = []
        for line in answer.splitlines(keepends=True):
            try:
                if line.endswith("\n") and cosignatures(note + line, asked.endpoint.keys):
                    lines.append(line)
            except RecordError:
                pass  # a line that does not verify is not kept
        if not lines:
            self._failed(asked, "its answer holds no cosignature that verifies with its key")
            return
        asked.size, asked.text, asked.lines = checkpoint.size, note[: note.rfind("\n\n") + 1], lines
        asked.failures, asked.retry_at = 0, 0.0
        log.info("witness cosigned url=%s size=%d", asked.endpoint.url, checkpoint.size)

    def _failed(self, asked: _Asked, why: str) -> None:
        asked.failures += 1
        pause = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** (asked.failures - 1))
        asked.retry_at = time.monotonic() + pause
        log.warning(
            "witness did not cosign url=%s failures=%d retry_in_s=%.1f why=%s",
            asked.endpoint.url,
            asked.failures,
            pause,
            why,
        )
