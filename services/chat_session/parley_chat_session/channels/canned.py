"""Canned responses: per-channel shortcuts an operator expands by typing ``:shortcut``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from pymongo import ASCENDING

from parley.contracts.base import Model
from parley.contracts.commands import CannedSuggestion
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import MAX_TEXT_LENGTH
from parley.stores import MongoDatabase

SHORTCUT_PATTERN = r"^[a-z0-9_-]{1,32}$"
Shortcut = Annotated[str, StringConstraints(pattern=SHORTCUT_PATTERN)]
# Suggestions shown for one lookup: a dropdown's worth; typing more letters narrows it.
MAX_SUGGESTIONS = 10


class CannedResponseSpec(Model):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_LENGTH)]


class CannedResponseView(Model):
    shortcut: str
    text: str
    updated_at: datetime


class CannedResponseList(Model):
    canned_responses: list[CannedResponseView] = Field(default_factory=list)


def _view(doc: dict[str, Any]) -> CannedResponseView:
    return CannedResponseView(shortcut=doc["shortcut"], text=doc["text"], updated_at=doc["updated_at"])


class CannedResponses:
    def __init__(self, db: MongoDatabase) -> None:
        self._collection = db["canned_responses"]

    async def create_indexes(self) -> None:
        await self._collection.create_index(
            [("channel_id", ASCENDING), ("shortcut", ASCENDING)], name="channel_shortcut"
        )

    async def put(self, channel_id: str, shortcut: str, text: str, author_id: str) -> CannedResponseView:
        if not re.match(SHORTCUT_PATTERN, shortcut):
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "a shortcut is 1-32 of a-z 0-9 _ -")
        doc: dict[str, Any] = {"channel_id": channel_id, "shortcut": shortcut, "text": text, "author_id": author_id}
        doc["updated_at"] = datetime.now(UTC)
        # The _id is the (channel, shortcut) pair, so a shortcut exists once per channel.
        await self._collection.replace_one({"_id": f"{channel_id}:{shortcut}"}, doc, upsert=True)
        return _view(doc)

    async def delete(self, channel_id: str, shortcut: str) -> None:
        result = await self._collection.delete_one({"_id": f"{channel_id}:{shortcut}"})
        if result.deleted_count == 0:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no canned response :{shortcut} in this channel")

    async def matching(self, channel_id: str, prefix: str = "", limit: int = 1000) -> list[CannedResponseView]:
        query: dict[str, Any] = {"channel_id": channel_id}
        if prefix:
            query["shortcut"] = {"$regex": "^" + re.escape(prefix)}
        docs = await self._collection.find(query).sort("shortcut", ASCENDING).limit(limit).to_list()
        return [_view(doc) for doc in docs]

    async def lookup(self, channel_id: str, typed: str) -> tuple[str | None, list[CannedSuggestion]]:
        """For ``:typed``: the text of the shortcut named exactly, or else the ones starting so."""
        shortcut = typed.lower()
        exact = await self._collection.find_one({"_id": f"{channel_id}:{shortcut}"})
        if exact is not None:
            return exact["text"], []
        matches = await self.matching(channel_id, shortcut, limit=MAX_SUGGESTIONS)
        return None, [CannedSuggestion(shortcut=match.shortcut, text=match.text) for match in matches]
