"""chat_session's part of an erase or export request (docs/privacy.md): a visitor's conversations.

Erase: the visitor's live conversations are closed (nobody could answer them any more), each of
their messages becomes a tombstone (kind ``erased``, empty body and author name: its seq, author
id and time stay, so the other members' histories and transcripts keep their seqs gap-free),
their conversations lose the visitor's name and e-mail (in the document, its members map and its
log), their ratings go, and so do what they left with the offline form and the files they
uploaded (bytes, thumbnails and documents; the files operators sent them stay, as the
operators' messages do). Each step is a conditional update
or a delete that finds nothing the second time, so a part asked again (a retry, a resumed
request) is safe. No frame announces the
tombstones (the protocol has no frame for a changed message): a member sees them the next time
the history is read, by a ``history.get`` or a ``resume``.
"""

from __future__ import annotations

from typing import Any

from parley.contracts.base import Envelope
from parley.contracts.messages import ERASED_KIND
from parley.contracts.privacy import EraseChatData, ExportChatData, PartErased, PartExported
from parley.logs import get_logger
from parley.runtime import Service
from parley.stores import MongoDatabase
from parley_chat_session.conversations.closing import Closing
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import LIVE, now
from parley_chat_session.files.uploads import UploadStore

log = get_logger("parley.chat_session")

# Who closes an erased visitor's live conversation: nobody of its members (no closing notice).
ERASER = "privacy"
# Fields of a conversation that say who its visitor is.
VISITOR_FIELDS = ("visitor_name", "visitor_email")


class ChatPrivacy:
    def __init__(self, db: MongoDatabase, closing: Closing, uploads: UploadStore) -> None:
        self._conversations = db["conversations"]
        self._messages = db["messages"]
        self._ratings = db["ratings"]
        self._uploads_of = db["uploads"]
        self._offline_requests = db["offline_requests"]
        self._closing = closing
        self._uploads = uploads

    async def conversation_ids(self, user_id: str) -> list[str]:
        cursor = self._conversations.find({"visitor_id": user_id}, {"_id": 1}).sort("created_at", 1)
        return [doc["_id"] async for doc in cursor]

    async def export(self, user_id: str) -> PartExported:
        ids = await self.conversation_ids(user_id)
        conversations = []
        async for doc in self._conversations.find({"_id": {"$in": ids}}).sort("created_at", 1):
            conversation = Conversation.from_document(doc)
            member = conversation.members.get(user_id)
            location = conversation.visitor_location
            conversations.append(
                {
                    "id": conversation.id,
                    "channel_id": conversation.channel_id,
                    "status": conversation.status,
                    "visitor_name": conversation.visitor_name,
                    "visitor_email": conversation.visitor_email,
                    "visitor_page_url": conversation.visitor_page_url,
                    "visitor_referrer": conversation.visitor_referrer,
                    "visitor_device": conversation.visitor_device,
                    "visitor_location": location.model_dump(mode="json") if location is not None else None,
                    "member_name": member.name if member is not None else "",
                    "created_at": conversation.created_at.isoformat(),
                    "closed_at": conversation.closed_at.isoformat() if conversation.closed_at else None,
                }
            )
        messages = [
            {
                "conversation_id": doc["conversation_id"],
                "seq": doc["seq"],
                "kind": doc["kind"],
                "body": doc["body"],
                "author_name": doc.get("author_name", ""),
                "created_at": doc["created_at"].isoformat(),
            }
            async for doc in self._messages.find({"conversation_id": {"$in": ids}, "author_id": user_id}).sort(
                [("conversation_id", 1), ("seq", 1)]
            )
        ]
        ratings = [
            {
                "conversation_id": doc["_id"],
                "rating": doc["rating"],
                "comment": doc.get("comment", ""),
                "rated_at": doc["rated_at"].isoformat(),
            }
            async for doc in self._ratings.find({"visitor_id": user_id})
        ]
        # What they uploaded, described (an admin downloads a file through its conversation's
        # signed link, GET /files/{conversation_id}/{file_id}/link): the export stays one JSON document.
        files = [
            {
                "file_id": doc["_id"],
                "conversation_id": doc["conversation_id"],
                "name": doc["name"],
                "size": doc["size"],
                "content_type": doc["content_type"],
                "message_id": doc.get("message_id"),
                "created_at": doc["created_at"].isoformat(),
            }
            async for doc in self._uploads_of.find({"uploader_id": user_id}).sort("created_at", 1)
        ]
        offline_requests = [
            {
                "id": doc["_id"],
                "channel_id": doc["channel_id"],
                "name": doc["name"],
                "email": doc["email"],
                "message": doc["message"],
                "page_url": doc.get("page_url", ""),
                "created_at": doc["created_at"].isoformat(),
            }
            async for doc in self._offline_requests.find({"visitor_id": user_id}).sort("created_at", 1)
        ]
        return PartExported(
            items={
                "conversations": conversations,
                "messages": messages,
                "ratings": ratings,
                "files": files,
                "offline_requests": offline_requests,
            },
            conversation_ids=ids,
        )

    async def erase(self, user_id: str) -> PartErased:
        ids = await self.conversation_ids(user_id)
        closed = 0
        async for doc in self._conversations.find({"_id": {"$in": ids}, "status": {"$in": LIVE}}, {"_id": 1}):
            closed += await self._closing.close(doc["_id"], ERASER, "the visitor's data was erased")
        tombstoned = await self._messages.update_many(
            {"conversation_id": {"$in": ids}, "author_id": user_id, "kind": {"$ne": ERASED_KIND}},
            {"$set": {"kind": ERASED_KIND, "body": "", "author_name": "", "erased_at": now()}},
        )
        for conversation_id in ids:
            await self._forget_visitor(conversation_id, user_id)
        ratings = await self._ratings.delete_many({"$or": [{"_id": {"$in": ids}}, {"visitor_id": user_id}]})
        files = await self._uploads.delete_for_uploader(user_id)
        offline = await self._offline_requests.delete_many({"visitor_id": user_id})
        return PartErased(
            erased={
                "conversations": len(ids),
                "conversations_closed": closed,
                "messages": tombstoned.modified_count,
                "ratings": ratings.deleted_count,
                "files": files,
                "offline_requests": offline.deleted_count,
            },
            conversation_ids=ids,
        )

    async def _forget_visitor(self, conversation_id: str, user_id: str) -> None:
        """The visitor's name, e-mail, page, device and location out of the document: its fields,
        members map and log.
        One read and one whole-field write (FerretDB v1 has no array filters)."""
        doc = await self._conversations.find_one({"_id": conversation_id}, {"history": 1})
        if doc is None:
            return
        history: list[dict[str, Any]] = [
            {**entry, "name": ""} if entry.get("user_id") == user_id else entry for entry in doc.get("history", [])
        ]
        await self._conversations.update_one(
            {"_id": conversation_id},
            {
                "$set": {
                    "visitor_name": "",
                    "visitor_email": None,
                    "visitor_preview": None,
                    # Where they chatted from says who they are too.
                    "visitor_page_url": None,
                    "visitor_referrer": None,
                    "visitor_device": None,
                    "visitor_location": None,
                    f"members.{user_id}.name": "",
                    "history": history,
                    "visitor_erased": True,
                }
            },
        )


def register_privacy(service: Service, closing: Closing, uploads: UploadStore) -> ChatPrivacy:
    """Serve ``chat_session.privacy_erase`` and ``chat_session.privacy_export`` on the bus."""
    privacy = ChatPrivacy(service.db, closing, uploads)

    async def on_erase(command: EraseChatData, _envelope: Envelope) -> PartErased:
        erased = await privacy.erase(command.subject.user_id)
        log.info("chat_session.privacy_erased", request_id=command.subject.request_id, **erased.erased)
        return erased

    async def on_export(command: ExportChatData, _envelope: Envelope) -> PartExported:
        return await privacy.export(command.subject.user_id)

    service.bus.on_command(EraseChatData, on_erase)
    service.bus.on_command(ExportChatData, on_export)
    return privacy
