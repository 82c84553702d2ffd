"""Registry settings (environment variables ``HAWKARI_REGISTRY_*``)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings, service_config


class RegistrySettings(ServiceSettings):
    model_config = service_config("REGISTRY")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/hawkari_registry"
    public_url: str = "http://127.0.0.1:8001"
    # A service not verified ("assured") for this many days is flagged stale in every listing.
    stale_after_days: int = Field(default=180, ge=1)
    # The JetStream stream the outbox relay publishes to; it holds ``registry.>``. Tests may rename
    # it, but the subjects are fixed by the event contracts.
    stream_name: str = "REGISTRY"
    # Run the outbox relay in this process. Tests that do not look at events switch it off.
    run_workers: bool = True
    # The HSDS feed is open data by nature, but like every route it needs a token unless an
    # operator decides to publish it openly.
    hsds_public: bool = False
    # Directory searches per minute one caller may make (0: no limit), and how many at once; more
    # get 429 with Retry-After. A person searching never comes near; a scraper or a loop does.
    search_rate_per_minute: int = Field(default=600, ge=0)
    search_rate_burst: int = Field(default=60, ge=1)
    default_page_size: int = Field(default=20, ge=1, le=100)
    max_page_size: int = Field(default=100, ge=1, le=1000)
