"""Attacks on chatbot_engine (issue 16, finding 4): an operator of one channel reading the bot
state (the e-mail and free-text answers a visitor typed) of another channel's conversation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest

from parley_fleet import Fleet
from tests.e2e.chatbot_harness import Admin, Visitor
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.kit.client import login

NEVER = {"both_silent_seconds": 600, "user_silent_seconds": 600, "unresponsive_seconds": 600}
SCRIPT = {
    "name": "Contact",
    "timers": NEVER,
    "steps": [
        {"id": "email", "type": "question_email", "text": "Email?"},
        {"id": "end", "type": "end", "text": "Bye."},
    ],
}


@pytest.fixture(scope="module")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def _operator_token(session: aiohttp.ClientSession, fleet: Fleet, admin: Admin) -> tuple[str, str]:
    uid, username, password = await admin.operator()
    return uid, (await login(session, fleet.url("auth"), username=username, password=password))["token"]


async def _state(session: aiohttp.ClientSession, fleet: Fleet, token: str, conversation_id: str) -> tuple[int, dict]:
    url = f"{fleet.url('chatbot_engine')}/chatbot/conversations/{conversation_id}"
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json()


async def test_only_admins_and_the_channels_operators_read_a_conversations_bot_state(
    session: aiohttp.ClientSession, fleet: Fleet
) -> None:
    admin_login = await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    admin = Admin(session, fleet, admin_login["token"])
    script_id = f"contact_{uuid.uuid4().hex[:6]}"
    await admin.put_script({"id": script_id, **SCRIPT})
    ours, our_token = await _operator_token(session, fleet, admin)
    theirs, their_token = await _operator_token(session, fleet, admin)
    channel = await admin.channel(script_id, [ours])
    await admin.channel(script_id, [theirs])  # the other operator serves a channel of their own

    visitor = await Visitor.open(session, fleet, channel)
    try:
        await visitor.say("hi")
        await visitor.say("ada@example.com")
        assert await visitor.bot_said(2) == ["Email?", "Bye."]
    finally:
        await visitor.ws.close()
    conversation = visitor.conversation_id

    status, state = await _state(session, fleet, their_token, conversation)
    assert status == 403 and state["error"]["code"] == 9101, state
    assert "ada@example.com" not in str(state)
    for token in (our_token, admin_login["token"]):
        status, state = await _state(session, fleet, token, conversation)
        assert status == 200 and state["contact"] == {"email": "ada@example.com"}, state
    for unknown in ("c_no_such_conversation", "..%2F..%2Fchatbot", "x" * 65):
        status, state = await _state(session, fleet, their_token, unknown)
        assert status == 404 and state["error"]["code"] == 9102, (unknown, state)
