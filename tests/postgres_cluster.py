"""A throwaway PostgreSQL server for one test session: `initdb` and `pg_ctl` in a temporary folder.

Made from the installed server binaries (Debian's `postgresql` package puts them
in /usr/lib/postgresql/<version>/bin; any `pg_ctl` on PATH or in
$DECONFLICT_TEST_PG_BIN will do), listening on 127.0.0.1 on a free port with
trust authentication, and removed with everything in it when the session ends.
It never touches a server the machine already runs. Durability is switched off
(no fsync): the data dies with the session anyway, and commits are faster.

PostgreSQL refuses to run as root; as root the cluster belongs to the `postgres`
user that the Debian package creates.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL = "apt-get update && apt-get install -y postgresql"
# Settings for a server whose data is thrown away: nothing waits for the disk.
_FAST = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c log_min_messages=warning"
)


class ClusterUnavailable(RuntimeError):
    """No throwaway server could be made; the message says what to install or set."""


@dataclass
class Cluster:
    """A running throwaway server: its folder, port and the admin URL (user postgres)."""

    folder: Path
    port: int
    bin_dir: Path
    owner: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the server at once (nothing in it is kept) and remove its folder."""
        _run(
            [self.bin_dir / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop"],
            self.owner,
            self.folder,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster(attempts: int = 3) -> Cluster:
    """A new server on a free loopback port; ClusterUnavailable when one cannot be made."""
    bin_dir = server_binaries()
    owner = _owner()
    folder = Path(tempfile.mkdtemp(prefix="deconflict-pg-"))
    if owner is not None:
        record = pwd.getpwnam(owner)
        os.chown(folder, record.pw_uid, record.pw_gid)
    data = folder / "data"
    _run(
        [
            bin_dir / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        owner,
        folder,
    )
    for _ in range(attempts):
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k {folder} {_FAST}"
        log = folder / "server.log"
        started = _run(
            [bin_dir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"],
            owner,
            folder,
            check=False,
        )
        if started.returncode == 0:
            return Cluster(folder, port, bin_dir, owner)
    ending = (folder / "server.log").read_text(errors="replace")[-2000:]
    shutil.rmtree(folder, ignore_errors=True)
    raise ClusterUnavailable(
        f"the throwaway PostgreSQL server did not start; its log ends:\n{ending}"
    )


def server_binaries() -> Path:
    """The folder holding `initdb` and `pg_ctl`: $DECONFLICT_TEST_PG_BIN, PATH, or Debian's."""
    given = os.environ.get("DECONFLICT_TEST_PG_BIN")
    candidates = [Path(given)] if given else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda folder: [int(n) for n in re.findall(r"\d+", folder.parent.name)],
        reverse=True,
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise ClusterUnavailable(
        "the PostgreSQL tests need the server binaries (initdb, pg_ctl): "
        f"{INSTALL} (or set DECONFLICT_TEST_PG_BIN to their folder)"
    )


def _owner() -> str | None:
    """Who runs the server: the `postgres` user when we are root, else whoever we are."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterUnavailable(
            "PostgreSQL will not run as root and there is no 'postgres' user to run it: "
            f"{INSTALL} creates one (or: useradd --system postgres)"
        ) from None
    return "postgres"


def _run(
    command: list[str | Path], owner: str | None, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        user=owner,
        group=owner,
        extra_groups=[] if owner else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and done.returncode != 0:
        raise ClusterUnavailable(
            f"{Path(str(command[0])).name} failed ({done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    return done


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
