"""One visitor's poison frames never slow anyone else down.

While an attacker streams frames built to fail inside chat_session (operator-laden params, seqs
past 64 bits), another visitor's messages are each accepted, no poison frame is answered with an
internal error or a timeout (9500, 9503), and the dead-letter queue stays within its bound.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from urllib.parse import quote

import aiohttp

from parley.bus import topology
from parley.contracts.errors import ErrorCode
from parley_fleet import Fleet
from parley_fleet.rabbitmq import _split
from tests.conftest import MANAGEMENT_URL
from tests.e2e.flows import staff_and_channel
from tests.kit.client import WsClient, login

HUGE = 2**63
POISON_FRAMES = [
    ("message.send", {"kind": "action", "body": {"meaning": "open", "params": {"$where": "sleep(1000)"}}}),
    ("message.send", {"kind": "action", "body": {"meaning": "open", "params": {"a.b": 1}}}),
    ("message.send", {"kind": "action", "body": {"meaning": "open", "params": {"n": HUGE}}}),
    ("message.send", {"kind": "text", "body": {"$gt": ""}}),
    ("message.send", {"kind": "action", "body": "not an object"}),
    ("history.get", {"after_seq": HUGE, "limit": 20}),
    ("history.get", {"before_seq": HUGE, "limit": 20}),
    ("resume", {"after_seq": HUGE}),
]
ROUNDS = 4  # every poison frame, this many times: 32 frames, more than a consumer's 64-slot share of one visitor
VICTIM_MESSAGES = 12


async def _visitor(session: aiohttp.ClientSession, fleet: Fleet, channel_id: str) -> tuple[WsClient, str]:
    ws_url = fleet.url("gateway").replace("http://", "ws://") + "/ws"
    token = (await login(session, fleet.url("auth"), device_id=f"device-{uuid.uuid4().hex}"))["token"]
    client, _ = await WsClient.connect(session, ws_url, token)
    opened = await client.request("session.open", {"channel_id": channel_id})
    return client, opened["data"]["conversation_id"]


async def _dead_letter_count(vhost: str) -> int:
    base, headers = _split(MANAGEMENT_URL)
    path = f"/api/queues/{quote(vhost, safe='')}/{quote(topology.DEAD_LETTERS_QUEUE, safe='')}"
    async with aiohttp.ClientSession(base_url=base, headers=headers) as http, http.get(path) as response:
        assert response.status == 200, await response.text()
        queue = await response.json()
    assert queue["arguments"].get("x-max-length") == topology.DEAD_LETTERS_MAX_LENGTH, queue["arguments"]
    return int(queue.get("messages", 0))


async def test_a_visitor_streaming_poison_frames_slows_no_one_else(fleet: Fleet) -> None:
    async with aiohttp.ClientSession() as session:
        _, _, channel_id = await staff_and_channel(session, fleet)
        attacker, attacker_conversation = await _visitor(session, fleet, channel_id)
        victim, victim_conversation = await _visitor(session, fleet, channel_id)
        ids = itertools.count()
        try:

            async def attack() -> list[dict]:
                answers = []
                for frame_type, data in POISON_FRAMES * ROUNDS:
                    data = {**data, "conversation_id": attacker_conversation, "client_msg_id": f"p{next(ids)}"}
                    if frame_type != "message.send":
                        data.pop("client_msg_id")
                    answers.append(await attacker.request(frame_type, data, timeout=30))
                return answers

            async def chat() -> list[dict]:
                answers = []
                for n in range(VICTIM_MESSAGES):
                    data = {
                        "conversation_id": victim_conversation,
                        "client_msg_id": f"v{n}",
                        "kind": "text",
                        "body": f"hello {n}",
                    }
                    answers.append(await victim.request("message.send", data))
                return answers

            attacked, chatted = await asyncio.gather(attack(), chat())
        finally:
            await attacker.close()
            await victim.close()

    assert [answer["type"] for answer in chatted] == ["message.accepted"] * VICTIM_MESSAGES, chatted
    for answer in attacked:
        assert answer["type"] == "error", answer
        code = answer["data"]["code"]
        assert code not in (ErrorCode.INTERNAL, ErrorCode.UNAVAILABLE), answer
        assert code in (ErrorCode.INVALID_FRAME, ErrorCode.BAD_ARGUMENT, ErrorCode.RATE_LIMITED), answer
    assert await _dead_letter_count(fleet_vhost(fleet)) <= topology.DEAD_LETTERS_MAX_LENGTH


def fleet_vhost(fleet: Fleet) -> str:
    """The RabbitMQ vhost the fleet's services use (the last part of their AMQP URL)."""
    return fleet.env["PARLEY_AMQP_URL"].rsplit("/", 1)[1]
