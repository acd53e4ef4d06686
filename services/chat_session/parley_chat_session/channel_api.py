"""HTTP handlers of the channel administration API and the widget's public availability check."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response, read_json
from parley.tokens import Claims, JwksVerifier, bearer_claims
from parley_chat_session.assignment import OperatorPicker
from parley_chat_session.availability import Availability
from parley_chat_session.canned import CannedResponseList, CannedResponses, CannedResponseSpec
from parley_chat_session.channels import ChannelPatch, Channels, ChannelSpec, channel_view
from parley_chat_session.http_endpoints import (
    CannedQuery,
    ChannelList,
    OperatorList,
    OperatorSpec,
    OperatorView,
    WordList,
)
from parley_chat_session.operator_profiles import OperatorProfiles
from parley_chat_session.operator_removal import OperatorRemoval

QueryT = TypeVar("QueryT", bound=BaseModel)


def read_query(request: web.Request, model: type[QueryT]) -> QueryT:
    """Validate the query string; a bad one is a 9105 naming the parameter."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'query'}: {e['msg']}" for e in error.errors())
        raise ParleyError(ErrorCode.BAD_ARGUMENT, problems) from None


class ChannelApi:
    def __init__(
        self,
        channels: Channels,
        canned: CannedResponses,
        profiles: OperatorProfiles,
        picker: OperatorPicker,
        availability: Availability,
        removal: OperatorRemoval,
        verifier: JwksVerifier,
    ) -> None:
        self.channels = channels
        self.canned = canned
        self.profiles = profiles
        self.picker = picker
        self.availability_of = availability
        self.removal = removal
        self.verifier = verifier

    async def _channel_for_staff(self, request: web.Request, claims: Claims) -> dict[str, Any]:
        channel = await self.channels.get(request.match_info["channel_id"])
        if claims.role != "admin" and claims.sub not in channel.get("operator_ids", []):
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not an operator of this channel")
        return channel

    # ---- channels ---------------------------------------------------------------------------

    async def create_channel(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        spec = await read_json(request, ChannelSpec)
        return json_response(channel_view(await self.channels.create(spec)), status=201)

    async def list_channels(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "admin", "operator")
        docs = await self.channels.active(operator_id=None if claims.role == "admin" else claims.sub)
        return json_response(ChannelList(channels=[channel_view(doc) for doc in docs]))

    async def get_channel(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "admin", "operator")
        return json_response(channel_view(await self._channel_for_staff(request, claims)))

    async def update_channel(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        patch = await read_json(request, ChannelPatch)
        before = await self.channels.get(request.match_info["channel_id"])
        doc = await self.channels.update(before["_id"], patch.model_dump(exclude_unset=True))
        kept = set(doc.get("operator_ids", []))
        await self.removal.removed(doc["_id"], [op for op in before.get("operator_ids", []) if op not in kept])
        return json_response(channel_view(doc))

    async def archive_channel(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        await self.channels.archive(request.match_info["channel_id"])
        return web.Response(status=204)

    async def availability(self, request: web.Request) -> web.Response:
        """Public: the widget asks before it shows itself. CORS for the channel's allowed origins."""
        channel = await self.channels.get(request.match_info["channel_id"])
        headers = {"Vary": "Origin", "Cache-Control": "no-store"}
        origin = request.headers.get("Origin")
        if origin and origin in channel.get("allowed_origins", []):
            headers["Access-Control-Allow-Origin"] = origin
        return json_response(await self.availability_of.view(channel), headers=headers)

    # ---- operators ----------------------------------------------------------------------------

    async def _operator_list(self, channel: dict[str, Any]) -> OperatorList:
        operator_ids = channel.get("operator_ids", [])
        roster = await self.picker.roster(channel)
        free = {candidate.user_id for candidate in roster.candidates()}
        names = await self.profiles.names(operator_ids)
        return OperatorList(
            operators=[
                OperatorView(
                    user_id=op,
                    name=names[op],
                    available=op in free,
                    accepting_chats=op in roster.available,
                    load=roster.loads.get(op, 0),
                )
                for op in operator_ids
            ]
        )

    async def list_operators(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "admin", "operator")
        return json_response(await self._operator_list(await self._channel_for_staff(request, claims)))

    async def add_operator(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        spec = await read_json(request, OperatorSpec)
        channel = await self.channels.get(request.match_info["channel_id"])
        user_id = request.match_info["user_id"]
        if user_id not in channel.get("operator_ids", []):
            channel = await self.channels.set_operators(channel["_id"], [*channel.get("operator_ids", []), user_id])
        await self.profiles.remember(user_id, spec.name)
        return json_response(await self._operator_list(channel))

    async def remove_operator(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        channel = await self.channels.get(request.match_info["channel_id"])
        user_id = request.match_info["user_id"]
        if user_id not in channel.get("operator_ids", []):
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{user_id} is not an operator of this channel")
        await self.channels.set_operators(channel["_id"], [op for op in channel["operator_ids"] if op != user_id])
        await self.removal.removed(channel["_id"], [user_id])
        return web.Response(status=204)

    # ---- sensitive words and canned responses -------------------------------------------------

    async def get_words(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        channel = await self.channels.get(request.match_info["channel_id"])
        return json_response(WordList(words=channel.get("sensitive_words", [])))

    async def put_words(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        words = await read_json(request, WordList)
        unique = sorted({word.casefold() for word in words.words})
        channel = await self.channels.update(request.match_info["channel_id"], {"sensitive_words": unique})
        return json_response(WordList(words=channel["sensitive_words"]))

    async def list_canned(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "admin", "operator")
        channel = await self._channel_for_staff(request, claims)
        query = read_query(request, CannedQuery)
        found = await self.canned.matching(channel["_id"], query.prefix.lower())
        return json_response(CannedResponseList(canned_responses=found))

    async def put_canned(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "admin", "operator")
        channel = await self._channel_for_staff(request, claims)
        spec = await read_json(request, CannedResponseSpec)
        return json_response(await self.canned.put(channel["_id"], request.match_info["shortcut"], spec.text, claims.sub))

    async def delete_canned(self, request: web.Request) -> web.Response:
        claims = await bearer_claims(request, self.verifier, "admin", "operator")
        channel = await self._channel_for_staff(request, claims)
        await self.canned.delete(channel["_id"], request.match_info["shortcut"])
        return web.Response(status=204)
