"""Retention: closed conversations with no activity for their channel's retention are deleted.

A channel's ``retention_days`` (None: ``chat_retention_days``; 0: kept forever) decides. Only
closed conversations go: one still open or queued is never swept, however old its last message.
Each pass is a bounded, resumable sweep per channel (:func:`parley.sweeps.sweep`: batches, a
checkpoint per channel). For each batch ``conversations.expired`` is published first, so every
service deletes what it keeps of them (bot states, contacts collected in them), then files,
messages and ratings go, and the conversation documents last: a pass that dies half-way leaves the
conversations to be found (and announced, and finished) by the next pass.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from parley.bus import Bus
from parley.contracts.events import ConversationsExpired
from parley.logs import get_logger
from parley.stores import MongoDatabase
from parley.sweeps import sweep
from parley_chat_session.conversations.closing import Closing
from parley_chat_session.conversations.conversation_store import now
from parley_chat_session.conversations.message_store import MessageStore
from parley_chat_session.files.uploads import UploadStore

log = get_logger("parley.chat_session")

# Conversations per batch: bounds one delete's size (and one expired event) so a first pass over
# years of history does not hold the database in one long operation.
BATCH = 500
SWEEP_NAME = "chat_session.conversations"


class Retention:
    def __init__(
        self, db: MongoDatabase, messages: MessageStore, closing: Closing, uploads: UploadStore, bus: Bus, days: float
    ) -> None:
        self._db = db
        self._channels = db["channels"]
        self._conversations = db["conversations"]
        self._uploads = uploads
        self._messages = messages
        self._closing = closing
        self._bus = bus
        self._days = days

    async def sweep(self) -> int:
        """One bounded pass over every channel; returns how many conversations went."""
        overridden = {
            doc["_id"]: float(doc["retention_days"])
            async for doc in self._channels.find({"retention_days": {"$ne": None}}, {"retention_days": 1})
            if doc.get("retention_days") is not None
        }
        groups: list[tuple[str, dict[str, Any], float]] = [
            (f"{SWEEP_NAME}.{channel}", {"channel_id": channel}, days) for channel, days in sorted(overridden.items())
        ]
        groups.append((SWEEP_NAME, {"channel_id": {"$nin": sorted(overridden)}}, self._days))
        deleted = 0
        for name, scope, days in groups:
            if days <= 0:
                continue
            cutoff = now() - timedelta(days=days)
            query = {**scope, "status": "closed", "last_activity_at": {"$lt": cutoff}}
            deleted += await sweep(
                self._db,
                "conversations",
                query,
                self._expire,
                name=name,
                projection={"_id": 1, "visitor_id": 1},
                batch=BATCH,
            )
        if deleted:
            log.info("chat_session.retention_deleted", conversations=deleted)
        return deleted

    async def _expire(self, docs: list[dict[str, Any]]) -> None:
        ids = [doc["_id"] for doc in docs]
        visitors = sorted({doc["visitor_id"] for doc in docs if doc.get("visitor_id")})
        await self._bus.publish_event(ConversationsExpired(conversation_ids=ids, visitor_ids=visitors))
        await self._uploads.delete_for_conversations(ids)
        await self._messages.delete_of(ids)
        await self._closing.forget(ids)
        await self._conversations.delete_many({"_id": {"$in": ids}, "status": "closed"})
