"""A transcript as readable, e-mail-ready HTML (inline styles, one table) and as plain text.

Every piece of user text goes through :func:`html.escape`: a visitor's ``<script>`` is shown,
never run, in the admin's browser or the visitor's mail client.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

from parley.contracts.messages import ActionBody, AttachedFile, FileBody, Message
from parley_chat_session.conversations.conversation_views import ConversationDetail

_CELL = "padding:6px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top;font-size:14px;"
_MUTED = "color:#6b7280;font-size:12px;"

# A file's download link and its thumbnail's (None: no thumbnail), signed for the reader; None
# where the transcript leaves the service (an e-mail outlives any link).
LinkMaker = Callable[[AttachedFile], tuple[str, str | None]]


def body_text(message: Message) -> str:
    """A message's body as text: an action shows its meaning and parameters, a bot's rich content
    its text (or title, caption...), else its kind."""
    body = message.body
    if isinstance(body, str):
        return body
    if isinstance(body, ActionBody):
        return f"[{body.meaning}] {json.dumps(body.params, ensure_ascii=False, sort_keys=True)}"
    if isinstance(body, FileBody):
        names = ", ".join(f"{file.name} ({file.content_type}, {file.size} bytes)" for file in body.files)
        return f"{body.text}\n[files: {names}]" if body.text else f"[files: {names}]"
    for field in ("text", "title", "caption", "name", "alt"):
        value = getattr(body, field, None)
        if value:
            return str(value)
    return f"[{getattr(body, 'kind', 'content')}]"


def _author(message: Message) -> str:
    return message.author_name or message.author_role.capitalize()


def _files_html(body: FileBody, links: LinkMaker) -> str:
    """Each file as a link, an image as its thumbnail inside the link (links are short-lived)."""
    items = []
    for file in body.files:
        url, thumbnail = links(file)
        label = escape(f"{file.name} ({file.size} bytes)")
        shown = (
            f'<img src="{escape(thumbnail)}" alt="{escape(file.name)}" style="max-width:320px;">'
            if thumbnail
            else label
        )
        items.append(f'<a href="{escape(url)}" rel="noopener noreferrer">{shown}</a>')
    caption = escape(body.text).replace("\n", "<br>") + "<br>" if body.text else ""
    return caption + "<br>".join(items)


def _row(message: Message, links: LinkMaker | None = None) -> str:
    when = message.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(message.body, FileBody) and links is not None:
        text = _files_html(message.body, links)
    else:
        text = escape(body_text(message)).replace("\n", "<br>")
    if message.kind == "notice":
        text = f"<em>{text}</em>"
    elif message.kind == "erased":  # a tombstone (docs/privacy.md): its author's data was erased
        text = f'<em style="{_MUTED}">message removed</em>'
    return (
        f'<tr><td style="{_CELL}white-space:nowrap;"><strong>{escape(_author(message))}</strong>'
        f'<br><span style="{_MUTED}">{escape(message.author_role)} · {when}</span></td>'
        f'<td style="{_CELL}">{text}</td></tr>'
    )


def render_html(
    conversation: ConversationDetail, messages: list[Message], title: str, links: LinkMaker | None = None
) -> str:
    """The whole transcript as one HTML document; with ``links``, files are links and images show."""
    started = conversation.created_at.strftime("%Y-%m-%d %H:%M UTC")
    status = (
        conversation.status if conversation.closed_at is None else f"closed ({conversation.close_reason or 'closed'})"
    )
    rows = (
        "".join(_row(message, links) for message in messages)
        or f'<tr><td style="{_CELL}" colspan="2">No messages.</td></tr>'
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;color:#111827;">'
        f'<h1 style="font-size:18px;margin:0 0 4px;">{escape(title)}</h1>'
        f'<p style="{_MUTED}margin:0 0 12px;">Conversation {escape(conversation.id)} · started {started} · '
        f"{escape(status)}</p>"
        f'<table role="presentation" style="border-collapse:collapse;width:100%;max-width:720px;">{rows}</table>'
        "</body></html>"
    )


def render_text(conversation: ConversationDetail, messages: list[Message], title: str) -> str:
    """The plain-text alternative of the e-mail."""
    lines = [title, f"Conversation {conversation.id}", ""]
    lines += [
        f"[{message.created_at:%Y-%m-%d %H:%M:%S}] {_author(message)}: {body_text(message)}" for message in messages
    ]
    return "\n".join(lines) + "\n"
