"""`hawkari doctor`: is this deployment configured and working, and if not, what exactly is wrong.

It looks at what each service would see: the service's settings from the environment (the same
``HAWKARI_<SERVICE>_*`` variables the service reads), or, for a stack that `hawkari up` is running,
the servers and ports recorded in its ``state.json``. Then it checks, in the order a fault is
easiest to act on: configuration, PostgreSQL, migrations, NATS and the JetStream streams, the
identity provider, and each service's ``/readyz``. Every finding is one plain sentence.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import nats
from nats.js.errors import NotFoundError
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError
from sqlalchemy import make_url

from hawkari import stack
from hawkari.configdoc import settings_class
from shared.db import asyncpg_dsn
from shared.migrations import database_revision, head_revision
from shared.settings import Environment, ServiceSettings, is_placeholder

TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Finding:
    part: str
    ok: bool
    message: str
    warning: bool = False


@dataclass
class ServiceView:
    """One service as the doctor sees it."""

    name: str
    settings: ServiceSettings | None
    error: str | None
    database_url: str | None
    base_url: str


@dataclass
class Deployment:
    services: list[ServiceView]
    nats_url: str
    issuer: str
    keys_url: str  # where the issuer's discovery document is fetched (internal URL if any)
    streams: list[str] = field(default_factory=list)


def _where(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host}:{parsed.port or 5432}/{parsed.database}"


def _error_text(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
        for e in exc.errors(include_url=False)
    )


def load(data_dir: Path, urls: dict[str, str] | None = None, only: list[str] | None = None) -> Deployment:
    """What to check: the environment's settings, overridden by a running `hawkari up`'s state."""
    state_file = data_dir / "state.json"
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    server_url = stack.external_database_url() or state.get("postgres")
    views = []
    streams: set[str] = set()
    for spec in stack.present_services():
        if only and spec.name not in only:
            continue
        has_db = spec.migrations.exists()
        overrides: dict[str, Any] = {}
        if state:
            overrides = {
                "nats_url": state["nats"],
                "oidc_issuer": state["identity"],
                "public_url": state["services"].get(spec.name, spec.url),
            }
            if has_db and server_url:
                overrides["database_url"] = stack.database_url_for(server_url, spec)
        try:
            settings = settings_class(spec.name)(**overrides)
            error = None
        except ValidationError as exc:
            settings, error = None, _error_text(exc)
        except (LookupError, SettingsError) as exc:
            settings, error = None, f"{exc}{': ' + str(exc.__cause__) if exc.__cause__ else ''}"
        if settings is not None:
            streams.update(
                str(value)
                for name, value in settings
                if (name == "stream_name" or name.endswith("_stream")) and value
            )
        views.append(
            ServiceView(
                name=spec.name,
                settings=settings,
                error=error,
                database_url=settings.database_url if settings is not None and has_db else None,
                base_url=(
                    (urls or {}).get(spec.name)
                    or (
                        settings.public_url if settings is not None else overrides.get("public_url", spec.url)
                    )
                ).rstrip("/"),
            )
        )
    first = next((v.settings for v in views if v.settings is not None), None)
    nats_url = first.nats_url if first else state.get("nats", "nats://127.0.0.1:4222")
    issuer = first.oidc_issuer if first else state.get("identity", "")
    keys = (first.oidc_internal_url if first else None) or issuer
    return Deployment(views, nats_url, issuer, keys, sorted(streams))


# --- the checks --------------------------------------------------------------------------------------


def check_configuration(deployment: Deployment) -> list[Finding]:
    found = []
    for view in deployment.services:
        part = f"config {view.name}"
        if view.settings is None:
            found.append(Finding(part, False, f"the {view.name} settings are invalid: {view.error}."))
            continue
        settings = view.settings
        secrets = [
            n for n, v in settings if isinstance(v, SecretStr) and is_placeholder(v.get_secret_value())
        ]
        production = settings.environment is Environment.production
        if production and not settings.oidc_issuer.startswith("https://"):
            found.append(
                Finding(
                    part,
                    False,
                    f"{view.name} runs in production but its OIDC issuer {settings.oidc_issuer} is not "
                    "https: tokens and logins would cross the network in clear text.",
                )
            )
        elif secrets:
            found.append(
                Finding(
                    part,
                    True,
                    f"{view.name} runs in {settings.environment.value} with development placeholder secrets "
                    f"({', '.join(sorted(secrets))}); fine on a laptop, refused in production.",
                    warning=True,
                )
            )
        else:
            found.append(
                Finding(part, True, f"{view.name} settings are valid ({settings.environment.value}).")
            )
    return found


async def _database(view: ServiceView) -> list[Finding]:
    assert view.database_url is not None
    where = _where(view.database_url)
    try:
        conn = await asyncpg.connect(asyncpg_dsn(view.database_url), timeout=TIMEOUT_S)
        await conn.close()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        reason = str(exc).strip() or exc.__class__.__name__
        return [
            Finding(
                f"postgres {view.name}",
                False,
                f"the {view.name} database at {where} cannot be reached: {reason}.",
            )
        ]
    found = [Finding(f"postgres {view.name}", True, f"the {view.name} database at {where} answers.")]
    migrations = stack.REPO / "services" / view.name / "migrations"
    head = head_revision(migrations)
    current = await database_revision(view.database_url)
    if current == head:
        found.append(
            Finding(f"migrations {view.name}", True, f"the {view.name} database is at head ({head}).")
        )
    elif current is None:
        found.append(
            Finding(
                f"migrations {view.name}",
                False,
                f"the {view.name} database has no migrations applied (the code expects {head}); "
                "run `hawkari db upgrade`.",
            )
        )
    else:
        found.append(
            Finding(
                f"migrations {view.name}",
                False,
                f"the {view.name} database is at revision {current} but the code expects {head}; "
                "run `hawkari db upgrade` (or start the code that matches the database).",
            )
        )
    return found


async def _tcp_reason(url: str) -> str | None:
    """Why a TCP connection to the first server of a NATS URL fails, in words; None if it opens."""
    parsed = urlsplit(url.split(",")[0].strip())
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parsed.hostname or "127.0.0.1", parsed.port or 4222), TIMEOUT_S
        )
    except ConnectionRefusedError:
        return "connection refused"
    except TimeoutError:
        return "no answer"
    except OSError as exc:
        return exc.strerror or exc.__class__.__name__
    writer.close()
    return None


async def _nats(deployment: Deployment) -> list[Finding]:
    async def quiet(_: Exception) -> None:
        return None

    try:
        # nats-py keeps retrying a refused first connection despite allow_reconnect=False.
        client = await asyncio.wait_for(
            nats.connect(
                deployment.nats_url,
                connect_timeout=TIMEOUT_S,
                max_reconnect_attempts=0,
                allow_reconnect=False,
                error_cb=quiet,
            ),
            TIMEOUT_S,
        )
    except Exception as exc:
        reason = await _tcp_reason(deployment.nats_url) or exc.__class__.__name__
        return [
            Finding(
                "nats",
                False,
                f"NATS at {deployment.nats_url} cannot be reached ({reason}); "
                "no event moves between services until it is back.",
            )
        ]
    found = [Finding("nats", True, f"NATS at {deployment.nats_url} answers.")]
    try:
        js = client.jetstream(timeout=TIMEOUT_S)
        try:
            await js.account_info()
        except Exception:
            return [*found, Finding("jetstream", False, "NATS answers but JetStream is not enabled on it.")]
        for name in deployment.streams:
            try:
                info = await js.stream_info(name)
            except NotFoundError:
                found.append(
                    Finding(
                        f"stream {name}",
                        False,
                        f"the JetStream stream {name} is missing; its producer creates it when it starts, "
                        "so start that service (or restore the streams from a backup).",
                    )
                )
                continue
            found.append(
                Finding(
                    f"stream {name}",
                    True,
                    f"the stream {name} holds {info.state.messages} events "
                    f"(replicas {info.config.num_replicas or 1}).",
                )
            )
    finally:
        await client.close()
    return found


async def _identity(deployment: Deployment, http: httpx.AsyncClient) -> list[Finding]:
    url = deployment.keys_url.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = await http.get(url)
    except httpx.HTTPError as exc:
        return [
            Finding(
                "identity",
                False,
                f"the identity provider at {url} cannot be reached ({exc.__class__.__name__}); "
                "nobody can log in and every API call is refused.",
            )
        ]
    if response.status_code != 200:
        return [Finding("identity", False, f"the identity provider answers {response.status_code} at {url}.")]
    issuer = response.json().get("issuer")
    if issuer != deployment.issuer:
        return [
            Finding(
                "identity",
                False,
                f"the identity provider calls itself {issuer} but the services expect {deployment.issuer}; "
                "every token would be refused (set OIDC_ISSUER, or the provider's host name, to agree).",
            )
        ]
    return [Finding("identity", True, f"the identity provider answers as {issuer}.")]


async def _ready(view: ServiceView, http: httpx.AsyncClient) -> Finding:
    url = f"{view.base_url}/readyz"
    try:
        response = await http.get(url)
    except httpx.HTTPError as exc:
        return Finding(
            f"service {view.name}",
            False,
            f"{view.name} at {view.base_url} does not answer ({exc.__class__.__name__}).",
        )
    if response.status_code == 200:
        return Finding(f"service {view.name}", True, f"{view.name} at {view.base_url} is ready.")
    try:
        checks = response.json().get("checks") or {}
    except ValueError:
        checks = {}
    down = ", ".join(name for name, ok in checks.items() if not ok) or f"status {response.status_code}"
    return Finding(
        f"service {view.name}", False, f"{view.name} at {view.base_url} is not ready: {down} unreachable."
    )


async def diagnose(deployment: Deployment) -> list[Finding]:
    found = check_configuration(deployment)
    with_db = [v for v in deployment.services if v.database_url]
    for result in await asyncio.gather(*(_database(v) for v in with_db)):
        found += result
    found += await _nats(deployment)
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        found += await _identity(deployment, http)
        found += await asyncio.gather(*(_ready(v, http) for v in deployment.services))
    return found
