"""One fault run: start the stack, drive the load, inject faults one at a time, recover, count.

Shared by the CI test (a few faults, ``SHORT``) and the long run by hand (``LONG``, ``python -m
bench.faults`` or ``HAWKARI_FAULTS_LONG=1 pytest tests/faults``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.testing import eventually
from tests.faults.checks import Findings, StatusMonitor, check
from tests.faults.load import CASEWORKER, COUNSELLOR, Client, Ledger, Load, prepare
from tests.faults.receiver import WebhookReceiver
from tests.faults.stack import FaultStack

# One round: every kind of fault once, one at a time.
# The notifications service first: emails it had leased when killed wait out their lease (two
# minutes) before they are sent again, and the other faults run meanwhile.
FAULTS = (
    "kill -9 notifications",
    "kill -9 referrals",
    "restart nats",
    "restart postgres",
    "smtp sink down",
    "webhook receiver down",
    "kill -9 registry",
    "kill -9 coordination",
)
# Faults after which the notifications service may send an email or webhook again: it could not
# record that it had sent it.
SENDER_INTERRUPTIONS = ("kill -9 notifications", "restart postgres")
# What a user reads while PostgreSQL is down: every service must say 503 with Retry-After.
PROBES = {
    "referrals": (COUNSELLOR, "/v1/referrals?limit=1"),
    "notifications": (CASEWORKER, "/v1/inbox"),
    "registry": (COUNSELLOR, "/v1/organizations"),
    "coordination": ("funder.se", "/v1/funnel"),
}


@dataclass(frozen=True)
class Plan:
    faults: tuple[str, ...]  # one round
    rounds: int
    workers: int  # concurrent users, each running referral lifecycles back to back
    pause_s: float  # between the steps of one lifecycle
    outage_s: float  # how long NATS, PostgreSQL, the SMTP sink and the receiver stay away
    settle_s: float  # between two faults
    cases: int
    recovery_timeout_s: float


# Restarting a service takes half a minute on a busy 2-core box, so the short run kills the two that
# carry the relay and the consumers under test; the long run kills every service.
SHORT = Plan(
    faults=FAULTS[:6],
    rounds=1,
    workers=2,
    pause_s=0.25,
    outage_s=2.5,
    settle_s=1.0,
    cases=6,
    recovery_timeout_s=150,
)
LONG = Plan(
    faults=FAULTS,
    rounds=4,
    workers=6,
    pause_s=0.05,
    outage_s=8.0,
    settle_s=4.0,
    cases=12,
    # The email backlog of a long run drains at the SMTP sink's pace (about 16 a second on a busy
    # 2-core box), and mail leased by a killed sender waits out its two-minute lease.
    recovery_timeout_s=900,
)


@dataclass
class Fault:
    kind: str
    started: float
    ended: float
    wall: tuple[float, float]  # time.time() when it began and ended


@dataclass
class Outcome:
    plan: Plan
    ledger: Ledger
    findings: Findings
    faults: list[Fault]
    regressions: list[str]
    samples: int
    probes: list[tuple[str, int, bool, str | None]]  # during PostgreSQL outages
    load_seconds: float
    recovery_seconds: float
    total_seconds: float
    receiver_bad_signatures: int
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def server_errors(self) -> list[str]:
        """Any 5xx that is not a proper 503 problem with Retry-After."""
        return [
            f"{o.service} {o.status}"
            for o in self.ledger.observed
            if o.status >= 500 and not (o.status == 503 and o.problem and o.retry_after)
        ]

    @property
    def bad_probes(self) -> list[str]:
        return [f"{s} {st}" for s, st, problem, ra in self.probes if not (st == 503 and problem and ra)]

    def summary(self) -> dict[str, Any]:
        f = self.findings
        kinds = Counter(x.kind for x in self.faults)
        return {
            "plan": self.plan.__dict__,
            "operations": self.ledger.operations,
            "referrals": len(self.ledger.referrals),
            "faults": len(self.faults),
            "faults_by_kind": dict(kinds),
            "lost": f.lost,
            "duplicated": f.duplicated,
            "duplicated_unexplained": f.unexplained_duplicates,
            "by_channel": f.as_dict(),
            "status_regressions": len(self.regressions),
            "read_model_samples": self.samples,
            "server_errors": len(self.server_errors),
            "responses": len(self.ledger.observed),
            "responses_503": sum(1 for o in self.ledger.observed if o.status == 503),
            "postgres_down_probes": len(self.probes),
            "postgres_down_probes_not_503": len(self.bad_probes),
            "client_retries": self.ledger.retries,
            "client_transport_errors": self.ledger.transport_errors,
            "unexpected_answers": len(self.ledger.unexpected),
            "webhook_bad_signatures": self.receiver_bad_signatures,
            "load_seconds": round(self.load_seconds, 1),
            "recovery_seconds": round(self.recovery_seconds, 1),
            "total_seconds": round(self.total_seconds, 1),
        }

    def line(self) -> str:
        s = self.summary()
        return (
            f"faults: operations={s['operations']} referrals={s['referrals']} faults={s['faults']} "
            f"lost={s['lost']} duplicated={s['duplicated']} "
            f"(not after a sender crash: {s['duplicated_unexplained']}) "
            f"regressions={s['status_regressions']} "
            f"5xx-not-503={s['server_errors']} 503s={s['responses_503']} "
            f"pg-probes={s['postgres_down_probes']}/{s['postgres_down_probes_not_503']} bad "
            f"recovery={s['recovery_seconds']}s total={s['total_seconds']}s"
        )


async def _inject(
    kind: str,
    stack: FaultStack,
    receiver: WebhookReceiver,
    client: Client,
    plan: Plan,
    probes: list[tuple[str, int, bool, str | None]],
) -> None:
    if kind.startswith("kill -9 "):
        name = kind.removeprefix("kill -9 ")
        pid = stack.kill_service(name)
        await stack.wait_restarted(name, pid)
    elif kind == "restart nats":
        stack.kill_nats()
        await asyncio.sleep(plan.outage_s)
        await asyncio.to_thread(stack.start_nats)
    elif kind == "restart postgres":
        await asyncio.to_thread(stack.stop_postgres)
        deadline = time.monotonic() + plan.outage_s
        while time.monotonic() < deadline:
            for service, (user, path) in PROBES.items():
                with contextlib.suppress(Exception):
                    r = await client.once(service, user, "GET", path)
                    probes.append(
                        (
                            service,
                            r.status_code,
                            r.headers.get("content-type", "").startswith("application/problem+json"),
                            r.headers.get("retry-after"),
                        )
                    )
            await asyncio.sleep(0.5)
        await asyncio.to_thread(stack.start_postgres)
    elif kind == "smtp sink down":
        await asyncio.to_thread(stack.stop_smtp)
        await asyncio.sleep(plan.outage_s)
        await asyncio.to_thread(stack.start_smtp)
    elif kind == "webhook receiver down":
        await asyncio.to_thread(receiver.stop, True)
        await asyncio.sleep(plan.outage_s)
        receiver.start()
    else:
        raise ValueError(kind)


async def run(root: Path, plan: Plan, log: Any = print) -> Outcome:
    began = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    stack = FaultStack(root)
    receiver = WebhookReceiver()
    ledger = Ledger()
    client: Client | None = None
    try:
        await asyncio.to_thread(stack.start)
        receiver.start()
        log(f"stack ready in {time.monotonic() - began:.1f} s")
        client = Client({n: stack.url(n) for n in stack.specs}, stack.idp_url, ledger)
        await client.login()
        setup, secret = await prepare(client, receiver.url, plan.cases)
        receiver.secret = secret
        ledger.observed.clear()
        monitor = StatusMonitor(stack.database_url("notifications"))
        monitor.start()
        load = Load(client, setup, plan.workers, plan.pause_s)
        load_began = time.monotonic()
        load_task = asyncio.create_task(load.run())
        faults: list[Fault] = []
        probes: list[tuple[str, int, bool, str | None]] = []
        await asyncio.sleep(plan.settle_s)
        for round_no in range(plan.rounds):
            for kind in plan.faults:
                t0, wall = time.monotonic(), time.time()
                await _inject(kind, stack, receiver, client, plan, probes)
                faults.append(Fault(kind, t0, time.monotonic(), (wall, time.time())))
                log(
                    f"round {round_no + 1}: {kind} ({time.monotonic() - t0:.1f} s), "
                    f"operations so far {ledger.operations}"
                )
                if load_task.done():
                    await load_task  # a crashed load is a failure of the test, shown as it is
                await asyncio.sleep(plan.settle_s)
        load.stopping.set()
        await load_task
        load_seconds = time.monotonic() - load_began
        recovery_began = time.monotonic()

        async def findings() -> Findings:
            return await check(
                ledger,
                referrals_db=stack.database_url("referrals"),
                notifications_db=stack.database_url("notifications"),
                nats_url=stack.nats.url(),
                maildir=stack.maildir,
                webhooks=[(d.webhook_id, d.at) for d in receiver.received],
                case_ids=setup.case_ids,
                sender_interruptions=[x.wall for x in faults if x.kind in SENDER_INTERRUPTIONS],
            )

        latest: list[Findings] = []

        async def recovered() -> bool:
            latest.append(await findings())
            return latest[-1].complete()

        with contextlib.suppress(AssertionError):
            await eventually(recovered, timeout=plan.recovery_timeout_s, interval=2.0)
        recovery_seconds = time.monotonic() - recovery_began
        await monitor.stop()
        return Outcome(
            plan=plan,
            ledger=ledger,
            findings=latest[-1] if latest else await findings(),
            faults=faults,
            regressions=monitor.regressions,
            samples=monitor.samples,
            probes=probes,
            load_seconds=load_seconds,
            recovery_seconds=recovery_seconds,
            total_seconds=time.monotonic() - began,
            receiver_bad_signatures=receiver.bad_signatures,
        )
    finally:
        receiver.stop()
        if client is not None:
            await client.aclose()
        await asyncio.to_thread(stack.stop)
