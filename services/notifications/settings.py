"""Notifications settings (environment variables ``HAWKARI_NOTIFICATIONS_*``).

SMTP defaults point at the local sink (``python -m services.notifications.smtp_sink``, port 1025);
production names any relay with TLS and authentication. Development defaults of secrets start with
``dev-`` so a production deployment refuses them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings, service_config


class NotificationsSettings(ServiceSettings):
    model_config = service_config("NOTIFICATIONS")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/hawkari_notifications"
    public_url: str = "http://127.0.0.1:8003"
    # Where links in messages point: the portal.
    portal_url: str = "http://127.0.0.1:8000"

    # The streams followed and the durable consumers on them. ``subject_prefix`` lets tests run
    # on their own stream with their own subjects (streams may not share subjects).
    referrals_stream: str = "REFERRALS"
    registry_stream: str = "REGISTRY"
    subject_prefix: str = ""
    referrals_consumer: str = "notifications-referrals"
    registry_consumer: str = "notifications-registry"
    # One message per pull: a batched pull lingers until the batch fills, which costs latency.
    consumer_batch: int = Field(default=1, ge=1)
    # Pullers on the referrals stream handling messages at once (order does not matter here).
    consumer_concurrency: int = Field(default=8, ge=1, le=64)
    # Deliveries of a failing event before it is written to ``dead_letter`` (and terminated).
    consumer_max_deliver: int = Field(default=5, ge=1, le=20)
    run_workers: bool = True

    # Email.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = 10.0
    mail_from: str = "Hawkari <notifications@hawkari.local>"
    # Also write to an organization's published contact address (from registry events).
    email_org_contacts: bool = True
    default_language: Literal["en", "ar", "ckb"] = "en"
    # Daily digests go out at this hour (UTC).
    digest_hour_utc: int = Field(default=7, ge=0, le=23)
    email_backoff_max_s: float = 900.0

    # Webhooks.
    # Encrypts endpoint signing secrets at rest.
    webhook_secret_key: SecretStr = SecretStr("dev-notifications-webhook-key")
    # Private, loopback and link-local targets are refused unless allowed (tests, on-prem partners).
    webhook_allow_private: bool = False
    webhook_max_consecutive_failures: int = Field(default=10, ge=1)
    webhook_retry_window_h: float = 24.0
    webhook_backoff_base_s: float = 5.0
    webhook_backoff_max_s: float = 3600.0
    webhook_timeout_s: float = 10.0
    webhook_max_url_length: int = 2048
    # After a secret rotation the previous secret keeps signing (a second signature) this long.
    webhook_secret_grace_h: float = Field(default=24.0, ge=0, le=720)

    # How often the delivery workers look for due work when nothing wakes them.
    worker_interval_s: float = Field(default=1.0, gt=0)

    def subjects(self, base: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.subject_prefix + s for s in base)
