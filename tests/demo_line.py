"""The demo line served as `make run` serves it: `deconflict demo --keep DIR --serve`, in a child
process, with what it printed up to its tokens, until it is interrupted as Ctrl-C would."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CLI = [sys.executable, "-c", "from deconflict.cli import main; main()"]
TOKENS = re.compile(r"^\s+(coalition|russia|aid)\s+(dcf_\S+)$", re.MULTILINE)


@dataclass
class ServedDemo:
    """A demo line being served: its port, what it printed and each party's admin token.

    `process` is the child; after the `with` block it has been interrupted and has exited.
    """

    port: int
    printed: str
    tokens: dict[str, str]
    process: subprocess.Popen[str]


@contextmanager
def served_demo(keep: Path, port: int) -> Iterator[ServedDemo]:
    """Run the story, keep its store in `keep` and serve it on 127.0.0.1:`port` meanwhile."""
    demo = subprocess.Popen(
        [*CLI, "demo", "--keep", str(keep), "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert demo.stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def read_lines() -> None:
        for line in demo.stdout or ():
            lines.put(line)

    reader = threading.Thread(target=read_lines)
    reader.start()
    try:
        printed = _lines_until(lines, "Try: deconflict inbox", timeout_s=60)
        yield ServedDemo(port, printed, dict(TOKENS.findall(printed)), demo)
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=15)
        reader.join(5)
        demo.stdout.close()


def _lines_until(lines: queue.Queue[str], marker: str, timeout_s: float) -> str:
    """What was printed up to and including the line holding `marker`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while not seen or marker not in seen[-1]:
        seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
    return "".join(seen)
