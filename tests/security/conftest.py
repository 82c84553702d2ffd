"""One set of the four services for the security tests that do not need a stack of their own
(the matrix, schemathesis, limits and headers): starting a service costs seconds, so they share
it for the package. Notifications follows streams and subjects of its own, on which the tests play
the producers; the personal-data test runs its own stack with every relay and consumer on."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest

from shared.contracts import referrals as rc
from shared.contracts import registry as reg
from shared.messaging import StreamSpec, ensure_stream
from shared.testing import RunningServers
from tests.security.stack import Receiver, Stack, Tokens, running_service


@pytest.fixture(scope="package")
def tokens(idp_url: str, idp_key_dir: Path) -> Tokens:
    return Tokens(idp_url, idp_key_dir)


@pytest.fixture(scope="package")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="package")
async def stack(servers: RunningServers, idp_url: str, receiver: Receiver) -> AsyncIterator[Stack]:
    tag = uuid.uuid4().hex[:8]
    prefix = f"sec{tag}."
    streams = {"referrals_stream": f"SEC_REF_{tag}", "registry_stream": f"SEC_REG_{tag}"}
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    await ensure_stream(js, StreamSpec(streams["referrals_stream"], tuple(prefix + s for s in rc.SUBJECTS)))
    registry_subjects = tuple(prefix + s for s in reg.SUBJECTS)
    await ensure_stream(js, StreamSpec(streams["registry_stream"], registry_subjects, last_per_subject=True))
    settings: dict[str, dict[str, Any]] = {
        # The matrix asks for the directory search sixteen times a row; the limit has its own test.
        "registry": {"search_rate_per_minute": 0},
        "referrals": {"run_expiry": False, "replica_consumer": f"sec-{tag}"},
        "notifications": {
            **streams,
            "subject_prefix": prefix,
            "run_workers": True,
            "referrals_consumer": f"{tag}-ref",
            "registry_consumer": f"{tag}-reg",
            "webhook_allow_private": True,
            "email_org_contacts": False,
            "worker_interval_s": 0.1,
        },
        "coordination": {},
    }
    try:
        async with contextlib.AsyncExitStack() as exits:
            services = {
                name: await exits.enter_async_context(running_service(name, servers, idp_url, **overrides))
                for name, overrides in settings.items()
            }
            yield Stack(services, js, prefix, receiver)
    finally:
        for stream in streams.values():
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)
        await nc.close()
