"""`hawkari doctor` on a real embedded stack (`hawkari up`): healthy, then broken one way at a time.

One stack serves the module (starting it is the slow part); each test breaks one thing, checks
that the doctor names it in plain words, and mends it. Stopping NATS comes last.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import psutil
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import Result
from typer.testing import CliRunner

from hawkari import stack
from hawkari.cli import app
from hawkari.doctor import Finding, diagnose, load
from shared.messaging import StreamSpec, ensure_stream
from shared.migrations import alembic_config, upgrade
from shared.processes import port_is_taken
from tests.platform.test_cli import read_until, stack_env

REPO = Path(__file__).resolve().parents[2]
HAWKARI = [sys.executable, "-m", "hawkari.cli"]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    root = tmp_path_factory.mktemp("doctor")
    root.chmod(0o755)
    data_dir = root / "data"
    env = stack_env(data_dir)
    proc = subprocess.Popen(
        [*HAWKARI, "up", "--no-seed"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        read_until(proc, "Press Ctrl-C to stop.", timeout=180)
        yield env, data_dir
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def doctor_cli(env: dict[str, str]) -> Result:
    """`hawkari doctor` as typed, run in this process (a new interpreter costs seconds)."""
    return CliRunner().invoke(app, ["doctor"], env=env, catch_exceptions=False)


def failures(data_dir: Path) -> list[Finding]:
    return [f for f in asyncio.run(diagnose(load(data_dir))) if not f.ok]


def nats_url(data_dir: Path) -> str:
    return str(json.loads((data_dir / "state.json").read_text())["nats"])


def test_a_healthy_stack_passes(running: tuple[dict[str, str], Path]) -> None:
    env, _ = running
    result = doctor_cli(env)
    assert result.exit_code == 0, result.stdout + result.stderr
    for spec in stack.present_services():
        port = env[f"HAWKARI_{spec.name.upper()}_PORT"]
        assert f"{spec.name} at http://127.0.0.1:{port} is ready." in result.stdout
        if spec.migrations.exists():
            assert f"the {spec.name} database is at head" in result.stdout
    assert "the stream REGISTRY holds" in result.stdout and "the stream REFERRALS holds" in result.stdout
    assert "Everything answers." in result.stdout
    assert "FAIL" not in result.stdout


def test_placeholder_secrets_in_production_are_named(
    running: tuple[dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data_dir = running
    monkeypatch.setenv("HAWKARI_REFERRALS_ENVIRONMENT", "production")
    found = failures(data_dir)
    assert [f.part for f in found] == ["config referrals"]
    assert found[0].message.startswith("the referrals settings are invalid")
    assert "placeholder secrets: duplicate_hmac_key, master_key" in found[0].message


def test_a_missing_stream_is_named(running: tuple[dict[str, str], Path]) -> None:
    _, data_dir = running

    async def delete() -> None:
        client = await nats.connect(nats_url(data_dir))
        await client.jetstream().delete_stream("REFERRALS")
        await client.close()

    asyncio.run(delete())
    try:
        found = failures(data_dir)
        assert [f.part for f in found] == ["stream REFERRALS"]
        assert "the JetStream stream REFERRALS is missing" in found[0].message
    finally:

        async def recreate() -> None:
            from shared.contracts.referrals import SUBJECTS

            client = await nats.connect(nats_url(data_dir))
            await ensure_stream(client.jetstream(), StreamSpec("REFERRALS", SUBJECTS))
            await client.close()

        asyncio.run(recreate())
    assert failures(data_dir) == []


def test_a_database_behind_its_code_is_named(running: tuple[dict[str, str], Path]) -> None:
    _, data_dir = running
    # A service whose history has at least two revisions, so one step back leaves a real revision.
    spec = next(
        s
        for s in stack.present_services()
        if s.migrations.exists()
        and ScriptDirectory.from_config(alembic_config(s.migrations, "postgresql://x/y"))
        .get_revision("head")
        .down_revision
    )
    server = json.loads((data_dir / "state.json").read_text())["postgres"]
    url = stack.database_url_for(server, spec)
    script = ScriptDirectory.from_config(alembic_config(spec.migrations, url))
    head = script.get_current_head()
    previous = script.get_revision("head").down_revision
    command.downgrade(alembic_config(spec.migrations, url), "-1")
    try:
        found = failures(data_dir)
        mine = [f for f in found if f.part == f"migrations {spec.name}"]
        assert mine and mine[0].message == (
            f"the {spec.name} database is at revision {previous} but the code expects {head}; "
            "run `hawkari db upgrade` (or start the code that matches the database)."
        )
    finally:
        upgrade(spec.migrations, url)
    assert not [f for f in failures(data_dir) if f.part.startswith("migrations")]


def test_nats_down_is_named(running: tuple[dict[str, str], Path]) -> None:
    env, data_dir = running
    url = nats_url(data_dir)
    port = int(url.rsplit(":", 1)[1])
    server = next(
        p
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "nats-server" and str(port) in (p.info["cmdline"] or [])
    )
    server.kill()  # a zombie until `up` reaps it, so wait for the port to close instead
    deadline = time.monotonic() + 10
    while port_is_taken(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    result = doctor_cli(env)
    assert result.exit_code == 1
    assert f"FAIL  NATS at {url} cannot be reached (connection refused)" in result.stdout
    assert "problem(s) found" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
