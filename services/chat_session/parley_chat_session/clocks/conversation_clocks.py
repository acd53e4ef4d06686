"""The two clocks of a conversation, kept as deadlines in Redis so they outlive a restart.

* response: an assigned operator must answer the visitor within the channel's response target;
  it starts when the operator is assigned or the visitor speaks unanswered, and stops when the
  operator answers.
* inactivity: the conversation closes after the channel's inactivity timeout without a message.

Both are derived from what MongoDB keeps (``awaiting_reply_since``, ``last_activity_at``), so when
Redis loses them (restarted without persistence, failed over to an empty replica, flushed) they
are rebuilt from the open conversations: a marker key says they are indexed on this Redis, and
is gone with the rest (``DeadlineWatch`` checks it at every poll, like the chatbot timers' index).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

import redis.asyncio as redis

from parley_chat_session.channels.store import Channel
from parley_chat_session.clocks.deadlines import DeadlineSet

# What a message does to the operator's response clock (posting.reply_clock).
ResponseChange = Literal["start", "stop"] | None
# The channel of a conversation (archived ones too), or None if it no longer exists.
ChannelLookup = Callable[[str], Awaitable[Channel | None]]


def inactivity_seconds(channel: Channel) -> float:
    return channel.inactivity_timeout_minutes * 60


class ConversationClocks:
    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self.response = DeadlineSet(client, f"{key_prefix}chat:deadlines:response")
        self.inactivity = DeadlineSet(client, f"{key_prefix}chat:deadlines:inactivity")
        self._redis = client
        self._marker = f"{key_prefix}chat:deadlines:indexed"

    async def indexed(self) -> bool:
        """Whether the deadlines were built on this Redis (False after it lost its data)."""
        return bool(await self._redis.exists(self._marker))

    async def rebuild(self, pages: AsyncIterator[list[dict[str, Any]]], channels: ChannelLookup) -> int:
        """Arm the deadlines of the open conversations (pages of their clock fields) where none is
        armed, then mark them indexed; returns how many deadlines those conversations have."""
        restored = 0
        async for page in pages:
            response: dict[str, float] = {}
            inactivity: dict[str, float] = {}
            for doc in page:
                channel = await channels(doc["channel_id"])
                if channel is None:
                    continue
                if doc.get("operator_id") and doc.get("awaiting_reply_since") is not None:
                    response[doc["_id"]] = doc["awaiting_reply_since"].timestamp() + channel.response_target_seconds
                if inactivity_seconds(channel) > 0 and doc.get("last_activity_at") is not None:
                    inactivity[doc["_id"]] = doc["last_activity_at"].timestamp() + inactivity_seconds(channel)
            await self.response.restore(response)
            await self.inactivity.restore(inactivity)
            restored += len(response) + len(inactivity)
        await self._redis.set(self._marker, "1")
        return restored

    async def restart_response(self, conversation_id: str, channel: Channel) -> None:
        """A (new) operator was assigned: their full response target starts now."""
        await self.response.arm(conversation_id, time.time() + channel.response_target_seconds)

    async def operator_answered(self, conversation_id: str) -> None:
        await self.response.disarm(conversation_id)

    async def after_message(
        self, conversation_id: str, channel: Channel, *, open_: bool, response: ResponseChange, at: datetime
    ) -> None:
        """A message stored at ``at``: the inactivity clock restarts (``open_``: the conversation
        is open), and the response clock starts (``keep_earlier``: an earlier deadline stays) or
        stops; one round trip for both sets."""
        async with self._redis.pipeline(transaction=False) as pipe:
            timeout = inactivity_seconds(channel)
            if open_ and timeout > 0:
                self.inactivity.arm_in(pipe, conversation_id, time.time() + timeout)
            if response == "start":
                deadline = at.timestamp() + channel.response_target_seconds
                self.response.arm_in(pipe, conversation_id, deadline, keep_earlier=True)
            elif response == "stop":
                self.response.disarm_in(pipe, conversation_id)
            if len(pipe):
                await pipe.execute()

    async def activity(self, conversation_id: str, channel: Channel) -> None:
        timeout = inactivity_seconds(channel)
        if timeout > 0:
            await self.inactivity.arm(conversation_id, time.time() + timeout)

    async def stop(self, conversation_id: str) -> None:
        await self.response.disarm(conversation_id)
        await self.inactivity.disarm(conversation_id)
