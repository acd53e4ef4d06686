"""The Redis-heavy plumbing in the modes other than one server (the rest of the tier runs it on
one): Cluster mode (PARLEY_REDIS_CLUSTER_NODES) against a real Redis Cluster of three primaries
and their replicas, and Sentinel mode (PARLEY_REDIS_SENTINELS) against a primary and a replica
under three Sentinels (tests/kit/redis_servers.py). The client parley.stores builds sends each
command to its node, the cluster-ready scripts run there, reads of many keys span nodes, and the
delivery link receives what is published on any node.

Keys are spread over the three primaries on purpose (many conversations, users and buckets), so
a script or a read that assumed one server would fail on the cluster. Each mode's servers start
once for the module (~3 s each)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from parley.contracts.commands import Caller
from parley.contracts.errors import ErrorCode, ParleyError
from parley.deliveries import Delivered, DeliveryPublisher, DeliverySubscriber, current_states, newest_seqs
from parley.ratelimit import Bucket, RateLimiter
from parley.revocations import RevocationList
from parley.settings import ServiceSettings
from parley.stores import get_many, is_cluster, prepare_redis, redis_client
from parley_chat_session.conversations.sessions import MAX_RESERVATIONS_PER_VISITOR, Sessions
from parley_chatbot_engine.timer_store import TimerStore
from parley_gateway.admission import ConnectionCaps
from parley_notification.memberships import Memberships
from parley_notification.pending_pushes import PendingPushes
from tests.kit.redis_servers import RedisClusterNodes, Sentinels, redis_sentinels
from tests.kit.waiting import eventually

WAIT_SECONDS = 5.0
CONVERSATIONS = [f"conv-{n}" for n in range(12)]  # 12 ids: all three primaries' slot ranges


@pytest.fixture
def nodes(redis_cluster_nodes: RedisClusterNodes) -> RedisClusterNodes:
    return redis_cluster_nodes


@pytest.fixture(scope="module")
async def sentinels() -> AsyncIterator[Sentinels]:
    async with redis_sentinels() as started:
        yield started


@pytest.fixture
def prefix() -> str:
    return f"parley-test:{uuid.uuid4().hex[:8]}:"


@pytest.fixture(params=["cluster", "sentinel"])
def settings(request: pytest.FixtureRequest, prefix: str) -> ServiceSettings:
    """The settings of one mode; its servers start when a test first asks for that mode."""
    servers = request.getfixturevalue("nodes" if request.param == "cluster" else "sentinels")
    return cast(ServiceSettings, servers.settings(prefix))


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[redis.Redis]:
    connection = redis_client(settings)
    await prepare_redis(connection)  # as a service does before its traffic
    yield connection
    await connection.aclose()


@pytest.fixture
async def cluster_client(nodes: RedisClusterNodes, prefix: str) -> AsyncIterator[redis.Redis]:
    connection = redis_client(nodes.settings(prefix))
    yield connection
    await connection.aclose()


def _primaries_of(client: redis.Redis, keys: list[str]) -> set[int]:
    cluster = cast(RedisCluster, client)
    return {cluster.get_node_from_key(key).port for key in keys}


async def test_the_client_is_a_cluster_client_and_keys_spread_over_the_primaries(cluster_client: redis.Redis) -> None:
    client = cluster_client
    assert is_cluster(client)
    await client.ping()
    assert len(_primaries_of(client, [f"delivery:newest:{conversation}" for conversation in CONVERSATIONS])) == 3


async def test_rate_limit_buckets_of_one_group_are_taken_together_on_their_node(
    client: redis.Redis, prefix: str
) -> None:
    limiter = RateLimiter(client, prefix)
    for user in ("u-1", "u-2", "u-3", "u-4"):
        wide = Bucket(f"wide:{user}", capacity=10, per_second=0.01, group=f"user:{user}")
        narrow = Bucket(f"narrow:{user}", capacity=1, per_second=0.01, group=f"user:{user}")
        assert (await limiter.take(wide, narrow)).allowed
        refused = await limiter.take(wide, narrow)
        assert not refused.allowed and refused.blocked_by is narrow
    await limiter.reset(Bucket("wide:u-1", capacity=10, per_second=0.01, group="user:u-1"))


async def test_messages_record_newest_seqs_on_every_node_and_are_read_back_in_one_call(
    client: redis.Redis, prefix: str
) -> None:
    publisher = DeliveryPublisher(client, prefix)
    for seq, conversation in enumerate(CONVERSATIONS, start=1):
        await publisher.message(conversation, seq, ["nobody"], "{}")
    await publisher.message(CONVERSATIONS[0], 0, ["nobody"], "{}")  # never lowered
    seqs = await newest_seqs(client, prefix, [*CONVERSATIONS, "conv-none"])
    assert seqs == {conversation: seq for seq, conversation in enumerate(CONVERSATIONS, start=1)}
    assert await get_many(client, [f"{prefix}delivery:newest:{CONVERSATIONS[1]}", f"{prefix}absent"]) == ["2", None]


async def test_state_frames_are_recorded_and_read_back_across_nodes(client: redis.Redis, prefix: str) -> None:
    publisher = DeliveryPublisher(client, prefix)
    for conversation in CONVERSATIONS:
        await publisher.frame(["v1"], "queue.position", f'{{"c":"{conversation}"}}', conversation_id=conversation)
    states = await current_states(client, prefix, CONVERSATIONS)
    assert {conversation: states[conversation][0].payload for conversation in CONVERSATIONS} == {
        conversation: f'{{"c":"{conversation}"}}' for conversation in CONVERSATIONS
    }


async def test_the_delivery_link_receives_what_is_published_on_any_node(
    settings: ServiceSettings, client: redis.Redis, prefix: str
) -> None:
    received: asyncio.Queue[Delivered] = asyncio.Queue()
    subscriber = DeliverySubscriber(settings, received.put_nowait, lambda: None, name="cluster-node")
    link = asyncio.create_task(subscriber.run())
    users = [f"user-{n}" for n in range(6)]
    try:
        for user in users:
            await subscriber.hold(user)
        # The channels' names hash to different nodes, and each message's script runs on its
        # conversation's node: PUBLISH reaches the link wherever it is. Across nodes there is no
        # order (a publish on the link's own node overtakes one the cluster bus carries); within a
        # conversation there is, since its messages are all published by its node.
        publisher = DeliveryPublisher(client, prefix)
        for seq in (1, 2, 3):
            for number, conversation in enumerate(CONVERSATIONS):
                await publisher.message(conversation, seq, [users[number % 6]], "{}")
        await publisher.frame(users, "typing", "{}")
        got = [await asyncio.wait_for(received.get(), WAIT_SECONDS) for _ in range(3 * len(CONVERSATIONS) + len(users))]
        for number, conversation in enumerate(CONVERSATIONS):
            assert [(d.user_id, d.seq) for d in got if d.conversation_id == conversation] == [
                (users[number % 6], seq) for seq in (1, 2, 3)
            ]
        assert sorted(d.user_id for d in got if d.frame_type == "typing") == users
    finally:
        link.cancel()
        await asyncio.gather(link, return_exceptions=True)
        await subscriber.close()


async def test_a_lost_cluster_delivery_link_is_dialled_to_the_next_node_and_resubscribed(
    nodes: RedisClusterNodes, cluster_client: redis.Redis, prefix: str
) -> None:
    client = cluster_client
    received: asyncio.Queue[Delivered] = asyncio.Queue()
    resubscribed = asyncio.Event()
    name = f"cluster-link-{uuid.uuid4().hex[:6]}"
    subscriber = DeliverySubscriber(
        nodes.settings(prefix, first=nodes.port), received.put_nowait, resubscribed.set, name=name
    )
    link = asyncio.create_task(subscriber.run())
    try:
        await subscriber.hold("alice")
        first = redis.Redis(port=nodes.port, decode_responses=True)
        (entry,) = [entry for entry in await first.client_list() if entry["name"] == name]
        await first.client_kill_filter(_id=entry["id"])
        await first.aclose()
        await asyncio.wait_for(resubscribed.wait(), WAIT_SECONDS)
        second = redis.Redis(port=nodes.port + 1, decode_responses=True)
        assert [entry for entry in await second.client_list() if entry["name"] == name], "the next node took the link"
        await second.aclose()

        publisher = DeliveryPublisher(client, prefix)

        async def delivered() -> bool:
            await publisher.frame(["alice"], "notice", "{}")
            try:
                return (await asyncio.wait_for(received.get(), 0.5)).user_id == "alice"
            except TimeoutError:
                return False

        await eventually(delivered, what="a frame reaching the re-dialled link")
    finally:
        link.cancel()
        await asyncio.gather(link, return_exceptions=True)
        await subscriber.close()


async def test_the_chatbot_timer_index_runs_its_script_and_transaction_on_one_node(
    client: redis.Redis, prefix: str
) -> None:
    store = TimerStore(client, prefix)
    assert len({key_slot(key.encode()) for key in store.keys}) == 1
    await store.apply("c1", {"user_silent": 10.0, "both_silent": 20.0}, [])
    await store.apply("c2", {"user_silent": 15.0}, ["both_silent"])
    claimed = await store.claim_due(now=16.0, lease_seconds=30)
    assert sorted((timer.conversation_id, timer.kind) for timer in claimed) == [
        ("c1", "user_silent"),
        ("c2", "user_silent"),
    ]
    assert await store.deadlines("c1") == {"both_silent": 20.0}
    await store.mark_indexed()
    assert await store.indexed()


async def test_connection_admission_counts_refuses_over_the_cap_and_reads_the_revocation(
    client: redis.Redis, prefix: str
) -> None:
    revocations = RevocationList(client, prefix)
    caps = ConnectionCaps(client, prefix, limit=2, ttl_seconds=30)
    await revocations.revoke("s-revoked", 60, "logged out")
    for user in ("u-1", "u-2", "u-3", "u-4"):  # their sets on several slots, the entries on others
        await caps.admit(user, f"{user}-a", revocations.key("s-live"))
        await caps.admit(user, f"{user}-b", revocations.key("s-live"))
        with pytest.raises(ParleyError) as full:
            await caps.admit(user, f"{user}-c", revocations.key("s-live"))
        assert full.value.code == ErrorCode.RATE_LIMITED
        await caps.release(user, f"{user}-a")
        with pytest.raises(ParleyError) as refused:
            await caps.admit(user, f"{user}-d", revocations.key("s-revoked"))
        assert refused.value.code == ErrorCode.TOKEN_INVALID
        await caps.admit(user, f"{user}-e", revocations.key("s-live"))  # the released place


async def test_pending_pushes_count_merge_and_are_claimed_on_their_store_s_node(
    client: redis.Redis, prefix: str
) -> None:
    pushes = PendingPushes(client, prefix, merge_seconds=0.0, ttl_seconds=60)  # due at once
    users = [f"user-{n}" for n in range(6)]
    assert await pushes.add(users, "conv-1", 1, "Ann", "hi") == 6
    assert await pushes.add(users, "conv-1", 1, "Ann", "hi") == 0  # a redelivered message counts once
    assert await pushes.add(users[:2], "conv-2", 5, "Bob", "yo") == 2
    assert await pushes.seen("user-0", "conv-1", 1)  # read on another device: no push
    assert await pushes.read_past([("user-0", "conv-1", 1), ("user-1", "conv-1", 1)]) == [True, False]
    claimed = await pushes.claim_due(limit=100)
    assert sorted((unread.user_id, unread.conversation_id, unread.count) for unread in claimed) == sorted(
        [(user, "conv-1", 1) for user in users[1:]] + [(user, "conv-2", 1) for user in users[:2]]
    )
    assert await pushes.claim_due(limit=100) == []  # each push is claimed once


async def test_memberships_give_the_partners_of_open_conversations_only(client: redis.Redis, prefix: str) -> None:
    memberships = Memberships(client, prefix)
    for number, conversation in enumerate(CONVERSATIONS[:4]):
        await memberships.conversation(conversation, "open", [f"visitor-{number}", "op-a"])
    assert sorted(await memberships.partners("op-a")) == [f"visitor-{number}" for number in range(4)]
    await memberships.conversation(CONVERSATIONS[0], "closed", [])
    await memberships.conversation(CONVERSATIONS[0], "open", ["visitor-0", "op-a"])  # a late event
    assert sorted(await memberships.partners("op-a")) == ["visitor-1", "visitor-2", "visitor-3"]
    assert await memberships.partners("visitor-1") == ["op-a"]


async def test_a_visitor_s_reservations_are_reused_capped_and_freed_on_their_node(
    client: redis.Redis, prefix: str
) -> None:
    # Only the reservation's Redis part: no conversation store, channels or availability needed.
    unused = cast(Any, None)
    sessions = Sessions(client, unused, unused, unused, key_prefix=prefix, ttl_seconds=60)
    for visitor in ("v_1", "v_2", "v_3", "v_4"):  # their keys on several nodes
        caller = Caller(user_id=visitor, role="visitor", name="Vi")
        first = await sessions._reservation(caller, "ch-0")
        assert await sessions._reservation(caller, "ch-0") == first  # a second tab gets the same one
        record = await client.hgetall(sessions._key(first))
        assert (record["visitor_id"], record["channel_id"]) == (visitor, "ch-0")
        for number in range(1, MAX_RESERVATIONS_PER_VISITOR):
            await sessions._reservation(caller, f"ch-{number}")
        with pytest.raises(ParleyError) as full:
            await sessions._reservation(caller, "ch-over")
        assert full.value.code == ErrorCode.RATE_LIMITED
        await sessions._forget(first, record)  # its first message made it a conversation
        assert not await client.exists(sessions._key(first))
        again = await sessions._reservation(caller, "ch-0")  # a place is free, and a new one is made
        assert again != first and await client.hget(sessions._key(again), "visitor_id") == visitor
