"""Operators: the manual available/busy toggle, and which operators are online and available.

An operator's load (open conversations assigned) is chat_session's alone: it counts them where
conversations live (``ConversationStore.loads``) when it picks an operator. Presence answers
only who could take one.
"""

from __future__ import annotations

from typing import cast

from parley.contracts.commands import OperatorState
from parley_presence.scripts import Change, PresenceScripts, Status


class Operators:
    def __init__(self, scripts: PresenceScripts) -> None:
        self.scripts = scripts

    async def set_available(self, user_id: str, available: bool) -> list[Change]:
        """Store the toggle (it outlives connections: busy stays busy after a reconnect)."""
        return await self.scripts.changes("set_availability", user_id, "1" if available else "0")

    async def states(self, operator_ids: list[str]) -> list[OperatorState]:
        """Status and toggle of each operator, in one round trip."""
        unique = list(dict.fromkeys(operator_ids))
        prefix = self.scripts.prefix
        async with self.scripts.redis.pipeline(transaction=False) as pipe:
            for user_id in unique:
                pipe.get(f"{prefix}user:{user_id}:status")
                pipe.get(f"{prefix}op:{user_id}:available")
            replies = await pipe.execute()
        return [
            OperatorState(
                user_id=user_id,
                status=cast(Status, replies[2 * i] or "offline"),
                available=replies[2 * i + 1] != "0",
            )
            for i, user_id in enumerate(unique)
        ]

    async def available(self, operator_ids: list[str]) -> list[OperatorState]:
        """The online operators toggled available, in the order asked."""
        return [state for state in await self.states(operator_ids) if state.status == "online" and state.available]
