"""The registries of outside parties (MongoDB ``integration_bots`` and ``integration_webhooks``).

Both are endpoints Parley calls: a URL, the secrets its requests are signed with, the channels
whose events it gets. A bot also has a name and avatar (it is a member of conversations, as
``agent_<bot id>``) and a failure policy; a webhook subscription chooses event types.

Secrets are generated here, never chosen by the caller (a weak one would make signatures
guessable), and answered once: at creation and at rotation. A rotation keeps the previous
secret valid for ``secret_overlap`` (both sign every request meanwhile).

A URL is checked when it is stored (:class:`parley.outbound_urls.EndpointRule`: public https
hosts only) and again at every connection by the sender.
"""

from __future__ import annotations

import asyncio
import secrets as random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import redis.asyncio as redis
from pydantic import Field, StringConstraints
from pymongo import ReturnDocument

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import BotChanged, BotFailurePolicy, SubscribableEventType
from parley.outbound_urls import EndpointRule
from parley.stores import MongoDatabase
from parley_integrations import signing

BOTS = "integration_bots"
WEBHOOKS = "integration_webhooks"
# A bot's member id in conversations; scripted bots are bot_<script id>.
AGENT_PREFIX = "agent_"
# Ids and names are the caller's text stored as values, never as keys: no '$' or '.' reaches
# a query as an operator, and the pattern keeps them printable.
ChannelId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]
EndpointUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]
AvatarUrl = Annotated[str, StringConstraints(max_length=2000, pattern=r"^(https://\S+)?$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
# An admin's registry, not a user's: a few hundred bots or subscriptions at most.
MAX_CHANNELS = 100
MAX_ENDPOINTS = 1000
# The bound on a copy's age for what the change token cannot see (Redis lost it, a replica died
# between its write and the token): an edit reaches every replica within this, usually at once.
MAX_COPY_AGE_SECONDS = 30.0
TOKEN_TTL_SECONDS = 7 * 24 * 3600


def _new_id(prefix: str) -> str:
    return f"{prefix}{random.token_hex(8)}"


class BotSpec(Model):
    name: Name = Field(description="Shown to visitors as the bot's name.")
    avatar_url: AvatarUrl = Field("", description="https URL of its picture, or empty.")
    webhook_url: EndpointUrl = Field(description="Where Parley sends it each event (public https).")
    channel_ids: list[ChannelId] = Field(default_factory=list, max_length=MAX_CHANNELS)
    failure_policy: BotFailurePolicy = Field(
        "handoff",
        description="What the conversation side does when a delivery to the bot is dead-lettered: hand the "
        "visitor to a person, apologise, or wait.",
    )
    active: bool = True


class BotPatch(Model):
    name: Name | None = None
    avatar_url: AvatarUrl | None = None
    webhook_url: EndpointUrl | None = None
    channel_ids: list[ChannelId] | None = Field(None, max_length=MAX_CHANNELS)
    failure_policy: BotFailurePolicy | None = None
    active: bool | None = None


class WebhookSpec(Model):
    url: EndpointUrl = Field(description="Where Parley sends the events (public https).")
    event_types: list[SubscribableEventType] = Field(min_length=1, max_length=20)
    channel_ids: list[ChannelId] = Field(
        default_factory=list, max_length=MAX_CHANNELS, description="Only these channels' events; empty: all channels."
    )
    description: str = Field("", max_length=500)
    active: bool = True


class WebhookPatch(Model):
    url: EndpointUrl | None = None
    event_types: list[SubscribableEventType] | None = Field(None, min_length=1, max_length=20)
    channel_ids: list[ChannelId] | None = Field(None, max_length=MAX_CHANNELS)
    description: str | None = Field(None, max_length=500)
    active: bool | None = None


class SecretState(Model):
    secret_rotated_at: datetime | None = Field(description="When the secret was last rotated (None: never).")
    previous_secret_valid_until: datetime | None = Field(
        description="Until when the previous secret still signs beside the current one."
    )


class BotView(SecretState):
    id: str
    account_id: str = Field(description="The bot's member id in conversations (agent_<id>).")
    name: str
    avatar_url: str
    webhook_url: str
    channel_ids: list[str]
    failure_policy: BotFailurePolicy
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookView(SecretState):
    id: str
    url: str
    event_types: list[str]
    channel_ids: list[str]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime


class SecretAnswer(Model):
    secret: str = Field(
        description="The signing secret (whsec_...), shown only in this answer: store it now.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class BotCreated(BotView, SecretAnswer):
    pass


class WebhookCreated(WebhookView, SecretAnswer):
    pass


@dataclass(frozen=True)
class Endpoint:
    """Where a delivery goes, as the sender needs it."""

    kind: str  # "bot" or "webhook"
    id: str
    url: str
    secrets: tuple[str, ...]  # the current one first


def secrets_now(document: dict[str, Any], now: datetime) -> tuple[str, ...]:
    """The secrets that sign a request now: the current one, and the previous one during its overlap."""
    current: str = document["secret"]
    previous = document.get("previous_secret")
    until = document.get("previous_secret_valid_until")
    if previous and until is not None and until > now:
        return (current, previous)
    return (current,)


def _secret_state(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "secret_rotated_at": document.get("secret_rotated_at"),
        "previous_secret_valid_until": document.get("previous_secret_valid_until"),
    }


def bot_view(document: dict[str, Any]) -> BotView:
    fields = {name: document[name] for name in BotSpec.model_fields}
    return BotView(
        id=document["_id"],
        account_id=AGENT_PREFIX + document["_id"],
        created_at=document["created_at"],
        updated_at=document["updated_at"],
        **fields,
        **_secret_state(document),
    )


def webhook_view(document: dict[str, Any]) -> WebhookView:
    fields = {name: document[name] for name in WebhookSpec.model_fields}
    return WebhookView(
        id=document["_id"],
        created_at=document["created_at"],
        updated_at=document["updated_at"],
        **fields,
        **_secret_state(document),
    )


def bot_changed(document: dict[str, Any], *, removed: bool = False) -> BotChanged:
    return BotChanged(
        bot_id=document["_id"],
        account_id=AGENT_PREFIX + document["_id"],
        name=document["name"],
        avatar_url=document["avatar_url"],
        channel_ids=[] if removed else document["channel_ids"],
        failure_policy=document["failure_policy"],
        active=document["active"] and not removed,
    )


class Registry:
    """One collection of endpoints (bots or webhook subscriptions): create, read, change, delete,
    rotate a secret. ``url_field`` is the field holding the URL checked by ``rule``."""

    def __init__(
        self,
        db: MongoDatabase,
        collection: str,
        *,
        id_prefix: str,
        url_field: str,
        unknown: ErrorCode,
        rule: EndpointRule,
        secret_overlap: timedelta,
        redis_client: redis.Redis,
        key_prefix: str,
    ) -> None:
        self.collection = db[collection]
        self.id_prefix = id_prefix
        self.url_field = url_field
        self.unknown = unknown
        self.rule = rule
        self.secret_overlap = secret_overlap
        self.active = ActiveCopy(self.collection, redis_client, f"{key_prefix}integrations:{collection}:token")

    def check_url(self, url: str) -> None:
        problem = self.rule.problem(url)
        if problem is not None:
            raise ParleyError(ErrorCode.ENDPOINT_REFUSED, f"{self.url_field}: Parley does not call this URL: {problem}")

    async def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        self.check_url(fields[self.url_field])
        if await self.collection.count_documents({}) >= MAX_ENDPOINTS:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"at most {MAX_ENDPOINTS} are registered; delete one first")
        now = datetime.now(UTC)
        document = {
            "_id": _new_id(self.id_prefix),
            **fields,
            "secret": signing.new_secret(),
            "previous_secret": None,
            "previous_secret_valid_until": None,
            "secret_rotated_at": None,
            "created_at": now,
            "updated_at": now,
        }
        await self.collection.insert_one(document)
        await self.active.changed()
        return document

    async def get(self, endpoint_id: str) -> dict[str, Any]:
        document = await self.collection.find_one({"_id": endpoint_id})
        if document is None:
            raise ParleyError(self.unknown, f"no {self.id_prefix.rstrip('_')} has this id")
        return document

    async def all(self) -> list[dict[str, Any]]:
        return [document async for document in self.collection.find({}).sort("created_at", 1)]

    async def change(self, endpoint_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        changes = {name: value for name, value in changes.items() if value is not None}
        if self.url_field in changes:
            self.check_url(changes[self.url_field])
        changes["updated_at"] = datetime.now(UTC)
        document = await self.collection.find_one_and_update(
            {"_id": endpoint_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )
        if document is None:
            raise ParleyError(self.unknown, f"no {self.id_prefix.rstrip('_')} has this id")
        await self.active.changed()
        return document

    async def delete(self, endpoint_id: str) -> dict[str, Any]:
        document = await self.collection.find_one_and_delete({"_id": endpoint_id})
        if document is None:
            raise ParleyError(self.unknown, f"no {self.id_prefix.rstrip('_')} has this id")
        await self.active.changed()
        return document

    async def rotate_secret(self, endpoint_id: str) -> tuple[dict[str, Any], str]:
        current = await self.get(endpoint_id)
        now = datetime.now(UTC)
        secret = signing.new_secret()
        document = await self.collection.find_one_and_update(
            # Only over the secret read: two rotations at once must not both keep a stale previous one.
            {"_id": endpoint_id, "secret": current["secret"]},
            {
                "$set": {
                    "secret": secret,
                    "previous_secret": current["secret"],
                    "previous_secret_valid_until": now + self.secret_overlap,
                    "secret_rotated_at": now,
                    "updated_at": now,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise ParleyError(ErrorCode.UNAVAILABLE, "the secret was rotated at the same time: try again")
        return document, secret

    def endpoint(self, kind: str, document: dict[str, Any], now: datetime) -> Endpoint:
        return Endpoint(kind, document["_id"], document[self.url_field], secrets_now(document, now))

    async def endpoint_of(self, kind: str, endpoint_id: str, now: datetime) -> Endpoint | None:
        document = await self.collection.find_one({"_id": endpoint_id})
        return None if document is None else self.endpoint(kind, document, now)


class ActiveCopy:
    """This replica's copy of a registry's active endpoints, used while the registry's change token is.

    Every ``message.created`` asks which webhooks want it; a query for that was one database
    command per message (a scan on FerretDB, which indexes nothing but ``_id``) even with no
    webhook at all. The registry is an admin's: small, rarely edited. So each replica keeps the
    active entries (ids, event types, channels: no secrets) and checks one Redis key per event:
    every edit replaces that token after its write, on whichever replica made it, and the next
    event anywhere reads the registry again. The token is read *before* the registry, so a copy is
    never newer than the token it is kept under, only older (then replaced by the next event).
    Should Redis lose the token or a replica die between its write and the token, a copy is still
    never older than ``MAX_COPY_AGE_SECONDS``.
    """

    def __init__(self, collection: Any, client: redis.Redis, key: str) -> None:
        self._collection = collection
        self._redis = client
        self._key = key
        self._documents: list[dict[str, Any]] | None = None
        self._token: str | bytes | None = None
        self._read_at = 0.0
        # One read of the registry at a time: a burst of events after an edit reads it once.
        self._reading = asyncio.Lock()

    async def changed(self) -> None:
        await self._redis.set(self._key, random.token_hex(8), ex=TOKEN_TTL_SECONDS)

    def _fresh(self, token: str | bytes | None) -> bool:
        return (
            self._documents is not None
            and token == self._token
            and time.monotonic() - self._read_at < MAX_COPY_AGE_SECONDS
        )

    async def documents(self) -> list[dict[str, Any]]:
        token = await self._redis.get(self._key)
        if self._fresh(token):
            assert self._documents is not None
            return self._documents
        async with self._reading:
            if not self._fresh(token):
                read_at = time.monotonic()
                projection = {"_id": 1, "event_types": 1, "channel_ids": 1}
                self._documents = [document async for document in self._collection.find({"active": True}, projection)]
                self._token, self._read_at = token, read_at
            assert self._documents is not None
            return self._documents


async def subscribed_webhooks(webhooks: Registry, event_type: str, channel_id: str) -> list[str]:
    """The active subscriptions to this event type, of this channel or of every channel."""
    return [
        document["_id"]
        for document in await webhooks.active.documents()
        if event_type in document["event_types"]
        and (not document["channel_ids"] or channel_id in document["channel_ids"])
    ]


async def serving_bot(bots: Registry, bot_id: str) -> str | None:
    """The bot's id if it is registered and active."""
    return bot_id if any(document["_id"] == bot_id for document in await bots.active.documents()) else None
