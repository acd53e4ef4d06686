"""Steps several end-to-end tests share, through the public HTTP and WebSocket interfaces only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from parley_fleet import Fleet
from tests.kit.client import WsClient, login
from tests.kit.seeding import Seeder


async def staff_and_channel(session: aiohttp.ClientSession, fleet: Fleet) -> tuple[str, str, str]:
    """Create an operator (as the bootstrap admin) and a channel they serve; returns names and ids."""
    seed = await Seeder.signed_in(session, fleet)
    operator = await seed.staff()
    channel_id = await seed.channel([operator.uid], welcome="Hi! How can we help?")
    return operator.username, operator.password, channel_id


@asynccontextmanager
async def visitor_with_operator(
    session: aiohttp.ClientSession, fleet: Fleet, first_text: str
) -> AsyncIterator[tuple[WsClient, WsClient, str]]:
    """A new channel whose operator is connected, and a visitor whose first message (assigning
    the operator) has reached them; yields (visitor, operator, conversation id), closes both."""
    ws_url = fleet.url("gateway").replace("http://", "ws://") + "/ws"
    username, password, channel_id = await staff_and_channel(session, fleet)
    operator_login = await login(session, fleet.url("auth"), username=username, password=password)
    operator, _ = await WsClient.connect(session, ws_url, operator_login["token"])
    visitor_login = await login(session, fleet.url("auth"), device_id=f"device-{uuid.uuid4().hex}")
    visitor, _ = await WsClient.connect(session, ws_url, visitor_login["token"])
    try:
        opened = await visitor.request("session.open", {"channel_id": channel_id})
        conversation_id = opened["data"]["conversation_id"]
        await asyncio.sleep(0.5)  # presence learns of the operator's connection from a bus event
        sent = await visitor.request(
            "message.send",
            {"conversation_id": conversation_id, "client_msg_id": "m1", "kind": "text", "body": first_text},
        )
        assert sent["type"] == "message.accepted", sent
        got = await operator.wait_for(
            lambda f: f["type"] == "message.new" and f["data"]["conversation_id"] == conversation_id
        )
        assert got["data"]["message"]["body"] == first_text
        yield visitor, operator, conversation_id
    finally:
        await visitor.close()
        await operator.close()


async def stored_conversation(session: aiohttp.ClientSession, fleet: Fleet, visitor_token: str, channel_id: str) -> str:
    """A conversation of the visitor in the channel, stored (its first message sent, so the
    visitor is its member); returns its id. The visitor's socket is closed afterwards."""
    ws_url = fleet.url("gateway").replace("http://", "ws://") + "/ws"
    client, _ = await WsClient.connect(session, ws_url, visitor_token)
    try:
        opened = await client.request("session.open", {"channel_id": channel_id})
        conversation_id = opened["data"]["conversation_id"]
        sent = await client.request(
            "message.send", {"conversation_id": conversation_id, "client_msg_id": "m1", "kind": "text", "body": "hello"}
        )
        assert sent["type"] == "message.accepted", sent
    finally:
        await client.close()
    return conversation_id


async def exchange_one_message(session: aiohttp.ClientSession, fleet: Fleet, text: str) -> None:
    """A visitor and an operator exchange one message each way; asserts both arrive."""
    async with visitor_with_operator(session, fleet, text) as (visitor, operator, conversation_id):
        await operator.request(
            "message.send", {"conversation_id": conversation_id, "client_msg_id": "r1", "kind": "text", "body": "ack"}
        )
        back = await visitor.wait_for(lambda f: f["type"] == "message.new" and f["data"]["seq"] == 2)
        assert back["data"]["message"]["body"] == "ack"
