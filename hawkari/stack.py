"""What `hawkari up` runs: the services that exist in this checkout, their ports and databases."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

REPO = Path(__file__).resolve().parents[1]


def _port(env: str, default: int) -> int:
    """Fixed ports by default (DESIGN.md); overridable so tests can run beside a live stack."""
    return int(os.environ.get(env, default))


IDP_PORT = _port("HAWKARI_IDP_PORT", 8080)
SMTP_SINK_PORT = _port("HAWKARI_SMTP_SINK_PORT", 1025)
DEFAULT_POSTGRES_PORT = 55432  # not 5432: a developer's own PostgreSQL is often there
DEFAULT_NATS_PORT = 4222

DEMO_USERS = (
    ("counsellor.erbil", "counsellor, MRC Erbil"),
    ("counsellor.sulaymaniyah", "counsellor, MRC Sulaymaniyah"),
    ("counsellor.baghdad", "counsellor, MRC Baghdad"),
    ("caseworker.rwanga", "provider caseworker, Rwanga Foundation"),
    ("caseworker.ettc", "provider caseworker, ETTC"),
    ("admin.rwanga", "provider admin, Rwanga Foundation"),
    ("funder.se", "funder, Sweden"),
    ("funder.no", "funder, Norway"),
    ("funder.dk", "funder, Denmark"),
    ("funder.fi", "funder, Finland"),
    ("steering.noraq", "steering admin, NORAQ"),
    ("admin.platform", "platform admin"),
    ("dpo.noraq", "data protection officer, NORAQ"),
)
DEMO_PASSWORD = "hawkari-demo"  # noqa: S105 - the documented development-only password


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    has_database: bool = True

    @property
    def env_prefix(self) -> str:
        return f"HAWKARI_{self.name.upper()}_"

    @property
    def database(self) -> str:
        return f"hawkari_{self.name}"

    @property
    def migrations(self) -> Path:
        return REPO / "services" / self.name / "migrations"

    @property
    def factory(self) -> str:
        return f"services.{self.name}.app:create_app"

    def exists(self) -> bool:
        return (REPO / "services" / self.name / "app.py").exists()

    def has_seed(self) -> bool:
        return (REPO / "services" / self.name / "seed.py").exists()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# Start order: producers before consumers, the portal last.
ALL_SERVICES = (
    ServiceSpec("registry", _port("HAWKARI_REGISTRY_PORT", 8001)),
    ServiceSpec("referrals", _port("HAWKARI_REFERRALS_PORT", 8002)),
    ServiceSpec("notifications", _port("HAWKARI_NOTIFICATIONS_PORT", 8003)),
    ServiceSpec("coordination", _port("HAWKARI_COORDINATION_PORT", 8004)),
    ServiceSpec("portal", _port("HAWKARI_PORTAL_PORT", 8000)),  # its database holds sessions only
)


def present_services() -> list[ServiceSpec]:
    return [s for s in ALL_SERVICES if s.exists()]


def database_url_for(server_url: str, spec: ServiceSpec) -> str:
    """The service's own database on the given server (one database per service)."""
    return (
        make_url(server_url)
        .set(drivername="postgresql+asyncpg", database=spec.database)
        .render_as_string(hide_password=False)
    )


def external_database_url() -> str | None:
    return os.environ.get("HAWKARI_DATABASE_URL") or None


def external_nats_url() -> str | None:
    return os.environ.get("HAWKARI_NATS_URL") or None
