"""Database commands per message of chat_session's posting path, with and without the copies.

What a message costs the database in chat_session, counted by pymongo's command monitoring:
the read ``Sessions.locate`` makes (``ConversationStore.for_message``), then
``MessageStore.append`` (the insert and the conversation's bookkeeping update). Conversations with
a visitor and an operator take turns, so every message moves the response clock (the case where
the copies must be updated in place). Run one at a time and all conversations at once (where
the writes batch), each with the conversation copies (conversation_copies.py) and without.

``python -m bench.postingcommands [--conversations 20] [--messages 20]`` prints one line per case.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import uuid
from typing import Any

import redis.asyncio as redis
from pymongo import AsyncMongoClient, monitoring

from bench.environment import MONGO_URL, REDIS_URL
from parley.contracts.commands import Caller
from parley.contracts.messages import Message
from parley_chat_session.conversations.conversation_copies import ConversationCopies
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.message_store import MessageStore
from parley_chat_session.conversations.posting import reply_clock
from parley_chat_session.conversations.sessions import new_conversation


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.counting = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.counting:
            self.counts[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def unannounced(_message: Message) -> None:
    pass


async def count(*, copies: bool, at_once: bool, conversations: int, messages: int) -> dict[str, float]:
    counter = CommandCounter()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL, event_listeners=[counter])
    db = mongo[f"bench_posting_{uuid.uuid4().hex[:8]}"]
    cache = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    store = ConversationStore(
        db, ConversationCopies(cache, f"bench-posting:{uuid.uuid4().hex[:8]}:") if copies else None
    )
    stored = MessageStore(db, store)
    await store.create_indexes()
    await stored.create_indexes()
    ids = []
    for _ in range(conversations):
        conversation_id = f"c_{uuid.uuid4().hex[:24]}"
        await store.insert(new_conversation(conversation_id, {"_id": "ch"}, {"visitor_id": "v", "visitor_name": "V"}))
        await store.assign(conversation_id, "op", "Op")
        ids.append(conversation_id)

    async def post(conversation_id: str, n: int) -> None:
        caller = Caller(user_id="v", role="visitor") if n % 2 == 0 else Caller(user_id="op", role="operator")
        doc = await store.for_message(conversation_id)
        assert doc is not None
        fields = {
            "author_id": caller.user_id,
            "author_role": caller.role,
            "author_name": "",
            "kind": "text",
            "body": f"m{n}",
            "client_msg_id": uuid.uuid4().hex,
        }
        clock = reply_clock(doc, caller, "text")
        await stored.append(conversation_id, fields, unannounced, doc.get("last_seq"), reply_clock=clock)

    counter.counting = True
    for n in range(messages):
        if at_once:
            await asyncio.gather(*(post(conversation_id, n) for conversation_id in ids))
        else:
            for conversation_id in ids:
                await post(conversation_id, n)
    counter.counting = False
    await mongo.drop_database(db.name)
    await mongo.close()
    await cache.aclose()
    total = conversations * messages
    per_message = {command: round(n / total, 2) for command, n in counter.counts.items()}
    return {**per_message, "total": round(sum(counter.counts.values()) / total, 2)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    for at_once in (False, True):
        for copies in (False, True):
            figures = await count(
                copies=copies, at_once=at_once, conversations=args.conversations, messages=args.messages
            )
            print(f"{'at once' if at_once else 'one at a time'}, {'copies' if copies else 'reads'}: {figures}")


if __name__ == "__main__":
    asyncio.run(main())
