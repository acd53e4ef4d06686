"""The ``uploads`` collection: one document per uploaded file, and the storage of its bytes.

An upload is received (status ``receiving``), then ``pending`` while the virus scanner has not
answered, then ``clean``. It is attached to one message at most: ``claimed_by`` names the message
(its author and ``client_msg_id``, so a retried send claims it again), ``message_id`` is set once
the message is stored. An upload whose message never came is deleted after a while
(:meth:`UploadStore.sweep_unsent`).

Erasure and retention call :meth:`UploadStore.delete_for_conversations` and
:meth:`UploadStore.delete_for_uploader`: both delete the bytes (file and thumbnail) and the
documents, a bounded batch at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pymongo import ASCENDING

from parley.contracts.base import new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import AttachedFile
from parley.stores import MongoDatabase
from parley_chat_session.files.storage import FileStorage
from parley_chat_session.metrics import FILE_BYTES_DELETED, FILE_BYTES_STORED

Status = Literal["receiving", "pending", "clean"]
# Deletions are done this many at a time: a sweep or an erasure of a heavy uploader never holds
# the database (or one request) for long; the next pass takes the rest.
DELETE_BATCH = 100


def thumbnail_key(file_id: str) -> str:
    return f"{file_id}.thumb"


def attached_file(doc: dict[str, Any]) -> AttachedFile:
    return AttachedFile(
        file_id=doc["_id"],
        name=doc["name"],
        size=doc["size"],
        content_type=doc["content_type"],
        width=doc.get("width"),
        height=doc.get("height"),
        thumbnail=bool(doc.get("thumbnail")),
    )


class UploadStore:
    def __init__(self, db: MongoDatabase, storage: FileStorage) -> None:
        self._uploads = db["uploads"]
        self.storage = storage

    async def create_indexes(self) -> None:
        await self._uploads.create_index([("conversation_id", ASCENDING)], name="conversation")
        await self._uploads.create_index([("uploader_id", ASCENDING)], name="uploader")
        await self._uploads.create_index([("message_id", ASCENDING), ("created_at", ASCENDING)], name="unsent")

    async def begin(self, conversation_id: str, channel_id: str, uploader_id: str, name: str) -> dict[str, Any]:
        doc = {
            "_id": f"f_{new_id()[:24]}",
            "conversation_id": conversation_id,
            "channel_id": channel_id,
            "uploader_id": uploader_id,
            "name": name,
            "size": 0,
            "content_type": "",
            "status": "receiving",
            "claimed_by": None,
            "message_id": None,
            "created_at": datetime.now(UTC),
        }
        await self._uploads.insert_one(doc)
        return doc

    async def received(self, file_id: str, fields: dict[str, Any]) -> None:
        await self._uploads.update_one({"_id": file_id}, {"$set": fields})
        FILE_BYTES_STORED.inc(fields.get("size", 0))

    async def set_status(self, file_id: str, status: Status) -> None:
        await self._uploads.update_one({"_id": file_id}, {"$set": {"status": status}})

    async def find(self, conversation_id: str, file_id: str) -> dict[str, Any]:
        doc = await self._uploads.find_one({"_id": file_id, "conversation_id": conversation_id})
        if doc is None or doc["status"] == "receiving":
            raise ParleyError(ErrorCode.UNKNOWN_FILE, f"no file {file_id!r} in this conversation")
        return doc

    async def pending(self, limit: int) -> list[dict[str, Any]]:
        return await self._uploads.find({"status": "pending"}).limit(limit).to_list()

    # ---- attaching to a message ------------------------------------------------------------

    async def to_attach(
        self, conversation_id: str, uploader_id: str, file_ids: list[str], claim: str
    ) -> list[AttachedFile]:
        """The files of a ``file`` message, in the order given: the sender's own uploads to this
        conversation, scanned clean, not sent in another message (``claim`` names this one)."""
        if len(set(file_ids)) != len(file_ids):
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "file_ids: a file is named twice")
        query = {"_id": {"$in": file_ids}, "conversation_id": conversation_id, "uploader_id": uploader_id}
        found = {doc["_id"]: doc for doc in await self._uploads.find(query).to_list()}
        files = []
        for file_id in file_ids:
            doc = found.get(file_id)
            if doc is None or doc["status"] == "receiving":
                raise ParleyError(ErrorCode.UNKNOWN_FILE, f"no upload {file_id!r} of yours in this conversation")
            if doc["status"] == "pending":
                raise ParleyError(ErrorCode.FILE_PENDING, f"{file_id} is still being scanned: send it in a moment")
            if doc["claimed_by"] not in (None, claim):
                raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{file_id} was already sent in another message")
            files.append(attached_file(doc))
        return files

    async def claim(self, file_ids: list[str], claim: str) -> None:
        """Reserve the files for the message ``claim`` names; refused when another took one meanwhile."""
        free_or_ours: dict[str, Any] = {"_id": {"$in": file_ids}, "claimed_by": {"$in": [None, claim]}}
        result = await self._uploads.update_many(free_or_ours, {"$set": {"claimed_by": claim}})
        if result.matched_count < len(file_ids):
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "a file was already sent in another message")

    async def sent(self, file_ids: list[str], message_id: str) -> None:
        await self._uploads.update_many({"_id": {"$in": file_ids}}, {"$set": {"message_id": message_id}})

    # ---- deleting ---------------------------------------------------------------------------

    async def sweep_unsent(self, older_than_seconds: float) -> int:
        """Delete (a batch of) the uploads not sent in a message within ``older_than_seconds``.

        One claimed by a message is left alone (its message may be being stored this instant);
        if that message never comes, the file goes with its conversation (retention, erasure)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        return await self._delete_batch({"message_id": None, "claimed_by": None, "created_at": {"$lt": cutoff}})

    async def delete_for_conversations(self, conversation_ids: list[str]) -> int:
        """Delete every file of these conversations (retention, erasure); how many were deleted."""
        return await self._delete_all({"conversation_id": {"$in": conversation_ids}})

    async def delete_for_uploader(self, uploader_id: str) -> int:
        """Delete every file ``uploader_id`` uploaded, in any conversation (erasure of a person)."""
        return await self._delete_all({"uploader_id": uploader_id})

    async def _delete_all(self, query: dict[str, Any]) -> int:
        deleted = 0
        while batch := await self._delete_batch(query):
            deleted += batch
        return deleted

    async def _delete_batch(self, query: dict[str, Any]) -> int:
        docs = await self._uploads.find(query, {"_id": 1, "size": 1}).limit(DELETE_BATCH).to_list()
        for doc in docs:
            await self.delete(doc["_id"], doc.get("size", 0))
        return len(docs)

    async def delete(self, file_id: str, size: int = 0) -> None:
        """The bytes first, then the document: a crash in between leaves a document the next pass finds."""
        await self.storage.delete(file_id)
        await self.storage.delete(thumbnail_key(file_id))
        await self._uploads.delete_one({"_id": file_id})
        FILE_BYTES_DELETED.inc(size)
