"""Per-user delivery channels (parley.deliveries) against the real Redis: a hold is confirmed
before anything published after it, a release stops deliveries, a lost link is re-subscribed
and reported, and a message's newest seq is recorded in the same script as its publish."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import orjson
import pytest
import redis.asyncio as redis

from parley.deliveries import (
    Delivered,
    DeliveryPublisher,
    DeliverySubscriber,
    current_states,
    newest_seqs,
    state_key,
)
from parley.settings import ServiceSettings
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration
WAIT_SECONDS = 5.0


class Node:
    """A subscriber running in the background, collecting what it receives."""

    def __init__(self, prefix: str) -> None:
        self.name = f"parley-test-{uuid.uuid4().hex[:8]}"
        self.received: asyncio.Queue[Delivered] = asyncio.Queue()
        self.resubscribed = asyncio.Event()
        self.subscriber = DeliverySubscriber(
            ServiceSettings(redis_url=REDIS_URL, redis_key_prefix=prefix),
            self.received.put_nowait,
            self.resubscribed.set,
            name=self.name,
        )
        self.task = asyncio.create_task(self.subscriber.run())

    async def next(self) -> Delivered:
        return await asyncio.wait_for(self.received.get(), WAIT_SECONDS)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.subscriber.close()


@pytest.fixture
async def node(prefix: str) -> AsyncIterator[Node]:
    running = Node(prefix)
    yield running
    await running.stop()


async def test_a_frame_published_after_the_hold_reaches_the_node(client: redis.Redis, prefix: str, node: Node) -> None:
    publisher = DeliveryPublisher(client, prefix)
    await node.subscriber.hold("alice")
    reached = await publisher.frame(["alice", "bob"], "typing", '{"type":"typing"}')
    assert reached == {"alice"}, "bob is held by no node"
    got = await node.next()
    assert (got.user_id, got.frame_type, got.payload, got.seq) == ("alice", "typing", '{"type":"typing"}', None)


async def test_a_message_records_the_newest_seq_and_never_lowers_it(
    client: redis.Redis, prefix: str, node: Node
) -> None:
    publisher = DeliveryPublisher(client, prefix)
    await node.subscriber.hold("alice")
    assert await publisher.message("c1", 5, ["alice", "bob"], '{"m":5}') == {"alice"}
    assert await publisher.message("c1", 3, ["alice"], '{"m":3}') == {"alice"}  # a late re-announcement
    first, second = await node.next(), await node.next()
    assert (first.conversation_id, first.seq, second.seq) == ("c1", 5, 3)
    assert first.sent_at is not None and abs(time.time() - first.sent_at) < 60, "stamped by the publisher's clock"
    assert await newest_seqs(client, prefix, ["c1", "c2"]) == {"c1": 5}, "c2 has no key: the reader asks MongoDB"


async def test_the_last_release_stops_deliveries_and_an_earlier_one_does_not(
    client: redis.Redis, prefix: str, node: Node
) -> None:
    publisher = DeliveryPublisher(client, prefix)
    await node.subscriber.hold("alice")
    await node.subscriber.hold("alice")  # a second connection of hers on this node
    node.subscriber.release("alice")
    assert await publisher.frame(["alice"], "notice", "{}") == {"alice"}
    await node.next()
    node.subscriber.release("alice")
    await node.subscriber.hold("carol")  # confirmed after alice's unsubscribe, which was sent first
    assert await publisher.frame(["alice"], "notice", "{}") == set()


async def test_a_release_and_a_new_hold_in_a_row_leave_the_user_subscribed(
    client: redis.Redis, prefix: str, node: Node
) -> None:
    publisher = DeliveryPublisher(client, prefix)
    await node.subscriber.hold("alice")
    node.subscriber.release("alice")
    await node.subscriber.hold("alice")
    assert await publisher.frame(["alice"], "notice", "{}") == {"alice"}


async def test_a_killed_link_is_resubscribed_and_reported(client: redis.Redis, prefix: str, node: Node) -> None:
    publisher = DeliveryPublisher(client, prefix)
    await node.subscriber.hold("alice")
    assert not node.resubscribed.is_set(), "the first link is not a re-subscription"
    (link,) = [entry for entry in await client.client_list() if entry["name"] == node.name]
    await client.client_kill_filter(_id=link["id"])
    await asyncio.wait_for(node.resubscribed.wait(), WAIT_SECONDS)
    assert await publisher.frame(["alice"], "notice", "{}") == {"alice"}
    assert (await node.next()).user_id == "alice"


async def test_a_state_frame_is_recorded_as_the_conversation_s_current_one_and_others_are_not(
    client: redis.Redis, prefix: str
) -> None:
    publisher = DeliveryPublisher(client, prefix)
    await publisher.frame(["v1"], "queue.position", '{"position":3}', conversation_id="c1")
    await publisher.frame(["v1"], "queue.position", '{"position":2}', conversation_id="c1")
    await publisher.frame(["v1", "o1"], "robot.status", '{"status":1}', conversation_id="c1")
    await publisher.frame(["v1"], "typing", '{"active":true}', conversation_id="c1")  # not state: not recorded
    states = await current_states(client, prefix, ["c1", "c2"])
    assert [(state.frame_type, state.user_ids, state.payload) for state in states["c1"]] == [
        ("queue.position", ["v1"], '{"position":2}'),
        ("robot.status", ["v1", "o1"], '{"status":1}'),
    ]
    assert "c2" not in states


async def test_a_recorded_robot_status_counts_its_offline_seconds_up_to_now(client: redis.Redis, prefix: str) -> None:
    publisher = DeliveryPublisher(client, prefix)
    await publisher.frame(["v1"], "robot.status", '{"status":2,"offline_seconds":40}', conversation_id="c1")
    await publisher.frame(["v1"], "queue.position", '{"position":2}', conversation_id="c1")
    # The frames as if recorded 25 s ago, when the node that re-sends them lost its link.
    key = state_key(prefix, "c1")
    for frame_type, raw in (await client.hgetall(key)).items():
        record = orjson.loads(raw)
        await client.hset(key, frame_type, orjson.dumps({**record, "at": record["at"] - 25}))
    states = {
        state.frame_type: orjson.loads(state.payload) for state in (await current_states(client, prefix, ["c1"]))["c1"]
    }
    assert 65 <= states["robot.status"]["offline_seconds"] <= 67, "40 s offline when recorded, 25 s ago"
    assert states["queue.position"] == {"position": 2}, "no other frame changes with age"
