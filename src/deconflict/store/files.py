"""Small files written whole and durably: the record's signing key, its head, a witness's state.

Each is written to a temporary file beside it and fsynced before it takes the
real name, so a reader sees the old content or the new one, never half of it,
and a crash never leaves an empty key behind. Processes that read a file and
write it again take turns with `held_exclusively`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def held_exclusively(lock_path: Path) -> Iterator[None]:
    """While the block runs, no other holder of `lock_path` (made if need be, mode 0600) in
    any process on this machine runs its own: an flock, let go when the block ends."""
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing lets the lock go


def write_replacing(path: Path, data: bytes) -> None:
    """Put `data` in `path` (mode 0600), replacing what was there in one rename; the folder
    is fsynced after it, so a crash cannot bring the old content back."""
    temporary = _temporary(path)
    _write_synced(temporary, data)
    os.replace(temporary, path)
    _sync_folder(path)


def write_new(path: Path, data: bytes) -> bool:
    """Make `path` (mode 0600) holding `data`, unless it exists: True when made here, False
    when it was there already (perhaps made a moment ago by another process starting beside
    this one, whose content is then complete: the name is given only to a written file)."""
    temporary = _temporary(path)
    _write_synced(temporary, data)
    try:
        os.link(temporary, path)  # atomic, and refuses an existing name
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    _sync_folder(path)
    return True


def _temporary(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def _write_synced(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _sync_folder(path: Path) -> None:
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
