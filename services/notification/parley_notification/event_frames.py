"""The server frames notification builds itself (pure: no I/O), from the frame contracts.

Conversation frames are built by chat_session (parley_chat_session.conversations.announcements) and
chatbot_engine; notification passes those on as the typed frames ``client.frame`` carries."""

from __future__ import annotations

from parley.contracts.events import PresenceChanged
from parley.contracts.frames import PresenceFrame, PresenceUpdate


def presence(event: PresenceChanged) -> PresenceFrame:
    return PresenceFrame(data=PresenceUpdate(user_id=event.user_id, status=event.status, available=event.available))
