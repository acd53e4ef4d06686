"""Posting's copies of conversations (conversation_copies.py) against the real MongoDB-wire server
and Redis: a copy saves the read only until any replica changes what posting reads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
import redis.asyncio as redis
from pymongo import AsyncMongoClient

from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_copies import ConversationCopies
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.conversations.sessions import new_conversation
from tests.conftest import REDIS_URL, Infra
from tests.kit.chat_documents import stored_channel


@pytest.fixture
async def cache(infra: Infra) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def replicas(
    infra: Infra, mongo: AsyncMongoClient, cache: redis.Redis
) -> tuple[Any, ConversationStore, ConversationStore]:
    """The raw collection, and the conversation stores of two replicas (each its own copies)."""
    db = mongo[infra.mongo_db]
    return (
        db["conversations"],
        ConversationStore(db, ConversationCopies(cache, infra.redis_prefix)),
        ConversationStore(db, ConversationCopies(cache, infra.redis_prefix)),
    )


# Written behind the stores' back, to tell a copy from a fresh read: a field of the typed document
# (one it does not declare would be dropped when read) that nothing in these tests writes otherwise.
MARKER = "visitor_preview"


def marker_of(doc: Conversation | None) -> str | None:
    assert doc is not None
    return doc.visitor_preview


def clock_of(doc: Conversation | None) -> datetime | None:
    assert doc is not None
    return doc.awaiting_reply_since


async def an_open_conversation(store: ConversationStore) -> str:
    """A conversation with its visitor and an operator assigned."""
    conversation_id = f"c_{uuid.uuid4().hex[:24]}"
    channel = stored_channel(f"ch_{uuid.uuid4().hex[:8]}")
    assert await store.insert(new_conversation(conversation_id, channel, {"visitor_id": "v_1", "visitor_name": "V"}))
    assert await store.assign(conversation_id, "op_1", "Op") is not None
    return conversation_id


async def test_a_copy_is_used_until_another_replica_changes_the_conversation(replicas) -> None:
    raw, here, there = replicas
    conversation_id = await an_open_conversation(here)
    first = await here.for_message(conversation_id)
    assert first is not None and first.status == "open"
    # Written behind the stores' back (no change token): the copy does not see it, so it was not read.
    await raw.update_one({"_id": conversation_id}, {"$set": {MARKER: "1"}})
    assert marker_of(await here.for_message(conversation_id)) is None
    # A change through any replica's store is seen by the next message here.
    assert await there.close(conversation_id, "op_1", "done") is not None
    after = await here.for_message(conversation_id)
    assert after is not None and after.status == "closed" and marker_of(after) == "1"


async def test_a_removal_from_the_channel_is_seen_at_once(replicas) -> None:
    _raw, here, there = replicas
    conversation_id = await an_open_conversation(here)
    doc = await here.for_message(conversation_id)
    assert doc is not None and "op_1" in doc.member_ids
    assert await there.drop_member_of_channel(doc.channel_id, "op_1") == 1
    after = await here.for_message(conversation_id)
    assert after is not None and "op_1" not in after.member_ids


async def test_a_response_clock_moved_here_keeps_this_copy_and_stales_the_others(replicas) -> None:
    raw, here, there = replicas
    conversation_id = await an_open_conversation(here)
    await here.after_message(conversation_id, "op_1", 1, now(), reply_clock="stop")
    assert clock_of(await here.for_message(conversation_id)) is None
    assert clock_of(await there.for_message(conversation_id)) is None
    await raw.update_one({"_id": conversation_id}, {"$set": {MARKER: "1"}})
    started = now()
    await here.after_message(conversation_id, "v_1", 2, started, reply_clock="start")
    mine = await here.for_message(conversation_id)
    assert clock_of(mine) == started and marker_of(mine) is None  # updated in place, not read
    theirs = await there.for_message(conversation_id)
    assert clock_of(theirs) == started and marker_of(theirs) == "1"  # read again
    # A clock moved here on a copy another replica's change made stale: dropped, read again.
    await there.after_message(conversation_id, "op_1", 3, now(), reply_clock="stop")
    await raw.update_one({"_id": conversation_id}, {"$set": {MARKER: "2"}})
    await here.after_message(conversation_id, "v_1", 4, now(), reply_clock="start")
    assert marker_of(await here.for_message(conversation_id)) == "2"


async def test_a_lost_token_makes_a_new_one_that_no_copy_holds(replicas, cache: redis.Redis, infra: Infra) -> None:
    raw, here, _there = replicas
    conversation_id = await an_open_conversation(here)
    await here.for_message(conversation_id)
    await raw.update_one({"_id": conversation_id}, {"$set": {MARKER: "1"}})
    await cache.delete(f"{infra.redis_prefix}chat:conversation-token:{conversation_id}")
    assert marker_of(await here.for_message(conversation_id)) == "1"
