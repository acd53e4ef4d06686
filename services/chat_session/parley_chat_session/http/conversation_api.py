"""HTTP handlers of the conversation and transcript API, and the OpenAPI document.

Who may read a conversation (its members and admins) and give its visitor's e-mail (its visitor)
is checked before the handler runs, from the endpoint table (:mod:`parley_chat_session.http.endpoints`)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from parley.bus import Bus
from parley.contracts.commands import Caller, GetUserStatus
from parley.contracts.errors import ParleyError
from parley.http import json_response
from parley.http_api import Call
from parley.logs import get_logger
from parley.tokens import Claims
from parley.tokens import caller_of as caller_of_claims
from parley_chat_session.channels.store import Channels
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_views import ConversationDetail, ConversationList, MessagePage
from parley_chat_session.conversations.member_state import MemberState
from parley_chat_session.conversations.sessions import Sessions
from parley_chat_session.http.openapi import openapi_yaml
from parley_chat_session.routing.assignment import PRESENCE_TIMEOUT_SECONDS
from parley_chat_session.transcripts.reading import Transcripts
from parley_chat_session.transcripts.transcript_html import LinkMaker, render_html

log = get_logger("parley.chat_session")


def caller_of(call: Call) -> Caller:
    return caller_of_claims(call.user)


class ConversationApi:
    def __init__(
        self,
        transcripts: Transcripts,
        members: MemberState,
        sessions: Sessions,
        channels: Channels,
        bus: Bus,
        file_links: Callable[[Claims, str], LinkMaker] | None = None,
    ) -> None:
        self.transcripts = transcripts
        self.bus = bus
        # Signed links for the reader of an HTML transcript (FilesApi.link_maker).
        self.file_links = file_links
        self.members = members
        self.sessions = sessions
        self.channels = channels
        self._openapi = openapi_yaml()

    async def _conversation(self, call: Call) -> Conversation:
        return await self.transcripts.conversation(call.param("conversation_id"))

    async def search(self, call: Call) -> ConversationList:
        return await self.transcripts.search(call.query)

    async def mine(self, call: Call) -> ConversationList:
        listed = await self.members.conversations_of(caller_of(call), call.query.include_closed)
        return ConversationList(conversations=listed)

    async def get_conversation(self, call: Call) -> ConversationDetail:
        doc = await self._conversation(call)
        detail = await self.transcripts.detail(doc)
        return await self._with_presence(detail) if doc.status != "closed" else detail

    async def _with_presence(self, detail: ConversationDetail) -> ConversationDetail:
        """Each member's presence now: presence frames tell only changes, so a console that joins
        or reloads a conversation learns here whether its visitor is there (best effort)."""
        try:
            reply = await self.bus.request(
                GetUserStatus(user_ids=[member.user_id for member in detail.members]),
                timeout=PRESENCE_TIMEOUT_SECONDS,
            )
        except ParleyError as error:
            log.warning("chat_session.presence_unanswered", error=error.message)
            return detail
        members = [
            member.model_copy(update={"presence": reply.statuses.get(member.user_id)}) for member in detail.members
        ]
        return detail.model_copy(update={"members": members})

    async def messages(self, call: Call) -> MessagePage:
        return await self.transcripts.page(await self._conversation(call), call.query)

    async def transcript_json(self, call: Call) -> web.Response:
        doc = await self._conversation(call)
        disposition = f'attachment; filename="transcript-{doc.id}.json"'
        return json_response(await self.transcripts.transcript(doc), headers={"Content-Disposition": disposition})

    async def transcript_html(self, call: Call) -> web.Response:
        doc = await self._conversation(call)
        transcript = await self.transcripts.transcript(doc)
        channel = await self.channels.get(doc.channel_id, archived_too=True)
        title = f"Conversation on {channel.name}"
        links = self.file_links(call.user, doc.id) if self.file_links is not None else None
        html = render_html(transcript.conversation, transcript.messages, title, links)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def set_email(self, call: Call) -> None:
        await self.sessions.set_visitor_email(caller_of(call), call.param("conversation_id"), call.body.email)

    async def openapi(self, _call: Call) -> web.Response:
        return web.Response(text=self._openapi, content_type="application/yaml", charset="utf-8")
