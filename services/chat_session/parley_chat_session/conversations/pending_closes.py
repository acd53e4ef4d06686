"""Closes whose consequences are not all done yet.

A close is one conditional write (the status) followed by its consequences: the clocks stopped,
the notice in the conversation, ``conversation.updated`` to the members, ``conversation.closed``
for the chatbot, notification and webhooks, the operator's slot given to the queue. Redis or the
broker away between the write and the last of them, or the process killed there, would leave a
conversation closed that nobody was told about, and a retried close would find it closed and do
nothing. So the close write marks the document (``close_pending``), and only the end of its
consequences clears the mark; a close of a marked conversation does them again (a client's retry
of its close), and so does the sweep, for closes nobody retries (the inactivity timeout's, a
client that gave up).

The sweep finds the marked conversations through this small collection, one entry per close in
flight, written before the close write and removed after the mark is cleared: the conversations
collection cannot be searched by the mark on FerretDB without a scan of every conversation. An
entry is a hint; the document's mark is the truth (an entry whose close write failed, or whose
removal was lost, is dropped by the sweep). Replicas claim an entry before finishing its close,
so two do not announce the same close at once.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from parley.stores import MongoDatabase
from parley_chat_session.conversations.conversation_store import now

COLLECTION = "pending_closes"
# A close still in flight this long after its entry was written is the sweep's: in-flight closes
# finish in milliseconds, and a retrying client's next attempt comes within seconds.
SWEEP_AFTER_SECONDS = 10.0
# How often each replica looks for closes to finish.
SWEEP_EVERY_SECONDS = 5.0
# A claim outlives any finish (a few writes and publishes, each bounded by its own timeout).
CLAIM_SECONDS = 60.0


class PendingCloses:
    def __init__(self, db: MongoDatabase) -> None:
        self._entries = db[COLLECTION]

    async def note(self, conversation_id: str) -> None:
        """Before the close write: the sweep will look at this conversation if nobody finishes it.
        Copies of one close (a client's resends, a parked command back) race here: two upserts
        of one new ``_id`` make the database refuse the second (E11000), and then the entry is
        there, which is all this wants."""
        stamp = now()
        with contextlib.suppress(DuplicateKeyError):
            await self._entries.update_one(
                {"_id": conversation_id}, {"$set": {"at": stamp, "claimed_until": stamp}}, upsert=True
            )

    async def forget(self, conversation_id: str) -> None:
        await self._entries.delete_one({"_id": conversation_id})

    async def due(self, limit: int = 100) -> list[str]:
        """Entries older than the sweep's delay and not claimed by a replica now, oldest first."""
        stamp = now()
        cursor = self._entries.find(
            {"at": {"$lt": stamp - timedelta(seconds=SWEEP_AFTER_SECONDS)}, "claimed_until": {"$lt": stamp}}
        )
        return [entry["_id"] async for entry in cursor.sort("at", 1).limit(limit)]

    async def claim(self, conversation_id: str) -> bool:
        """Take an entry for this replica's sweep; False if another replica holds it."""
        stamp: datetime = now()
        claimed = await self._entries.find_one_and_update(
            {"_id": conversation_id, "claimed_until": {"$lt": stamp}},
            {"$set": {"claimed_until": stamp + timedelta(seconds=CLAIM_SECONDS)}},
        )
        return claimed is not None
