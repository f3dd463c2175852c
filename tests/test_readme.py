"""Every shell example in the README works as typed, run in order against the demo line.

The demo line is what `make run` serves (`deconflict demo --keep DIR --serve`). The
README's blocks run one after another in one shell, in an empty folder, exactly as
written but for what a reader changes too: the ports (8000, 8001) become free ones;
`DECONFLICT_TOKEN=dcf_...   # the aid token` gets the token the demo printed for that
party; and a command that serves until Ctrl-C (`deconflict serve`) runs in the
background until its port answers. The quick start is checked to be `make run` and
`make test`, and nothing else.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.api.conftest import free_port
from tests.demo_line import CLI, ServedDemo, served_demo

README = Path(__file__).resolve().parents[1] / "README.md"
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
PORT = re.compile(r"(?<=127\.0\.0\.1:)\d{4}\b|(?<=--port )\d{4}\b")
TOKEN = re.compile(r"DECONFLICT_TOKEN=dcf_\.\.\.(?=\s+#\s*the (\w+) token)")
DEMO_PORT = "8000"  # where the README says `make run` serves the demo line
# Commands whose exit status 1 means "conflicts found", a successful answer.
MAY_FIND_CONFLICTS = ("deconflict check", "deconflict notify", "deconflict import")


def shell_blocks() -> list[list[str]]:
    """The README's ```sh blocks, each as its commands (continued lines joined)."""
    blocks = []
    for body in SHELL_BLOCK.findall(README.read_text(encoding="utf-8")):
        commands: list[str] = []
        continued = False
        for line in body.splitlines():
            if continued:
                commands[-1] += "\n" + line
            elif line.strip():
                commands.append(line)
            continued = line.rstrip().endswith("\\")
        blocks.append(commands)
    return blocks


def _without_comment(command: str) -> str:
    return shlex.join(shlex.split(command, comments=True))


def test_the_quick_start_is_make_run_then_make_test() -> None:
    quick_start = shell_blocks()[0]
    assert [_without_comment(c) for c in quick_start] == ["make run", "make test"]


@pytest.fixture(scope="module")
def demo_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDemo]:
    with served_demo(tmp_path_factory.mktemp("demo-line"), free_port()) as demo:
        _wait_for_port(demo.port)
        yield demo


@dataclass
class Ran:
    """One README command as it ran: its text, exit status and output."""

    command: str
    status: int
    stdout: str
    stderr: str


def test_every_shell_example_works_as_written(demo_line: ServedDemo, tmp_path: Path) -> None:
    commands = [c for block in shell_blocks()[1:] for c in block]
    ran = _run_in_one_shell(_as_a_reader_types(commands, demo_line), tmp_path)
    broken = [
        f"{r.command}\n  exit {r.status}\n  {r.stderr.strip() or r.stdout.strip()}"
        for r in ran
        if r.status not in _allowed(r.command) or "Traceback" in r.stderr
    ]
    assert broken == [], "\n\n".join(broken)
    said = {_without_comment(r.command): " ".join(r.stdout.split()) for r in ran}
    assert (
        "Skipped 4 features of other parties (you send as aid"
        in said["deconflict notify plan.geojson"]
    )
    [objection] = [text for command, text in said.items() if "respond 5 object" in command]
    assert re.fullmatch(r"Objection recorded on notice 5 \(entry \d+\)\. .*", objection)
    assert "│ imported │ 5 │" in said["deconflict import hospitals.csv"]
    assert "Q) OSTT/" in said["deconflict notam strike-1 --fir OSTT"]


def _allowed(command: str) -> set[int]:
    return {0, 1} if _without_comment(command).startswith(MAY_FIND_CONFLICTS) else {0}


def _as_a_reader_types(commands: list[str], demo_line: ServedDemo) -> list[str]:
    """The commands with free ports for the README's and the demo's tokens for dcf_..."""
    written = sorted({port for command in commands for port in PORT.findall(command)})
    assert DEMO_PORT in written
    ports = {port: str(free_port()) for port in written} | {DEMO_PORT: str(demo_line.port)}
    typed = []
    for command in commands:
        command = PORT.sub(lambda found: ports[found.group()], command)
        command = TOKEN.sub(lambda found: f"DECONFLICT_TOKEN={demo_line.tokens[found[1]]}", command)
        assert "dcf_..." not in command, f"a token placeholder names no party: {command}"
        typed.append(command)
    return typed


def _run_in_one_shell(commands: list[str], folder: Path) -> list[Ran]:
    """Run the commands in order in one bash, in `folder`, each one's output kept apart."""
    script = [f"cd {shlex.quote(str(folder))}"]
    for number, command in enumerate(commands):
        out, err, status = (f".readme/{number}.{name}" for name in ("out", "err", "status"))
        if _without_comment(command).startswith("deconflict serve"):
            port = re.search(r"--port (\d+)", command)
            assert port is not None, f"a served example names its port: {command}"
            # Until Ctrl-C: in the background, its own process (so $! is the server).
            script += [
                f"{_without_comment(command)} > {out} 2> {err} &",
                "echo $! >> .readme/serving",
                f"{_WAIT_FOR_PORT.format(port=port[1])}; echo $? > {status}",
            ]
        else:
            script += ["{", command, f"}} > {out} 2> {err}; echo $? > {status}"]
    (folder / ".readme").mkdir()
    bin_dir = folder / ".readme" / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "deconflict"
    shim.write_text(f'#!/bin/sh\nexec {shlex.join(CLI)} "$@"\n')
    shim.chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}"
    try:
        subprocess.run(["bash", "-c", "\n".join(script)], env=environ, timeout=600, check=False)
    finally:
        serving = folder / ".readme" / "serving"
        for pid in serving.read_text().split() if serving.exists() else []:
            _stop(int(pid))
    return [
        Ran(
            command,
            int((folder / f".readme/{number}.status").read_text() or "-1"),
            (folder / f".readme/{number}.out").read_text(),
            (folder / f".readme/{number}.err").read_text(),
        )
        for number, command in enumerate(commands)
    ]


# Up to 30 s for a server started in the background to take connections.
_WAIT_FOR_PORT = (
    "for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; "
    "sleep 0.1; done; (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null"
)


def _stop(pid: int) -> None:
    """Stop a server started in the background: asked first, killed after 10 s."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _wait_for_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
