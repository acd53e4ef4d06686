"""The deliveries (MongoDB ``integration_deliveries``): the durable outbox of every outbound call.

An ``OutboundEvent`` becomes one delivery per endpoint it is for, inserted before the event is
acknowledged on the bus; the delivery's id is derived from the event's id and the endpoint's, so
a redelivered event (a publisher's retry, a consumer that died before its ack) inserts nothing
new. From then on the document is the only record: the sender claims a due one, attempts it and
records the outcome, so a process that dies mid-attempt leaves it due again after the claim
expires, and it is retried by whoever runs next, under the same id.

States: ``pending`` (due at ``next_attempt_at``), ``delivered``, ``dead`` (every attempt failed,
or the receiver refused it for good). A redelivery puts a finished one back to ``pending``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from pydantic import Field
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import OutboundEvent
from parley.stores import MongoDatabase

DELIVERIES = "integration_deliveries"
DeliveryState = Literal["pending", "delivered", "dead"]
EndpointKind = Literal["bot", "webhook"]
# Attempts kept in a delivery's log (a delivery redelivered many times keeps its newest ones).
MAX_LOGGED_ATTEMPTS = 50
# The part of a receiver's answer kept per attempt: enough to read its error message.
MAX_RESPONSE_EXCERPT = 500
# Deliveries one bulk redelivery puts back at once.
MAX_BULK_REDELIVERY = 10_000


def delivery_id(event_id: str, kind: str, endpoint_id: str) -> str:
    """The same for the same event and endpoint, whatever the number of times the event arrives:
    the receiver's idempotency key (``webhook-id``)."""
    digest = hashlib.sha256(f"{event_id}\x00{kind}\x00{endpoint_id}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def payload(event: OutboundEvent) -> bytes:
    """The body every attempt sends (Standard Webhooks' ``type``, ``timestamp``, ``data``)."""
    return orjson.dumps(
        {
            "type": event.event_type,
            "timestamp": event.occurred_at.astimezone(UTC).isoformat(),
            "data": {
                "event_id": event.event_id,
                "channel_id": event.channel_id,
                "conversation_id": event.conversation_id,
                "bot_id": event.bot_id,
                **event.data,
            },
        }
    )


class Attempt(Model):
    at: datetime
    status: int | None = Field(description="The receiver's HTTP status; None: no answer (timeout, network).")
    error: str = Field("", description="Why it failed, when it did.")
    response: str = Field("", description=f"The start of the receiver's answer (at most {MAX_RESPONSE_EXCERPT}).")
    duration_ms: int


class DeliveryView(Model):
    id: str = Field(description="The webhook-id header: the same on every attempt.")
    endpoint_kind: EndpointKind
    endpoint_id: str
    event_id: str
    event_type: str
    channel_id: str
    state: DeliveryState
    attempts: int = Field(description="Attempts since it was (re)queued.")
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[Attempt] = Field(description="Every attempt (the newest 50), oldest first.")


def view(document: dict[str, Any]) -> DeliveryView:
    return DeliveryView(
        id=document["_id"],
        endpoint_kind=document["endpoint_kind"],
        endpoint_id=document["endpoint_id"],
        event_id=document["event_id"],
        event_type=document["event_type"],
        channel_id=document["channel_id"],
        state=document["state"],
        attempts=document["attempts"],
        next_attempt_at=document["next_attempt_at"] if document["state"] == "pending" else None,
        created_at=document["created_at"],
        delivered_at=document.get("delivered_at"),
        log=[Attempt.model_validate(entry) for entry in document.get("log", [])],
    )


class Outbox:
    def __init__(self, db: MongoDatabase) -> None:
        self.collection = db[DELIVERIES]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.collection.create_index([("endpoint_id", ASCENDING), ("state", ASCENDING)])
        # The backlog's oldest pending delivery, read every few seconds.
        await self.collection.create_index([("state", ASCENDING), ("created_at", ASCENDING)])

    async def add(self, event: OutboundEvent, endpoints: list[tuple[EndpointKind, str]]) -> int:
        """One pending delivery per endpoint; those already there (the same event again) are kept
        as they are. Answers how many are new."""
        if not endpoints:
            return 0
        now = datetime.now(UTC)
        body = payload(event)
        documents: list[dict[str, Any]] = [
            {
                "_id": delivery_id(event.event_id, kind, endpoint_id),
                "endpoint_kind": kind,
                "endpoint_id": endpoint_id,
                "event_id": event.event_id,
                "event_type": event.event_type,
                "channel_id": event.channel_id,
                "conversation_id": event.conversation_id,
                "body": body.decode(),
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "log": [],
            }
            for kind, endpoint_id in endpoints
        ]
        try:
            result = await self.collection.insert_many(documents, ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as error:
            # 11000: the delivery exists (the event arrived before); anything else is a real failure.
            if any(failure.get("code") != 11000 for failure in error.details.get("writeErrors", [])):
                raise
            return int(error.details.get("nInserted", 0))

    async def claim(self, now: datetime, hold: timedelta, busy: list[str]) -> dict[str, Any] | None:
        """The most overdue pending delivery not to a ``busy`` endpoint, made due again only after
        ``hold`` (unless its attempt is recorded first): no other sender takes it meanwhile, and it
        comes back if this one dies."""
        query: dict[str, Any] = {"state": "pending", "next_attempt_at": {"$lte": now}}
        if busy:
            query["endpoint_id"] = {"$nin": busy}
        return await self.collection.find_one_and_update(
            query,
            {"$set": {"next_attempt_at": now + hold}},
            sort=[("next_attempt_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def record(
        self, document: dict[str, Any], attempt: Attempt, state: DeliveryState, next_attempt_at: datetime | None
    ) -> None:
        changes: dict[str, Any] = {"state": state}
        if next_attempt_at is not None:
            changes["next_attempt_at"] = next_attempt_at
        if state == "delivered":
            changes["delivered_at"] = attempt.at
        await self.collection.update_one(
            {"_id": document["_id"], "state": "pending"},
            {
                "$set": changes,
                "$inc": {"attempts": 1},
                "$push": {"log": {"$each": [attempt.model_dump()], "$slice": -MAX_LOGGED_ATTEMPTS}},
            },
        )

    async def postpone(self, document: dict[str, Any], until: datetime) -> None:
        """Gives a claimed delivery back unattempted (its endpoint is gone or its circuit opened)."""
        await self.collection.update_one(
            {"_id": document["_id"], "state": "pending"}, {"$set": {"next_attempt_at": until}}
        )

    async def get(self, delivery: str) -> dict[str, Any]:
        document = await self.collection.find_one({"_id": delivery})
        if document is None:
            raise ParleyError(ErrorCode.UNKNOWN_DELIVERY, "no delivery has this id")
        return document

    async def listed(self, state: str | None, endpoint_id: str | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if state is not None:
            query["state"] = state
        if endpoint_id is not None:
            query["endpoint_id"] = endpoint_id
        cursor = self.collection.find(query).sort("created_at", -1).limit(limit)
        return [document async for document in cursor]

    async def redeliver(self, delivery: str) -> dict[str, Any]:
        """Puts a delivered or dead one back in the queue, due now, with its attempts counted anew."""
        document = await self.collection.find_one_and_update(
            {"_id": delivery, "state": {"$in": ["delivered", "dead"]}},
            {"$set": {"state": "pending", "attempts": 0, "next_attempt_at": datetime.now(UTC)}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            await self.get(delivery)  # unknown: 9304
            raise ParleyError(ErrorCode.DELIVERY_PENDING, "this delivery is still being attempted")
        return document

    async def redeliver_dead(self, endpoint_id: str | None) -> int:
        query: dict[str, Any] = {"state": "dead"}
        if endpoint_id is not None:
            query["endpoint_id"] = endpoint_id
        ids = [document["_id"] async for document in self.collection.find(query, {"_id": 1}).limit(MAX_BULK_REDELIVERY)]
        if not ids:
            return 0
        result = await self.collection.update_many(
            {"_id": {"$in": ids}, "state": "dead"},
            {"$set": {"state": "pending", "attempts": 0, "next_attempt_at": datetime.now(UTC)}},
        )
        return int(result.modified_count)

    async def backlog(self, now: datetime) -> tuple[int, float]:
        """Pending deliveries, and how long the oldest has waited (seconds; 0 with none)."""
        count = await self.collection.count_documents({"state": "pending"})
        oldest = await self.collection.find_one({"state": "pending"}, {"created_at": 1}, sort=[("created_at", 1)])
        age = (now - oldest["created_at"]).total_seconds() if oldest else 0.0
        return count, max(age, 0.0)

    async def count_dead(self) -> int:
        return await self.collection.count_documents({"state": "dead"})

    async def forget_delivered(self, before: datetime) -> int:
        result = await self.collection.delete_many({"state": "delivered", "delivered_at": {"$lt": before}})
        return int(result.deleted_count)
