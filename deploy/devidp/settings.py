"""Settings of the development identity provider (environment variables ``HAWKARI_IDP_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings

from shared.settings import Environment, service_config

# The development import set: production realm + development clients and secrets + demo users.
DEFAULT_REALM_DIR = Path(__file__).resolve().parents[1] / "keycloak" / "dev"


class IdpSettings(BaseSettings):
    model_config = service_config("IDP")

    environment: Environment = Environment.development
    # Base URL printed in tokens and discovery; the issuer is <public_url>/realms/<realm>.
    # Left unset, it follows the port, so HAWKARI_IDP_PORT alone moves the whole IdP.
    public_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    # A Keycloak import directory: <realm>-realm.json plus any <realm>-users-<n>.json.
    realm_dir: Path = DEFAULT_REALM_DIR
    # The RS256 signing key, generated on first start and reused so tokens survive restarts.
    key_file: Path = Path(".hawkari/idp/signing-key.json")
    access_token_lifetime: int = 300
    refresh_token_lifetime: int = 1800
    # Keycloak's default "Client login timeout": an authorization code lives one minute.
    code_lifetime: int = 60

    @model_validator(mode="after")
    def _public_url_follows_port(self) -> IdpSettings:
        if "public_url" not in self.model_fields_set:
            self.public_url = f"http://127.0.0.1:{self.port}"
        return self


def refuse_production(settings: IdpSettings) -> None:
    """The development IdP knows every password in its realm files; it must never face real users."""
    if settings.environment not in (Environment.development, Environment.test):
        raise RuntimeError(
            "The development identity provider refuses to start because HAWKARI_IDP_ENVIRONMENT is "
            f"{settings.environment.value!r}; it runs only in development or test. "
            "Use Keycloak in production."
        )
