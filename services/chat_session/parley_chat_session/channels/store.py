"""Livechat channels (one per website or app): who answers, how, when, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from cachetools import TTLCache
from pydantic import Field, StringConstraints, ValidationError, field_validator
from pymongo import ASCENDING, ReturnDocument

from parley.contracts.base import Model, new_id
from parley.contracts.bot import SCRIPT_ID_PATTERN
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import BotFailurePolicy
from parley.stores import MongoDatabase
from parley_chat_session.channels.widget_theme import WidgetTheme
from parley_chat_session.clocks.business_hours import BusinessHours
from parley_chat_session.files.limits import FilePolicy
from parley_chat_session.stored import StoredDocument
from parley_chat_session.transcripts.offline_requests import EMAIL_PATTERN

UserId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Origin = Annotated[str, StringConstraints(max_length=200, pattern=r"^https?://[^/\s]+$")]
TeamEmail = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)]
ScriptId = Annotated[str, StringConstraints(pattern=SCRIPT_ID_PATTERN)]
Routing = Literal["least_busy", "round_robin"]

# A person follows about four chats at once before answers slow down (Odoo's default is close).
DEFAULT_CAPACITY = 4
# Odoo's and most vendors' first-response target for live chat.
DEFAULT_RESPONSE_TARGET_SECONDS = 120.0
# Half an hour of silence ends a chat: the visitor has left the page or got their answer.
DEFAULT_INACTIVITY_MINUTES = 30.0
# Every message reads its channel, which an admin edits a few times a year: the message path
# uses a copy at most this old (an edit made through another replica reaches it this late;
# through this one, at once). Assignment and the admin API always read the stored channel.
CHANNEL_COPY_SECONDS = 5.0
# Channels whose copy a replica keeps at once (the busy ones; a dropped copy costs one read).
MAX_CHANNEL_COPIES = 10_000


class ChannelSpec(Model):
    """Everything an admin sets on a channel."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    welcome: str = Field("", max_length=1000, description="Shown when the widget opens.")
    offline_message: str = Field(
        "We are away right now. Leave a message and we will answer as soon as we are back.",
        max_length=1000,
        description="Shown with the offline form (no operator and no chatbot available).",
    )
    allowed_origins: list[Origin] = Field(
        default_factory=list, max_length=100, description="Web origins the widget may be embedded on (CORS)."
    )
    offline_emails: list[TeamEmail] = Field(
        default_factory=list,
        max_length=10,
        description="The team's addresses every offline-form message is e-mailed to (with the visitor's "
        "address to reply to), when chat_session has an SMTP server (PARLEY_CHAT_SMTP_HOST).",
    )
    operator_ids: list[UserId] = Field(default_factory=list, max_length=1000)
    chatbot_script_id: ScriptId | None = Field(None, description="The chatbot script that answers first, if any.")
    operator_capacity: int = Field(
        DEFAULT_CAPACITY, ge=1, le=100, description="Open conversations per operator at most."
    )
    routing: Routing = Field("least_busy", description="least_busy, or round_robin among the available operators.")
    sensitive_words: list[Word] = Field(default_factory=list, max_length=5000)
    business_hours: BusinessHours | None = Field(None, description="None: always open.")
    response_target_seconds: float = Field(
        DEFAULT_RESPONSE_TARGET_SECONDS,
        gt=0,
        le=86_400,
        description="An operator who has not answered the visitor within this long is replaced by another.",
    )
    inactivity_timeout_minutes: float = Field(
        DEFAULT_INACTIVITY_MINUTES, ge=0, le=7 * 24 * 60, description="Close after this much silence (0: never)."
    )
    files: FilePolicy | None = Field(None, description="Attachment limits; None: the service's defaults.")
    retention_days: float | None = Field(
        None,
        ge=0,
        le=36_500,
        description="Closed conversations idle this many days are deleted with everything kept of them "
        "(docs/privacy.md); None: the service default (PARLEY_CHAT_RETENTION_DAYS); 0: kept forever.",
    )
    theme: WidgetTheme | None = Field(None, description="The widget's look on this channel; None: the widget's own.")


class ChannelPatch(Model):
    """A partial update: only the fields present in the body change (null clears an optional one)."""

    name: str | None = None
    welcome: str | None = None
    offline_message: str | None = None
    allowed_origins: list[str] | None = None
    offline_emails: list[str] | None = None
    operator_ids: list[str] | None = None
    chatbot_script_id: str | None = None
    operator_capacity: int | None = None
    routing: Routing | None = None
    sensitive_words: list[str] | None = None
    business_hours: BusinessHours | None = None
    response_target_seconds: float | None = None
    inactivity_timeout_minutes: float | None = None
    files: FilePolicy | None = None
    retention_days: float | None = None
    theme: WidgetTheme | None = None


class ChannelView(ChannelSpec):
    id: str
    created_at: datetime
    updated_at: datetime


class ChannelAgent(StoredDocument):
    """The external bot serving the channel (agents/agent_registry.py sets it from ``BotChanged``)."""

    bot_id: str
    user_id: str
    name: str = ""
    avatar_url: str = ""
    failure_policy: BotFailurePolicy = "handoff"


class Channel(StoredDocument):
    """A stored channel. The defaults are what a document written before the field existed means."""

    id: str = Field(alias="_id")
    name: str
    welcome: str = ""
    offline_message: str = ""
    allowed_origins: tuple[str, ...] = ()
    offline_emails: tuple[str, ...] = ()
    # In the admin's order: it breaks least-busy ties and is round robin's order.
    operator_ids: tuple[str, ...] = ()
    chatbot_script_id: str | None = None
    operator_capacity: int = DEFAULT_CAPACITY
    routing: Routing = "least_busy"
    sensitive_words: tuple[str, ...] = ()
    business_hours: BusinessHours | None = None
    response_target_seconds: float = DEFAULT_RESPONSE_TARGET_SECONDS
    inactivity_timeout_minutes: float = DEFAULT_INACTIVITY_MINUTES
    files: FilePolicy | None = None
    retention_days: float | None = None
    theme: WidgetTheme | None = None
    agent: ChannelAgent | None = None
    # Round robin's cursor: the operator picked last.
    round_robin_last: str | None = None
    archived: bool = False
    created_at: datetime
    updated_at: datetime

    @field_validator("business_hours", mode="before")
    @classmethod
    def _empty_hours_are_none(cls, hours: Any) -> Any:
        return hours or None  # an empty entry always meant "always open", as no entry does

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Channel:
        return cls.model_validate(doc)


def channel_view(channel: Channel) -> ChannelView:
    # A setting the stored document lacks shows the spec's default, not the reader's.
    fields = {name: getattr(channel, name) for name in ChannelSpec.model_fields if name in channel.model_fields_set}
    return ChannelView(id=channel.id, created_at=channel.created_at, updated_at=channel.updated_at, **fields)


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    try:
        spec = ChannelSpec.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ParleyError(ErrorCode.BAD_ARGUMENT, problems) from None
    doc = spec.model_dump(mode="json")
    doc["operator_ids"] = list(dict.fromkeys(doc["operator_ids"]))  # order kept: it breaks least-busy ties
    return doc


class Channels:
    """The ``channels`` collection. Archived channels are kept (their transcripts refer to them)."""

    def __init__(self, db: MongoDatabase) -> None:
        self._channels = db["channels"]
        self._copies: TTLCache[str, Channel] = TTLCache(MAX_CHANNEL_COPIES, CHANNEL_COPY_SECONDS)

    async def create_indexes(self) -> None:
        await self._channels.create_index([("operator_ids", ASCENDING)], name="operator_ids")

    async def create(self, spec: ChannelSpec) -> Channel:
        now = datetime.now(UTC)
        doc = {"_id": f"ch_{new_id()[:20]}", **_validated(spec.model_dump()), "created_at": now, "updated_at": now}
        await self._channels.insert_one(doc)
        return Channel.from_document(doc)

    async def get(self, channel_id: str, *, archived_too: bool = False) -> Channel:
        """The channel; an archived one only with ``archived_too`` (its conversations live on)."""
        return Channel.from_document(await self._document(channel_id, archived_too=archived_too))

    async def _document(self, channel_id: str, *, archived_too: bool = False) -> dict[str, Any]:
        query: dict[str, Any] = {"_id": channel_id} if archived_too else {"_id": channel_id, "archived": {"$ne": True}}
        doc = await self._channels.find_one(query)
        if doc is None:
            raise ParleyError(ErrorCode.UNKNOWN_CHANNEL, f"no channel {channel_id!r}")
        return doc

    async def of_message(self, channel_id: str) -> Channel:
        """The channel of a stored conversation (archived too) for its message path: a copy at
        most ``CHANNEL_COPY_SECONDS`` old, saving a read per message."""
        channel = self._copies.get(channel_id)
        if channel is None:
            channel = self._copies[channel_id] = await self.get(channel_id, archived_too=True)
        return channel

    async def active(self, operator_id: str | None = None) -> list[Channel]:
        """Channels not archived (of one operator, if given), oldest first."""
        query: dict[str, Any] = {"archived": {"$ne": True}}
        if operator_id is not None:
            query["operator_ids"] = operator_id
        return [Channel.from_document(doc) async for doc in self._channels.find(query).sort("created_at", ASCENDING)]

    async def update(self, channel_id: str, patch: dict[str, Any]) -> Channel:
        """Apply ``patch`` (field -> new value), validating the channel it produces."""
        current = await self._document(channel_id)
        merged = {name: current[name] for name in ChannelSpec.model_fields if name in current}
        fields = _validated({**merged, **patch})
        updated = await self._channels.find_one_and_update(
            {"_id": channel_id, "archived": {"$ne": True}},
            {"$set": {**fields, "updated_at": datetime.now(UTC)}},
            return_document=ReturnDocument.AFTER,
        )
        self._copies.pop(channel_id, None)
        if updated is None:
            raise ParleyError(ErrorCode.UNKNOWN_CHANNEL, f"no channel {channel_id!r}")
        return Channel.from_document(updated)

    async def archive(self, channel_id: str) -> None:
        result = await self._channels.update_one(
            {"_id": channel_id, "archived": {"$ne": True}},
            {"$set": {"archived": True, "updated_at": datetime.now(UTC)}},
        )
        self._copies.pop(channel_id, None)
        if result.matched_count == 0:
            raise ParleyError(ErrorCode.UNKNOWN_CHANNEL, f"no channel {channel_id!r}")

    async def set_operators(self, channel_id: str, operator_ids: list[str]) -> Channel:
        return await self.update(channel_id, {"operator_ids": operator_ids})

    async def serve_by_agent(self, bot_id: str, agent: ChannelAgent | None, channel_ids: list[str]) -> None:
        """The external bot ``bot_id`` serves exactly ``channel_ids`` now (none when ``agent`` is None):
        its entry is set on them and removed from every other channel that named it."""
        served = channel_ids if agent is not None else []
        if agent is not None and served:
            await self._channels.update_many({"_id": {"$in": served}}, {"$set": {"agent": agent.model_dump()}})
        await self._channels.update_many({"agent.bot_id": bot_id, "_id": {"$nin": served}}, {"$unset": {"agent": ""}})
        self._copies.clear()  # this replica's copies; another's is at most CHANNEL_COPY_SECONDS old

    async def remember_round_robin(self, channel_id: str, operator_id: str) -> None:
        """Round-robin's cursor: the next pick starts after this operator."""
        await self._channels.update_one({"_id": channel_id}, {"$set": {"round_robin_last": operator_id}})
