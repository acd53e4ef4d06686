"""Reading transcripts: one conversation (detail, message pages, exports) and the admins' search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field
from pymongo import DESCENDING

from parley.contracts.base import Model
from parley.contracts.bounded import MessageSeq, Seq
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.frames import MAX_PAGE
from parley.contracts.messages import UserId
from parley.stores import MongoDatabase
from parley_chat_session.conversations.closing import Closing
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.conversation_views import (
    ConversationDetail,
    ConversationList,
    MessagePage,
    Transcript,
    detail,
    summary,
)
from parley_chat_session.conversations.message_store import MessageStore


class PageQuery(Model):
    before_seq: MessageSeq | None = Field(None, description="Messages before this seq (the newest of them).")
    after_seq: Seq | None = Field(None, description="Messages after this seq (the oldest of them).")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


# Ids this service hands out are far shorter; a longer one names nothing.
MAX_ID_LENGTH = 64


def _storable_time(value: datetime) -> datetime:
    """A bound MongoDB can compare with: year 1 or 9999 with a UTC offset falls outside what a
    datetime (and BSON's) can hold once moved to UTC."""
    if not 1970 <= value.year <= 9000:
        raise ValueError("a time between 1970 and 9000")
    return value


SearchTime = Annotated[datetime, AfterValidator(_storable_time)]


class SearchQuery(Model):
    channel_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    operator_id: UserId | None = Field(None, description="Conversations this operator took part in.")
    visitor_id: UserId | None = None
    status: Literal["open", "queued", "closed"] | None = None
    created_from: SearchTime | None = Field(None, description="Created at or after (ISO 8601).")
    created_to: SearchTime | None = Field(None, description="Created before (ISO 8601).")
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page.")


def _cursor_filter(cursor: str) -> dict[str, Any]:
    """Keyset paging on (created_at, _id), newest first: the page after ``cursor``."""
    try:
        stamp, conversation_id = cursor.split("|", 1)
        created_at = _storable_time(datetime.fromisoformat(stamp))
    except ValueError:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, "cursor: not a cursor this API gave") from None
    return {"$or": [{"created_at": {"$lt": created_at}}, {"created_at": created_at, "_id": {"$lt": conversation_id}}]}


class Transcripts:
    def __init__(self, db: MongoDatabase, store: ConversationStore, messages: MessageStore, closing: Closing) -> None:
        self._conversations = db["conversations"]
        self._store = store
        self._messages = messages
        self._closing = closing

    async def conversation(self, conversation_id: str) -> Conversation:
        """The stored conversation (who may read it: access.require_reader, the endpoint's check)."""
        return await self._store.get(conversation_id)

    async def detail(self, doc: Conversation) -> ConversationDetail:
        return detail(doc, await self._closing.rating_of(doc.id))

    async def page(self, doc: Conversation, query: PageQuery) -> MessagePage:
        messages, has_more = await self._messages.page(
            doc.id, before_seq=query.before_seq, after_seq=query.after_seq, limit=query.limit
        )
        return MessagePage(conversation_id=doc.id, messages=messages, has_more=has_more, last_seq=doc.last_seq)

    async def transcript(self, doc: Conversation) -> Transcript:
        return Transcript(conversation=await self.detail(doc), messages=await self._messages.all_of(doc.id))

    async def search(self, query: SearchQuery) -> ConversationList:
        conditions: list[dict[str, Any]] = []
        for field, value in (
            ("channel_id", query.channel_id),
            ("visitor_id", query.visitor_id),
            ("status", query.status),
        ):
            if value is not None:
                conditions.append({field: value})
        if query.operator_id is not None:
            conditions.append({"past_operator_ids": query.operator_id})
        if query.created_from is not None:
            conditions.append({"created_at": {"$gte": query.created_from}})
        if query.created_to is not None:
            conditions.append({"created_at": {"$lt": query.created_to}})
        if query.cursor:
            conditions.append(_cursor_filter(query.cursor))
        cursor = self._conversations.find({"$and": conditions} if conditions else {})
        cursor = cursor.sort([("created_at", DESCENDING), ("_id", DESCENDING)]).limit(query.limit + 1)
        found = [Conversation.from_document(doc) async for doc in cursor]
        page = found[: query.limit]
        next_cursor = f"{page[-1].created_at.isoformat()}|{page[-1].id}" if len(found) > query.limit else None
        return ConversationList(conversations=[summary(conversation) for conversation in page], next_cursor=next_cursor)
