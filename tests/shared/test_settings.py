from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from shared.settings import ServiceSettings, service_config


class DemoSettings(ServiceSettings):
    model_config = service_config("DEMO")
    master_key: SecretStr = SecretStr("dev-only-master-key")


def test_env_prefix_is_per_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWKARI_DEMO_DATABASE_URL", "postgresql+asyncpg://u@db/demo")
    monkeypatch.setenv("HAWKARI_OTHER_DATABASE_URL", "postgresql+asyncpg://u@db/other")
    assert DemoSettings().database_url == "postgresql+asyncpg://u@db/demo"


def test_placeholder_secrets_are_fine_in_development() -> None:
    assert DemoSettings(environment="development").master_key.get_secret_value().startswith("dev-")


@pytest.mark.parametrize("value", ["dev-only-master-key", "changeme", "", "hawkari-demo"])
def test_placeholder_secrets_are_refused_in_production(value: str) -> None:
    with pytest.raises(ValidationError, match="placeholder secrets: master_key"):
        DemoSettings(environment="production", master_key=SecretStr(value))


def test_a_real_secret_is_accepted_in_production() -> None:
    settings = DemoSettings(environment="production", master_key=SecretStr("q8Zr1-v3ry-long-random-value"))
    assert not settings.is_development
