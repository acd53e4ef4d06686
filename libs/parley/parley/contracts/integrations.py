"""What the conversation side tells outside systems, and what it learns about external bots (issue 20).

The integrations service owns every outbound HTTP call (docs/webhooks.md, docs/bots.md): the
registry of external bots and webhook subscriptions, the durable outbox, signing, retries and
dead letters. The conversation side (chat_session, chatbot_engine) never calls a URL: it
publishes an ``OutboundEvent`` after the write it reports, and learns which external bot serves
a channel from ``BotChanged``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, JsonValue

from parley.contracts.base import Contract, contract

# Events a webhook subscription may choose; the bot-only ones go to a conversation's bot alone.
SubscribableEventType = Literal[
    "conversation.created",
    "conversation.assigned",
    "conversation.transferred",
    "conversation.closed",
    "message.created",
    "rating.created",
    "visitor.identified",
    "bot.handoff",
    "offline_request.created",
]
BotOnlyEventType = Literal[
    "conversation.started",
    "visitor.status",
    "answer.chosen",
    "timer.fired",
    "program.result",
    "conversation.released",
]
OutboundEventType = SubscribableEventType | BotOnlyEventType


# The qualifier of the message.created events no bot is to get (OutboundEvent.routing_key).
MESSAGES_STREAM = "messages"


@contract("integrations.outbound")
class OutboundEvent(Contract):
    """One thing that happened, for the webhooks subscribed to it and, with ``bot_id``, for that bot.

    ``event_id`` is stable: the same happening published twice (a redelivered command, a
    restarted publisher) carries the same id, and the integrations service delivers it once per
    endpoint under that id (the receiver's idempotency key)."""

    event_id: str = Field(min_length=1, max_length=200)
    event_type: OutboundEventType
    channel_id: str = Field(max_length=200)
    conversation_id: str | None = Field(None, max_length=200)
    bot_id: str | None = Field(None, max_length=200, description="Also for this bot (it controls the conversation).")
    occurred_at: datetime
    data: dict[str, JsonValue] = Field(default_factory=dict)

    def routing_key(self) -> str:
        """A message no bot is to get goes out as ``integrations.outbound.messages``: the stream of
        every chat message, which the integrations service takes only while a webhook subscribes
        to ``message.created``; every other event keeps the bare type (always taken)."""
        if self.event_type == "message.created" and self.bot_id is None:
            return f"{self.TYPE}.{MESSAGES_STREAM}"
        return self.TYPE


BotFailurePolicy = Literal["handoff", "apologise", "wait"]


@contract("integrations.bot_changed")
class BotChanged(Contract):
    """An external bot was registered, changed or removed: which channels it now serves.

    Published after the registry's write, and again for every bot when the integrations service
    starts, so a consumer that missed one converges."""

    bot_id: str = Field(max_length=200)
    account_id: str = Field(max_length=200, description="The bot's member id in conversations.")
    name: str = Field(max_length=200)
    avatar_url: str = Field("", max_length=2000)
    channel_ids: list[str] = Field(default_factory=list, max_length=1000)
    failure_policy: BotFailurePolicy = "handoff"
    active: bool = True
