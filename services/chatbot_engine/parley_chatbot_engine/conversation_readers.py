"""Who may read a conversation's bot state: admins, and operators of the conversation's channel.

The state holds what the visitor typed (free-text answers, their e-mail), so an operator of
another channel must not read it. chatbot_engine does not know channels' operators: it asks
chat_session, which owns them, over the bus (``chat_session.conversation_access``).

Not cached: the state is read by hand from a console or an integration, one request at a time,
never on the message path, so a bus round trip (a few ms) costs nothing worth saving, and an
answer kept even a few seconds would let an operator just removed from the channel read on.
"""

from __future__ import annotations

import re

from parley.bus import Bus
from parley.contracts.commands import GetConversationAccess
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http_api import Call

# The shape of a conversation id (parley.contracts.messages.ConversationId): a path parameter
# of another shape names no conversation, and must not reach the bus contract as one.
CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ConversationReaders:
    """The resource check of ``GET /chatbot/conversations/{conversation_id}`` (api.ENDPOINTS)."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def may_read_bot_state(self, call: Call) -> None:
        """Return if the caller may read the conversation's bot state; raise NOT_A_MEMBER (403)
        otherwise, UNKNOWN_CONVERSATION (404) when there is no such conversation."""
        claims, conversation_id = call.user, call.param("conversation_id")
        if CONVERSATION_ID.fullmatch(conversation_id) is None:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, "no conversation has this id")
        if claims.role == "admin":
            return
        reply = await self._bus.request(GetConversationAccess(conversation_id=conversation_id, user_id=claims.sub))
        if not reply.channel_operator:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not an operator of this conversation's channel")
