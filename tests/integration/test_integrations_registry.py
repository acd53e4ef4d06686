"""Which webhooks and bots an event is for, from each replica's copy of the registries: an edit on
one replica is seen by the next event on another, and no event reads the database while nothing
changed (the real Redis and MongoDB-wire server; pymongo's command monitoring counts the reads)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as redis
from pymongo import AsyncMongoClient, monitoring

from parley.contracts.errors import ErrorCode
from parley.outbound_urls import EndpointRule
from parley_integrations.registry import WEBHOOKS, Registry, subscribed_webhooks
from tests.conftest import MONGO_URL


class Finds(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == WEBHOOKS:
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def replicas(client: redis.Redis, prefix: str) -> AsyncIterator[tuple[Registry, Registry, Finds]]:
    """Two replicas' registries of webhooks over one database and one Redis."""
    finds = Finds()
    mongo: AsyncMongoClient = AsyncMongoClient(MONGO_URL, tz_aware=True, event_listeners=[finds])
    name = f"parley_registry_{uuid.uuid4().hex[:10]}"

    def replica() -> Registry:
        return Registry(
            mongo[name],
            WEBHOOKS,
            id_prefix="wh_",
            url_field="url",
            unknown=ErrorCode.UNKNOWN_WEBHOOK,
            rule=EndpointRule.of(["127.0.0.1"], allow_insecure=True),
            secret_overlap=timedelta(hours=1),
            redis_client=client,
            key_prefix=prefix,
        )

    yield replica(), replica(), finds
    await mongo.drop_database(name)
    await mongo.close()


def spec(event_types: list[str], channel_ids: list[str]) -> dict[str, object]:
    return {
        "url": "http://127.0.0.1:9/hook",
        "event_types": event_types,
        "channel_ids": channel_ids,
        "description": "",
        "active": True,
    }


async def test_an_edit_on_one_replica_is_seen_by_the_next_event_on_another(
    replicas: tuple[Registry, Registry, Finds],
) -> None:
    editing, other, finds = replicas
    assert await subscribed_webhooks(other, "message.created", "ch_1") == []

    everywhere = await editing.create(spec(["message.created"], []))
    only_ch_2 = await editing.create(spec(["message.created", "conversation.closed"], ["ch_2"]))
    assert await subscribed_webhooks(other, "message.created", "ch_1") == [everywhere["_id"]]
    assert sorted(await subscribed_webhooks(other, "message.created", "ch_2")) == sorted(
        [everywhere["_id"], only_ch_2["_id"]]
    )
    assert await subscribed_webhooks(other, "conversation.closed", "ch_1") == []

    # Nothing changed: events read no registry, however many.
    before = finds.count
    for _ in range(20):
        await subscribed_webhooks(other, "message.created", "ch_2")
    assert finds.count == before

    await editing.change(everywhere["_id"], {"active": False})
    assert await subscribed_webhooks(other, "message.created", "ch_1") == []
    await editing.change(only_ch_2["_id"], {"channel_ids": ["ch_1"]})
    assert await subscribed_webhooks(other, "message.created", "ch_1") == [only_ch_2["_id"]]
    await editing.delete(only_ch_2["_id"])
    assert await subscribed_webhooks(other, "message.created", "ch_1") == []


async def test_a_copy_is_read_again_when_redis_lost_the_token(
    replicas: tuple[Registry, Registry, Finds], client: redis.Redis, prefix: str
) -> None:
    editing, other, _finds = replicas
    first = await editing.create(spec(["message.created"], []))
    assert await subscribed_webhooks(other, "message.created", "ch_1") == [first["_id"]]
    # A write whose token never reached Redis, then Redis losing the token: the copy under the old
    # token is not trusted once the key is gone.
    await editing.collection.update_one({"_id": first["_id"]}, {"$set": {"active": False}})
    await client.delete(f"{prefix}integrations:{WEBHOOKS}:token")
    assert await subscribed_webhooks(other, "message.created", "ch_1") == []
