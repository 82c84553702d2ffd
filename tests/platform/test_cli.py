"""`hawkari up` as a user runs it: a real process tree, real servers, real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from hawkari import stack
from shared.processes import free_port

REPO = Path(__file__).resolve().parents[2]
HAWKARI = [sys.executable, "-m", "hawkari.cli"]


def stack_env(data_dir: Path) -> dict[str, str]:
    """Free ports for every part, so the test runs beside a developer's own stack."""
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


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    tmp_path.chmod(0o755)
    return folder


def read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert proc.stdout is not None
    seen = []
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
    raise AssertionError(f"{marker!r} not printed; output so far:\n{''.join(seen)}")


@pytest.fixture
def running_stack(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str], str]]:
    env = stack_env(data_dir)
    proc = subprocess.Popen(
        [*HAWKARI, "up"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output = read_until(proc, "Press Ctrl-C to stop.", timeout=120)
        yield proc, env, output
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_up_brings_everything_to_ready_and_ctrl_c_stops_it_all(
    running_stack: tuple[subprocess.Popen[str], dict[str, str], str], data_dir: Path
) -> None:
    proc, env, output = running_stack
    assert "Hawkari is ready" in output
    for user, _ in stack.DEMO_USERS:
        assert user in output
    idp = f"http://127.0.0.1:{env['HAWKARI_IDP_PORT']}/realms/hawkari"
    assert httpx.get(f"{idp}/.well-known/openid-configuration").json()["issuer"] == idp
    for spec in stack.present_services():
        port = env[f"HAWKARI_{spec.name.upper()}_PORT"]
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200, spec.name

    status = subprocess.run(
        [*HAWKARI, "status"], cwd=REPO, env=env, capture_output=True, text=True, timeout=30
    )
    assert status.returncode == 0, status.stdout + status.stderr
    assert "ready" in status.stdout

    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "up runs its servers and services as child processes"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 0
    _gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"left running: {[p.info for p in alive]}"
    assert (data_dir / "postgres" / "PG_VERSION").exists()  # data stays for the next `up`
    assert not (data_dir / "state.json").exists()


def test_a_taken_port_stops_up_with_one_clear_sentence(data_dir: Path) -> None:
    env = stack_env(data_dir)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(env["HAWKARI_IDP_PORT"])))
        blocker.listen()
        result = subprocess.run(
            [*HAWKARI, "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert f"port {env['HAWKARI_IDP_PORT']} for the identity provider is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unreachable_database_stops_up_with_one_clear_sentence(data_dir: Path) -> None:
    env = stack_env(data_dir)
    if not any(s.has_database for s in stack.present_services()):
        pytest.skip("no service with a database exists in this checkout yet")
    env["HAWKARI_DATABASE_URL"] = f"postgresql://postgres:pw@127.0.0.1:{free_port()}/postgres"
    result = subprocess.run([*HAWKARI, "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "PostgreSQL at" in result.stderr and "cannot be reached" in result.stderr
    assert "pw@" not in result.stderr  # the password is never printed
    assert "Traceback" not in result.stderr + result.stdout


def test_status_without_a_running_stack_says_so(data_dir: Path) -> None:
    env = stack_env(data_dir)
    result = subprocess.run(
        [*HAWKARI, "status"], cwd=REPO, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "no stack is running" in result.stderr
