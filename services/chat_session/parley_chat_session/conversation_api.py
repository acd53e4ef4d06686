"""HTTP handlers of the conversation and transcript API, and the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from parley.contracts.commands import Caller
from parley.http import json_response, read_json
from parley.tokens import JwksVerifier, bearer_claims
from parley_chat_session.channel_api import read_query
from parley_chat_session.channels import Channels
from parley_chat_session.conversation_views import ConversationList
from parley_chat_session.http_endpoints import MineQuery, VisitorEmail
from parley_chat_session.member_state import MemberState
from parley_chat_session.openapi import openapi_yaml
from parley_chat_session.sessions import Sessions
from parley_chat_session.transcript_html import render_html
from parley_chat_session.transcripts import PageQuery, SearchQuery, Transcripts

class ConversationApi:
    def __init__(
        self, transcripts: Transcripts, members: MemberState, sessions: Sessions, channels: Channels, verifier: JwksVerifier
    ) -> None:
        self.transcripts = transcripts
        self.members = members
        self.sessions = sessions
        self.channels = channels
        self.verifier = verifier
        self._openapi = openapi_yaml()

    async def _readable(self, request: web.Request) -> dict:
        claims = await bearer_claims(request, self.verifier)
        return await self.transcripts.readable(claims, request.match_info["conversation_id"])

    async def search(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        return json_response(await self.transcripts.search(read_query(request, SearchQuery)))

    async def mine(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier)
        query = read_query(request, MineQuery)
        caller = Caller(user_id=claims.sub, role=claims.role, name=claims.name)
        listed = await self.members.conversations_of(caller, query.include_closed)
        return json_response(ConversationList(conversations=listed))

    async def get_conversation(self, request: web.Request) -> web.Response:
        return json_response(await self.transcripts.detail(await self._readable(request)))

    async def messages(self, request: web.Request) -> web.Response:
        doc = await self._readable(request)
        return json_response(await self.transcripts.page(doc, read_query(request, PageQuery)))

    async def transcript_json(self, request: web.Request) -> web.Response:
        doc = await self._readable(request)
        disposition = f'attachment; filename="transcript-{doc["_id"]}.json"'
        return json_response(await self.transcripts.transcript(doc), headers={"Content-Disposition": disposition})

    async def transcript_html(self, request: web.Request) -> web.Response:
        doc = await self._readable(request)
        transcript = await self.transcripts.transcript(doc)
        channel = await self.channels.get(doc["channel_id"], archived_too=True)
        html = render_html(transcript.conversation, transcript.messages, f"Conversation on {channel['name']}")
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def set_email(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "visitor")
        body = await read_json(request, VisitorEmail)
        caller = Caller(user_id=claims.sub, role=claims.role, name=claims.name)
        await self.sessions.set_visitor_email(caller, request.match_info["conversation_id"], body.email)
        return web.Response(status=204)

    async def openapi(self, _request: web.Request) -> web.Response:
        return web.Response(text=self._openapi, content_type="application/yaml", charset="utf-8")
