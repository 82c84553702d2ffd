"""How long `hawkari up` takes to reach ready, and each process's idle memory afterwards.

Run: ``uv run --frozen python -m bench.stack_up [--runs 3]``. Every run starts the real stack on
free ports in a fresh data folder (first start: initdb, migrations, seeding) and then once more on
the same folder (a second `up` keeps the data). Writes ``bench/results/stack_up.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from hawkari import stack
from shared.processes import free_port

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def _env(data_dir: Path) -> dict[str, str]:
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


def _label(proc: psutil.Process) -> str:
    cmd = " ".join(proc.cmdline())
    for spec in stack.ALL_SERVICES:
        if f"services.{spec.name}." in cmd:
            return spec.name
    if "deploy.devidp" in cmd:
        return "identity"
    if "nats-server" in cmd:
        return "nats"
    if "postgres" in proc.name():
        return "postgres"
    return proc.name()


def one_start(data_dir: Path, env: dict[str, str], idle_s: float) -> tuple[float, dict[str, float]]:
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hawkari.cli", "up"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if "Hawkari is ready" in line:
                break
        else:
            raise RuntimeError("hawkari up exited before it was ready")
        ready = time.monotonic() - started
        time.sleep(idle_s)  # let start-up garbage settle before reading resident memory
        memory: dict[str, float] = {}
        for child in psutil.Process(proc.pid).children(recursive=True):
            label = _label(child)
            if label in {"postgres"}:
                continue  # one server, many backends: reported by PostgreSQL itself, not here
            memory[label] = max(memory.get(label, 0.0), child.memory_info().rss / 2**20)
        return ready, memory
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before measuring memory")
    args = parser.parse_args()
    fresh, again, memories = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="hawkari-bench-") as tmp:
            Path(tmp).chmod(0o755)
            data_dir = Path(tmp) / "data"
            env = _env(data_dir)
            seconds, memory = one_start(data_dir, env, args.idle)
            fresh.append(seconds)
            memories.append(memory)
            again.append(one_start(data_dir, env, 0.0)[0])
    idle = {name: round(max(m.get(name, 0.0) for m in memories), 1) for name in memories[0]}
    result = {
        "benchmark": "stack_up",
        "machine": {"cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1)},
        "services": [s.name for s in stack.present_services()],
        "runs": args.runs,
        "first_up_to_ready_s": {"median": round(statistics.median(fresh), 2), "max": round(max(fresh), 2)},
        "second_up_to_ready_s": {"median": round(statistics.median(again), 2), "max": round(max(again), 2)},
        "idle_rss_mib": idle,
        "targets": {"up_to_ready_s": 60, "idle_rss_mib_per_service": 150},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "stack_up.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
