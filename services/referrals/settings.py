"""Referrals settings (environment variables ``HAWKARI_REFERRALS_*``).

The master key wraps every case's data key; ``previous_master_keys`` holds retired keys (by id)
so that data keys wrapped under them can still be unwrapped until ``rotate`` re-wraps them.
Development defaults start with ``dev-`` so a production deployment refuses them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings, service_config


class ReferralsSettings(ServiceSettings):
    model_config = service_config("REFERRALS")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/hawkari_referrals"
    public_url: str = "http://127.0.0.1:8002"

    master_key_id: str = "dev-1"
    master_key: SecretStr = SecretStr("dev-referrals-master-key")
    # Retired master keys, by id, still needed to unwrap data keys until they are rotated.
    previous_master_keys: dict[str, SecretStr] = Field(default_factory=dict)
    # The deployment secret behind the keyed hashes that detect possible duplicates.
    duplicate_hmac_key: SecretStr = SecretStr("dev-referrals-duplicate-key")

    # The stream the outbox relay publishes to (subjects are fixed by the contracts: referrals.>).
    stream_name: str = "REFERRALS"
    # The registry stream the replica follows, and the durable consumer's name on it.
    registry_stream: str = "REGISTRY"
    replica_consumer: str = "referrals-registry-replica"
    run_workers: bool = True

    # Referral deadlines, reminders and expiry.
    default_response_hours: int = Field(default=168, ge=1)
    expiry_interval_s: float = Field(default=30.0, gt=0)
    run_expiry: bool = True

    # A JSON question set for follow-ups; the built-in one when unset.
    followup_questions_path: Path | None = None
