"""What the services take for granted from MongoDB, held by the MongoDB-wire server the tests run
on: a document changed by many commands at once keeps every change, and a conditional change is
decided on the document as it is when it is written. FerretDB v1 on SQLite broke both until
deploy/infra/ferretdb-atomic-writes.patch (200 concurrent increments left 14); a close that lost
to a message's bookkeeping left a conversation answered closed and stored open."""

from __future__ import annotations

import asyncio
import uuid

from pymongo import AsyncMongoClient, ReturnDocument

from tests.conftest import Infra

CONCURRENT = 100


async def test_concurrent_updates_of_one_document_all_land(infra: Infra, mongo: AsyncMongoClient) -> None:
    documents = mongo[infra.mongo_db]["atomicity_checks"]
    document_id = f"a_{uuid.uuid4().hex}"
    await documents.insert_one({"_id": document_id, "count": 0, "newest": 0, "seen": []})

    await asyncio.gather(
        *(documents.update_one({"_id": document_id}, {"$inc": {"count": 1}}) for _ in range(CONCURRENT)),
        *(documents.update_one({"_id": document_id}, {"$max": {"newest": n}}) for n in range(CONCURRENT)),
        *(documents.find_one_and_update({"_id": document_id}, {"$push": {"seen": n}}) for n in range(CONCURRENT)),
    )

    stored = await documents.find_one({"_id": document_id})
    assert stored is not None
    assert stored["count"] == CONCURRENT
    assert stored["newest"] == CONCURRENT - 1
    assert sorted(stored["seen"]) == list(range(CONCURRENT))
    await documents.delete_one({"_id": document_id})


async def test_only_one_of_many_conditional_changes_wins(infra: Infra, mongo: AsyncMongoClient) -> None:
    """Closing only a live conversation, claiming only an unclaimed entry: among commands racing
    to move a document out of a state, exactly one finds it in that state."""
    documents = mongo[infra.mongo_db]["atomicity_checks"]
    document_id = f"a_{uuid.uuid4().hex}"
    await documents.insert_one({"_id": document_id, "status": "open", "touched": 0})

    async def close(closer: int) -> bool:
        found = await documents.find_one_and_update(
            {"_id": document_id, "status": "open"},
            {"$set": {"status": "closed", "closed_by": closer}},
            return_document=ReturnDocument.AFTER,
        )
        return found is not None

    async def touch() -> None:  # a message's bookkeeping, racing with the closes
        await documents.update_one({"_id": document_id}, {"$inc": {"touched": 1}})

    outcomes = await asyncio.gather(*(close(n) for n in range(CONCURRENT)), *(touch() for _ in range(CONCURRENT)))

    assert sum(1 for outcome in outcomes[:CONCURRENT] if outcome) == 1
    stored = await documents.find_one({"_id": document_id})
    assert stored is not None
    assert stored["status"] == "closed" and stored["touched"] == CONCURRENT
    await documents.delete_one({"_id": document_id})
