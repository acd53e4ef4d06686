"""Retention: transcripts with no activity for ``chat_retention_days`` are deleted.

Files, messages and the rating go first, the conversation document last, so a pass that dies half-way
leaves the conversation to be found (and finished) by the next pass.
"""

from __future__ import annotations

from datetime import timedelta

from parley.logs import get_logger
from parley.stores import MongoDatabase
from parley_chat_session.closing import Closing
from parley_chat_session.conversation_store import now
from parley_chat_session.files.uploads import UploadStore
from parley_chat_session.message_store import MessageStore

log = get_logger("parley.chat_session")

# Conversations deleted per batch: bounds one delete's size so a first pass over years of
# history does not hold the database in one long operation.
BATCH = 500


class Retention:
    def __init__(
        self, db: MongoDatabase, messages: MessageStore, closing: Closing, uploads: UploadStore, days: float
    ) -> None:
        self._conversations = db["conversations"]
        self._uploads = uploads
        self._messages = messages
        self._closing = closing
        self._days = days

    async def sweep(self) -> int:
        """Delete every expired transcript; returns how many conversations went."""
        if self._days <= 0:
            return 0
        cutoff = now() - timedelta(days=self._days)
        deleted = 0
        while True:
            docs = (
                await self._conversations.find({"last_activity_at": {"$lt": cutoff}}, {"_id": 1}).limit(BATCH).to_list()
            )
            if not docs:
                break
            ids = [doc["_id"] for doc in docs]
            await self._uploads.delete_for_conversations(ids)
            await self._messages.delete_of(ids)
            await self._closing.forget(ids)
            await self._conversations.delete_many({"_id": {"$in": ids}})
            deleted += len(ids)
        if deleted:
            log.info("chat_session.retention_deleted", conversations=deleted, older_than_days=self._days)
        return deleted
