"""Benefit events as the registry publishes them: a benefit created, changed and deactivated through
the API reaches NATS as benefit.upserted, upserted, deactivated, each with the contract's fields only."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import nats
from nats.aio.msg import Msg

from services.registry.settings import RegistrySettings
from shared.contracts.registry import BenefitDeactivated, BenefitUpserted
from shared.events.envelope import CloudEvent
from shared.testing import RunningServers, eventually
from tests.registry.demo import FRONTEX, SE_TOP_UP, STEERING
from tests.registry.harness import Tokens, running_app

# What shared/contracts/registry.py promises a benefit event carries, written out here so that a
# field added to or dropped from the contract (or an amount leaking into it) fails this test.
BENEFIT_FIELDS = {
    "version",
    "active",
    "updated_at",
    "deactivated_at",
    "benefit_id",
    "programme_id",
    "service_id",
    "kind",
    "per",
    "tops_up_programme_id",
}
# Event field -> the field of the API's answer that holds the same value.
AS_ANSWERED = {
    "benefit_id": "id",
    "programme_id": "programme_id",
    "service_id": "service_id",
    "kind": "kind",
    "per": "per",
    "tops_up_programme_id": "tops_up_programme_id",
    "version": "version",
    "active": "active",
}


async def test_a_benefit_created_changed_and_deactivated_publishes_its_state_each_time(
    settings: RegistrySettings, tokens: Tokens, servers: RunningServers, registry_stream: str
) -> None:
    # A plain subscription sees every message as the relay publishes it; the stream itself keeps
    # only the last one per benefit, so reading it afterwards could not show the order.
    received: list[tuple[str, CloudEvent, dict[str, str]]] = []

    async def on_message(msg: Msg) -> None:
        received.append((msg.subject, CloudEvent.model_validate_json(msg.data), dict(msg.headers or {})))

    nc = await nats.connect(servers.nats_url)
    try:
        await nc.subscribe("registry.benefit.>", cb=on_message)
        await nc.flush()
        live = settings.model_copy(update={"run_workers": True, "stream_name": registry_stream})
        async with running_app(live, tokens) as (_, api):
            top_up = {
                "kind": "top_up",
                "amount": "100",
                "currency": "EUR",
                "per": "person",
                "tops_up_programme_id": str(FRONTEX),
                "description": {"en": "Swedish top-up, pilot"},
            }
            created = await api.post(f"/v1/programmes/{SE_TOP_UP}/benefits", json=top_up, as_=STEERING)
            assert created.status_code == 201, created.text
            path = f"/v1/benefits/{created.json()['id']}"
            cash = {"kind": "cash", "amount": "150", "currency": "EUR", "per": "household"}
            changed = await api.put(
                path, json=cash, headers={"If-Match": created.headers["ETag"]}, as_=STEERING
            )
            assert changed.status_code == 200, changed.text
            # The same state again is no change: no event.
            same = await api.put(path, json=cash, headers={"If-Match": changed.headers["ETag"]}, as_=STEERING)
            assert same.status_code == 200 and same.json()["version"] == changed.json()["version"]
            ended = await api.post(
                f"{path}/deactivate", headers={"If-Match": changed.headers["ETag"]}, as_=STEERING
            )
            assert ended.status_code == 200, ended.text
            benefit_id = created.json()["id"]

            def ours() -> list[tuple[str, CloudEvent, dict[str, str]]]:
                # A relay retry after a lost acknowledgement sends a copy with the same id (JetStream
                # stores it once); a plain subscriber sees it, so copies count once, as in an inbox.
                seen: dict[str, tuple[str, CloudEvent, dict[str, str]]] = {}
                for message in received:
                    if message[1].subject == benefit_id:
                        seen.setdefault(message[1].id, message)
                return list(seen.values())

            async def three_arrived() -> bool:
                return len(ours()) >= 3

            await eventually(three_arrived, timeout=20)
            # Anything published late (a fourth event) would land within this pause.
            await asyncio.sleep(0.5)
            messages = ours()
    finally:
        await nc.close()

    answers = [created.json(), changed.json(), ended.json()]
    expected_types = [BenefitUpserted, BenefitUpserted, BenefitDeactivated]
    assert [m[1].type for m in messages] == [c.event_type for c in expected_types]
    assert [m[0] for m in messages] == [
        f"registry.benefit.upserted.{benefit_id}",
        f"registry.benefit.upserted.{benefit_id}",
        f"registry.benefit.deactivated.{benefit_id}",
    ]
    for (_, event, headers), answer, contract in zip(messages, answers, expected_types, strict=True):
        assert event.source == "/hawkari/registry" and event.specversion == "1.0"
        assert headers["Nats-Msg-Id"] == event.id
        assert event.dataschema == f"urn:hawkari:schema:{contract.event_type}"
        data = event.data
        assert set(data) == BENEFIT_FIELDS, json.dumps(data)
        assert isinstance(event.payload(), contract)
        # The state the API answered with at that step, in the contract's terms.
        assert {field: data[field] for field in AS_ANSWERED} == {
            field: answer[name] for field, name in AS_ANSWERED.items()
        }
        assert _at(data["updated_at"]) == _at(answer["updated_at"])

    first, second, last = (m[1].data for m in messages)
    assert (first["version"], second["version"], last["version"]) == (1, 2, 3)
    assert first["programme_id"] == str(SE_TOP_UP) and first["service_id"] is None
    assert (first["kind"], first["per"], first["tops_up_programme_id"]) == ("top_up", "person", str(FRONTEX))
    assert (second["kind"], second["per"], second["tops_up_programme_id"]) == ("cash", "household", None)
    assert first["deactivated_at"] is None and second["deactivated_at"] is None
    assert last["active"] is False and last["deactivated_at"] is not None
    assert _at(last["deactivated_at"]) >= _at(second["updated_at"])
    # Amounts and descriptions stay in the registry: entitlements are computed there.
    assert not {"amount", "currency", "description"} & (set(first) | set(second) | set(last))


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
