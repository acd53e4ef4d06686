"""What a web push says, encoded to fit one encrypted push record.

The service worker receives this JSON (decrypted by the browser) and shows a notification; the
``tag`` lets it replace the previous notice of the same conversation instead of stacking them.
"""

from __future__ import annotations

from typing import Literal

import orjson
from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.bot import TextContent
from parley.contracts.messages import ActionBody, FileBody, Message

# RFC 8291: a push message is one aes128gcm record of at most 4096 bytes, of which 86 are the
# header (16 salt, 4 record size, 1 + 65 key id), 16 the AEAD tag and 1 the padding delimiter.
MAX_PAYLOAD_BYTES = 4096 - 86 - 16 - 1
ELLIPSIS = "…"


class PushNotice(Model):
    """Unread messages of one conversation, merged into one notice: the decrypted payload of every
    push (what the service worker receives)."""

    type: Literal["message"] = "message"
    conversation_id: str
    seq: int = Field(description="The newest unread message's seq.")
    count: int = Field(description="Unread messages of the conversation merged into this push.")
    author_name: str
    title: str = Field(description='The author\'s name, or "3 new messages".')
    body: str = Field(description="The newest message's text, cut (with …) to fit one push record.")
    tag: str = Field(description='"parley:<conversation_id>": the notification tag to replace.')


def preview_of(message: Message) -> str:
    """The line a notification shows for a message."""
    body = message.body
    if isinstance(body, str):
        return body
    if isinstance(body, ActionBody):
        return f"[{body.meaning}]"
    if isinstance(body, FileBody):
        return body.text or f"[{', '.join(file.name for file in body.files)}]"
    # A bot's rich content: its text when it is a text, else its kind (a card, a menu...).
    return body.text if isinstance(body, TextContent) else f"[{body.kind}]"


def notice_for(conversation_id: str, seq: int, count: int, author_name: str, preview: str) -> PushNotice:
    title = author_name or "New message"
    if count > 1:
        title = f"{count} new messages"
        preview = f"{author_name}: {preview}" if author_name else preview
    return PushNotice(
        conversation_id=conversation_id,
        seq=seq,
        count=count,
        author_name=author_name,
        title=title,
        body=preview,
        tag=f"parley:{conversation_id}",
    )


def encode_notice(notice: PushNotice) -> bytes:
    """The JSON of the notice, its text shortened (on a character boundary) to fit one record."""
    encoded = orjson.dumps(notice.model_dump())
    if len(encoded) <= MAX_PAYLOAD_BYTES:
        return encoded
    body = notice.body
    low, high = 0, len(body)  # the longest prefix of body that fits: binary search on characters
    while low < high:
        middle = (low + high + 1) // 2
        if len(_with_body(notice, body[:middle] + ELLIPSIS)) <= MAX_PAYLOAD_BYTES:
            low = middle
        else:
            high = middle - 1
    encoded = _with_body(notice, body[:low] + ELLIPSIS)
    if len(encoded) > MAX_PAYLOAD_BYTES:  # the rest alone is too long (an absurd author name)
        encoded = _with_body(notice.model_copy(update={"author_name": "", "title": ""}), ELLIPSIS)
    return encoded


def _with_body(notice: PushNotice, body: str) -> bytes:
    return orjson.dumps({**notice.model_dump(), "body": body})
