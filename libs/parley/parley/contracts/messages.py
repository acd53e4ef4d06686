"""The chat message as stored and delivered, shared by commands, events and frames."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from parley.contracts.base import Model
from parley.contracts.bot import BotContent
from parley.contracts.bounded import MessageSeq, StorableObject

# Long enough for a pasted paragraph or a stack trace, short enough that one message can never
# dominate a frame, a bus message or a push payload.
MAX_TEXT_LENGTH = 4000
# Client-chosen ids are echoed back and stored in a unique index: keep them short and printable.
ClientMsgId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ConversationId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# User ids (``v_…``, ``u_…``, ``bot_<script>``) name fields of stored documents (``members.<id>``):
# no character MongoDB reads as a path or an operator.
UserId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Role = Literal["visitor", "operator", "admin", "bot"]


class ActionBody(Model):
    """bm-aichat "M" message: a program action with its meaning and parameters, as stored and
    delivered (read leniently: a message stored before the params were bounded stays readable)."""

    meaning: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    params: dict[str, Any] = Field(default_factory=dict)


class SentActionBody(ActionBody):
    """An action as a sender gives it: its params are a :data:`StorableObject`, so whatever is
    accepted can be stored as it is."""

    params: StorableObject = Field(default_factory=dict)


TextBody = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]

# The most files one message may carry, whatever a channel allows: a message stays one small
# document and one frame (each file's entry is about 200 bytes).
MAX_FILES_PER_MESSAGE = 10
# An upload's id as chat_session makes it (``f_`` and hex): nothing else reaches a query.
FileId = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=r"^f_[0-9a-f]+$")]


class AttachedFile(Model):
    """One file of a ``file`` message, as stored and delivered. Its bytes are fetched through a
    short-lived signed link (chat_session's ``GET /files/{conversation_id}/{file_id}/link``), never
    from the message itself: a link in a stored message would outlive its expiry."""

    file_id: str
    name: str = Field(description="The uploader's file name (shown, never used to decide the type).")
    size: int = Field(ge=0, description="Bytes.")
    content_type: str = Field(description="The type sniffed from the content, never the name or the client's header.")
    width: int | None = Field(None, description="Pixels, for an image.")
    height: int | None = Field(None, description="Pixels, for an image.")
    thumbnail: bool = Field(False, description="Whether a thumbnail (JPEG, at most 320 px) was made.")


class FileBody(Model):
    """What a ``file`` message carries: its files, and a caption."""

    files: list[AttachedFile] = Field(min_length=1, max_length=MAX_FILES_PER_MESSAGE)
    text: str = Field("", max_length=MAX_TEXT_LENGTH)


class SentFileBody(Model):
    """A ``file`` message as a sender gives it: the ids of its own uploads to this conversation,
    each not yet sent in a message, and a caption. chat_session fills in the rest."""

    file_ids: list[FileId] = Field(min_length=1, max_length=MAX_FILES_PER_MESSAGE)
    text: str = Field("", max_length=MAX_TEXT_LENGTH)


def check_body_fits_kind(kind: str, body: Any) -> None:
    """Refuse (ValueError) a body of another shape than its kind: ``text`` (and ``notice``) carry a
    string, ``action`` an :class:`ActionBody`, ``file`` its files, ``bot`` one bot content. Clients render by kind, so
    a message whose body disagrees with it would break every reader of the conversation."""
    if kind in ("text", "notice", "erased"):
        fits = isinstance(body, str)
    elif kind == "action":
        fits = isinstance(body, ActionBody)
    elif kind == "file":
        fits = isinstance(body, SentFileBody | FileBody)
    else:  # bot: one of the BotContent models
        fits = isinstance(body, BaseModel) and not isinstance(body, ActionBody | SentFileBody | FileBody)
    if not fits:
        wanted = {
            "text": "a string",
            "notice": "a string",
            "action": "an object with meaning and params",
            "file": "an object with file_ids",
        }
        raise ValueError(f"kind {kind} needs {wanted.get(kind, 'a bot content')} as its body")


# What an erased person's message becomes (docs/privacy.md): it keeps its seq, author id and
# time, so every other member's history stays gap-free, and loses its body and author name.
ERASED_KIND = "erased"


class Message(Model):
    """A stored message; ``seq`` is its position in the conversation (1, 2, 3, ... no gaps).

    ``erased``: a tombstone, the message of a person whose data was erased (empty body)."""

    id: str
    conversation_id: str
    seq: MessageSeq
    author_id: str
    author_role: Role
    author_name: str = ""
    kind: Literal["text", "action", "notice", "bot", "file", "erased"]
    body: str | ActionBody | FileBody | BotContent = Field(
        description="text, an action, files (kind file), rich bot content (kind bot), or empty (kind erased)"
    )
    client_msg_id: str | None = None
    created_at: datetime
