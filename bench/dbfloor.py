"""The MongoDB-wire server alone: what chat_session's per-message database work costs without
the rest of Parley (no bus, no gateway, no other service).

A message posted into a live conversation costs chat_session, against MongoDB: read the
conversation (membership, status), read its channel (a copy at most 5 s old: one read per
channel per 5 s), insert the message at ``seq`` = newest +
1 (the unique indexes decide, and catch a retried ``client_msg_id``) and raise the
conversation's ``last_seq``. This probe runs chat_session's own stores (ConversationStore,
MessageStore, on the same indexes and document shapes) for a few seconds, with W writers
posting into 100 conversations, in a database of its own, so the chat report can say how much
of the end-to-end time is the database server's and how much is Parley's.

``python -m bench.dbfloor [--url ...] [--writers 1,8,32] [--seconds 5]`` prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient

from bench.stats import latency_ms
from parley.contracts.messages import Message
from parley_chat_session.channels.store import Channel, Channels
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.message_store import MessageStore
from parley_chat_session.conversations.sessions import new_conversation

CONVERSATIONS = 100
CREATED = datetime.now(UTC)
CHANNEL = {"_id": "ch_dbfloor", "name": "dbfloor", "operator_ids": [], "created_at": CREATED, "updated_at": CREATED}


async def unannounced(_message: Message) -> None:
    """The probe has no bus: a stored message goes nowhere."""


class Probe:
    """chat_session's stores on a fresh database, and the timings of what they did."""

    def __init__(self, client: AsyncMongoClient) -> None:
        self.db = client[f"bench_dbfloor_{uuid.uuid4().hex[:8]}"]
        self.conversations = ConversationStore(self.db)
        self.messages = MessageStore(self.db, self.conversations)
        self.channels = Channels(self.db)
        self.ids: list[str] = []
        self.timings: dict[str, list[float]] = {
            "read_conversation": [],
            "read_channel": [],
            "store_message": [],
            "message": [],
        }

    async def prepare(self) -> None:
        await self.conversations.create_indexes()
        await self.messages.create_indexes()
        await self.db["channels"].insert_one(dict(CHANNEL))
        channel = Channel.from_document(dict(CHANNEL))
        for n in range(CONVERSATIONS):
            conversation_id = f"c_{uuid.uuid4().hex[:24]}"
            await self.conversations.insert(new_conversation(conversation_id, channel, {"visitor_id": f"v_{n}"}))
            self.ids.append(conversation_id)

    async def post(self, conversation_id: str, author_id: str) -> None:
        """One message: the reads and the writes of Posting.send for a live conversation, timed."""
        started = time.perf_counter()
        doc = await self.conversations.get(conversation_id)
        read = time.perf_counter()
        await self.channels.of_message(doc.channel_id)
        channel = time.perf_counter()
        fields = {"author_id": author_id, "author_role": "visitor", "author_name": "", "kind": "text", "body": "x" * 80}
        await self.messages.append(
            conversation_id, {**fields, "client_msg_id": uuid.uuid4().hex}, unannounced, doc.last_seq
        )
        done = time.perf_counter()
        for name, seconds in (
            ("read_conversation", read - started),
            ("read_channel", channel - read),
            ("store_message", done - channel),
            ("message", done - started),
        ):
            self.timings[name].append(seconds)

    async def writer(self, index: int, deadline: float) -> None:
        n = index
        while time.monotonic() < deadline:
            await self.post(self.ids[n % len(self.ids)], f"u_{index}")
            n += 1


async def measure(url: str, writers: int, seconds: float) -> dict[str, Any]:
    """Messages/s and latencies with ``writers`` posting at once, each into its own conversations."""
    client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
    probe = Probe(client)
    try:
        await probe.prepare()
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(probe.writer(index, deadline) for index in range(writers)))
        return {
            "writers": writers,
            "messages_per_second": round(len(probe.timings["message"]) / seconds, 1),
            "message_ms": latency_ms(probe.timings.pop("message")),
            "operation_ms": {name: latency_ms(values) for name, values in probe.timings.items()},
        }
    finally:
        await client.drop_database(probe.db.name)
        await client.close()


async def run_dbfloor(url: str, writers: list[int], seconds: float) -> list[dict[str, Any]]:
    return [await measure(url, count, seconds) for count in writers]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--url", default="mongodb://127.0.0.1:27017/")
    parser.add_argument("--writers", default="1,8,32", help="writers posting at once, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    writers = [int(count) for count in args.writers.split(",")]
    print(json.dumps(asyncio.run(run_dbfloor(args.url, writers, args.seconds)), indent=1))


if __name__ == "__main__":
    main()
