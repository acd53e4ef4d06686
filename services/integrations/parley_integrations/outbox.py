"""The deliveries (MongoDB ``integration_deliveries``): the durable outbox of every outbound call.

An ``OutboundEvent`` becomes one delivery per endpoint it is for, inserted before the event is
acknowledged on the bus; the delivery's id is derived from the event's id and the endpoint's, so
a redelivered event (a publisher's retry, a consumer that died before its ack) inserts nothing
new. From then on the document is the only record: the sender claims a due one, attempts it and
records the outcome, so a process that dies mid-attempt leaves it due again after the claim
expires, and it is retried by whoever runs next, under the same id.

States: ``pending`` (due at ``next_attempt_at``), ``delivered``, ``dead`` (every attempt failed,
or the receiver refused it for good). A redelivery puts a finished one back to ``pending``.

**The work list** (``integration_work``): one small document per delivery not delivered (its id,
endpoint, state, when it is due), removed once the delivery is. Claims, the backlog gauges and
the dead-letter count read only this list, never the deliveries with their bodies and logs: a
week of delivered history (kept for the API) would otherwise be scanned on every claim by a
database without a usable index, as FerretDB on SQLite is (measured: the sender fell to about
one delivery a second under the chaos suite's load with 700 deliveries kept). The delivery stays
the truth: an entry whose delivery is missing or finished is dropped when claimed, an entry is
written after its delivery, and the list is rebuilt from the deliveries at every start.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from pydantic import Field
from pymongo import ASCENDING, ReturnDocument

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import OutboundEvent
from parley.stores import MongoDatabase, insert_new

DELIVERIES = "integration_deliveries"
WORK = "integration_work"
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
        self.work = db[WORK]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("endpoint_id", ASCENDING), ("state", ASCENDING)])
        await self.collection.create_index([("state", ASCENDING), ("delivered_at", ASCENDING)])
        await self.work.create_index([("state", ASCENDING), ("due", ASCENDING)])
        await self.work.create_index([("state", ASCENDING), ("created_at", ASCENDING)])

    async def rebuild_work(self) -> int:
        """Every pending or dead delivery gets its work-list entry (those there are kept as they
        are): after a crash between a delivery's write and its entry's, and on the first start of
        a version that had no work list. Answers how many were missing."""
        cursor = self.collection.find(
            {"state": {"$in": ["pending", "dead"]}},
            {"endpoint_id": 1, "state": 1, "next_attempt_at": 1, "created_at": 1},
        )
        entries = [
            _entry(d["_id"], d["endpoint_id"], d["state"], d["next_attempt_at"], d["created_at"]) async for d in cursor
        ]
        return await insert_new(self.work, entries)

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
        added = await insert_new(self.collection, documents)
        if added < len(documents):
            # The same event again: its deliveries may be finished, and their entries gone for good.
            existing = self.collection.find(
                {"_id": {"$in": [document["_id"] for document in documents]}, "state": "pending"}, {"_id": 1}
            )
            pending = {document["_id"] async for document in existing}
            documents = [document for document in documents if document["_id"] in pending]
        # After the deliveries, before the ack: a crash between the two redelivers the event.
        await insert_new(
            self.work,
            [_entry(d["_id"], d["endpoint_id"], "pending", d["next_attempt_at"], d["created_at"]) for d in documents],
        )
        return added

    async def claim(self, now: datetime, hold: timedelta, busy: list[str]) -> dict[str, Any] | None:
        """The most overdue pending delivery not to a ``busy`` endpoint, made due again only after
        ``hold`` (unless its attempt is recorded first): no other sender takes it meanwhile, and it
        comes back if this one dies."""
        query: dict[str, Any] = {"state": "pending", "due": {"$lte": now}}
        if busy:
            query["endpoint_id"] = {"$nin": busy}
        while True:
            entry = await self.work.find_one_and_update(
                query, {"$set": {"due": now + hold}}, sort=[("due", ASCENDING)], return_document=ReturnDocument.AFTER
            )
            if entry is None:
                return None
            document = await self.collection.find_one({"_id": entry["_id"]})
            if document is not None and document["state"] == "pending":
                return document
            await self._settle(entry["_id"], document["state"] if document is not None else "delivered", None)

    async def _settle(self, delivery: str, state: DeliveryState, due: datetime | None) -> None:
        """The work-list entry follows its delivery: due again, dead, or gone once delivered."""
        if state == "delivered":
            await self.work.delete_one({"_id": delivery})
        elif state == "dead":
            await self.work.update_one({"_id": delivery}, {"$set": {"state": "dead"}})
        elif due is not None:
            await self.work.update_one({"_id": delivery}, {"$set": {"state": "pending", "due": due}})

    async def record(
        self, document: dict[str, Any], attempt: Attempt, state: DeliveryState, next_attempt_at: datetime | None
    ) -> None:
        changes: dict[str, Any] = {"state": state}
        if next_attempt_at is not None:
            changes["next_attempt_at"] = next_attempt_at
        if state == "delivered":
            changes["delivered_at"] = attempt.at
        # By _id alone: the claim holds the delivery, so no other sender records it meanwhile, and
        # FerretDB on SQLite looks a document up by its index only for a filter on _id alone (any
        # other filter scans the whole history).
        await self.collection.update_one(
            {"_id": document["_id"]},
            {
                "$set": changes,
                "$inc": {"attempts": 1},
                "$push": {"log": {"$each": [attempt.model_dump()], "$slice": -MAX_LOGGED_ATTEMPTS}},
            },
        )
        await self._settle(document["_id"], state, next_attempt_at)

    async def postpone(self, document: dict[str, Any], until: datetime) -> None:
        """Gives a claimed delivery back unattempted (its endpoint is gone or its circuit opened)."""
        await self.collection.update_one({"_id": document["_id"]}, {"$set": {"next_attempt_at": until}})
        await self._settle(document["_id"], "pending", until)

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
        now = datetime.now(UTC)
        document = await self.collection.find_one_and_update(
            {"_id": delivery, "state": {"$in": ["delivered", "dead"]}},
            {"$set": {"state": "pending", "attempts": 0, "next_attempt_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            await self.get(delivery)  # unknown: 9304
            raise ParleyError(ErrorCode.DELIVERY_PENDING, "this delivery is still being attempted")
        entry = _entry(delivery, document["endpoint_id"], "pending", now, document["created_at"])
        del entry["_id"]  # the filter's, on an insert; never $set
        await self.work.update_one({"_id": delivery}, {"$set": entry}, upsert=True)
        return document

    async def redeliver_dead(self, endpoint_id: str | None) -> int:
        query: dict[str, Any] = {"state": "dead"}
        if endpoint_id is not None:
            query["endpoint_id"] = endpoint_id
        ids = [entry["_id"] async for entry in self.work.find(query, {"_id": 1}).limit(MAX_BULK_REDELIVERY)]
        if not ids:
            return 0
        now = datetime.now(UTC)
        result = await self.collection.update_many(
            {"_id": {"$in": ids}, "state": "dead"},
            {"$set": {"state": "pending", "attempts": 0, "next_attempt_at": now}},
        )
        await self.work.update_many({"_id": {"$in": ids}, "state": "dead"}, {"$set": {"state": "pending", "due": now}})
        return int(result.modified_count)

    async def backlog(self, now: datetime) -> tuple[int, float]:
        """Pending deliveries, and how long the oldest has waited (seconds; 0 with none)."""
        count = await self.work.count_documents({"state": "pending"})
        oldest = await self.work.find_one({"state": "pending"}, {"created_at": 1}, sort=[("created_at", 1)])
        age = (now - oldest["created_at"]).total_seconds() if oldest else 0.0
        return count, max(age, 0.0)

    async def count_dead(self) -> int:
        return await self.work.count_documents({"state": "dead"})

    async def forget_delivered(self, before: datetime) -> int:
        result = await self.collection.delete_many({"state": "delivered", "delivered_at": {"$lt": before}})
        return int(result.deleted_count)


def _entry(delivery: str, endpoint_id: str, state: str, due: datetime, created_at: datetime) -> dict[str, Any]:
    """A work-list entry: what a claim, the backlog gauges and a bulk redelivery need, no more."""
    return {"_id": delivery, "endpoint_id": endpoint_id, "state": state, "due": due, "created_at": created_at}
