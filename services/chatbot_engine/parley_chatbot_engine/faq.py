"""A channel's FAQ: entries an admin writes, and what the bot does with a free-text question.

The question is ranked against the entries with BM25 (question, keywords and answer text):
a confident best match is answered with its entry; otherwise up to three entries above the
suggestion threshold are offered ("did you mean"); with none, the bot hands over to a human.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from pymongo import ASCENDING

from parley.contracts.base import Model, new_id
from parley.contracts.bot import BotContent, SuggestionsContent, TapReply, TextContent
from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import MongoDatabase
from parley_chatbot_engine.bm25 import Bm25

# "Up to three suggestions": more than three choices is a menu, not a "did you mean".
MAX_SUGGESTIONS = 3
# A best match whose runner-up scores this close to it is a coin toss, not an answer: both are
# offered as suggestions instead.
AMBIGUOUS_RATIO = 0.8
# Entries per channel: BM25 over this many short texts still takes well under a millisecond.
MAX_ENTRIES_PER_CHANNEL = 1000


class FaqEntrySpec(Model):
    question: Annotated[str, StringConstraints(min_length=3, max_length=500)]
    answer: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    keywords: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    content: BotContent | None = Field(
        None, description="a rich message sent after the answer (an article, a video...)"
    )


class FaqEntry(FaqEntrySpec):
    id: str
    channel_id: str


@dataclass(frozen=True)
class FaqVerdict:
    outcome: Literal["answer", "suggest", "none"]
    entries: list[FaqEntry] = field(default_factory=list)
    confidence: float = 0.0


def decide(question: str, entries: Sequence[FaqEntry], *, confident: float, suggest: float) -> FaqVerdict:
    """Answer (a confident, unambiguous best entry), suggest (likely entries) or give up."""
    index = Bm25([f"{entry.question} {' '.join(entry.keywords)} {entry.answer}" for entry in entries])
    ranked = index.rank(question)
    if not ranked:
        return FaqVerdict("none")
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if best.confidence >= confident and runner_up < AMBIGUOUS_RATIO * best.score:
        return FaqVerdict("answer", [entries[best.index]], best.confidence)
    likely = [entries[item.index] for item in ranked if item.confidence >= suggest][:MAX_SUGGESTIONS]
    return FaqVerdict("suggest", likely, best.confidence) if likely else FaqVerdict("none", confidence=best.confidence)


def answer_contents(entry: FaqEntry) -> list[BotContent]:
    contents: list[BotContent] = [TextContent(kind="text", message_class="answer", text=entry.answer)]
    if entry.content is not None:
        contents.append(entry.content)
    return contents


def suggestion_content(entries: Sequence[FaqEntry]) -> SuggestionsContent:
    return SuggestionsContent(
        kind="suggestions",
        message_class="question",
        text="I'm not sure I understood. Did you mean:",
        suggestions=[TapReply(label=entry.question[:200], reply=entry.question) for entry in entries],
    )


class FaqStore:
    """The ``chatbot_faq`` collection: entries by channel."""

    def __init__(self, db: MongoDatabase) -> None:
        self._entries = db["chatbot_faq"]

    async def create_indexes(self) -> None:
        await self._entries.create_index([("channel_id", ASCENDING)], name="channel")

    async def add(self, channel_id: str, spec: FaqEntrySpec) -> FaqEntry:
        if await self._entries.count_documents({"channel_id": channel_id}) >= MAX_ENTRIES_PER_CHANNEL:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"a channel has at most {MAX_ENTRIES_PER_CHANNEL} FAQ entries")
        entry = FaqEntry(id=f"faq_{new_id()[:16]}", channel_id=channel_id, **spec.model_dump())
        await self._entries.insert_one(_document(entry))
        return entry

    async def of_channel(self, channel_id: str) -> list[FaqEntry]:
        docs = await self._entries.find({"channel_id": channel_id}).sort("created_at", ASCENDING).to_list()
        return [_entry(doc) for doc in docs]

    async def remove(self, channel_id: str, entry_id: str) -> None:
        result = await self._entries.delete_one({"_id": entry_id, "channel_id": channel_id})
        if result.deleted_count == 0:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"channel {channel_id!r} has no FAQ entry {entry_id!r}")


def _document(entry: FaqEntry) -> dict[str, Any]:
    doc = entry.model_dump(mode="json")
    return {"_id": doc.pop("id"), **doc, "created_at": datetime.now(UTC)}


def _entry(doc: dict[str, Any]) -> FaqEntry:
    fields = {key: value for key, value in doc.items() if key not in ("_id", "created_at")}
    return FaqEntry(id=doc["_id"], **fields)
