"""The driver pool for hot paths: reads what SQLAlchemy's connections read, survives a restart."""

from __future__ import annotations

import asyncio

import asyncpg

from shared.db import asyncpg_dsn, create_driver_pool, create_engine, driver_of


async def test_json_reads_the_same_on_the_driver_pool_as_through_sqlalchemy(database_url: str) -> None:
    # A composite row too: the creation view reads whole table rows whose columns are jsonb.
    query = """SELECT '{"a": [1, "x"]}'::jsonb AS j, '{"b": null}'::json AS t,
                      (SELECT r FROM (SELECT '{"c": 2}'::jsonb AS inner_j) r) AS rec,
                      $1::jsonb AS echoed"""
    engine = create_engine(database_url)
    pool = await create_driver_pool(database_url)
    try:
        async with engine.connect() as conn:
            via_sqlalchemy = await (await driver_of(conn)).fetchrow(query, '{"d": true}')
        async with pool.acquire() as conn:
            via_pool = await conn.fetchrow(query, '{"d": true}')
    finally:
        await pool.close()
        await engine.dispose()
    assert via_pool["j"] == via_sqlalchemy["j"] == {"a": [1, "x"]}
    assert via_pool["t"] == via_sqlalchemy["t"] == {"b": None}
    assert via_pool["rec"][0] == via_sqlalchemy["rec"][0] == {"c": 2}
    assert via_pool["echoed"] == via_sqlalchemy["echoed"] == {"d": True}


async def test_connections_the_server_closed_are_replaced_when_next_taken(database_url: str) -> None:
    pool = await create_driver_pool(database_url, max_size=2)
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # Two pooled connections, both idle in the pool.
        first, second = await pool.acquire(), await pool.acquire()
        pids = {first.get_server_pid(), second.get_server_pid()}
        await pool.release(first)
        await pool.release(second)
        # What a restart does to them: the server ends both sessions.
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(pids))
        await asyncio.sleep(0.2)
        for _ in range(2):
            async with pool.acquire() as conn:
                assert await conn.fetchval("SELECT 1") == 1
                assert conn.get_server_pid() not in pids
    finally:
        await admin.close()
        await pool.close()
