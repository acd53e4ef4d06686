"""The integrations outbox against the real MongoDB-wire server: claims come from the work list,
which follows every delivery's state and is rebuilt from the deliveries when it lost entries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from parley.contracts.integrations import OutboundEvent
from parley_integrations.outbox import Attempt, Outbox, delivery_id
from tests.conftest import Infra

HOLD = timedelta(seconds=30)


@pytest.fixture
async def outbox(infra: Infra, mongo: AsyncMongoClient) -> AsyncIterator[Outbox]:
    name = f"parley_outbox_{uuid.uuid4().hex[:10]}"
    box = Outbox(mongo[name])
    await box.create_indexes()
    yield box
    await mongo.drop_database(name)


def event(n: int) -> OutboundEvent:
    return OutboundEvent(
        event_id=f"ev_{n}",
        event_type="message.created",
        channel_id="ch_1",
        conversation_id="c_1",
        occurred_at=datetime.now(UTC),
        data={"n": n},
    )


def attempt(status: int | None) -> Attempt:
    return Attempt(at=datetime.now(UTC), status=status, duration_ms=3)


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def test_a_claim_takes_the_most_overdue_and_the_work_list_follows_each_outcome(outbox: Outbox) -> None:
    assert await outbox.add(event(1), [("webhook", "wh_a"), ("webhook", "wh_b")]) == 2
    assert await outbox.add(event(2), [("webhook", "wh_a")]) == 1
    assert await outbox.add(event(1), [("webhook", "wh_a"), ("webhook", "wh_b")]) == 0  # the same event again
    assert (await outbox.backlog(later(0)))[0] == 3

    first = await outbox.claim(later(0), HOLD, busy=["wh_b"])
    assert first is not None and first["_id"] == delivery_id("ev_1", "webhook", "wh_a")
    second = await outbox.claim(later(0), HOLD, busy=["wh_b"])
    assert second is not None and second["_id"] == delivery_id("ev_2", "webhook", "wh_a")
    assert await outbox.claim(later(0), HOLD, busy=["wh_b"]) is None  # the claimed ones are held

    await outbox.record(first, attempt(200), "delivered", None)
    await outbox.record(second, attempt(503), "pending", later(60))
    assert await outbox.work.count_documents({}) == 2  # the delivered one left the list
    assert await outbox.claim(later(1), HOLD, busy=["wh_b"]) is None  # the retry is due in a minute
    retried = await outbox.claim(later(61), HOLD, busy=["wh_b"])
    assert retried is not None and retried["_id"] == second["_id"] and retried["attempts"] == 1
    await outbox.record(retried, attempt(404), "dead", None)
    assert await outbox.count_dead() == 1
    assert (await outbox.backlog(later(0)))[0] == 1  # wh_b's

    # A redelivery puts the dead one back in the list, due now, and the delivered one too.
    assert await outbox.redeliver_dead(None) == 1
    assert await outbox.count_dead() == 0
    again = await outbox.claim(later(0), HOLD, busy=["wh_b"])
    assert again is not None and again["_id"] == second["_id"] and again["attempts"] == 0
    await outbox.redeliver(first["_id"])
    assert (await outbox.claim(later(0), HOLD, busy=["wh_b"]) or {}).get("_id") == first["_id"]


async def test_an_entry_whose_delivery_is_finished_is_dropped_when_claimed(outbox: Outbox) -> None:
    await outbox.add(event(1), [("webhook", "wh_a")])
    await outbox.add(event(2), [("webhook", "wh_a")])
    # As after a crash between the delivery's record and its entry's: the entry still says pending.
    await outbox.collection.update_one(
        {"_id": delivery_id("ev_1", "webhook", "wh_a")}, {"$set": {"state": "delivered"}}
    )
    claimed = await outbox.claim(later(0), HOLD, busy=[])
    assert claimed is not None and claimed["_id"] == delivery_id("ev_2", "webhook", "wh_a")
    assert await outbox.work.count_documents({}) == 1


async def test_the_work_list_is_rebuilt_from_the_deliveries(outbox: Outbox) -> None:
    await outbox.add(event(1), [("webhook", "wh_a")])
    await outbox.add(event(2), [("webhook", "wh_a")])
    dead = await outbox.claim(later(0), HOLD, busy=[])
    assert dead is not None
    await outbox.record(dead, attempt(410), "dead", None)
    await outbox.work.delete_many({})  # lost, or written by a version without the list
    assert await outbox.claim(later(0), HOLD, busy=[]) is None

    assert await outbox.rebuild_work() == 2
    assert await outbox.rebuild_work() == 0  # what is there is kept
    assert await outbox.count_dead() == 1
    claimed = await outbox.claim(later(0), HOLD, busy=[])
    assert claimed is not None and claimed["_id"] == delivery_id("ev_2", "webhook", "wh_a")
