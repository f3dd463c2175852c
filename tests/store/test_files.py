"""Small files written whole: the record's signing key made once by processes starting
together, and files replaced without ever showing half of themselves."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest

from deconflict.record.note import load_signer
from deconflict.server import open_log_key
from deconflict.settings import Settings
from deconflict.store.files import write_new, write_replacing

ORIGIN = "deconflict.test/files"
STARTING = 6


def _start(db: str, ready: Any, keys: Any) -> None:
    ready.wait(10)
    try:
        keys.put(open_log_key(Settings(db=db, log_origin=ORIGIN)).signer.verifier.to_text())
    except Exception as error:
        keys.put(repr(error))


@pytest.mark.parametrize("round_", range(4))
def test_processes_starting_together_on_a_new_store_make_one_key_and_all_use_it(
    tmp_path: Path, round_: int
) -> None:
    """Worker processes of a new line start at once: each finds no key. One makes it, the
    others read that one (before, the others stopped with FileExistsError or read a file not
    yet written)."""
    db = str(tmp_path / "line.db")
    context = multiprocessing.get_context("fork")
    ready, answers = context.Barrier(STARTING), context.Queue()
    starting = [context.Process(target=_start, args=(db, ready, answers)) for _ in range(STARTING)]
    for process in starting:
        process.start()
    keys = [answers.get(timeout=30) for _ in starting]
    for process in starting:
        process.join(10)
    key_file = Settings(db=db).log_key_path
    assert len(set(keys)) == 1
    assert load_signer(ORIGIN, key_file.read_bytes()).verifier.to_text() == keys[0]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [key_file.name]


def test_a_new_file_is_made_once_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    assert write_new(path, b"first")
    assert not write_new(path, b"second")
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key.pem"]


def test_a_replaced_file_holds_the_new_content_and_nothing_is_left_beside_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "head"
    write_replacing(path, b"old")
    write_replacing(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["head"]
