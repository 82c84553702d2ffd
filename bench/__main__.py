"""Run every benchmark in bench/ in one go, then write a short table of figures against targets.

    uv run --frozen python -m bench                      # all, full size (tens of minutes)
    uv run --frozen python -m bench --quick              # all, small sizes (a few minutes)
    uv run --frozen python -m bench --only referral_create --only stack_up
    uv run --frozen python -m bench --list

Each benchmark is its own module (``python -m bench.<name>``), run here as a child process one after
the other so that they never compete for the machine. Each writes its JSON to ``bench/results/``;
the harness then reads them and writes ``bench/results/summary.md``: figure, measured, target, met.
Their console output goes to ``$TMPDIR/hawkari-bench-logs/<name>.log``.
The targets are those of DESIGN.md. A benchmark that fails is marked so in the table and the others
still run; the exit status is non-zero if any failed.

``--quick`` runs the same code on small data, to check the harness and see rough figures; its
results go to ``bench/results/quick/`` so the recorded full-size results stay as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# Each benchmark's own output, kept out of the repository: read it when one fails.
LOGS = Path(tempfile.gettempdir()) / "hawkari-bench-logs"

Row = tuple[str, str, str, bool | None]  # figure, measured, target, met (None: no target)


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def _referral_rows(d: dict[str, Any]) -> list[Row]:
    api = d["api"]
    return [
        (
            "Referral creation via API vs bare asyncpg (same rows, same concurrency)",
            f"{d['ratio']:.3f} ({api['per_s']}/s vs {d['bare_asyncpg']['per_s']}/s; "
            f"API p50 {_ms(api['p50_ms'])}, p99 {_ms(api['p99_ms'])}"
            + (
                f"; service CPU {d['cpu_ms_per_referral']['api']['service']} ms per referral)"
                if "cpu_ms_per_referral" in d
                else ")"
            ),
            "≥ 0.5",
            d["ratio"] >= 0.5,
        )
    ]


def _notify_rows(d: dict[str, Any]) -> list[Row]:
    rate = d.get("achieved_publish_rate_per_s", d.get("rate_per_s"))
    return [
        (
            f"Referral sent → inbox item visible, p50 / p99 (at {rate}/s)",
            f"{_ms(d['p50_ms'])} / {_ms(d['p99_ms'])} ({d['received']} of {d['referrals']} received)",
            "≤ 20 ms / ≤ 150 ms",
            d["p50_ms"] <= 20 and d["p99_ms"] <= 150 and d["received"] == d["referrals"],
        )
    ]


def _dashboard_rows(d: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    endpoints = {k: v for k, v in d["endpoints"].items() if not k.startswith("healthz")}
    for kind in ("coverage", "overlap"):
        mine = {k: v for k, v in endpoints.items() if k.startswith(kind)}
        if not mine:
            continue
        worst = max(mine, key=lambda k: mine[k]["p95_ms"])
        p95 = mine[worst]["p95_ms"]
        rows.append(
            (
                f"{kind.capitalize()} dashboard p95, {d['load']['referrals']:,} referrals, "
                f"{d['load']['services']:,} services (slowest: {worst})",
                _ms(p95),
                "≤ 50 ms",
                p95 <= 50,
            )
        )
    slowest = max(endpoints, key=lambda k: endpoints[k]["p95_ms"])
    rows.append(
        (
            "All dashboard endpoints p95 (slowest)",
            f"{_ms(endpoints[slowest]['p95_ms'])} ({slowest})",
            "≤ 50 ms",
            endpoints[slowest]["p95_ms"] <= 50,
        )
    )
    return rows


def _search_rows(d: dict[str, Any]) -> list[Row]:
    o = d["overall"]
    return [
        (
            f"Directory search p95, {d['data']['services']:,} services",
            f"{_ms(o['p95_ms'])} (p50 {_ms(o['p50_ms'])})",
            "≤ 30 ms",
            o["p95_ms"] <= 30,
        )
    ]


def _stack_rows(d: dict[str, Any]) -> list[Row]:
    limit = d["targets"]["idle_rss_mib_per_service"]
    rows: list[Row] = [
        (
            "`hawkari up` to ready, first start (initdb, migrations, seed)",
            f"{d['first_up_to_ready_s']['median']} s (max {d['first_up_to_ready_s']['max']} s)",
            "—",
            None,
        ),
        (
            "`hawkari up` to ready, second start (data kept)",
            f"{d['second_up_to_ready_s']['median']} s",
            "—",
            None,
        ),
    ]
    services = set(d["services"])
    for name, mib in sorted(d["idle_rss_mib"].items()):
        if name in services:
            rows.append(
                (f"Idle memory (RSS), {name}", f"{mib} MiB", f"≤ {limit} MB", mib * 1.048576 <= limit)
            )
        else:
            rows.append((f"Idle memory (RSS), {name} (not a service)", f"{mib} MiB", "—", None))
    return rows


@dataclass(frozen=True)
class Bench:
    name: str
    full: list[str]
    quick: list[str]
    summarize: Callable[[dict[str, Any]], list[Row]]
    # How the benchmark is told where to write, when it can be (otherwise it writes RESULTS/<name>.json).
    output_flag: str | None = None


BENCHES = [
    Bench("stack_up", ["--runs", "3"], ["--runs", "1", "--idle", "5"], _stack_rows),
    Bench(
        "registry_search",
        [],
        ["--services", "2000", "--requests", "300"],
        _search_rows,
    ),
    Bench(
        "referral_create",
        ["--n", "2400", "--rounds", "4"],
        ["--n", "160", "--rounds", "2"],
        _referral_rows,
        output_flag="--output",
    ),
    Bench("notify_latency", ["--seconds", "20"], ["--seconds", "5"], _notify_rows),
    Bench(
        "coordination_dashboards",
        [],
        ["--referrals", "50000", "--requests", "10", "--naive-runs", "1"],
        _dashboard_rows,
    ),
]


def run_one(bench: Bench, quick: bool, out_dir: Path) -> tuple[bool, float, str]:
    """Run one benchmark; its JSON ends up in ``out_dir``. (ok, seconds, last lines of output)."""
    recorded = RESULTS / f"{bench.name}.json"
    target = out_dir / f"{bench.name}.json"
    args = list(bench.quick if quick else bench.full)
    if bench.output_flag:
        args += [bench.output_flag, str(target)]
    # A benchmark that can only write to the recorded place: keep the recorded result aside while
    # a quick run writes there, and put it back afterwards.
    backup = None
    if quick and not bench.output_flag and recorded.exists():
        backup = recorded.read_bytes()
    started = time.monotonic()
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{bench.name}.log"
    try:
        with log.open("w") as sink:
            proc = subprocess.run(
                [sys.executable, "-m", f"bench.{bench.name}", *args],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                check=False,
            )
        ok = proc.returncode == 0
        if ok and not bench.output_flag and recorded.resolve() != target.resolve():
            shutil.copyfile(recorded, target)
    finally:
        if backup is not None:
            recorded.write_bytes(backup)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:])
    return ok, time.monotonic() - started, tail


def summary(
    selected: list[Bench], outcomes: dict[str, tuple[bool, float, str]], out_dir: Path, quick: bool
) -> str:
    lines = [
        "# Benchmark summary" + (" (quick: small data, not the recorded figures)" if quick else ""),
        "",
        f"Written by `python -m bench{' --quick' if quick else ''}` "
        f"on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs (shared with other work: figures move with the neighbours' load). "
        "Targets from DESIGN.md. Details in the JSON file of each benchmark.",
        "",
        "| figure | measured | target | met? |",
        "|---|---|---|---|",
    ]
    for bench in selected:
        path = out_dir / f"{bench.name}.json"
        ok = outcomes.get(bench.name, (True, 0.0, ""))[0]
        if not ok or not path.exists():
            lines.append(f"| {bench.name} | failed (its output: {LOGS / bench.name}.log) | | no |")
            continue
        try:
            rows = bench.summarize(json.loads(path.read_text()))
        except (KeyError, ValueError, TypeError) as exc:
            lines.append(f"| {bench.name} | result not understood ({type(exc).__name__}: {exc}) | | ? |")
            continue
        for figure, measured, target, met in rows:
            verdict = "—" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {figure} | {measured} | {target} | {verdict} |")
    ran = [f"{b.name} {outcomes[b.name][1]:.0f} s" for b in selected if b.name in outcomes]
    if ran:
        lines += ["", "Run times: " + ", ".join(ran) + "."]
    # Results not produced by this run (not selected, or failed) are older: say from when.
    older = [
        f"{b.name} ({datetime.fromtimestamp(path.stat().st_mtime, UTC):%Y-%m-%d %H:%M} UTC)"
        for b in selected
        if (path := out_dir / f"{b.name}.json").exists() and not outcomes.get(b.name, (False,))[0]
    ]
    if older:
        lines += ["", "From earlier runs (this run did not produce them): " + ", ".join(older) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHES], help="repeatable")
    parser.add_argument("--skip", action="append", choices=[b.name for b in BENCHES], default=[])
    parser.add_argument("--quick", action="store_true", help="small data; results in bench/results/quick/")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--summary-only", action="store_true", help="rewrite summary.md from the JSON already there"
    )
    args = parser.parse_args()
    if args.list:
        for b in BENCHES:
            print(f"{b.name}: python -m bench.{b.name} {' '.join(b.full)}  (quick: {' '.join(b.quick)})")
        return
    selected = [b for b in BENCHES if (not args.only or b.name in args.only) and b.name not in args.skip]
    out_dir = RESULTS / "quick" if args.quick else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, tuple[bool, float, str]] = {}
    if not args.summary_only:
        for bench in selected:
            print(f"== {bench.name} ...", flush=True)
            ok, seconds, tail = run_one(bench, args.quick, out_dir)
            outcomes[bench.name] = (ok, seconds, tail)
            print(f"   {'done' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
            if not ok:
                print(tail, flush=True)
    # The table covers every benchmark with a result in out_dir, not only those just run.
    present = [b for b in BENCHES if (out_dir / f"{b.name}.json").exists() or b.name in outcomes]
    text = summary(present, outcomes, out_dir, args.quick)
    (out_dir / "summary.md").write_text(text)
    print(text)
    if any(not ok for ok, _, _ in outcomes.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
