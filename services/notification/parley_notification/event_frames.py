"""The server frames notification builds or passes on (pure: no I/O), from the frame contracts.

Conversation frames are built by chat_session (parley_chat_session.announcements)."""

from __future__ import annotations

from typing import Any

from parley.contracts.base import Model
from parley.contracts.events import PresenceChanged
from parley.contracts.frames import SERVER_FRAME_DATA, PresenceUpdate

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


def presence(event: PresenceChanged) -> Frame:
    return frame("presence", PresenceUpdate(user_id=event.user_id, status=event.status, available=event.available))
