"""The head file's own thread answers every commit, even after one caller's answer fails."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from deconflict.store.head import HeadFile, HeadKeeper


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
