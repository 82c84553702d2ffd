"""Settings base: one pydantic-settings class per service, each with its own env prefix.

Secrets that still hold a development placeholder are refused unless the environment is
``development`` (or ``test``): a production deployment cannot start on a default key by mistake.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values shipped in examples and development defaults. Anything starting with "dev-" counts too.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "password", "hawkari-demo", "placeholder"}
)

DEFAULT_ISSUER = "http://127.0.0.1:8080/realms/hawkari"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS or value.startswith("dev-")


class ServiceSettings(BaseSettings):
    """Fields every service has. Subclasses set ``model_config`` with their ``env_prefix``."""

    model_config = SettingsConfigDict(env_prefix="HAWKARI_", extra="ignore")

    environment: Environment = Environment.development
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    nats_url: str = "nats://127.0.0.1:4222"
    oidc_issuer: str = DEFAULT_ISSUER
    # The issuer URL used to fetch keys, when services reach the identity provider by another name
    # than the one printed in tokens (a cluster-internal host name, say).
    oidc_internal_url: str | None = None
    oidc_audience: str = "hawkari-api"
    # Base URL other services and links use to reach this one.
    public_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    # Largest request body accepted, in bytes.
    max_body_bytes: int = 1_048_576
    # Copies of each JetStream stream the service creates: 3 on a three-node NATS cluster, so a
    # stream survives the loss of a server. Applied to an existing stream when the service starts.
    stream_replicas: int = Field(default=1, ge=1, le=5)

    @property
    def is_development(self) -> bool:
        return self.environment is not Environment.production

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Any:
        if self.environment is Environment.production:
            bad = [
                name
                for name, value in self
                if isinstance(value, SecretStr) and is_placeholder(value.get_secret_value())
            ]
            if bad:
                raise ValueError(
                    "refusing to start in production with placeholder secrets: " + ", ".join(sorted(bad))
                )
        return self


def service_config(prefix: str) -> SettingsConfigDict:
    """The model_config for a service's settings class, e.g. ``service_config("REGISTRY")``."""
    return SettingsConfigDict(env_prefix=f"HAWKARI_{prefix}_", extra="ignore")
