"""HTTP handlers of the channel administration API and the widget's public availability check.

Who may call each one (the role, and "an operator only of this channel") is checked before the
handler runs, from the endpoint table (:mod:`parley_chat_session.http.endpoints`)."""

from __future__ import annotations

from aiohttp import web

from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import OfflineRequestCreated
from parley.http import error_response, json_response
from parley.http_api import Call
from parley_chat_session.channels.canned import CannedResponseList, CannedResponses, CannedResponseView
from parley_chat_session.channels.satisfaction import ChannelRatings, Satisfaction
from parley_chat_session.channels.store import Channel, Channels, ChannelView, channel_view
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.http.endpoints import ChannelList, OperatorList, OperatorView, WordList
from parley_chat_session.routing.assignment import OperatorPicker
from parley_chat_session.routing.availability import Availability
from parley_chat_session.routing.operator_profiles import OperatorProfiles
from parley_chat_session.routing.operator_removal import OperatorRemoval
from parley_chat_session.transcripts.offline_requests import (
    OfflineRequestList,
    OfflineRequests,
    OfflineRequestView,
    TooManyOfflineRequests,
    created_event,
)


class ChannelApi:
    def __init__(
        self,
        channels: Channels,
        canned: CannedResponses,
        profiles: OperatorProfiles,
        picker: OperatorPicker,
        availability: Availability,
        removal: OperatorRemoval,
        satisfaction: Satisfaction,
        offline_requests: OfflineRequests,
        announcer: Announcer,
    ) -> None:
        self.channels = channels
        self.canned = canned
        self.profiles = profiles
        self.picker = picker
        self.availability_of = availability
        self.removal = removal
        self.satisfaction = satisfaction
        self.offline_requests = offline_requests
        self.announcer = announcer

    async def _channel(self, call: Call) -> Channel:
        return await self.channels.get(call.param("channel_id"))

    # ---- channels ---------------------------------------------------------------------------

    async def create_channel(self, call: Call) -> ChannelView:
        return channel_view(await self.channels.create(call.body))

    async def list_channels(self, call: Call) -> ChannelList:
        claims = call.user
        channels = await self.channels.active(operator_id=None if claims.role == "admin" else claims.sub)
        return ChannelList(channels=[channel_view(channel) for channel in channels])

    async def get_channel(self, call: Call) -> ChannelView:
        return channel_view(await self._channel(call))

    async def update_channel(self, call: Call) -> ChannelView:
        before = await self._channel(call)
        after = await self.channels.update(before.id, call.body.model_dump(exclude_unset=True))
        kept = set(after.operator_ids)
        await self.removal.removed(after.id, [op for op in before.operator_ids if op not in kept])
        return channel_view(after)

    async def archive_channel(self, call: Call) -> None:
        await self.channels.archive(call.param("channel_id"))

    async def availability(self, call: Call) -> web.Response:
        """Public: the widget asks before it shows itself. CORS for the channel's allowed origins."""
        channel = await self._channel(call)
        headers = {"Vary": "Origin", "Cache-Control": "no-store"}
        origin = call.request.headers.get("Origin")
        if origin and origin in channel.allowed_origins:
            headers["Access-Control-Allow-Origin"] = origin
        return json_response(await self.availability_of.view(channel), headers=headers)

    # ---- the offline form ------------------------------------------------------------------

    async def create_offline_request(self, call: Call) -> OfflineRequestView | web.Response:
        channel = await self._channel(call)
        claims = call.user
        verified = claims.verified_channel == channel.id
        try:
            request = await self.offline_requests.create(channel.id, claims.sub, call.body, verified=verified)
        except TooManyOfflineRequests as flood:
            return error_response(flood.code, flood.message, headers={"Retry-After": str(flood.retry_after)})
        await self.announcer.outbound(created_event(request))
        # For the team's mailbox too (transcripts/offline_mail.py), when the channel names one.
        await self.announcer.offline_request(
            OfflineRequestCreated(request_id=request.id, channel_id=request.channel_id)
        )
        return request

    async def list_offline_requests(self, call: Call) -> OfflineRequestList:
        channel = await self._channel(call)
        return OfflineRequestList(offline_requests=await self.offline_requests.of_channel(channel.id, call.query.limit))

    # ---- operators ----------------------------------------------------------------------------

    async def _operator_list(self, channel: Channel) -> OperatorList:
        operator_ids = channel.operator_ids
        roster = await self.picker.roster(channel)
        free = {candidate.user_id for candidate in roster.candidates()}
        names = await self.profiles.names(list(operator_ids))
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

    async def list_operators(self, call: Call) -> OperatorList:
        return await self._operator_list(await self._channel(call))

    async def channel_ratings(self, call: Call) -> ChannelRatings:
        channel = await self._channel(call)
        return await self.satisfaction.of_channel(channel.id, list(channel.operator_ids), call.query.days)

    async def add_operator(self, call: Call) -> OperatorList:
        channel = await self._channel(call)
        user_id = call.param("user_id")
        if user_id not in channel.operator_ids:
            channel = await self.channels.set_operators(channel.id, [*channel.operator_ids, user_id])
        await self.profiles.remember(user_id, call.body.name)
        return await self._operator_list(channel)

    async def remove_operator(self, call: Call) -> None:
        channel = await self._channel(call)
        user_id = call.param("user_id")
        if user_id not in channel.operator_ids:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{user_id} is not an operator of this channel")
        await self.channels.set_operators(channel.id, [op for op in channel.operator_ids if op != user_id])
        await self.removal.removed(channel.id, [user_id])

    # ---- sensitive words and canned responses -------------------------------------------------

    async def get_words(self, call: Call) -> WordList:
        channel = await self._channel(call)
        return WordList(words=list(channel.sensitive_words))

    async def put_words(self, call: Call) -> WordList:
        unique = sorted({word.casefold() for word in call.body.words})
        channel = await self.channels.update(call.param("channel_id"), {"sensitive_words": unique})
        return WordList(words=list(channel.sensitive_words))

    async def list_canned(self, call: Call) -> CannedResponseList:
        channel = await self._channel(call)
        found = await self.canned.matching(channel.id, call.query.prefix.lower())
        return CannedResponseList(canned_responses=found)

    async def put_canned(self, call: Call) -> CannedResponseView:
        channel = await self._channel(call)
        return await self.canned.put(channel.id, call.param("shortcut"), call.body.text, call.user.sub)

    async def delete_canned(self, call: Call) -> None:
        channel = await self._channel(call)
        await self.canned.delete(channel.id, call.param("shortcut"))
