"""Who may do what to a conversation or a channel: every access rule of chat_session, in one place.

The rules are small functions on stored documents (a member of the conversation, an operator of
the channel, the conversation's visitor), used by the bus commands (posting, closing, history,
seen and typing) and by :class:`HttpChecks`, the resource checks the HTTP endpoint table names
(``Access.check`` in :mod:`parley_chat_session.http.endpoints`): parley.http_api runs the named
check after the token and its role, before the query, the body and the handler.

A refusal is NOT_A_MEMBER (9101, HTTP 403); an id that names nothing is UNKNOWN_CONVERSATION or
UNKNOWN_CHANNEL (404), answered before the rule, as the handlers did before the rules moved here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import origin_allowed
from parley.http_api import Call
from parley.tokens import Claims
from parley_chat_session.conversations.conversation import Conversation

if TYPE_CHECKING:
    from parley_chat_session.channels.store import Channel, Channels
    from parley_chat_session.conversations.conversation_store import ConversationStore
    from parley_chat_session.conversations.sessions import Sessions

NOT_AN_OPERATOR_OF_THE_CHANNEL = "you are not an operator of this channel"


def is_member(doc: Conversation, user_id: str) -> bool:
    """Whether ``user_id`` is a member of the stored conversation ``doc`` now."""
    return user_id in doc.member_ids


def require_member(doc: Conversation, user_id: str) -> None:
    if not is_member(doc, user_id):
        raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not a member of this conversation")


def require_reader(doc: Conversation, claims: Claims) -> None:
    """A conversation's transcript is read by its members and by admins."""
    if claims.role != "admin":
        require_member(doc, claims.sub)


def is_channel_operator(channel: Channel, user_id: str) -> bool:
    """Whether ``user_id`` serves ``channel`` now (read fresh: a removal ends access at once)."""
    return user_id in channel.operator_ids


def require_channel_operator(channel: Channel, user_id: str, message: str = NOT_AN_OPERATOR_OF_THE_CHANNEL) -> None:
    if not is_channel_operator(channel, user_id):
        raise ParleyError(ErrorCode.NOT_A_MEMBER, message)


def require_channel_staff(channel: Channel, claims: Claims) -> None:
    """A channel's settings, operators, queue and canned responses: admins, and its operators."""
    if claims.role != "admin":
        require_channel_operator(channel, claims.sub)


def require_visitor(visitor_id: str, user_id: str) -> None:
    """What only the conversation's visitor gives (their e-mail for the transcript)."""
    if user_id != visitor_id:
        raise ParleyError(ErrorCode.NOT_A_MEMBER, "only the conversation's visitor gives their e-mail")


def require_allowed_origin(channel: Channel, origin: str | None) -> None:
    """A browser page may open the channel's sessions only from an origin the channel lists (when
    it lists any: an empty list leaves the gateway's global list in force). Apps send no Origin."""
    allowed = channel.allowed_origins
    if origin is not None and allowed and not origin_allowed(origin, allowed):
        raise ParleyError(
            ErrorCode.ORIGIN_NOT_ALLOWED, f"channel {channel.id!r} may not be embedded on {origin[:200]!r}"
        )


class HttpChecks:
    """The resource checks of the HTTP endpoints, each ``async (call) -> None``: the path's
    channel or conversation is read, and the caller refused unless the rule admits them."""

    def __init__(self, store: ConversationStore, channels: Channels, sessions: Sessions) -> None:
        self._store = store
        self._channels = channels
        self._sessions = sessions

    async def channel_staff(self, call: Call) -> None:
        """Admins, and operators of the channel ``{channel_id}``."""
        require_channel_staff(await self._channels.get(call.param("channel_id")), call.user)

    async def offline_request_sender(self, call: Call) -> None:
        """A visitor writing to an existing channel from a page the channel may be embedded on."""
        channel = await self._channels.get(call.param("channel_id"))
        require_allowed_origin(channel, call.request.headers.get("Origin"))

    async def conversation_reader(self, call: Call) -> None:
        """Admins, and members of the conversation ``{conversation_id}``."""
        require_reader(await self._store.get(call.param("conversation_id")), call.user)

    async def conversation_channel_operator(self, call: Call) -> None:
        """Operators of the channel of the conversation ``{conversation_id}``."""
        doc = await self._store.get(call.param("conversation_id"))
        require_channel_operator(await self._channels.get(doc.channel_id), call.user.sub)

    async def conversation_visitor(self, call: Call) -> None:
        """The visitor of the conversation ``{conversation_id}``, stored or still a temporary session."""
        require_visitor(await self._sessions.visitor_of(call.param("conversation_id")), call.user.sub)
