"""The bookkeeping of closes in flight (conversations/pending_closes.py) against the real
MongoDB-wire server: a close marks its conversation until its consequences are told, the sweep
sees an entry only once it is old enough, and one replica at a time claims it. The whole path,
a close finished after Redis was away, is the chaos tier's (tests/chaos/closes.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from pymongo import AsyncMongoClient

from parley_chat_session.conversations import pending_closes
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.conversations.pending_closes import PendingCloses
from tests.conftest import Infra


async def test_a_close_is_marked_until_told_and_its_entry_waits_for_the_sweep(
    infra: Infra, mongo: AsyncMongoClient
) -> None:
    db = mongo[infra.mongo_db]
    store, pending, other_replica = ConversationStore(db), PendingCloses(db), PendingCloses(db)
    conversation_id = f"c_{uuid.uuid4().hex[:24]}"
    stored = {"_id": conversation_id, "channel_id": "ch_1", "visitor_id": "v_1", "created_at": now()}
    await db["conversations"].insert_one({**stored, "status": "open", "history": []})

    # Copies of one close (a client's resends, a parked command back) note it at once: no refusal.
    await asyncio.gather(*(pending.note(conversation_id) for _ in range(8)))
    closed = await store.close(conversation_id, "v_1", "done")
    assert closed is not None and closed.close_pending is True
    assert await store.close(conversation_id, "v_1", "done") is None  # closed already: the mark stays
    assert (await store.get(conversation_id)).close_pending is True
    assert conversation_id not in await pending.due()  # in flight: not the sweep's yet

    # Ten seconds later nobody finished it: the sweep's, for one replica at a time.
    aged = now() - timedelta(seconds=pending_closes.SWEEP_AFTER_SECONDS + 1)
    await db[pending_closes.COLLECTION].update_one({"_id": conversation_id}, {"$set": {"at": aged}})
    assert conversation_id in await pending.due()
    assert await pending.claim(conversation_id) is True
    assert await other_replica.claim(conversation_id) is False
    assert conversation_id not in await other_replica.due()  # claimed: not listed again meanwhile

    await store.close_told(conversation_id)
    await pending.forget(conversation_id)
    assert (await store.get(conversation_id)).close_pending is False  # the mark is gone
    assert await db[pending_closes.COLLECTION].count_documents({"_id": conversation_id}) == 0
