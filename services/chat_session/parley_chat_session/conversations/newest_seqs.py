"""``chat_session.newest_seqs``: each conversation's newest seq and current state, many at once.

A gateway asks it for every conversation it serves on a live socket, when its bus link came
back and every few seconds, to find messages (and state changes) its sockets missed while its
delivery queue was gone (docs/delivery.md). One read of the conversation documents answers it:
their ``last_seq`` is raised by every message's own command (``MessageStore.append``), before
that command is answered, so it lags the stored newest only while a send is still unanswered
(a failed raise fails the send, and its retry raises it again).
"""

from __future__ import annotations

from typing import Any

from parley.contracts.base import Envelope
from parley.contracts.commands import ConversationPosition, GetNewestSeqs, NewestSeqs
from parley.runtime import Service
from parley.stores import MongoDatabase

# Only what the answer needs: a conversation document also holds its members' map and its log.
PROJECTION = {"last_seq": 1, "channel_id": 1, "member_ids": 1, "status": 1, "operator_id": 1}


def position_of(doc: dict[str, Any]) -> ConversationPosition:
    return ConversationPosition(
        newest_seq=int(doc.get("last_seq", 0)),
        channel_id=doc["channel_id"],
        member_ids=list(doc.get("member_ids", [])),
        status=doc["status"],
        operator_id=doc.get("operator_id"),
    )


class NewestSeqsReader:
    def __init__(self, db: MongoDatabase) -> None:
        self._conversations = db["conversations"]

    async def read(self, command: GetNewestSeqs) -> NewestSeqs:
        ids = sorted(set(command.conversation_ids))
        if not ids:
            return NewestSeqs(conversations={})
        cursor = self._conversations.find({"_id": {"$in": ids}}, PROJECTION)
        return NewestSeqs(conversations={doc["_id"]: position_of(doc) async for doc in cursor})


def register_newest_seqs(service: Service) -> NewestSeqsReader:
    """Serve ``chat_session.newest_seqs`` on the service's bus."""
    reader = NewestSeqsReader(service.db)

    async def on_newest_seqs(command: GetNewestSeqs, _envelope: Envelope) -> NewestSeqs:
        return await reader.read(command)

    service.bus.on_command(GetNewestSeqs, on_newest_seqs)
    return reader
