"""Livechat channels (one per website or app) and the admin API that manages them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field, StringConstraints
from pymongo.asynchronous.database import AsyncDatabase

from parley.contracts.base import Model, new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import json_response, read_json
from parley.tokens import JwksVerifier, bearer_claims


class ChannelSpec(Model):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    welcome: str = Field("", max_length=1000)
    operator_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=1000
    )


class Channels:
    def __init__(self, db: AsyncDatabase) -> None:
        self._channels = db["channels"]

    async def create(self, spec: ChannelSpec) -> dict[str, Any]:
        doc = {"_id": f"ch_{new_id()[:20]}", **spec.model_dump(), "created_at": datetime.now(UTC)}
        await self._channels.insert_one(doc)
        return doc

    async def get(self, channel_id: str) -> dict[str, Any]:
        channel = await self._channels.find_one({"_id": channel_id})
        if channel is None:
            raise ParleyError(ErrorCode.UNKNOWN_CHANNEL, f"no channel {channel_id!r}")
        return channel


def channel_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "name": doc["name"], "welcome": doc["welcome"], "operator_ids": doc["operator_ids"]}


class ChannelApi:
    def __init__(self, channels: Channels, verifier: JwksVerifier) -> None:
        self.channels = channels
        self.verifier = verifier

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/channels", self.create), web.get("/channels/{channel_id}", self.get)]

    async def create(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin")
        spec = await read_json(request, ChannelSpec)
        return json_response(channel_view(await self.channels.create(spec)), status=201)

    async def get(self, request: web.Request) -> web.Response:
        await bearer_claims(request, self.verifier, "admin", "operator")
        return json_response(channel_view(await self.channels.get(request.match_info["channel_id"])))
