"""The referral lifecycle: which transition leads where, from where, and who may make it.

draft → sent → accepted | declined; accepted → in_progress → completed; accepted | in_progress →
closed; the sender revokes anything still open; the system expires a sent referral past its
deadline. An illegal transition is a 409 naming the states reachable from the current one.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.referrals.permissions import CASE_WORK, PROVIDER_WORK


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: tuple[str, ...]
    party: str  # sender | provider | system


OPEN_STATES = frozenset({"draft", "sent", "accepted", "in_progress"})
# States in which the provider may see the shared personal data.
PROVIDER_READABLE = frozenset({"sent", "accepted", "in_progress", "completed", "closed"})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("send", frozenset({"draft"}), "sent", CASE_WORK, "sender"),
        Transition("accept", frozenset({"sent"}), "accepted", PROVIDER_WORK, "provider"),
        Transition("decline", frozenset({"sent"}), "declined", PROVIDER_WORK, "provider"),
        Transition("start", frozenset({"accepted"}), "in_progress", PROVIDER_WORK, "provider"),
        Transition("complete", frozenset({"in_progress"}), "completed", PROVIDER_WORK, "provider"),
        Transition("close", frozenset({"accepted", "in_progress"}), "closed", PROVIDER_WORK, "provider"),
        Transition("revoke", OPEN_STATES, "revoked", CASE_WORK, "sender"),
        Transition("expire", frozenset({"sent"}), "expired", (), "system"),
    )
}


def allowed_from(status: str) -> list[dict[str, object]]:
    return [
        {"action": t.action, "to": t.target, "roles": [str(r) for r in t.roles] or ["system"]}
        for t in TRANSITIONS.values()
        if status in t.sources
    ]
