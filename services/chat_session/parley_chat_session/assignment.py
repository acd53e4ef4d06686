"""Picking an operator for a new conversation: online ones first, least busy first."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from parley.bus import Bus
from parley.contracts.commands import LookupNodes, NodesOfUsers


class OperatorPicker:
    def __init__(self, db: AsyncDatabase, bus: Bus) -> None:
        self._conversations = db["conversations"]
        self._bus = bus

    async def pick(self, channel: dict[str, Any]) -> str | None:
        """The online operator of the channel with the fewest open conversations, or None."""
        operator_ids: list[str] = channel.get("operator_ids", [])
        if not operator_ids:
            return None
        reply = await self._bus.request(LookupNodes(user_ids=operator_ids))
        online = {user for users in NodesOfUsers.model_validate(reply).nodes.values() for user in users}
        candidates = [operator for operator in operator_ids if operator in online]
        if not candidates:
            return None
        loads = {
            operator: await self._conversations.count_documents({"operator_id": operator, "status": "open"})
            for operator in candidates
        }
        # Ties go to the operator listed first on the channel, so the choice is deterministic.
        return min(candidates, key=lambda operator: (loads[operator], candidates.index(operator)))
