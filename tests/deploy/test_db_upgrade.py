"""`hawkari db upgrade`: a service's migrations with its own settings, safe from many replicas at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from typer.testing import CliRunner

from hawkari import stack
from hawkari.cli import app
from hawkari.migrate_service import upgrade_service
from shared.migrations import database_revision, head_revision

SPEC = next(s for s in stack.ALL_SERVICES if s.name == "referrals")


def test_replicas_starting_together_migrate_once(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWKARI_REFERRALS_DATABASE_URL", database_url)
    # Four init containers at the same moment: without the advisory lock, all four would run the
    # same CREATE TABLEs and all but one would fail.
    with ThreadPoolExecutor(4) as pool:
        revisions = list(pool.map(lambda _: upgrade_service(SPEC), range(4)))
    head = head_revision(SPEC.migrations)
    assert revisions == [head] * 4
    assert asyncio.run(database_revision(database_url)) == head


def test_the_command_says_where_it_got_and_what_failed(database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["db", "upgrade", "referrals"], env={"HAWKARI_REFERRALS_DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.output
    assert f"referrals: at {head_revision(SPEC.migrations)}" in result.stdout

    unreachable = database_url.rsplit("@", 1)[0] + "@127.0.0.1:1/nowhere"
    result = runner.invoke(
        app, ["db", "upgrade", "referrals"], env={"HAWKARI_REFERRALS_DATABASE_URL": unreachable}
    )
    assert result.exit_code == 1
    assert "the referrals database at" in result.stderr and "cannot be reached" in result.stderr

    result = runner.invoke(app, ["db", "upgrade", "nonsense"])
    assert result.exit_code == 1 and "no service with migrations called nonsense" in result.stderr
