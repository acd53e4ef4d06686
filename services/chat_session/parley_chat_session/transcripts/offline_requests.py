"""The offline form: what a visitor leaves when nobody can chat (issue 22).

When a channel has no operator at work and no bot (availability ``offline_form``), the widget
shows a form (name, e-mail, message) instead of a chat nobody would answer. The request is
stored here for the channel's operators, who list it in the console and answer by e-mail, and is
published as the ``offline_request.created`` outbound event for the channel's webhooks
(docs/webhooks.md): the team's helpdesk or mailer takes it from there.

A visitor token is needed (the widget signs in as for a chat), and the page's origin must be one
the channel allows. Two token buckets keep a flood out of the operators' list: one per visitor
(a second thought is fine, a stream is not) and one per channel (many fresh visitors at once).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from pymongo import DESCENDING

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import OutboundEvent
from parley.ratelimit import Bucket, RateLimiter
from parley.stores import MongoDatabase
from parley_chat_session.conversations.conversation_store import now

# An address with a local part, one @ and a dotted domain: the mail server has the final word.
EMAIL_PATTERN = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)]
MAX_OFFLINE_MESSAGE_LENGTH = 4000
# A visitor may send a few (a correction, an afterthought), then one every ten minutes.
VISITOR_BURST, VISITOR_PER_SECOND = 3, 1 / 600
# A channel takes a busy evening's worth at once, then two a minute: a script signing in fresh
# visitors to flood the list is held here, whatever the number of visitor ids it uses.
CHANNEL_BURST, CHANNEL_PER_SECOND = 60, 2 / 60
LISTED_AT_MOST = 100


class TooManyOfflineRequests(ParleyError):
    """RATE_LIMITED, with the whole seconds until one more would pass (the Retry-After header)."""

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after_seconds))
        super().__init__(ErrorCode.RATE_LIMITED, f"too many offline messages: retry in {self.retry_after} s")


class OfflineRequestSpec(Model):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    email: Email
    message: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_OFFLINE_MESSAGE_LENGTH)
    ]
    page_url: str = Field(
        "", max_length=2000, pattern=r"^(https?://\S*)?$", description="The page the visitor wrote from."
    )


class OfflineRequestView(Model):
    id: str
    channel_id: str
    visitor_id: str
    name: str
    email: str
    message: str
    page_url: str
    verified: bool = Field(description="The visitor's identity was signed by the channel's site (docs/client.md).")
    created_at: datetime


class OfflineRequestList(Model):
    offline_requests: list[OfflineRequestView] = Field(description="Newest first.")


class OfflineRequestQuery(Model):
    limit: int = Field(50, ge=1, le=LISTED_AT_MOST, description="At most this many, newest first.")


def _view(doc: dict[str, Any]) -> OfflineRequestView:
    return OfflineRequestView(
        id=doc["_id"],
        channel_id=doc["channel_id"],
        visitor_id=doc["visitor_id"],
        name=doc["name"],
        email=doc["email"],
        message=doc["message"],
        page_url=doc.get("page_url", ""),
        verified=doc.get("verified", False),
        created_at=doc["created_at"],
    )


def created_event(view: OfflineRequestView) -> OutboundEvent:
    """``offline_request.created``: the request as the console lists it, for the channel's webhooks."""
    return OutboundEvent(
        event_id=f"ev_offline_{view.id}",
        event_type="offline_request.created",
        channel_id=view.channel_id,
        occurred_at=view.created_at,
        data=view.model_dump(mode="json", exclude={"channel_id"}),
    )


class OfflineRequests:
    def __init__(self, db: MongoDatabase, limiter: RateLimiter) -> None:
        self._requests = db["offline_requests"]
        self._limiter = limiter

    async def create_indexes(self) -> None:
        await self._requests.create_index([("channel_id", 1), ("created_at", DESCENDING)])
        await self._requests.create_index("visitor_id")

    async def _admit(self, channel_id: str, visitor_id: str) -> None:
        for bucket in (
            Bucket(f"offline:visitor:{visitor_id}", VISITOR_BURST, VISITOR_PER_SECOND),
            Bucket(f"offline:channel:{channel_id}", CHANNEL_BURST, CHANNEL_PER_SECOND),
        ):
            verdict = await self._limiter.take(bucket)
            if not verdict.allowed:
                raise TooManyOfflineRequests(verdict.retry_after_seconds)

    async def create(
        self, channel_id: str, visitor_id: str, spec: OfflineRequestSpec, *, verified: bool
    ) -> OfflineRequestView:
        await self._admit(channel_id, visitor_id)
        doc = {
            "_id": uuid.uuid4().hex,
            "channel_id": channel_id,
            "visitor_id": visitor_id,
            **spec.model_dump(),
            "verified": verified,
            "created_at": now(),
        }
        await self._requests.insert_one(doc)
        return _view(doc)

    async def get(self, request_id: str) -> OfflineRequestView | None:
        doc = await self._requests.find_one({"_id": request_id})
        return _view(doc) if doc is not None else None

    async def claim_mail(self, request_id: str) -> bool:
        """True once per request: the first caller mails it (a redelivered event finds it taken)."""
        taken = await self._requests.find_one_and_update(
            {"_id": request_id, "emailed_at": None}, {"$set": {"emailed_at": now()}}
        )
        return taken is not None

    async def release_mail(self, request_id: str) -> None:
        """The mail did not go out: the event's retry may take it again."""
        await self._requests.update_one({"_id": request_id}, {"$set": {"emailed_at": None}})

    async def of_channel(self, channel_id: str, limit: int) -> list[OfflineRequestView]:
        cursor = self._requests.find({"channel_id": channel_id}).sort("created_at", DESCENDING).limit(limit)
        return [_view(doc) async for doc in cursor]
