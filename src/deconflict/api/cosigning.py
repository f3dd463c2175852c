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

`status` tells, per witness, what it last cosigned, since when the record's
head has been ahead of that (from the time this node first saw each newer
head), why asking it last failed, and whether it lags: it has not caught up
for `alert_s`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from starlette.concurrency import run_in_threadpool

from deconflict.api.push import Broadcast
from deconflict.line.service import Clock
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
MAX_HEADS = 512
"""Heads (size, first seen) kept to date a witness's lag: the oldest a witness still lacks, and
the newest; a witness that stopped in between is dated from a later head than it lacks."""
_YEAR_10000 = 253_402_300_800


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
    cosigned_size: int = 0
    """The size of the checkpoint its kept lines cosign (0: none yet)."""
    cosigned_at: datetime | None = None
    """When it cosigned that checkpoint, by its own cosignature's time."""
    error: str | None = None
    """Why asking it last failed, until it next cosigns."""
    failures: int = 0
    retry_at: float = 0.0


@dataclass(frozen=True)
class WitnessStatus:
    """One witness as the line sees it: whether it cosigned the checkpoint served now, the last
    checkpoint it cosigned (size 0: none), since when the head is ahead of that (None: it is
    not), whether that has lasted `alert_s` (lagging), and why asking it last failed."""

    name: str
    cosigned: bool
    cosigned_size: int
    cosigned_at: datetime | None
    behind_since: datetime | None
    lagging: bool
    error: str | None

    def document(self) -> dict[str, object]:
        """The status as the API serves it (times in ISO 8601 UTC)."""
        return {
            "name": self.name,
            "cosigned": self.cosigned,
            "cosigned_size": self.cosigned_size,
            "cosigned_at": _iso(self.cosigned_at),
            "behind_since": _iso(self.behind_since),
            "lagging": self.lagging,
            "error": self.error,
        }


def _moment(timestamp: int) -> datetime | None:
    """A cosignature's time (unix seconds) as a UTC datetime; None past what one can hold."""
    return datetime.fromtimestamp(timestamp, UTC) if timestamp < _YEAR_10000 else None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class Cosigning:
    """The line's witnesses and the cosignatures they gave."""

    def __init__(
        self,
        endpoints: Sequence[WitnessEndpoint],
        store: Store,
        timeout_s: float,
        alert_s: int,
        clock: Clock,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.alert_s = alert_s
        self.clock = clock
        self._asked = [_Asked(endpoint) for endpoint in endpoints]
        self._heads: list[tuple[int, datetime]] = []
        self._slots = asyncio.Semaphore(CONCURRENCY)

    def cosigned(self, note: str) -> str:
        """The signed note with every kept cosignature over exactly its text appended."""
        text = note[: note.rfind("\n\n") + 1]
        return with_cosignatures(
            note, [line for asked in self._asked if asked.text == text for line in asked.lines]
        )

    def status(self, note: str) -> tuple[int, list[WitnessStatus]]:
        """The size of the signed note the line serves now, and each witness (in the setting's
        order) against it."""
        text, _ = note_signatures(note)
        size = Checkpoint.from_text(text).size
        self._saw(size)
        now = self.clock()
        alert = timedelta(seconds=self.alert_s)
        found = []
        for asked in self._asked:
            behind = None if asked.text == text else self._behind_since(asked.cosigned_size)
            found.append(
                WitnessStatus(
                    name=asked.endpoint.keys[0].name,
                    cosigned=asked.text == text,
                    cosigned_size=asked.cosigned_size,
                    cosigned_at=asked.cosigned_at,
                    behind_since=behind,
                    lagging=behind is not None and now - behind >= alert,
                    error=asked.error,
                )
            )
        return size, found

    def _saw(self, size: int) -> None:
        """Note when this node first saw the record's head at `size`; forget heads every witness
        has cosigned."""
        if self._heads and size <= self._heads[-1][0]:
            return
        self._heads.append((size, self.clock()))
        least = min((asked.cosigned_size for asked in self._asked), default=size)
        while len(self._heads) > 1 and self._heads[0][0] <= least:
            del self._heads[0]
        if len(self._heads) > MAX_HEADS:
            del self._heads[1 : len(self._heads) - MAX_HEADS + 1]

    def _behind_since(self, cosigned_size: int) -> datetime | None:
        """When this node first saw a head beyond `cosigned_size`."""
        return next((seen for size, seen in self._heads if size > cosigned_size), None)

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
        self._saw(checkpoint.size)
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
                    self._failed(asked, self._unreached(error))
                    return
                if answer.status_code == 409 and answer.text.strip().isdigit():
                    asked.size = int(answer.text)
                    continue
                if answer.status_code != 200:
                    said = " ".join(answer.text.split())[:200]
                    self._failed(asked, f"it answered HTTP {answer.status_code}: {said}")
                    return
                self._keep(asked, note, checkpoint, answer.text)
                return

    def _unreached(self, error: httpx.HTTPError) -> str:
        """Why a request to a witness got no answer, as its operator can act on it."""
        if isinstance(error, httpx.TimeoutException):
            return (
                f"no answer within {self.timeout_s:g} s (witness_timeout_s): is it overloaded, "
                "or its network slow?"
            )
        if isinstance(error, httpx.ConnectError):
            return f"cannot connect ({error}): is it running, and reachable from the line?"
        return f"the request failed ({type(error).__name__}: {error})"

    async def _request(self, old: int, note: str, size: int) -> bytes:
        proof: list[bytes] = []
        if 0 < old < size:
            proof = await run_in_threadpool(self.store.log_consistency, old, size)
        return AddCheckpoint(old, tuple(proof), note).body()

    def _keep(self, asked: _Asked, note: str, checkpoint: Checkpoint, answer: str) -> None:
        """Keep the answer's lines that are the witness's valid cosignatures of the note."""
        lines: list[str] = []
        times: list[int] = []
        for line in answer.splitlines(keepends=True):
            try:
                cosigned = line.endswith("\n") and cosignatures(note + line, asked.endpoint.keys)
            except RecordError:
                continue  # a line that does not verify is not kept
            if cosigned:
                lines.append(line)
                times.extend(cosigned.values())
        if not lines:
            self._failed(asked, "its answer holds no cosignature that verifies with its key")
            return
        asked.size, asked.text, asked.lines = checkpoint.size, note[: note.rfind("\n\n") + 1], lines
        asked.cosigned_size = checkpoint.size
        asked.cosigned_at = _moment(max(times))
        asked.failures, asked.retry_at, asked.error = 0, 0.0, None
        log.info("witness cosigned url=%s size=%d", asked.endpoint.url, checkpoint.size)

    def _failed(self, asked: _Asked, why: str) -> None:
        asked.error = why
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
