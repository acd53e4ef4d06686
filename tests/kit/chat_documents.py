"""chat_session's typed documents as its stores read them, for tests of the rules that take them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from parley_chat_session.channels.store import Channel
from parley_chat_session.conversations.conversation import Conversation

CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def stored_channel(channel_id: str = "ch1", **fields: Any) -> Channel:
    """A channel read from its document, with ``fields`` stored on it (the rest left out)."""
    return Channel.from_document(
        {"_id": channel_id, "name": "Support", "created_at": CREATED, "updated_at": CREATED, **fields}
    )


def stored_conversation(conversation_id: str = "c1", **fields: Any) -> Conversation:
    """An open conversation read from its document, with ``fields`` stored on it (the rest left out)."""
    return Conversation.from_document(
        {
            "_id": conversation_id,
            "channel_id": "ch1",
            "visitor_id": "v1",
            "status": "open",
            "created_at": CREATED,
            **fields,
        }
    )


def history_line(event: str = "opened", user_id: str = "v1") -> dict[str, Any]:
    """One stored line of a conversation's log."""
    return {"at": CREATED, "event": event, "user_id": user_id}
