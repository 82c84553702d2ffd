"""Faults survived under load, with every part a real process (see tests/faults/scenario.py).

The short run is part of the suite: under load, once each, kill -9 of the referrals and the
notifications service (their relay and consumers run inside), NATS and PostgreSQL restarted, the
SMTP sink and the webhook receiver away for a while. The long run, by hand, repeats every fault
(also kill -9 of the registry and coordination) for several rounds under a heavier load:
``HAWKARI_FAULTS_LONG=1 uv run --frozen pytest tests/faults -s`` or ``python -m bench.faults``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.scenario import LONG, SHORT, run

LONG_RUN = os.environ.get("HAWKARI_FAULTS_LONG") == "1"


@pytest.mark.timeout(3600 if LONG_RUN else 330)
async def test_nothing_is_lost_doubled_or_reversed_while_processes_die(tmp_path: Path) -> None:
    plan = LONG if LONG_RUN else SHORT
    outcome = await run(tmp_path / "stack", plan)
    print("\n" + outcome.line())
    summary = outcome.summary()

    assert summary["faults"] == plan.rounds * len(plan.faults)
    assert outcome.ledger.operations > 0 and not outcome.ledger.unexpected, outcome.ledger.unexpected[:5]
    problems = outcome.findings.problems()
    assert outcome.findings.lost == 0, problems
    f = outcome.findings
    assert f.referrals.duplicated == f.events.duplicated == f.inbox.duplicated == 0, problems
    # Email and webhooks cross to another server: a sender that cannot record a send (killed, or its
    # database down) sends it again after the lease (same webhook-id). Any other copy is a defect.
    assert f.unexplained_duplicates == 0, problems
    assert outcome.findings.unpublished == 0
    assert not outcome.findings.status_mismatch, problems
    assert not outcome.findings.read_model_mismatch, problems
    assert not outcome.regressions, outcome.regressions[:5]
    assert outcome.samples > 0
    # While PostgreSQL was down every service answered 503 problem+json with Retry-After, never 500.
    assert outcome.probes and not outcome.bad_probes, outcome.bad_probes[:10]
    assert not outcome.server_errors, outcome.server_errors[:10]
    assert outcome.receiver_bad_signatures == 0
