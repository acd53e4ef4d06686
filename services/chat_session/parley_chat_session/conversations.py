"""Conversations and their messages.

A visitor's ``session.open`` reserves a conversation id in Redis (Odoo's ``persist=false``);
the conversation is written to MongoDB when its first message is posted. Every message gets
the next ``seq`` of its conversation from an atomic ``$inc``, and is idempotent on
``(author_id, client_msg_id)``: a retried send returns the message stored the first time.
No transactions are used (FerretDB v1 has none): each step is a single-document atomic write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as redis
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from parley.contracts.base import new_id
from parley.contracts.commands import Caller, OpenSession, SendMessage, SessionOpened
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import Message
from parley.stores import timed
from parley_chat_session.assignment import OperatorPicker
from parley_chat_session.channels import Channels


@dataclass
class Posted:
    message: Message
    member_ids: list[str]
    duplicate: bool
    created: dict[str, Any] | None  # the conversation document, when this message created it


class Conversations:
    def __init__(
        self,
        db: AsyncDatabase,
        cache: redis.Redis,
        channels: Channels,
        picker: OperatorPicker,
        *,
        key_prefix: str,
        temporary_ttl_seconds: int,
    ) -> None:
        self._conversations = db["conversations"]
        self._messages = db["messages"]
        self._cache = cache
        self._channels = channels
        self._picker = picker
        self._prefix = key_prefix
        self._temporary_ttl = temporary_ttl_seconds

    async def create_indexes(self) -> None:
        await self._messages.create_index(
            [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="conversation_seq_unique"
        )
        await self._messages.create_index(
            [("author_id", ASCENDING), ("client_msg_id", ASCENDING)], unique=True, name="author_client_msg_unique"
        )
        await self._conversations.create_index(
            [("visitor_id", ASCENDING), ("channel_id", ASCENDING), ("status", ASCENDING)], name="visitor_channel_status"
        )
        await self._conversations.create_index([("member_ids", ASCENDING), ("status", ASCENDING)], name="member_status")

    def _temporary_key(self, conversation_id: str) -> str:
        return f"{self._prefix}chat:temporary:{conversation_id}"

    async def open_session(self, command: OpenSession) -> SessionOpened:
        channel = await self._channels.get(command.channel_id)
        caller = command.caller
        live = await self._conversations.find_one(
            {"visitor_id": caller.user_id, "channel_id": channel["_id"], "status": "open"}
        )
        if live is not None:
            return SessionOpened(
                conversation_id=live["_id"],
                channel_id=channel["_id"],
                channel_name=channel["name"],
                temporary=False,
                welcome=channel["welcome"],
                last_seq=live["last_seq"],
            )
        if caller.role != "visitor":
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "only visitors open livechat sessions")
        conversation_id = f"c_{new_id()[:24]}"
        await self._cache.set(
            self._temporary_key(conversation_id),
            f"{caller.user_id}|{channel['_id']}",
            ex=self._temporary_ttl,
        )
        return SessionOpened(
            conversation_id=conversation_id,
            channel_id=channel["_id"],
            channel_name=channel["name"],
            temporary=True,
            welcome=channel["welcome"],
        )

    async def post(self, command: SendMessage) -> Posted:
        conversation, created = await self._conversation_for(command.caller, command.conversation_id)
        member_ids: list[str] = conversation["member_ids"]
        if command.caller.user_id not in member_ids:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not a member of this conversation")

        existing = await self._messages.find_one({"author_id": command.caller.user_id, "client_msg_id": command.client_msg_id})
        if existing is not None:
            return Posted(_message(existing), member_ids, duplicate=True, created=None)
        if conversation["status"] != "open":
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")

        with timed("mongodb", "next_seq"):
            counter = await self._conversations.find_one_and_update(
                {"_id": conversation["_id"], "status": "open"},
                {"$inc": {"last_seq": 1}},
                return_document=ReturnDocument.AFTER,
            )
        if counter is None:
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
        doc = {
            "_id": f"m_{new_id()[:24]}",
            "conversation_id": conversation["_id"],
            "seq": counter["last_seq"],
            "author_id": command.caller.user_id,
            "author_role": command.caller.role,
            "author_name": command.caller.name,
            "kind": command.kind,
            "body": command.body if isinstance(command.body, str) else command.body.model_dump(),
            "client_msg_id": command.client_msg_id,
            "created_at": datetime.now(UTC),
        }
        try:
            with timed("mongodb", "insert_message"):
                await self._messages.insert_one(doc)
        except DuplicateKeyError:
            # The same send raced itself (a retry while the first was in flight): the first one won.
            # Known limit: the seq taken above stays unused, a gap the history API reports as such.
            winner = await self._messages.find_one({"author_id": command.caller.user_id, "client_msg_id": command.client_msg_id})
            if winner is None:
                raise
            return Posted(_message(winner), member_ids, duplicate=True, created=None)
        return Posted(_message(doc), member_ids, duplicate=False, created=conversation if created else None)

    async def _conversation_for(self, caller: Caller, conversation_id: str) -> tuple[dict[str, Any], bool]:
        """The stored conversation, or the one a temporary session becomes on its first message."""
        conversation = await self._conversations.find_one({"_id": conversation_id})
        if conversation is not None:
            return conversation, False
        reserved = await self._cache.get(self._temporary_key(conversation_id))
        if reserved is None:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, f"no conversation {conversation_id!r}")
        visitor_id, channel_id = reserved.split("|", 1)
        if caller.user_id != visitor_id:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not a member of this conversation")
        channel = await self._channels.get(channel_id)
        operator = await self._picker.pick(channel)
        members = [{"user_id": visitor_id, "role": "visitor", "last_seen_seq": 0}]
        if operator is not None:
            members.append({"user_id": operator, "role": "operator", "last_seen_seq": 0})
        doc = {
            "_id": conversation_id,
            "channel_id": channel_id,
            "visitor_id": visitor_id,
            "operator_id": operator,
            "status": "open",
            "members": members,
            "member_ids": [member["user_id"] for member in members],
            "last_seq": 0,
            "created_at": datetime.now(UTC),
        }
        try:
            await self._conversations.insert_one(doc)
        except DuplicateKeyError:  # two first messages raced; the conversation exists now
            stored = await self._conversations.find_one({"_id": conversation_id})
            assert stored is not None
            return stored, False
        await self._cache.delete(self._temporary_key(conversation_id))
        return doc, True


def _message(doc: dict[str, Any]) -> Message:
    return Message(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        seq=doc["seq"],
        author_id=doc["author_id"],
        author_role=doc["author_role"],
        author_name=doc.get("author_name", ""),
        kind=doc["kind"],
        body=doc["body"],
        client_msg_id=doc.get("client_msg_id"),
        created_at=doc["created_at"],
    )
