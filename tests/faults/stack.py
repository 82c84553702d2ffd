"""The whole stack as separate OS processes on free ports, with the handles a fault test needs.

PostgreSQL and NATS are the embedded servers of ``shared.processes``; the identity provider, the SMTP
sink and each service run under ``hawkari.supervisor`` exactly as ``hawkari up`` runs them (uvicorn,
one process per service with its relay and consumers inside), so a ``kill -9`` is healed by the same
supervisor that heals a crash in production-like use. Every child dies with the test process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hawkari.cli import migrate_all, run_seed
from hawkari.stack import ServiceSpec, database_url_for
from hawkari.supervisor import Child, Supervisor
from shared.processes import EmbeddedNats, EmbeddedPostgres, free_port, wait_for_port

SERVICES = ("registry", "referrals", "notifications", "coordination")


def service_env(
    spec: ServiceSpec, server_url: str, nats_url: str, issuer: str, smtp_port: int, others: list[ServiceSpec]
) -> dict[str, str]:
    p = spec.env_prefix
    env = {
        f"{p}ENVIRONMENT": "development",
        f"{p}DATABASE_URL": database_url_for(server_url, spec),
        f"{p}NATS_URL": nats_url,
        f"{p}OIDC_ISSUER": issuer,
        f"{p}PUBLIC_URL": spec.url,
        f"{p}LOG_LEVEL": "WARNING",
    }
    for other in others:
        env[f"{p}{other.name.upper()}_URL"] = other.url
    if spec.name == "notifications":
        env.update(
            {
                f"{p}SMTP_HOST": "127.0.0.1",
                f"{p}SMTP_PORT": str(smtp_port),
                f"{p}SMTP_TIMEOUT_S": "3",
                # The receiver is on loopback; retries are quick so an outage heals within the test.
                f"{p}WEBHOOK_ALLOW_PRIVATE": "true",
                f"{p}WEBHOOK_TIMEOUT_S": "3",
                f"{p}WEBHOOK_BACKOFF_BASE_S": "0.5",
                f"{p}WEBHOOK_BACKOFF_MAX_S": "3",
                f"{p}EMAIL_BACKOFF_MAX_S": "3",
                # An outage of the receiver must delay, not disable, the endpoint in this test.
                f"{p}WEBHOOK_MAX_CONSECUTIVE_FAILURES": "100000",
            }
        )
    return env


@dataclass
class FaultStack:
    root: Path
    postgres: EmbeddedPostgres = field(init=False)
    nats: EmbeddedNats = field(init=False)
    supervisor: Supervisor = field(default_factory=Supervisor)
    specs: dict[str, ServiceSpec] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    idp_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    _smtp_hold: socket.socket = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.postgres = EmbeddedPostgres("postgres", free_port(), self.root / "postgres")
        self.nats = EmbeddedNats("nats", free_port(), self.root / "nats")
        self.specs = {name: ServiceSpec(name, free_port()) for name in SERVICES}

    @property
    def idp_url(self) -> str:
        return f"http://127.0.0.1:{self.idp_port}"

    @property
    def issuer(self) -> str:
        return f"{self.idp_url}/realms/hawkari"

    @property
    def maildir(self) -> Path:
        return self.root / "mail"

    def url(self, service: str) -> str:
        return self.specs[service].url

    def database_url(self, service: str) -> str:
        return database_url_for(self.postgres.url(), self.specs[service])

    # --- start and stop ---------------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> None:
        self.postgres.start()
        self.nats.start()
        logs = self.root / "logs"
        self._add(
            Child(
                "identity",
                [sys.executable, "-m", "deploy.devidp"],
                {
                    "HAWKARI_IDP_ENVIRONMENT": "development",
                    "HAWKARI_IDP_KEY_FILE": str(self.root / "idp" / "signing-key.json"),
                    "HAWKARI_IDP_PORT": str(self.idp_port),
                    # Long enough for the long run; the load refreshes on a 401 anyway.
                    "HAWKARI_IDP_ACCESS_TOKEN_LIFETIME": "7200",
                },
                logs / "identity.log",
                self.idp_port,
            )
        )
        self._add(self._smtp_child(logs))
        specs = list(self.specs.values())
        migrate_all(self.postgres.url(), specs)
        for spec in specs:
            self._add(
                Child(
                    spec.name,
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        spec.factory,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(spec.port),
                        "--no-access-log",
                        "--timeout-graceful-shutdown",
                        "5",
                    ],
                    service_env(
                        spec, self.postgres.url(), self.nats.url(), self.issuer, self.smtp_port, specs
                    ),
                    logs / f"{spec.name}.log",
                    spec.port,
                )
            )
        self.wait_ready(timeout)
        run_seed(self.specs["registry"], self.postgres.url())
        threading.Thread(target=self.supervisor.watch, daemon=True, name="supervisor").start()

    def _add(self, child: Child) -> None:
        self.children[child.name] = self.supervisor.add(child)

    def _smtp_child(self, logs: Path) -> Child:
        return Child(
            "smtp-sink",
            [
                sys.executable,
                "-m",
                "services.notifications.smtp_sink",
                "--port",
                str(self.smtp_port),
                "--maildir",
                str(self.maildir),
            ],
            {},
            logs / "smtp-sink.log",
            self.smtp_port,
        )

    def wait_ready(self, timeout: float) -> None:
        checks = {"identity": f"{self.issuer}/.well-known/openid-configuration"}
        checks.update({name: f"{spec.url}/readyz" for name, spec in self.specs.items()})
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while checks and time.monotonic() < deadline:
                for name, url in list(checks.items()):
                    try:
                        if client.get(url).status_code == 200:
                            del checks[name]
                    except httpx.HTTPError:
                        pass
                time.sleep(0.2)
        if checks:
            raise RuntimeError(
                f"not ready within {timeout} s: {sorted(checks)}; logs in {self.root / 'logs'}"
            )

    def stop(self) -> None:
        self.supervisor.stop_all()
        self.nats.stop()
        self.postgres.stop()

    # --- faults -----------------------------------------------------------------------------------

    def kill_service(self, name: str) -> int:
        """kill -9 a service process; the supervisor restarts it. Returns the killed pid."""
        child = self.children[name]
        assert child.process is not None and child.alive(), f"{name} is not running"
        pid = child.process.pid
        os.kill(pid, signal.SIGKILL)
        child.process.wait(10)
        return pid

    async def wait_restarted(self, name: str, old_pid: int, timeout: float = 60.0) -> None:
        child = self.children[name]
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                process = child.process
                if process is not None and process.pid != old_pid and child.alive():
                    try:
                        if (await client.get(f"{self.url(name)}/healthz")).status_code == 200:
                            return
                    except httpx.HTTPError:
                        pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{name} was not restarted within {timeout} s")

    def kill_nats(self) -> None:
        self.nats.kill()

    def start_nats(self) -> None:
        self.nats.start()

    def stop_postgres(self) -> None:
        # Immediate shutdown: no checkpoint, crash recovery on the next start, like a crash.
        self.postgres.stop(signal.SIGQUIT)

    def start_postgres(self) -> None:
        self.postgres.start()

    def stop_smtp(self) -> None:
        child = self.children["smtp-sink"]
        child.stopping = True  # the supervisor leaves it down
        if child.process is not None:
            child.process.kill()
            child.process.wait(10)
        self._smtp_hold = hold_port(self.smtp_port)

    def start_smtp(self) -> None:
        child = self.children["smtp-sink"]
        self._smtp_hold.close()
        child.start()
        child.stopping = False  # after start: the supervisor must not start a second one meanwhile
        assert wait_for_port(self.smtp_port, 20, child.process), "the SMTP sink did not come back"


def hold_port(port: int) -> socket.socket:
    """Keep a stopped server's port bound but not listening: a client is refused, as by a server that
    is down, and no other program on the machine (another test) can take the port meanwhile."""
    hold = socket.socket()
    hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hold.bind(("127.0.0.1", port))
    return hold
