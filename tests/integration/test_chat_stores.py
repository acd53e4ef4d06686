"""chat_session's stores against the real MongoDB-wire server and Redis: the gapless seq under
concurrent senders on several replicas, deadlines that survive their handler, the shared lock."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as redis
from pymongo import AsyncMongoClient

from parley.contracts.messages import Message
from parley_chat_session.channels.store import Channel
from parley_chat_session.clocks.conversation_clocks import ConversationClocks
from parley_chat_session.clocks.deadlines import LEASE_SECONDS, DeadlineSet
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.conversations.message_store import MessageStore
from parley_chat_session.conversations.sessions import new_conversation
from parley_chat_session.locks import RedisMutex
from tests.conftest import REDIS_URL, Infra
from tests.kit.chat_documents import stored_channel


@pytest.fixture
async def cache(infra: Infra) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def stores(infra: Infra, mongo: AsyncMongoClient) -> tuple[ConversationStore, MessageStore, MessageStore]:
    """The conversation store and two message stores, as two replicas would have (separate locks)."""
    db = mongo[infra.mongo_db]
    conversations = ConversationStore(db)
    replicas = MessageStore(db, conversations), MessageStore(db, conversations)
    await conversations.create_indexes()
    await replicas[0].create_indexes()
    return conversations, *replicas


async def a_conversation(conversations: ConversationStore) -> str:
    conversation_id = f"c_{uuid.uuid4().hex[:24]}"
    channel = stored_channel("ch_test", chatbot_script_id="bot")
    assert await conversations.insert(
        new_conversation(conversation_id, channel, {"visitor_id": "v_1", "visitor_name": "V"})
    )
    return conversation_id


class Announced:
    """What a store announced, in order: the stand-in for the bus (no broker is under test here)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)


async def unannounced(_message: Message) -> None:
    pass


def fields(n: int, client_msg_id: str) -> dict:
    author = f"u_{n % 7}"
    return {
        "author_id": author,
        "author_role": "visitor",
        "author_name": "",
        "kind": "text",
        "body": f"m{n}",
        "client_msg_id": client_msg_id,
    }


async def test_concurrent_sends_on_two_replicas_leave_no_gap_and_no_duplicate(stores) -> None:
    conversations, left, right = stores
    conversation_id = await a_conversation(conversations)
    ids = [f"k{n}-{uuid.uuid4().hex[:6]}" for n in range(50)]
    announced = Announced()
    # Every send goes to both replicas at once (a retry racing its original across replicas).
    results = await asyncio.gather(
        *(left.append(conversation_id, fields(n, ids[n]), announced) for n in range(50)),
        *(right.append(conversation_id, fields(n, ids[n]), announced) for n in range(50)),
    )
    by_key: dict[str, set[int]] = {}
    for message, _duplicate in results:
        by_key.setdefault(message.client_msg_id, set()).add(message.seq)
    assert all(len(seqs) == 1 for seqs in by_key.values())  # both attempts of a send got the same message
    assert sum(1 for _, duplicate in results if not duplicate) == 50
    stored = await left.all_of(conversation_id)
    assert [m.seq for m in stored] == list(range(1, 51))
    assert (await conversations.get(conversation_id)).last_seq == 50
    # Each attempt announced what it answered: the stored message, a duplicate once more.
    assert sorted(m.seq for m in announced.messages) == sorted(message.seq for message, _ in results)
    assert {m.id for m in announced.messages} == {m.id for m in stored}


async def test_a_stale_counter_is_repaired_not_reused(stores, infra: Infra, mongo: AsyncMongoClient) -> None:
    conversations, left, right = stores
    conversation_id = await a_conversation(conversations)
    await left.append(conversation_id, fields(1, "a"), unannounced)
    await left.append(conversation_id, fields(2, "b"), unannounced)
    # A replica died between its insert and the counter update: the counter says 1, seq 2 exists.
    await mongo[infra.mongo_db]["conversations"].update_one({"_id": conversation_id}, {"$set": {"last_seq": 1}})
    message, duplicate = await right.append(
        conversation_id, fields(3, "c"), unannounced
    )  # a replica that trusts the counter
    assert (message.seq, duplicate) == (3, False)
    assert (await conversations.get(conversation_id)).last_seq == 3


async def test_paging_by_seq(stores) -> None:
    conversations, left, _ = stores
    conversation_id = await a_conversation(conversations)
    for n in range(1, 8):
        await left.append(conversation_id, fields(n, f"p{n}"), unannounced)
    page, more = await left.page(conversation_id, before_seq=None, after_seq=None, limit=3)
    assert ([m.seq for m in page], more) == ([5, 6, 7], True)
    page, more = await left.page(conversation_id, before_seq=5, after_seq=None, limit=3)
    assert ([m.seq for m in page], more) == ([2, 3, 4], True)
    page, more = await left.page(conversation_id, before_seq=None, after_seq=4, limit=10)
    assert ([m.seq for m in page], more) == ([5, 6, 7], False)
    page, more = await left.page(conversation_id, before_seq=6, after_seq=2, limit=10)
    assert ([m.seq for m in page], more) == ([3, 4, 5], False)


async def test_deadlines_are_claimed_once_released_unless_rearmed(cache: redis.Redis, infra: Infra) -> None:
    deadlines = DeadlineSet(cache, f"{infra.redis_prefix}test:deadlines:{uuid.uuid4().hex}")
    other_replica = DeadlineSet(cache, deadlines.key)
    now = time.time()
    await deadlines.arm("due", now - 1)
    await deadlines.arm("later", now + 60)
    await deadlines.arm("rearmed", now - 1)
    claimed = dict(await deadlines.claim_due(now))
    assert set(claimed) == {"due", "rearmed"}
    assert await other_replica.claim_due(now) == []  # a claimed deadline is nobody else's
    await deadlines.arm("rearmed", now + 10)  # a new message while it was being handled
    await deadlines.release("due", claimed["due"])
    await deadlines.release("rearmed", claimed["rearmed"])
    assert await deadlines.deadline("due") is None
    assert await deadlines.deadline("rearmed") == pytest.approx(now + 10)
    # A handler that died: its claim runs out and the deadline is due again.
    await deadlines.arm("crashed", now - 1)
    assert [member for member, _ in await deadlines.claim_due(now)] == ["crashed"]
    assert "crashed" in [member for member, _ in await other_replica.claim_due(now + LEASE_SECONDS + 1)]


async def test_keep_earlier_does_not_push_a_deadline_back(cache: redis.Redis, infra: Infra) -> None:
    deadlines = DeadlineSet(cache, f"{infra.redis_prefix}test:deadlines:{uuid.uuid4().hex}")
    await deadlines.arm("c", 100.0, keep_earlier=True)
    await deadlines.arm("c", 200.0, keep_earlier=True)
    assert await deadlines.deadline("c") == 100.0
    await deadlines.arm("c", 50.0, keep_earlier=True)
    assert await deadlines.deadline("c") == 50.0


async def test_the_assignment_lock_excludes_other_replicas(cache: redis.Redis, infra: Infra) -> None:
    key = f"{infra.redis_prefix}test:lock:{uuid.uuid4().hex}"
    replicas = [RedisMutex(cache, key, lease_seconds=5) for _ in range(3)]
    inside, overlaps = 0, 0

    async def critical(mutex: RedisMutex) -> None:
        nonlocal inside, overlaps
        async with mutex.hold():
            inside += 1
            overlaps += inside > 1
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(critical(replicas[n % 3]) for n in range(15)))
    assert overlaps == 0
    assert await cache.get(key) is None  # released


async def test_sends_to_many_conversations_at_once_share_writes_and_keep_each_outcome(stores) -> None:
    """The inserts and conversation updates of concurrent sends go out in shared batches: each
    send still gets its own seq, and a retried send inside a batch gets the stored message."""
    conversations, left, _ = stores
    conversation_ids = [await a_conversation(conversations) for _ in range(12)]
    first, _ = await left.append(conversation_ids[0], fields(0, "retried"), unannounced)
    results = await asyncio.gather(
        left.append(conversation_ids[0], fields(0, "retried"), unannounced),  # the retry, in a batch with the rest
        *(left.append(cid, fields(n, f"b{cid}-{n}"), unannounced) for cid in conversation_ids for n in range(1, 4)),
    )
    retried, duplicate = results[0]
    assert duplicate and retried.id == first.id
    assert all(not duplicate for _, duplicate in results[1:])
    for cid in conversation_ids:
        stored = await left.all_of(cid)
        expected = 4 if cid == conversation_ids[0] else 3
        assert [m.seq for m in stored] == list(range(1, expected + 1))
        assert (await conversations.get(cid)).last_seq == expected


async def test_a_retried_send_repairs_the_bookkeeping_its_first_attempt_lost(
    stores, infra: Infra, mongo: AsyncMongoClient
) -> None:
    conversations, left, right = stores
    conversation_id = await a_conversation(conversations)
    first, _ = await left.append(conversation_id, fields(1, "lost-bookkeeping"), unannounced)
    # The first attempt's process died between its insert and the conversation's update.
    await mongo[infra.mongo_db]["conversations"].update_one({"_id": conversation_id}, {"$set": {"last_seq": 0}})
    announced = Announced()
    again, duplicate = await right.append(conversation_id, fields(1, "lost-bookkeeping"), announced)
    assert duplicate and again.id == first.id
    assert [m.id for m in announced.messages] == [first.id]
    doc = await conversations.get(conversation_id)
    assert doc.last_seq == 1 and doc.last_activity_at is not None and doc.last_activity_at >= first.created_at


async def test_lost_deadlines_are_rebuilt_from_the_open_conversations(
    cache: redis.Redis, infra: Infra, stores, mongo: AsyncMongoClient
) -> None:
    conversations = stores[0]
    channel_id = f"ch_{uuid.uuid4().hex[:8]}"
    channel = stored_channel(channel_id, response_target_seconds=60.0, inactivity_timeout_minutes=10.0)
    stamp = now() - timedelta(seconds=30)
    docs = {
        "waiting": {"status": "open", "operator_id": "u_op", "awaiting_reply_since": stamp},
        "answered": {"status": "open", "operator_id": "u_op", "awaiting_reply_since": None},
        "queued": {"status": "queued", "operator_id": None, "awaiting_reply_since": stamp},
        "closed": {"status": "closed", "operator_id": "u_op", "awaiting_reply_since": stamp},
    }
    ids = {name: f"c_{uuid.uuid4().hex[:24]}" for name in docs}
    for name, fields in docs.items():
        doc = {"_id": ids[name], "channel_id": channel_id, "last_activity_at": stamp, **fields}
        await mongo[infra.mongo_db]["conversations"].insert_one(doc)

    async def channel_of(wanted: str) -> Channel | None:
        return channel if wanted == channel_id else None  # other tests' conversations: no clock

    clocks = ConversationClocks(cache, f"{infra.redis_prefix}{uuid.uuid4().hex[:6]}:")
    assert not await clocks.indexed()
    await clocks.inactivity.arm(ids["answered"], stamp.timestamp() + 999)  # armed since: it stays
    assert await clocks.rebuild(conversations.open_clocks(), channel_of) == 3
    assert await clocks.indexed()
    assert await clocks.response.deadline(ids["waiting"]) == pytest.approx(stamp.timestamp() + 60)
    assert await clocks.inactivity.deadline(ids["waiting"]) == pytest.approx(stamp.timestamp() + 600)
    assert await clocks.response.deadline(ids["answered"]) is None
    assert await clocks.inactivity.deadline(ids["answered"]) == pytest.approx(stamp.timestamp() + 999)
    for name in ("queued", "closed"):
        assert await clocks.response.deadline(ids[name]) is None and await clocks.inactivity.deadline(ids[name]) is None


async def test_a_message_moves_both_clocks_in_one_step(cache: redis.Redis, infra: Infra) -> None:
    clocks = ConversationClocks(cache, f"{infra.redis_prefix}{uuid.uuid4().hex[:6]}:")
    channel = stored_channel("ch_clocks", response_target_seconds=60.0, inactivity_timeout_minutes=10.0)
    at = now() - timedelta(seconds=30)
    before = time.time()
    await clocks.after_message("c1", channel, open_=True, response="start", at=at)
    assert await clocks.response.deadline("c1") == pytest.approx(at.timestamp() + 60)
    assert (await clocks.inactivity.deadline("c1") or 0) >= before + 600
    # The visitor again, still unanswered: the response deadline is not pushed back.
    await clocks.after_message("c1", channel, open_=True, response="start", at=now())
    assert await clocks.response.deadline("c1") == pytest.approx(at.timestamp() + 60)
    await clocks.after_message("c1", channel, open_=True, response="stop", at=now())
    assert await clocks.response.deadline("c1") is None, "the operator answered"
    # A queued conversation (not open): no inactivity clock; a channel without timeouts: none.
    await clocks.after_message("c2", channel, open_=False, response=None, at=now())
    silent = stored_channel("ch_silent", response_target_seconds=60.0, inactivity_timeout_minutes=0)
    await clocks.after_message("c3", silent, open_=True, response=None, at=now())
    assert await clocks.inactivity.deadline("c2") is None and await clocks.inactivity.deadline("c3") is None
