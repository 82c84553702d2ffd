"""Portal settings (environment variables ``HAWKARI_PORTAL_*``).

Secrets default to ``dev-`` values, which ``shared.settings`` refuses in production.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.settings import Environment, ServiceSettings, service_config


class PortalSettings(ServiceSettings):
    model_config = service_config("PORTAL")

    # Sessions live in PostgreSQL so that every portal replica sees every session.
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/hawkari_portal"
    public_url: str = "http://127.0.0.1:8000"

    # OpenID Connect: the confidential client of the realm, code flow with PKCE.
    oidc_client_id: str = "hawkari-portal"
    oidc_client_secret: SecretStr = SecretStr("dev-hawkari-portal-secret")
    # Signs the session cookie; encrypts the user's tokens at rest (two keys, two jobs).
    session_secret: SecretStr = SecretStr("dev-portal-session-secret")
    token_key: SecretStr = SecretStr("dev-portal-token-key")
    # A session ends after this much idleness (the realm's refresh token lives 30 minutes too)
    # or this long after login, whichever comes first.
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)

    # The services the portal calls with the user's token.
    registry_url: str = "http://127.0.0.1:8001"
    referrals_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    coordination_url: str = "http://127.0.0.1:8004"
    api_timeout_s: float = 10.0

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure outside development (a laptop serves plain HTTP)."""
        return self.environment is Environment.production
