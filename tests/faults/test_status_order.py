"""The notifications read model knows every status the referrals lifecycle publishes (found by the
fault run: a started referral's event says ``in_progress``, which had no rank, so the displayed
status stayed at "accepted", and a started event handled before the sent one was overwritten by it:
the status went backwards)."""

from __future__ import annotations

from services.notifications.recipients import STATUS_RANK
from services.referrals.referrals.transitions import TRANSITIONS


def test_every_published_status_has_a_rank_and_ranks_follow_the_lifecycle() -> None:
    for transition in TRANSITIONS.values():
        if transition.target == "draft":
            continue
        assert transition.target in STATUS_RANK, transition.target
        for source in transition.sources - {"draft"}:
            assert STATUS_RANK[source] < STATUS_RANK[transition.target], (source, transition.target)
