"""After the faults: what the client was told, held against what every part of the system kept.

- referrals: each referral the client saw created exists once, in the status the client last saw,
  and no referral exists that the client was never told of (a retried create made twice);
- events: the REFERRALS stream holds each transition of each referral exactly once (counted by
  ``Nats-Msg-Id`` and by referral × event type), and the outbox has nothing left unpublished;
- notifications: one inbox item per event and audience, one email per event and address in the SMTP
  sink, one webhook delivery per event at the receiver (by ``webhook-id``);
- the notifications read model never showed a referral's status going backwards (sampled throughout
  the run by :class:`StatusMonitor`) and ends where the referrals service ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import asyncpg
import nats

from shared.db import asyncpg_dsn
from tests.faults.load import Ledger

RWANGA = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:rwanga")
ERBIL = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:mrc-erbil")
# A referral's status as the client sees it → the verb of the event that announced it.
VERB = {
    "sent": "sent",
    "accepted": "accepted",
    "declined": "declined",
    "in_progress": "started",
    "completed": "completed",
    "revoked": "revoked",
}
# Who hears about each verb: the provider's organization or the referring one.
PROVIDER_VERBS = frozenset({"sent", "revoked"})
AUDIENCE = {
    verb: (RWANGA, "provider") if verb in PROVIDER_VERBS else (ERBIL, "referrer") for verb in VERB.values()
}
# Rwanga's webhook hears what its organization hears, filtered by the types it subscribed to.
WEBHOOK_VERBS = PROVIDER_VERBS
# The notifications read model's order of statuses (a later event may not lower it).
RANK = {"sent": 1, "accepted": 2, "in_progress": 3, "started": 3}
TERMINAL = frozenset({"declined", "completed", "closed", "revoked", "expired"})
LINK = re.compile(r"referrals/([0-9a-f-]{36})")


@dataclass
class Tally:
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    # Second copies sent again because the sender could not record the first (killed, or its database
    # down, between the send and the record): no transaction spans a remote server, so email and
    # webhooks are at least once there. Webhook receivers drop them by webhook-id.
    after_crash: int = 0
    examples: list[str] = field(default_factory=list)

    def miss(self, what: str) -> None:
        self.lost += 1
        if len(self.examples) < 5:
            self.examples.append("lost " + what)

    def twice(self, what: str, extra: int = 1, after_crash: int = 0) -> None:
        self.duplicated += extra
        self.after_crash += after_crash
        if len(self.examples) < 5:
            self.examples.append("duplicated " + what)


def rank(status: str) -> int:
    return 4 if status in TERMINAL else RANK.get(status, 0)


class StatusMonitor:
    """Samples the notifications read model during the run: a referral's status may only move on."""

    def __init__(self, database_url: str, interval_s: float = 0.3) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.interval_s = interval_s
        self.seen: dict[str, str] = {}
        self.samples = 0
        self.regressions: list[str] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                conn = await asyncpg.connect(self.dsn, timeout=2)
                try:
                    while True:
                        self.sample(await conn.fetch("SELECT referral_id, status FROM referral_state"))
                        await asyncio.sleep(self.interval_s)
                finally:
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(self.interval_s)

    def sample(self, rows: list[Any]) -> None:
        self.samples += 1
        for row in rows:
            rid, status = str(row["referral_id"]), row["status"]
            before = self.seen.get(rid)
            if before is not None and (
                rank(status) < rank(before) or (before in TERMINAL and status != before)
            ):
                self.regressions.append(f"{rid}: {before} → {status}")
            self.seen[rid] = status


@dataclass
class Findings:
    referrals: Tally = field(default_factory=Tally)
    status_mismatch: list[str] = field(default_factory=list)
    events: Tally = field(default_factory=Tally)
    unpublished: int = 0
    inbox: Tally = field(default_factory=Tally)
    email: Tally = field(default_factory=Tally)
    webhook: Tally = field(default_factory=Tally)
    read_model_mismatch: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(t.lost for t in (self.referrals, self.events, self.inbox, self.email, self.webhook))

    @property
    def duplicated(self) -> int:
        return sum(t.duplicated for t in (self.referrals, self.events, self.inbox, self.email, self.webhook))

    @property
    def unexplained_duplicates(self) -> int:
        """Duplicates not caused by a crash between an external send and its record."""
        return self.duplicated - self.email.after_crash - self.webhook.after_crash

    def complete(self) -> bool:
        """Everything that should have arrived has (duplicates are judged separately)."""
        return (
            self.lost == 0
            and self.unpublished == 0
            and not self.status_mismatch
            and not self.read_model_mismatch
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("referrals", "events", "inbox", "email", "webhook"):
            t: Tally = getattr(self, name)
            out[name] = {
                "expected": t.expected,
                "lost": t.lost,
                "duplicated": t.duplicated,
                "duplicated_after_sender_crash": t.after_crash,
            }
        out["unpublished_outbox_rows"] = self.unpublished
        out["status_mismatch"] = len(self.status_mismatch)
        out["read_model_mismatch"] = len(self.read_model_mismatch)
        return out

    def problems(self) -> list[str]:
        out = [*self.status_mismatch[:5], *self.read_model_mismatch[:5]]
        for name in ("referrals", "events", "inbox", "email", "webhook"):
            out += [f"{name}: {e}" for e in getattr(self, name).examples]
        return out


async def stream_events(nats_url: str, stream: str = "REFERRALS") -> list[tuple[str, dict[str, Any]]]:
    """Every message in the stream as (Nats-Msg-Id, CloudEvent), read with an ordered consumer."""
    nc = await nats.connect(nats_url, connect_timeout=5)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out: list[tuple[str, dict[str, Any]]] = []
        if info.state.messages == 0:
            return out
        sub = await js.subscribe(f"{stream.lower()}.>", ordered_consumer=True, stream=stream)
        while True:
            msg = await sub.next_msg(timeout=10)
            out.append(((msg.headers or {}).get("Nats-Msg-Id", ""), json.loads(msg.data)))
            if msg.metadata.sequence.stream >= info.state.last_seq:
                break
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


def read_mail(maildir: Path) -> list[tuple[str, str, str, float]]:
    """(recipient, referral id, subject, when stored) of each message the sink stored."""
    out = []
    parser = BytesParser(policy=policy.default)
    for path in [*(maildir / "new").iterdir(), *(maildir / "cur").iterdir()]:
        message = parser.parsebytes(path.read_bytes())
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        found = LINK.search(text)
        rid = found.group(1) if found else ""
        out.append((str(message["X-Hawkari-Rcpt"]), rid, str(message["Subject"]), path.stat().st_mtime))
    return out


async def check(
    ledger: Ledger,
    *,
    referrals_db: str,
    notifications_db: str,
    nats_url: str,
    maildir: Path,
    webhooks: list[tuple[str, float]],
    case_ids: list[str],
    sender_interruptions: list[tuple[float, float]],
) -> Findings:
    """``webhooks``: (webhook-id, wall time) as received; ``sender_interruptions``: wall-clock
    windows in which the notifications service could not record a send (its kill -9, PostgreSQL
    down)."""
    f = Findings()
    ids = list(ledger.referrals)
    verbs = {rid: [VERB[s] for s in rec.statuses] for rid, rec in ledger.referrals.items()}

    # Referrals: once each, in the status the client last saw; none the client was never told of.
    conn = await asyncpg.connect(asyncpg_dsn(referrals_db))
    try:
        rows = await conn.fetch(
            "SELECT id::text, status FROM referral WHERE case_id = ANY($1::uuid[]) AND status <> 'draft'",
            case_ids,
        )
        f.unpublished = await conn.fetchval("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")
    finally:
        await conn.close()
    held = {r["id"]: r["status"] for r in rows}
    f.referrals.expected = len(ids)
    for rid in ids:
        if rid not in held:
            f.referrals.miss(rid)
        elif held[rid] != ledger.referrals[rid].statuses[-1]:
            f.status_mismatch.append(
                f"{rid}: client saw {ledger.referrals[rid].statuses[-1]}, held {held[rid]}"
            )
    for rid in held.keys() - set(ids):
        f.referrals.twice(f"referral {rid} the client was never told of")

    # Events: each (referral, verb) once in the stream, and each message id once.
    events = [(mid, e) for mid, e in await stream_events(nats_url) if e.get("subject") in ledger.referrals]
    by_id = Counter(mid for mid, _ in events)
    by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    event_id: dict[tuple[str, str], str] = {}
    for mid, e in events:
        verb = e["type"].split(".")[-2]
        by_pair[(e["subject"], verb)].add(mid)
        event_id[(e["subject"], verb)] = e["id"]
    for mid, n in by_id.items():
        if n > 1:
            f.events.twice(f"message id {mid} ×{n}", n - 1)
    for rid, vs in verbs.items():
        for verb in vs:
            f.events.expected += 1
            found = by_pair.get((rid, verb), set())
            if not found:
                f.events.miss(f"{verb} of {rid}")
            elif len(found) > 1:
                f.events.twice(f"{verb} of {rid} under {len(found)} ids", len(found) - 1)
    for rid, verb in by_pair:
        if verb not in verbs.get(rid, []) and verb in AUDIENCE:
            f.events.twice(f"{verb} of {rid}, a transition the client never saw")

    conn = await asyncpg.connect(asyncpg_dsn(notifications_db))
    try:
        inbox = await conn.fetch(
            "SELECT event_id, org_id, audience, count(*) AS n FROM inbox_item "
            "WHERE referral_id = ANY($1::uuid[]) GROUP BY 1, 2, 3",
            ids,
        )
        queued = await conn.fetch(
            "SELECT dedup_key, address FROM email_delivery WHERE dedup_key = ANY($1::text[])",
            list(event_id.values()),
        )
        state = {
            str(r["referral_id"]): r["status"]
            for r in await conn.fetch(
                "SELECT referral_id, status FROM referral_state WHERE referral_id = ANY($1::uuid[])", ids
            )
        }
    finally:
        await conn.close()

    # Inbox: one item per event and audience.
    items = {(r["event_id"], r["org_id"], r["audience"]): r["n"] for r in inbox}
    for (rid, verb), eid in event_id.items():
        if verb not in AUDIENCE:
            continue
        org, audience = AUDIENCE[verb]
        f.inbox.expected += 1
        n = items.get((eid, org, audience), 0)
        if n == 0:
            f.inbox.miss(f"{verb} of {rid}")
        elif n > 1:
            f.inbox.twice(f"{verb} of {rid} ×{n}", n - 1)

    # Email: each event reaches someone of its audience by email (the service decides who: users
    # who have used it and the organization's contact), and each address gets one message per
    # event it was queued for (the subject names the step).
    rid_of = {eid: rid for (rid, _), eid in event_id.items()}
    wanted: Counter[tuple[str, str]] = Counter()
    emailed_events = set()
    for row in queued:
        wanted[(row["address"], rid_of[row["dedup_key"]])] += 1
        emailed_events.add(row["dedup_key"])
    for (rid, verb), eid in event_id.items():
        if verb in AUDIENCE and eid not in emailed_events:
            f.email.miss(f"no email queued for {verb} of {rid}")
    received: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    unlinked = 0
    for rcpt, rid, subject, stored in read_mail(maildir):
        received[(rcpt, rid)][subject].append(stored)
        unlinked += rid == ""
    if unlinked:
        f.email.examples.append(f"{unlinked} messages in the sink name no referral")
    for (address, rid), n in wanted.items():
        got = received.get((address, rid), {})
        f.email.expected += n
        for _ in range(n - len(got)):
            f.email.miss(f"email to {address} about {rid} (got {sorted(got)})")
        for subject, times in got.items():
            if len(times) > 1:
                f.email.twice(
                    f"email {subject!r} to {address} ×{len(times)}",
                    len(times) - 1,
                    _after_crash(sorted(times), sender_interruptions),
                )

    # Webhooks: one delivery per event of the provider's audience, by webhook-id (the event id).
    hooks: dict[str, list[float]] = defaultdict(list)
    for webhook_id, at in webhooks:
        hooks[webhook_id].append(at)
    for (rid, verb), eid in event_id.items():
        if verb in WEBHOOK_VERBS:
            f.webhook.expected += 1
            times = sorted(hooks.get(eid, []))
            if not times:
                f.webhook.miss(f"webhook {verb} of {rid}")
            elif len(times) > 1:
                f.webhook.twice(
                    f"webhook {eid} ×{len(times)}", len(times) - 1, _after_crash(times, sender_interruptions)
                )

    # The read model ends where the referrals service ends.
    for rid, rec in ledger.referrals.items():
        final = rec.statuses[-1]
        shown = state.get(rid)
        if shown is None or (shown != final and VERB.get(final) != shown):
            f.read_model_mismatch.append(f"{rid}: referrals says {final}, notifications shows {shown}")
    return f


def _after_crash(times: list[float], windows: list[tuple[float, float]]) -> int:
    """How many later copies follow an interruption of the sender that overlaps the gap since the
    copy before."""
    return sum(
        1
        for before, after in itertools.pairwise(times)
        if any(start <= after and end >= before for start, end in windows)
    )
