"""HTTP handlers of the operators' queue: what waits in a channel, and taking one by hand."""

from __future__ import annotations

from aiohttp import web

from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response
from parley.tokens import JwksVerifier, bearer_claims
from parley_chat_session.channels import Channels
from parley_chat_session.conversation_store import ConversationStore
from parley_chat_session.conversation_views import ConversationList, summary
from parley_chat_session.operator_queue import OperatorQueue


class QueueApi:
    def __init__(self, queue: OperatorQueue, store: ConversationStore, channels: Channels, verifier: JwksVerifier) -> None:
        self.queue = queue
        self.store = store
        self.channels = channels
        self.verifier = verifier

    async def waiting(self, request: web.Request) -> web.Response:
        """The channel's waiting conversations, oldest (next served) first."""
        claims = await bearer_claims(request, self.verifier, "admin", "operator")
        channel = await self.channels.get(request.match_info["channel_id"])
        if claims.role != "admin" and claims.sub not in channel.get("operator_ids", []):
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not an operator of this channel")
        docs = await self.store.queued(channel["_id"])
        return json_response(ConversationList(conversations=[summary(doc) for doc in docs]))

    async def take(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "operator")
        taken = await self.queue.take(request.match_info["conversation_id"], claims.sub)
        return json_response(summary(taken, for_user=claims.sub))
