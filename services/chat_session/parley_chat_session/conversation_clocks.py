"""The two clocks of a conversation, kept as deadlines in Redis so they outlive a restart.

* response: an assigned operator must answer the visitor within the channel's response target;
  it starts when the operator is assigned or the visitor speaks unanswered, and stops when the
  operator answers.
* inactivity: the conversation closes after the channel's inactivity timeout without a message.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import redis.asyncio as redis

from parley_chat_session.channels import DEFAULT_INACTIVITY_MINUTES, DEFAULT_RESPONSE_TARGET_SECONDS
from parley_chat_session.deadlines import DeadlineSet


def response_target(channel: dict[str, Any]) -> float:
    return float(channel.get("response_target_seconds", DEFAULT_RESPONSE_TARGET_SECONDS))


def inactivity_seconds(channel: dict[str, Any]) -> float:
    return float(channel.get("inactivity_timeout_minutes", DEFAULT_INACTIVITY_MINUTES)) * 60


class ConversationClocks:
    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self.response = DeadlineSet(client, f"{key_prefix}chat:deadlines:response")
        self.inactivity = DeadlineSet(client, f"{key_prefix}chat:deadlines:inactivity")

    async def awaiting_operator(self, conversation_id: str, channel: dict[str, Any], since: datetime) -> None:
        """The visitor waits for the operator's answer since ``since`` (an earlier deadline stays)."""
        await self.response.arm(conversation_id, since.timestamp() + response_target(channel), keep_earlier=True)

    async def restart_response(self, conversation_id: str, channel: dict[str, Any]) -> None:
        """A (new) operator was assigned: their full response target starts now."""
        await self.response.arm(conversation_id, time.time() + response_target(channel))

    async def operator_answered(self, conversation_id: str) -> None:
        await self.response.disarm(conversation_id)

    async def activity(self, conversation_id: str, channel: dict[str, Any]) -> None:
        timeout = inactivity_seconds(channel)
        if timeout > 0:
            await self.inactivity.arm(conversation_id, time.time() + timeout)

    async def stop(self, conversation_id: str) -> None:
        await self.response.disarm(conversation_id)
        await self.inactivity.disarm(conversation_id)
