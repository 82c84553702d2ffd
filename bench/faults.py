"""The long fault run by hand: several rounds of every fault under a heavier load, figures recorded.

Run: ``uv run --frozen python -m bench.faults [--rounds 6] [--workers 6] [--outage 8]``. Starts the
whole stack as separate processes on free ports in a fresh folder (see ``tests/faults/``), drives
referrals through the APIs while killing services, restarting NATS and PostgreSQL and taking the
SMTP sink and the webhook receiver away, then counts what was lost or doubled. Writes
``bench/results/faults.json`` and prints the summary line. Exits 1 if anything was lost, doubled
(other than a resend after a crash of the sender), reversed, or answered with a 5xx other than 503.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.faults.scenario import LONG, Outcome, run

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"


def healthy(outcome: Outcome) -> bool:
    f = outcome.findings
    return (
        f.lost == 0
        and f.unexplained_duplicates == 0
        and f.unpublished == 0
        and not f.status_mismatch
        and not f.read_model_mismatch
        and not outcome.regressions
        and not outcome.server_errors
        and not outcome.bad_probes
        and not outcome.ledger.unexpected
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=LONG.rounds)
    parser.add_argument("--workers", type=int, default=LONG.workers)
    parser.add_argument("--outage", type=float, default=LONG.outage_s, help="seconds a server stays away")
    args = parser.parse_args()
    plan = dataclasses.replace(LONG, rounds=args.rounds, workers=args.workers, outage_s=args.outage)
    folder = Path(tempfile.mkdtemp(prefix="hawkari-faults-"))
    outcome = asyncio.run(run(folder / "stack", plan, log=lambda m: print(m, flush=True)))
    result = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **outcome.summary(),
        "problems": outcome.findings.problems(),
        "regressions": outcome.regressions[:10],
        "unexpected_examples": outcome.ledger.unexpected[:10],
        "healthy": healthy(outcome),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "faults.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(outcome.line())
    if result["healthy"]:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"kept for inspection (logs, databases, mail): {folder}")
    sys.exit(0 if result["healthy"] else 1)


if __name__ == "__main__":
    main()
