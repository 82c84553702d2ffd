"""Child processes of `hawkari up`: started with their environment, logged to files, restarted.

A child that dies unexpectedly is restarted with a growing delay, so a crash (or a `kill -9` in
a fault test) heals itself the way an orchestrator would restart a pod.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.processes import die_with_parent


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    stopping: bool = False
    _started_at: float = field(default=0.0)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.args,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
                cwd=Path(__file__).resolve().parents[1],
            )
        self._started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping = True
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@dataclass
class Supervisor:
    children: list[Child] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def add(self, child: Child) -> Child:
        child.start()
        with self._lock:
            self.children.append(child)
        return child

    def watch(self, on_restart: object = None) -> None:
        """Restart dead children until stopped. Runs in a background thread."""
        while not self._stop.wait(0.5):
            with self._lock:
                children = list(self.children)
            for child in children:
                if child.stopping or child.alive():
                    continue
                # Quick crash loops back off up to 10 s; a long-lived child restarts at once.
                delay = (
                    0.0 if time.monotonic() - child._started_at > 30 else min(2**child.restarts * 0.5, 10.0)
                )
                if delay:
                    time.sleep(delay)
                child.restarts += 1
                print(
                    f"hawkari: {child.name} stopped unexpectedly; restarting (see {child.log_path})",
                    file=sys.stderr,
                    flush=True,
                )
                child.start()

    def stop_all(self) -> None:
        self._stop.set()
        with self._lock:
            children = list(reversed(self.children))
        for child in children:
            child.stop()
