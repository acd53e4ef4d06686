"""Bounded, resumable sweeps over a collection: retention passes (docs/privacy.md).

A sweep walks the documents a query selects in ``_id`` order, a batch at a time, and records
after each batch the last ``_id`` it handled in ``sweep_checkpoints`` (one document per sweep
name). One run handles at most ``max_batches`` batches, so a first pass over years of data never
holds a store for long; the next run, in this process or another replica after a restart, goes on
from the checkpoint. When the walk reaches the end, the checkpoint is cleared and the next run
starts over (new documents have become due since).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from parley.stores import Document, MongoDatabase

CHECKPOINTS_COLLECTION = "sweep_checkpoints"
# Documents per batch: one delete or update of this many ids stays a short operation.
DEFAULT_BATCH = 500
# Batches per run: with the default batch, 25,000 documents a run at most.
DEFAULT_MAX_BATCHES = 50

BatchHandler = Callable[[list[Document]], Awaitable[None]]


class SweepCheckpoints:
    def __init__(self, db: MongoDatabase) -> None:
        self._checkpoints = db[CHECKPOINTS_COLLECTION]

    async def after(self, name: str) -> Any:
        doc = await self._checkpoints.find_one({"_id": name})
        return None if doc is None else doc.get("after")

    async def save(self, name: str, after: Any) -> None:
        await self._checkpoints.update_one(
            {"_id": name}, {"$set": {"after": after, "at": datetime.now(UTC)}}, upsert=True
        )


async def sweep(
    db: MongoDatabase,
    collection: str,
    query: Document,
    handle: BatchHandler,
    *,
    name: str,
    projection: Document | None = None,
    batch: int = DEFAULT_BATCH,
    max_batches: int = DEFAULT_MAX_BATCHES,
) -> int:
    """Hand the documents of ``collection`` matching ``query`` to ``handle`` a batch at a time,
    from the checkpoint ``name`` on; returns how many were handed. ``handle`` runs before the
    checkpoint moves past its batch: a run that dies in it hands the batch again (so it must be
    idempotent, as deletes are)."""
    checkpoints = SweepCheckpoints(db)
    after = await checkpoints.after(name)
    handled = 0
    for _ in range(max_batches):
        selected = dict(query)
        if after is not None:
            selected = {"$and": [query, {"_id": {"$gt": after}}]}
        docs = await db[collection].find(selected, projection).sort("_id", 1).limit(batch).to_list()
        if not docs:
            await checkpoints.save(name, None)
            return handled
        await handle(docs)
        after = docs[-1]["_id"]
        await checkpoints.save(name, after)
        handled += len(docs)
    return handled
