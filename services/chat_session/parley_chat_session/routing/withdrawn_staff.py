"""Staff routing must never pick: accounts auth disabled or deleted (see staff_withdrawal)."""

from __future__ import annotations

from datetime import UTC, datetime

from parley.stores import MongoDatabase


class WithdrawnStaff:
    """The ``withdrawn_operators`` collection: staff routing must not pick (disabled or deleted)."""

    def __init__(self, db: MongoDatabase) -> None:
        self._withdrawn = db["withdrawn_operators"]

    async def add(self, user_id: str, deleted: bool) -> None:
        await self._withdrawn.update_one(
            {"_id": user_id}, {"$set": {"since": datetime.now(UTC), "deleted": deleted}}, upsert=True
        )

    async def remove(self, user_id: str) -> None:
        await self._withdrawn.delete_one({"_id": user_id, "deleted": {"$ne": True}})

    async def among(self, user_ids: list[str]) -> set[str]:
        """Which of these are withdrawn (by _id: the lookup every MongoDB-wire server indexes)."""
        if not user_ids:
            return set()
        return {doc["_id"] async for doc in self._withdrawn.find({"_id": {"$in": user_ids}}, {"_id": 1})}
