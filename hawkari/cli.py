"""The `hawkari` command: run the whole stack on one machine, and operate it.

`hawkari up` starts embedded PostgreSQL and NATS (unless HAWKARI_DATABASE_URL / HAWKARI_NATS_URL
point elsewhere), the development identity provider and every service in this checkout, runs
their migrations, seeds demo data, waits until every /readyz answers and prints where to go.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import asyncpg
import httpx
import typer
from sqlalchemy import make_url

from hawkari import stack
from hawkari.supervisor import Child, Supervisor
from shared.processes import EmbeddedNats, EmbeddedPostgres, ServerStartError, port_is_taken

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Hawkari: referral network for returnees to Iraq."
)
events_app = typer.Typer(no_args_is_help=True, help="Event contracts for partners.")
app.add_typer(events_app, name="events")

DataDir = Annotated[
    Path, typer.Option("--data-dir", envvar="HAWKARI_DATA_DIR", help="Where all local data lives.")
]
DEFAULT_DATA_DIR = Path(".hawkari")


class StackError(Exception):
    """Stops `hawkari up` with one plain sentence and a non-zero exit."""


def fail(message: str) -> None:
    typer.secho(f"hawkari: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def _postgres(data_dir: Path) -> EmbeddedPostgres:
    port = int(os.environ.get("HAWKARI_POSTGRES_PORT", stack.DEFAULT_POSTGRES_PORT))
    return EmbeddedPostgres("postgres", port, data_dir / "postgres")


def _nats(data_dir: Path) -> EmbeddedNats:
    port = int(os.environ.get("HAWKARI_NATS_PORT", stack.DEFAULT_NATS_PORT))
    return EmbeddedNats("nats", port, data_dir / "nats")


def migrate_all(server_url: str, services: list[stack.ServiceSpec]) -> None:
    from shared.db import ensure_database
    from shared.migrations import upgrade

    for spec in services:
        if not spec.has_database or not spec.migrations.exists():
            continue
        url = stack.database_url_for(server_url, spec)
        try:
            asyncio.run(ensure_database(url))
        except (OSError, asyncpg.PostgresError) as exc:
            where = make_url(server_url).render_as_string(hide_password=True)
            raise StackError(
                f"PostgreSQL at {where} cannot be reached or refused us ({exc.__class__.__name__})"
            ) from exc
        try:
            upgrade(spec.migrations, url)
        except Exception as exc:
            raise StackError(f"the {spec.name} migrations failed: {exc}") from exc


def service_env(spec: stack.ServiceSpec, server_url: str, nats_url: str) -> dict[str, str]:
    prefix = spec.env_prefix
    env = {
        f"{prefix}ENVIRONMENT": os.environ.get(f"{prefix}ENVIRONMENT", "development"),
        f"{prefix}NATS_URL": nats_url,
        f"{prefix}OIDC_ISSUER": f"http://127.0.0.1:{stack.IDP_PORT}/realms/hawkari",
        f"{prefix}PUBLIC_URL": spec.url,
    }
    if spec.name == "notifications":
        env[f"{prefix}SMTP_HOST"] = "127.0.0.1"
        env[f"{prefix}SMTP_PORT"] = str(stack.SMTP_SINK_PORT)
    if spec.has_database:
        env[f"{prefix}DATABASE_URL"] = stack.database_url_for(server_url, spec)
    for other in stack.ALL_SERVICES:  # every service can find the others
        env.setdefault(f"{prefix}{other.name.upper()}_URL", other.url)
    return env


def wait_ready(urls: dict[str, str], timeout: float) -> list[str]:
    """Poll each readiness URL until all answer 200; returns the names still not ready."""
    pending = dict(urls)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                try:
                    if client.get(url).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if pending:
                time.sleep(0.2)
    return list(pending)


def run_seed(spec: stack.ServiceSpec, server_url: str) -> None:
    module = importlib.import_module(f"services.{spec.name}.seed")
    asyncio.run(module.seed(stack.database_url_for(server_url, spec)))


@app.command()
def up(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    seed: Annotated[bool, typer.Option(help="Load the demo directory, cases and referrals.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every service to be ready.")] = 120.0,
) -> None:
    """Start the whole stack here and keep it running until Ctrl-C."""
    started = time.monotonic()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    services = stack.present_services()
    supervisor = Supervisor()
    servers: list[EmbeddedPostgres | EmbeddedNats] = []

    def shutdown(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        for port, what in [
            (stack.IDP_PORT, "the identity provider"),
            *[(s.port, f"the {s.name} service") for s in services],
            *(
                [(stack.SMTP_SINK_PORT, "the SMTP sink")]
                if any(s.name == "notifications" for s in services)
                else []
            ),
        ]:
            if port_is_taken(port):
                raise StackError(
                    f"port {port} for {what} is already in use; stop the program using it and try again."
                )
        server_url = stack.external_database_url()
        if server_url is None:
            pg = _postgres(data_dir)
            pg.start()
            servers.append(pg)
            server_url = pg.url()
        nats_url = stack.external_nats_url()
        if nats_url is None:
            nats = _nats(data_dir)
            nats.start()
            servers.append(nats)
            nats_url = nats.url()
        # The identity provider starts while the migrations run.
        logs = data_dir / "logs"
        supervisor.add(
            Child(
                "identity",
                [sys.executable, "-m", "deploy.devidp"],
                {
                    "HAWKARI_IDP_ENVIRONMENT": "development",
                    "HAWKARI_IDP_KEY_FILE": str(data_dir / "idp" / "signing-key.json"),
                    "HAWKARI_IDP_PORT": str(stack.IDP_PORT),
                    **_realm_for_portal_port(data_dir),
                },
                logs / "identity.log",
                stack.IDP_PORT,
            )
        )
        migrate_all(server_url, services)
        if any(s.name == "notifications" for s in services):
            # Mail goes to a local sink that keeps it in a Maildir for a developer to read.
            supervisor.add(
                Child(
                    "smtp-sink",
                    [
                        sys.executable,
                        "-m",
                        "services.notifications.smtp_sink",
                        "--port",
                        str(stack.SMTP_SINK_PORT),
                        "--maildir",
                        str(data_dir / "mail"),
                    ],
                    {},
                    logs / "smtp-sink.log",
                    stack.SMTP_SINK_PORT,
                )
            )
        for spec in services:
            supervisor.add(
                Child(
                    spec.name,
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        spec.factory,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(spec.port),
                        "--timeout-graceful-shutdown",
                        "5",
                    ],
                    service_env(spec, server_url, nats_url),
                    logs / f"{spec.name}.log",
                    spec.port,
                )
            )
        # All services start at once (their imports dominate start-up), then are seeded in order:
        # producers first, so a consumer's replica is being fed when its own seed runs.
        checks = {
            "identity": f"http://127.0.0.1:{stack.IDP_PORT}/realms/hawkari/.well-known/openid-configuration"
        }
        checks.update({spec.name: f"{spec.url}/readyz" for spec in services})
        not_ready = wait_ready(checks, timeout)
        if not_ready:
            name = not_ready[0]
            raise StackError(f"the {name} service did not become ready; see {logs / (name + '.log')}.")
        for spec in services:
            if seed and spec.has_seed():
                run_seed(spec, server_url)
        threading.Thread(target=supervisor.watch, daemon=True).start()
        _write_state(data_dir, server_url, nats_url, services)
        _print_ready(services, time.monotonic() - started, data_dir)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("\nhawkari: stopping…")
    except (StackError, ServerStartError) as exc:
        fail(str(exc).rstrip(".") + ".")
    finally:
        supervisor.stop_all()
        for server in reversed(servers):
            server.stop()
        (data_dir / "state.json").unlink(missing_ok=True)


def _realm_for_portal_port(data_dir: Path) -> dict[str, str]:
    """The development realm, with the portal's redirect URIs following HAWKARI_PORTAL_PORT.

    The realm registers the portal at port 8000; on another port the identity provider would
    refuse its logins, so a copy of the realm directory with the portal's URL is served instead.
    """
    portal = next((s for s in stack.ALL_SERVICES if s.name == "portal"), None)
    default = "http://127.0.0.1:8000"
    if portal is None or portal.url == default or "HAWKARI_IDP_REALM_DIR" in os.environ:
        return {}
    from deploy.devidp.settings import DEFAULT_REALM_DIR

    target = data_dir / "idp" / "realm"
    target.mkdir(parents=True, exist_ok=True)
    for source in DEFAULT_REALM_DIR.glob("*.json"):
        (target / source.name).write_text(source.read_text().replace(default, portal.url))
    return {"HAWKARI_IDP_REALM_DIR": str(target)}


def _write_state(data_dir: Path, server_url: str, nats_url: str, services: list[stack.ServiceSpec]) -> None:
    state = {
        "pid": os.getpid(),
        "postgres": make_url(server_url).render_as_string(hide_password=True),
        "nats": nats_url,
        "identity": f"http://127.0.0.1:{stack.IDP_PORT}/realms/hawkari",
        "services": {s.name: s.url for s in services},
    }
    (data_dir / "state.json").write_text(json.dumps(state, indent=2))


def _print_ready(services: list[stack.ServiceSpec], seconds: float, data_dir: Path) -> None:
    typer.secho(f"\nHawkari is ready ({seconds:.1f} s).", fg=typer.colors.GREEN, bold=True)
    typer.echo(f"  identity provider  http://127.0.0.1:{stack.IDP_PORT}/realms/hawkari")
    for spec in services:
        suffix = "" if spec.name == "portal" else "   (API /v1, docs /docs)"
        typer.echo(f"  {spec.name:<18} {spec.url}{suffix}")
    if any(s.name == "notifications" for s in services):
        typer.echo(f"  {'mail (sink)':<18} {data_dir / 'mail'}   (SMTP 127.0.0.1:{stack.SMTP_SINK_PORT})")
    typer.echo(f"\nDemo logins (development only), password '{stack.DEMO_PASSWORD}':")
    for user, role in stack.DEMO_USERS:
        typer.echo(f"  {user:<26} {role}")
    typer.echo("\nPress Ctrl-C to stop.", nl=True)
    sys.stdout.flush()


@app.command()
def status(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Show whether a running stack's parts answer."""
    state_file = data_dir / "state.json"
    if not state_file.exists():
        fail(f"no stack is running from {data_dir.resolve()} (start one with `hawkari up`).")
    state = json.loads(state_file.read_text())
    checks = {"identity": state["identity"] + "/.well-known/openid-configuration"}
    checks.update({name: f"{url}/readyz" for name, url in state["services"].items()})
    down = set(wait_ready(checks, 3.0))
    for name, url in checks.items():
        mark = (
            typer.style("down ", fg=typer.colors.RED)
            if name in down
            else typer.style("ready", fg=typer.colors.GREEN)
        )
        typer.echo(f"  {mark}  {name:<14} {url.rsplit('/readyz', 1)[0]}")
    typer.echo(f"  postgres  {state['postgres']}\n  nats      {state['nats']}")
    if down:
        raise typer.Exit(1)


@app.command()
def migrate(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Create each service's database if needed and run its migrations to the newest revision."""
    services = stack.present_services()
    server_url = stack.external_database_url()
    pg = None
    try:
        if server_url is None:
            pg = _postgres(data_dir.resolve())
            if port_is_taken(pg.port):
                server_url = pg.url()  # the stack's own server is already running
                pg = None
            else:
                pg.start()
                server_url = pg.url()
        migrate_all(server_url, services)
        typer.echo(
            "migrated: " + (", ".join(s.name for s in services if s.has_database) or "nothing to migrate")
        )
    except (StackError, ServerStartError) as exc:
        fail(str(exc))
    finally:
        if pg is not None:
            pg.stop()


@app.command()
def revision(
    service: Annotated[str, typer.Argument(help="The service whose history gets the revision.")],
    message: Annotated[str, typer.Option("-m", "--message", help="What the migration changes.")],
) -> None:
    """Start a new, empty migration in a service's history (write its upgrade/downgrade by hand)."""
    from alembic import command

    from shared.migrations import alembic_config

    spec = next((s for s in stack.present_services() if s.name == service and s.has_database), None)
    if spec is None:
        fail(f"there is no service called {service!r} with a database in this checkout.")
        return
    script = command.revision(alembic_config(spec.migrations, "postgresql://unused/x"), message=message)
    typer.echo(f"created {getattr(script, 'path', script)}")


@events_app.command("export")
def events_export(
    folder: Annotated[Path, typer.Argument(help="Where to write asyncapi.json and schemas/.")] = stack.REPO
    / "docs"
    / "events",
) -> None:
    """Write the AsyncAPI 3.0 document and one JSON Schema per event type."""
    from shared.events.asyncapi import export

    written = export(folder)
    typer.echo(f"wrote {len(written)} files to {folder}")


# --- operating a deployment: configuration reference, database upgrades, doctor, backups -------------

config_app = typer.Typer(no_args_is_help=True, help="The configuration reference.")
app.add_typer(config_app, name="config")
db_app = typer.Typer(no_args_is_help=True, help="The services' databases.")
app.add_typer(db_app, name="db")


@config_app.command("docs")
def config_docs(
    check: Annotated[bool, typer.Option(help="Only say whether the files are up to date.")] = False,
) -> None:
    """Write the configuration reference (docs/operations.md) and the env files from the settings classes."""
    from hawkari import configdoc

    if check:
        stale = configdoc.stale_files()
        if stale:
            fail("out of date: " + ", ".join(str(p.relative_to(stack.REPO)) for p in stale))
        typer.echo("the configuration reference is up to date")
        return
    written = configdoc.write_all()
    typer.echo(f"wrote {len(written)} files" + "".join(f"\n  {p.relative_to(stack.REPO)}" for p in written))


@db_app.command("upgrade")
def db_upgrade(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to upgrade (default: every one with a database).")
    ] = None,
) -> None:
    """Run each service's migrations on the database its own settings name (HAWKARI_<SERVICE>_DATABASE_URL).

    Safe to run from every replica at once: each upgrade holds a PostgreSQL advisory lock.
    """
    from hawkari.migrate_service import upgrade_service

    present = {s.name: s for s in stack.present_services() if s.migrations.exists()}
    names = services or list(present)
    unknown = [n for n in names if n not in present]
    if unknown:
        fail(f"no service with migrations called {', '.join(unknown)} in this checkout.")
    for name in names:
        try:
            revision = upgrade_service(present[name])
        except StackError as exc:
            fail(str(exc))
        typer.echo(f"{name}: at {revision}")


@app.command()
def doctor(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    url: Annotated[
        list[str] | None,
        typer.Option(help="NAME=URL: reach a service there instead of at its PUBLIC_URL (repeatable)."),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(help="Check only this service (repeatable), e.g. inside one Kubernetes pod."),
    ] = None,
) -> None:
    """Check configuration, PostgreSQL, migrations, NATS streams, the identity provider and each service."""
    from hawkari.doctor import diagnose, load

    overrides = dict(item.split("=", 1) for item in url or [] if "=" in item)
    findings = asyncio.run(diagnose(load(data_dir.resolve(), overrides, only)))
    for finding in findings:
        if not finding.ok:
            mark = typer.style("FAIL", fg=typer.colors.RED, bold=True)
        elif finding.warning:
            mark = typer.style("warn", fg=typer.colors.YELLOW)
        else:
            mark = typer.style("ok  ", fg=typer.colors.GREEN)
        typer.echo(f"  {mark}  {finding.message}")
    failed = [f for f in findings if not f.ok]
    if failed:
        typer.secho(f"\n{len(failed)} problem(s) found.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.secho("\nEverything answers.", fg=typer.colors.GREEN)


@app.command()
def backup(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    to: Annotated[Path | None, typer.Option(help="The new backup folder.")] = None,
) -> None:
    """Back up the stopped embedded stack: each database (pg_dump) and the JetStream store."""
    from hawkari.backup import BackupError
    from hawkari.backup import backup as take_backup

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = to or data_dir / "backups" / f"hawkari-{stamp}"
    try:
        manifest = take_backup(data_dir, target)
    except (BackupError, ServerStartError) as exc:
        fail(str(exc).rstrip(".") + ".")
    typer.echo(f"backed up {len(manifest['databases'])} databases and the JetStream store to {target}")


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A folder written by `hawkari backup`.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing the data.")] = False,
) -> None:
    """Replace the stopped embedded stack's databases and streams by a backup's."""
    from hawkari.backup import BackupError
    from hawkari.backup import restore as do_restore

    if not yes:
        typer.confirm(f"Replace every database and stream in {data_dir.resolve()} by {source}?", abort=True)
    try:
        manifest = do_restore(data_dir, source)
    except (BackupError, ServerStartError) as exc:
        fail(str(exc).rstrip(".") + ".")
    typer.echo(f"restored {len(manifest['databases'])} databases and the JetStream store from {source}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
