"""The head file: its own thread answers every commit, even after one caller's answer fails,
and writers in several processes never put an older head over a newer one."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from deconflict.record.note import Checkpoint, generate_signer, sign_checkpoint
from deconflict.store.head import HeadFile, HeadKeeper
from deconflict.store.record_reads import LogKey


def test_an_answer_that_raises_leaves_the_next_commits_answered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The log never grows here, so no head is signed: what is held is the answering.
    keeper = HeadKeeper(HeadFile(tmp_path / "head", key=None), lambda: -1, lambda: "")  # type: ignore[arg-type]
    answered = threading.Event()

    def failing() -> None:
        raise RuntimeError("the caller's loop is gone")

    keeper.after(failing)
    keeper.after(answered.set)
    assert answered.wait(5), "a failed answer stopped the head file's thread"
    keeper.wait()  # and it still serves commits after that batch
    keeper.close()
    assert "could not answer a commit under the head file" in caplog.text


def test_a_head_read_earlier_by_another_process_never_lands_over_a_later_one(
    tmp_path: Path,
) -> None:
    """Two worker processes on one store each write the head after their commits. One reads
    the log at 100 leaves; meanwhile the log grows to 105 and the other writes that. The one
    that read 100 must not then put its older head over it (a truncation of the last five
    entries, each answered, would go unseen). Two HeadFile objects stand for the two
    processes: each takes the file's lock on a descriptor of its own, as a process does."""
    origin = "deconflict.test/head"
    key = LogKey(generate_signer(origin)[0], origin)
    path = tmp_path / "log-key.pem.head"
    first, second = HeadFile(path, key), HeadFile(path, key)
    log = {"size": 100}

    def note(size: int) -> str:
        return sign_checkpoint(Checkpoint(origin, size, bytes([size]) * 32), key.signer)

    read_at_100, second_done = threading.Event(), threading.Event()

    def slow_checkpoint() -> str:
        taken = note(log["size"])
        read_at_100.set()
        second_done.wait(1)  # with the lock, the second cannot write meanwhile: it waits
        return taken

    def grow_and_write() -> None:
        read_at_100.wait(5)
        log["size"] = 105
        second.advance(lambda: log["size"], lambda: note(log["size"]))
        second_done.set()

    later = threading.Thread(target=grow_and_write)
    later.start()
    first.advance(lambda: log["size"], slow_checkpoint)
    later.join(10)
    written = first.read()
    assert written is not None and written.size == 105
