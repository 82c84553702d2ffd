"""`hawkari backup` → `hawkari restore` on the embedded servers, with everything compared.

The data is real: the registry migrated and seeded with the demo directory, the referrals schema,
a JetStream stream with events and a durable consumer part-way through it. After the backup the
data is damaged (tables emptied, a database dropped, the stream deleted, another one made); after
the restore every table's rows, each database's revision, every message and the consumer's
position must be what they were.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from click.testing import Result
from nats.js.api import ConsumerConfig
from typer.testing import CliRunner

from hawkari import stack
from hawkari.cli import app, migrate_all
from services.registry.seed import seed
from shared.contracts.registry import SUBJECTS
from shared.messaging import StreamSpec, ensure_stream
from shared.processes import EmbeddedNats, EmbeddedPostgres, free_port

STREAM = StreamSpec("REGISTRY", SUBJECTS, last_per_subject=True)


@contextmanager
def servers(data_dir: Path, pg_port: int, nats_port: int) -> Iterator[tuple[EmbeddedPostgres, str]]:
    """The embedded servers exactly where `hawkari up` keeps them in ``data_dir``."""
    pg = EmbeddedPostgres("postgres", pg_port, data_dir / "postgres")
    js = EmbeddedNats("nats", nats_port, data_dir / "nats")
    pg.start()
    js.start()
    try:
        yield pg, js.url()
    finally:
        js.stop()
        pg.stop()


async def tables(url: str) -> dict[str, Any]:
    """Every table's rows (as sorted JSON) and the migration revision of one database."""
    conn = await asyncpg.connect(url)
    try:
        names = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        )
        snapshot: dict[str, Any] = {}
        for row in names:
            quoted = await conn.fetchval("SELECT quote_ident($1)", row["table_name"])
            rows = await conn.fetch(f"SELECT row_to_json(t)::text AS j FROM {quoted} t")  # noqa: S608
            snapshot[row["table_name"]] = sorted(r["j"] for r in rows)
        return snapshot
    finally:
        await conn.close()


async def stream_state(url: str) -> dict[str, Any]:
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        streams = sorted(s.config.name for s in await js.streams_info())
        info = await js.stream_info(STREAM.name)
        messages = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(STREAM.name, seq)
            messages.append((msg.seq, msg.subject, msg.data, dict(msg.headers or {})))
        consumer = await js.consumer_info(STREAM.name, "backup-test")
        return {
            "streams": streams,
            "messages": messages,
            "consumer": (consumer.ack_floor.stream_seq, consumer.num_pending),
        }
    finally:
        await client.close()


async def fill_stream(url: str) -> None:
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        await ensure_stream(js, STREAM)
        for n in range(5):
            await js.publish(
                f"registry.organization.updated.{n}",
                json.dumps({"n": n}).encode(),
                headers={"Nats-Msg-Id": f"event-{n}"},
            )
        sub = await js.pull_subscribe(
            "registry.>", durable="backup-test", stream=STREAM.name, config=ConsumerConfig(ack_wait=30)
        )
        for msg in await sub.fetch(2, timeout=5):
            await msg.ack_sync()
    finally:
        await client.close()


async def damage(pg: EmbeddedPostgres, url: str) -> None:
    conn = await asyncpg.connect(pg.url("hawkari_registry", driver="postgresql"))
    try:
        names = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        quoted = ", ".join([await conn.fetchval("SELECT quote_ident($1)", r["tablename"]) for r in names])
        await conn.execute(f"TRUNCATE {quoted} CASCADE")
    finally:
        await conn.close()
    admin = await asyncpg.connect(pg.url(driver="postgresql"))
    try:
        await admin.execute("DROP DATABASE hawkari_referrals WITH (FORCE)")
    finally:
        await admin.close()
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        await js.delete_stream(STREAM.name)
        await ensure_stream(js, StreamSpec("OTHER", ("other.>",)))
    finally:
        await client.close()


def hawkari(env: dict[str, str], *args: str) -> Result:
    """The command as a user types it, run in this process (a new interpreter costs seconds)."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HAWKARI_")}
    return CliRunner().invoke(app, list(args), env={**cleared, **env}, catch_exceptions=False)


@pytest.mark.timeout(300)  # four server starts, migrations and the seed; minutes on a loaded machine
def test_backup_then_restore_gives_back_every_row_message_and_consumer_position(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    data_dir = tmp_path / "data"
    ports = {"HAWKARI_POSTGRES_PORT": free_port(), "HAWKARI_NATS_PORT": free_port()}
    env = {k: str(v) for k, v in ports.items()} | {"HAWKARI_DATA_DIR": str(data_dir)}
    pg_port, nats_port = ports["HAWKARI_POSTGRES_PORT"], ports["HAWKARI_NATS_PORT"]
    specs = [s for s in stack.ALL_SERVICES if s.name in ("registry", "referrals")]
    databases = [s.database for s in specs]

    with servers(data_dir, pg_port, nats_port) as (pg, nats_url):
        migrate_all(pg.url(), specs)
        asyncio.run(seed(stack.database_url_for(pg.url(), specs[0])))
        asyncio.run(fill_stream(nats_url))
        before = {db: asyncio.run(tables(pg.url(db, driver="postgresql"))) for db in databases}
        streams_before = asyncio.run(stream_state(nats_url))
    assert sum(len(rows) for rows in before["hawkari_registry"].values()) > 50, "the seed wrote a directory"
    assert streams_before["consumer"] == (2, 3)

    target = tmp_path / "backup"
    result = hawkari(env, "backup", "--to", str(target))
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((target / "manifest.json").read_text())
    assert sorted(manifest["databases"]) == sorted(databases)
    assert manifest["jetstream"] == "nats/jetstream.tar.gz"

    with servers(data_dir, pg_port, nats_port) as (pg, nats_url):
        asyncio.run(damage(pg, nats_url))
        assert (
            asyncio.run(tables(pg.url("hawkari_registry", driver="postgresql"))) != before["hawkari_registry"]
        )

    result = hawkari(env, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "restored 2 databases" in result.stdout

    with servers(data_dir, pg_port, nats_port) as (pg, nats_url):
        after = {db: asyncio.run(tables(pg.url(db, driver="postgresql"))) for db in databases}
        assert after == before
        assert asyncio.run(stream_state(nats_url)) == streams_before  # OTHER is gone, REGISTRY is back


def test_what_cannot_be_done_is_refused_in_one_sentence(tmp_path: Path) -> None:
    port = free_port()
    env = {"HAWKARI_DATA_DIR": str(tmp_path / "data"), "HAWKARI_POSTGRES_PORT": str(port)}
    result = hawkari(env, "restore", str(tmp_path), "--yes")
    assert result.exit_code == 1
    assert "is not a Hawkari backup" in result.stderr and "Traceback" not in result.stderr
    # While the stack runs (its PostgreSQL port answers), no backup: databases and streams must be
    # copied at the same moment.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        result = hawkari(env, "backup", "--to", str(tmp_path / "backup"))
    assert result.exit_code == 1
    assert "is running" in result.stderr and "stop it first" in result.stderr
    assert not (tmp_path / "backup").exists()
