"""``OutboundEvent``s for webhooks and external bots, built from what chat_session just stored.

Published by the :class:`Announcer` after the write it reports, like every other event. Each
``event_id`` is derived from the happening, never drawn at random: the conversation and the
message's seq, the history entry's position, the bot's idempotency key. So when a retried
command (a redelivery after a crash between the write and the publish, a client's resend with
the same ``client_msg_id``, a bot's retry with the same idempotency key) finds its write done and
announces it again, the event carries the same id, and the integrations service delivers it
once per endpoint (docs/bots.md, "No event lost").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import JsonValue

from parley.contracts.integrations import OutboundEvent, OutboundEventType
from parley.contracts.messages import Message
from parley_chat_session.agents.controller import agent_of, bot_controlling, controller_of
from parley_chat_session.conversations.conversation import Conversation

# Reasons of conversation.updated that outside systems subscribe to, as their event type.
UPDATE_EVENTS: dict[str, OutboundEventType] = {
    "assigned": "conversation.assigned",
    "transferred": "conversation.transferred",
    "reassigned": "conversation.transferred",
}
# Reasons an operator stopped holding a conversation that goes back to the queue: its external
# bot is told (conversation.released), for it may take the conversation back (docs/bots.md).
RELEASE_REASONS = frozenset({"operator_left", "operator_removed"})


def _summary(doc: Conversation) -> dict[str, JsonValue]:
    return {
        "visitor_id": doc.visitor_id,
        "status": doc.status,
        "operator_id": doc.operator_id,
        "controller": controller_of(doc),
    }


def event(
    doc: Conversation,
    event_type: OutboundEventType,
    happening: str,
    data: Mapping[str, Any] | None = None,
    *,
    bot_id: str | None = None,
    occurred_at: datetime | None = None,
) -> OutboundEvent:
    """The event of ``happening`` (what makes its id unique within the conversation)."""
    return OutboundEvent(
        event_id=f"ev_{doc.id}_{event_type}_{happening}",
        event_type=event_type,
        channel_id=doc.channel_id,
        conversation_id=doc.id,
        bot_id=bot_id,
        occurred_at=occurred_at or datetime.now(UTC),
        data={**_summary(doc), **(data or {})},
    )


def created(doc: Conversation) -> list[OutboundEvent]:
    """conversation.created (and visitor.identified for a signed identity) for every subscriber;
    conversation.started for its bot, if it has it."""
    events = [event(doc, "conversation.created", "0", occurred_at=doc.created_at)]
    if doc.visitor_verified:  # the channel's site signed who the visitor is (docs/client.md)
        data = {"visitor_name": doc.visitor_name}
        events.append(event(doc, "visitor.identified", "verified", data, occurred_at=doc.created_at))
    bot_id = bot_controlling(doc)
    if bot_id is not None:
        location = doc.visitor_location.model_dump(mode="json") if doc.visitor_location is not None else None
        events.append(
            event(
                doc,
                "conversation.started",
                "0",
                {"location": location},
                bot_id=bot_id,
                occurred_at=doc.created_at,
            )
        )
    return events


def message_created(doc: Conversation, message: Message) -> OutboundEvent:
    """message.created; the bot gets the visitor's messages only while it controls the conversation."""
    bot_id = bot_controlling(doc) if message.author_role == "visitor" else None
    return event(
        doc,
        "message.created",
        str(message.seq),
        {
            # The fields a receiver reads first, flat (docs/webhooks.md's example), then the whole message.
            "seq": message.seq,
            "sender_id": message.author_id,
            "sender_role": message.author_role,
            "text": message.body if isinstance(message.body, str) else "",
            "message": message.model_dump(mode="json"),
        },
        bot_id=bot_id,
        occurred_at=message.created_at,
    )


def updated(doc: Conversation, reason: str) -> list[OutboundEvent]:
    """The subscribable event of this change, if it has one; conversation.released for the
    conversation's bot when a human let go of it and nobody holds it."""
    happening = str(len(doc.history))
    events = []
    event_type = UPDATE_EVENTS.get(reason)
    if event_type is not None:
        events.append(event(doc, event_type, happening, {"reason": reason}))
    bot_id = agent_of(doc)
    if reason in RELEASE_REASONS and bot_id is not None and controller_of(doc) == "queued":
        events.append(event(doc, "conversation.released", happening, {"reason": reason}, bot_id=bot_id))
    return events


def closed(doc: Conversation) -> OutboundEvent:
    data: dict[str, JsonValue] = {"closed_by": doc.closed_by, "reason": doc.close_reason}
    return event(doc, "conversation.closed", "0", data, occurred_at=doc.closed_at)


def rated(doc: Conversation, rating: int, comment: str) -> OutboundEvent:
    """A rating again with other words is another event; the same one retried is the same."""
    digest = hashlib.sha256(f"{rating}:{comment}".encode()).hexdigest()[:16]
    return event(doc, "rating.created", digest, {"rating": rating, "comment": comment})
