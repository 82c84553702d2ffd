"""Coordination settings (environment variables ``HAWKARI_COORDINATION_*``)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings, service_config


class CoordinationSettings(ServiceSettings):
    model_config = service_config("COORDINATION")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/hawkari_coordination"
    public_url: str = "http://127.0.0.1:8004"

    # The streams followed (made by their producers, never by this service) and the durable
    # consumers on them. ``subject_prefix`` lets tests run on streams and subjects of their own.
    referrals_stream: str = "REFERRALS"
    registry_stream: str = "REGISTRY"
    subject_prefix: str = ""
    referrals_consumer: str = "coordination-referrals"
    registry_consumer: str = "coordination-registry"
    consumer_batch: int = Field(default=64, ge=1)
    # Deliveries of a failing event before it is dead-lettered (its payload is not kept).
    consumer_max_deliver: int = Field(default=5, ge=1)

    # Small-cell threshold used until a steering_admin sets one (stored in the database).
    default_k: int = Field(default=5, ge=2)
    # How old the suppressed snapshot of the counts may be before a request rebuilds it, in
    # seconds. Dashboards are read far more often than they must be to-the-second; 0 = always fresh.
    snapshot_max_age_s: float = Field(default=30.0, ge=0)
    # A snapshot behind the read model but younger than this answers at once while a new one is
    # built in the background (stale-while-revalidate); older, or a changed k, makes the request
    # wait for the build. 0 = never answer from a stale snapshot.
    snapshot_max_stale_s: float = Field(default=600.0, ge=0)
    # Above this many suppressed cells the exact disclosure audit (see suppression.py) is skipped
    # and the answers say so; line rules still apply.
    audit_limit: int = Field(default=20_000, ge=0)
    # Fallback mapping organization id -> ISO country code of a funder, for funder organizations
    # whose registry record carries no country_code.
    funder_org_countries: dict[str, str] = Field(default_factory=dict)
    run_workers: bool = True

    def subjects(self, base: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.subject_prefix + s for s in base)
