"""chat_session's typed documents as its stores read them, for tests of the rules that take them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from parley_chat_session.channels.store import Channel

CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def stored_channel(channel_id: str = "ch1", **fields: Any) -> Channel:
    """A channel read from its document, with ``fields`` stored on it (the rest left out)."""
    return Channel.from_document(
        {"_id": channel_id, "name": "Support", "created_at": CREATED, "updated_at": CREATED, **fields}
    )
