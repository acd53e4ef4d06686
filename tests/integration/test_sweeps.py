"""Bounded, resumable sweeps (parley.sweeps) against the real MongoDB-wire server: a run handles at
most its batches, the next run (another process: a new checkpoint reader) goes on where it stopped,
and a finished walk starts over."""

from __future__ import annotations

import uuid
from typing import Any

from parley.settings import ServiceSettings
from parley.stores import mongo_client, mongo_database
from parley.sweeps import sweep
from tests.conftest import MONGO_URL, Infra


async def test_a_sweep_stops_after_its_batches_and_resumes_from_its_checkpoint(infra: Infra) -> None:
    settings = ServiceSettings(mongo_url=MONGO_URL, mongo_db=infra.mongo_db)
    client = mongo_client(settings, "test/sweeps")
    collection, name = f"sweepable_{uuid.uuid4().hex[:6]}", f"test.{uuid.uuid4().hex[:6]}"
    try:
        db = mongo_database(client, settings)
        await db[collection].insert_many([{"_id": f"d{n:02d}", "due": n % 3 != 0} for n in range(20)])
        handed: list[list[str]] = []

        async def forget(docs: list[dict[str, Any]]) -> None:
            handed.append([doc["_id"] for doc in docs])
            await db[collection].delete_many({"_id": {"$in": [doc["_id"] for doc in docs]}})

        first = await sweep(db, collection, {"due": True}, forget, name=name, batch=4, max_batches=2)
        assert (first, handed) == (8, [["d01", "d02", "d04", "d05"], ["d07", "d08", "d10", "d11"]])
        assert (await db["sweep_checkpoints"].find_one({"_id": name}) or {})["after"] == "d11"
        # Documents before the checkpoint that became due meanwhile wait for the next walk.
        await db[collection].update_one({"_id": "d00"}, {"$set": {"due": True}})
        rest = await sweep(db, collection, {"due": True}, forget, name=name, batch=4, max_batches=5)
        assert (rest, handed[2:]) == (5, [["d13", "d14", "d16", "d17"], ["d19"]])
        assert (await db["sweep_checkpoints"].find_one({"_id": name}) or {})["after"] is None
        again = await sweep(db, collection, {"due": True}, forget, name=name, batch=4, max_batches=5)
        assert (again, handed[-1]) == (1, ["d00"])
        assert await db[collection].count_documents({}) == 6  # the never-due ones
    finally:
        await db[collection].drop()
        await db["sweep_checkpoints"].delete_one({"_id": name})
        await client.close()
