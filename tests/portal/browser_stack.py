"""The real stack for the browser tests: ``hawkari up`` on free ports, and Debian's Chromium.

The stack runs as a user runs it (embedded PostgreSQL and NATS, the development IdP, every service
and the portal, migrated and seeded). Playwright drives ``/usr/bin/chromium``; it never downloads
a browser. Every request the browser makes is recorded, so tests can check that pages are light
and that nothing is fetched from another host.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hawkari import stack
from shared.processes import free_port

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "hawkari-demo"


@dataclass
class Stack:
    portal: str
    idp: str
    postgres_port: int


def stack_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWKARI_")}
    env.update(
        HAWKARI_DATA_DIR=str(data_dir),
        HAWKARI_POSTGRES_PORT=str(free_port()),
        HAWKARI_NATS_PORT=str(free_port()),
        HAWKARI_IDP_PORT=str(free_port()),
        HAWKARI_SMTP_SINK_PORT=str(free_port()),
        PYTHONUNBUFFERED="1",
    )
    for spec in stack.ALL_SERVICES:
        env[f"HAWKARI_{spec.name.upper()}_PORT"] = str(free_port())
    return env


def existing_stack(data_dir: Path) -> Stack:
    """A stack already running from ``data_dir`` (for working on the tests by hand)."""
    state = json.loads((data_dir / "state.json").read_text())
    return Stack(
        portal=state["services"]["portal"],
        idp=state["identity"].split("/realms/")[0],
        postgres_port=int(state["postgres"].rsplit(":", 1)[1].split("/")[0]),
    )


@contextmanager
def running_stack(data_dir: Path, timeout: float = 240.0) -> Iterator[Stack]:
    env = stack_env(data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hawkari.cli", "up"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _read_until(proc, "Press Ctrl-C to stop.", timeout)
        yield Stack(
            portal=f"http://127.0.0.1:{env['HAWKARI_PORTAL_PORT']}",
            idp=f"http://127.0.0.1:{env['HAWKARI_IDP_PORT']}",
            postgres_port=int(env["HAWKARI_POSTGRES_PORT"]),
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            seen.append(line)
            if marker in line:
                return "".join(seen)
        elif proc.poll() is not None:
            break
        else:
            time.sleep(0.05)
    raise AssertionError(f"`hawkari up` did not get ready; output:\n{''.join(seen)}")


@dataclass
class Traffic:
    """Every request the browser made, and what each finished one weighed."""

    requests: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)

    def attach(self, context: Any) -> None:
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        sizes = request.sizes()
        self.sizes[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    def hosts(self) -> set[str]:
        return {urlsplit(url).netloc for url in self.requests if not url.startswith(("data:", "about:"))}


class Screens:
    """Numbered screenshots of each step, kept as test artifacts (gitignored)."""

    def __init__(self, name: str) -> None:
        self.dir = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0

    def shot(self, page: Any, step: str) -> None:
        self.n += 1
        # Viewport only: a full-page capture resizes the page and can swallow the next click.
        page.screenshot(path=str(self.dir / f"{self.n:02d}-{step}.png"))


def login(page: Any, portal: str, username: str, path: str = "/") -> None:
    """Open ``path``; the portal sends the browser to the IdP; sign in; back on ``path``."""
    page.goto(portal + path)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(portal))
