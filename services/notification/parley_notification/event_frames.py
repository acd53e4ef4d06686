"""Which server frame each bus event becomes (pure: no I/O), built from the frame contracts."""

from __future__ import annotations

from typing import Any

from parley.contracts.base import Model
from parley.contracts.events import (
    ConversationChanged,
    ConversationClosed,
    ConversationCreated,
    MemberSeenEvent,
    MessageCreated,
    PresenceChanged,
    TypingEvent,
)
from parley.contracts.frames import (
    SERVER_FRAME_DATA,
    ConversationUpdated,
    MemberSeen,
    MessageNew,
    PresenceUpdate,
    Typing,
)

Frame = dict[str, Any]


def frame(type_: str, data: Model) -> Frame:
    return {"type": type_, "data": data.model_dump(mode="json")}


def checked(raw: Frame) -> Frame:
    """A frame another service asked to deliver as is: it must be a declared, valid server frame."""
    model = SERVER_FRAME_DATA.get(str(raw.get("type")))
    if model is None:
        raise ValueError(f"client.frame carries an undeclared server frame type {raw.get('type')!r}")
    model.model_validate(raw.get("data", {}))
    return raw


def message_new(event: MessageCreated) -> Frame:
    message = event.message
    return frame("message.new", MessageNew(conversation_id=message.conversation_id, seq=message.seq, message=message))


def conversation_created(event: ConversationCreated) -> Frame:
    return frame("conversation.updated", ConversationUpdated(**event.model_dump()))


def conversation_updated(event: ConversationChanged) -> Frame:
    return frame("conversation.updated", ConversationUpdated(**event.model_dump()))


def conversation_closed(event: ConversationClosed) -> Frame:
    """A closed conversation is a ``conversation.updated`` with status closed (and its reason)."""
    return frame(
        "conversation.updated", ConversationUpdated(**event.model_dump(exclude={"closed_by"}), status="closed")
    )


def member_seen(event: MemberSeenEvent) -> Frame:
    return frame("member.seen", MemberSeen(conversation_id=event.conversation_id, user_id=event.user_id, seq=event.seq))


def typing(event: TypingEvent) -> tuple[list[str], Frame]:
    """The typing frame, for the other members only (nobody needs to see their own typing)."""
    others = [user for user in event.member_ids if user != event.user_id]
    data = Typing(conversation_id=event.conversation_id, user_id=event.user_id, name=event.name, active=event.active)
    return others, frame("typing", data)


def presence(event: PresenceChanged) -> Frame:
    return frame("presence", PresenceUpdate(user_id=event.user_id, status=event.status, available=event.available))
