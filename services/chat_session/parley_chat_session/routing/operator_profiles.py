"""Display names of operators, for notices ("Olivia joined") and ``/transfer <name>``.

Accounts belong to auth; chat_session learns a name from the admin who adds an operator to a
channel and from the operator's own token whenever they act, and keeps it here.
"""

from __future__ import annotations

from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import MongoDatabase

# Shown when an operator has not acted yet and the admin gave no name.
UNKNOWN_NAME = "An operator"


class OperatorProfiles:
    def __init__(self, db: MongoDatabase) -> None:
        self._collection = db["operator_profiles"]
        self._known: dict[str, str] = {}  # skips rewriting a name that did not change

    async def remember(self, user_id: str, name: str) -> None:
        if not name or self._known.get(user_id) == name:
            return
        await self._collection.update_one({"_id": user_id}, {"$set": {"name": name}}, upsert=True)
        self._known[user_id] = name

    async def names(self, user_ids: list[str]) -> dict[str, str]:
        found = {doc["_id"]: doc["name"] async for doc in self._collection.find({"_id": {"$in": user_ids}})}
        self._known.update(found)
        return {user: found.get(user, UNKNOWN_NAME) for user in user_ids}

    async def name(self, user_id: str) -> str:
        """One operator's name, from memory when known (assignment is on a visitor's critical path);
        a rename made through another replica shows here once this one next reads the names."""
        known = self._known.get(user_id)
        return known if known is not None else (await self.names([user_id]))[user_id]

    async def resolve(self, operator_ids: list[str], wanted: str) -> str:
        """The operator of ``operator_ids`` that ``wanted`` names: their id, full name, or a unique name prefix."""
        if wanted in operator_ids:
            return wanted
        names = await self.names(operator_ids)
        folded = wanted.casefold()
        exact = [user for user, name in names.items() if name.casefold() == folded]
        if len(exact) == 1:
            return exact[0]
        prefixed = [user for user, name in names.items() if name.casefold().startswith(folded)]
        if len(prefixed) == 1:
            return prefixed[0]
        if len(exact) > 1 or len(prefixed) > 1:
            matching = ", ".join(sorted(f"{names[user]} ({user})" for user in (exact or prefixed)))
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{wanted!r} names several operators: {matching}; use the id")
        raise ParleyError(ErrorCode.BAD_ARGUMENT, f"no operator of this channel is called {wanted!r}")
