"""Operators: the manual available/busy toggle and the load chat_session assigns by.

Load is the number of open conversations assigned to an operator. Presence does not read
chat_session's MongoDB collections: it keeps, in Redis, the set of open conversations of each
operator, fed by the ``conversation.updated`` and ``conversation.closed`` events chat_session
publishes (``op:<id>:load``; a set, so a redelivered event counts once, and a closed
conversation leaves a tombstone so a late "open" cannot count it again).
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

    async def conversation_changed(self, conversation_id: str, status: str, operator_id: str | None) -> None:
        await self.scripts.run("conversation", conversation_id, status, operator_id or "")

    async def states(self, operator_ids: list[str]) -> list[OperatorState]:
        """Status, toggle and load of each operator, in one round trip."""
        unique = list(dict.fromkeys(operator_ids))
        prefix = self.scripts.prefix
        async with self.scripts.redis.pipeline(transaction=False) as pipe:
            for user_id in unique:
                pipe.get(f"{prefix}user:{user_id}:status")
                pipe.get(f"{prefix}op:{user_id}:available")
                pipe.scard(f"{prefix}op:{user_id}:load")
            replies = await pipe.execute()
        return [
            OperatorState(
                user_id=user_id,
                status=cast(Status, replies[3 * i] or "offline"),
                available=replies[3 * i + 1] != "0",
                load=int(replies[3 * i + 2]),
            )
            for i, user_id in enumerate(unique)
        ]

    async def available(self, operator_ids: list[str]) -> list[OperatorState]:
        """The online operators toggled available, least loaded first (ties: the order asked)."""
        states = [state for state in await self.states(operator_ids) if state.status == "online" and state.available]
        return sorted(states, key=lambda state: state.load)
