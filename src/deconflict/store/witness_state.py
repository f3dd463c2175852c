"""A witness's state file: the latest checkpoint it cosigned of each log, kept durably.

The file is JSON, `{"logs": {origin: checkpoint note text}}`. Each change
takes an exclusive lock (`<file>.lock`, flock), reads the file, decides, and
writes a temporary file that is flushed to disk and renamed over the old one
(the folder flushed too) before the lock is let go: so two requests never
interleave, and a witness that crashes after answering still holds what it
answered, and never cosigns two inconsistent checkpoints.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from deconflict.record.errors import RecordError
from deconflict.record.note import Checkpoint
from deconflict.store.files import held_exclusively, write_replacing


class WitnessStateFile:
    """The state file at `path` (made on the first checkpoint cosigned)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    def held(self) -> dict[str, Checkpoint]:
        """The checkpoint held for each log (a snapshot; none for a file not made yet)."""
        with held_exclusively(self._lock_path):
            return self._read()

    def advance(self, origin: str, step: Callable[[Checkpoint | None], Checkpoint]) -> None:
        """Hold what `step` returns for `origin`, given what is held; see record/witness.py."""
        with held_exclusively(self._lock_path):
            logs = self._read()
            logs[origin] = step(logs.get(origin))
            self._write(logs)

    def _read(self) -> dict[str, Checkpoint]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            return {origin: Checkpoint.from_text(text) for origin, text in document["logs"].items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecordError) as error:
            raise RecordError(
                f"cannot read the witness state file {self.path}: {error}",
                field="state",
                value=str(self.path),
            ) from None

    def _write(self, logs: dict[str, Checkpoint]) -> None:
        document = {"logs": {origin: c.to_text() for origin, c in sorted(logs.items())}}
        write_replacing(self.path, (json.dumps(document, indent=1) + "\n").encode())
