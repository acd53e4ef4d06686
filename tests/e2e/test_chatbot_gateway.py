"""Chatbots through the gateway, on the whole fleet: a visitor walks a script over the WebSocket,
the bot forwards to an operator (or carries on when none is free), survives an engine restart,
sends every rich message kind intact, answers from the FAQ, and keeps its idle timers, with two
engine replicas firing each timer once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from parley.contracts.bot import bot_user_id
from parley_fleet import Fleet
from parley_fleet.processes import ServiceProcess
from tests.conftest import Infra
from tests.e2e.chatbot_harness import Admin, Visitor
from tests.integration.chatbot_harness import FLOW_STEPS
from tests.kit.client import WsClient, login
from tests.kit.fleet import fleet_for

HOLD = 3.0
NEVER = {"both_silent_seconds": 600, "user_silent_seconds": 600, "unresponsive_seconds": 600}
SUFFIX = uuid.uuid4().hex[:6]
RICH: list[dict[str, Any]] = [
    {
        "kind": "article",
        "class": "answer",
        "title": "Invoices",
        "summary": "Where they are.",
        "url": "https://h.example.com/a",
        "image": None,
    },
    {"kind": "image", "class": "answer", "url": "https://h.example.com/i.png", "alt": "a picture"},
    {"kind": "video", "class": "answer", "url": "https://h.example.com/v.mp4", "poster": None, "caption": "demo"},
    {
        "kind": "file",
        "class": "answer",
        "url": "https://h.example.com/f.pdf",
        "name": "f.pdf",
        "size_bytes": 12,
        "mime_type": "application/pdf",
    },
    {"kind": "cards", "class": "answer", "cards": [{"title": "Free", "text": "1 seat", "image": None, "url": None}]},
    {
        "kind": "menu",
        "class": "question",
        "text": "Menu",
        "options": [{"label": "Track", "reply": "Where is my order?"}],
    },
    {"kind": "quick_replies", "class": "question", "action": "show", "replies": ["Yes", "No"]},
    {
        "kind": "suggestions",
        "class": "question",
        "text": "Did you mean",
        "suggestions": [{"label": "Hours", "reply": "Hours?"}],
    },
    {"kind": "expression", "class": "greeting", "code": "wave", "text": ""},
    {"kind": "mood", "class": "answer", "mood": "cheerful", "text": "Glad!"},
    {"kind": "attitude", "class": "nudge", "attitude": "patient", "text": "No rush."},
]
SCRIPTS = {
    "flow": {"name": "Flow", "timers": NEVER, "steps": FLOW_STEPS},
    "rich": {
        "name": "Rich",
        "timers": NEVER,
        "steps": [{"id": f"s{n}", "type": "text", "content": c} for n, c in enumerate(RICH)],
    },
    "faq": {"name": "FAQ", "timers": NEVER, "steps": [{"id": "hi", "type": "text", "text": "Ask me."}]},
    "quiet": {
        "name": "Quiet",
        "timers": {**NEVER, "both_silent_seconds": 2},
        "steps": [
            {"id": "hi", "type": "text", "text": "Welcome."},
            {"id": "more", "type": "free_input_single", "text": "More?"},
        ],
    },
    "asker": {
        "name": "Asker",
        "timers": {**NEVER, "unresponsive_seconds": 1.5},
        "steps": [
            {"id": "pick", "type": "question_selection", "text": "Pick?", "answers": [{"id": "a", "label": "A"}]}
        ],
    },
    "away": {
        "name": "Away",
        "timers": {**NEVER, "user_silent_seconds": 1.5},
        "steps": [{"id": "hi", "type": "text", "text": "Hi."}],
    },
}


class Bots:
    def __init__(self, fleet: Fleet, session: aiohttp.ClientSession) -> None:
        self.fleet = fleet
        self.session = session
        self.channels: dict[str, str] = {}
        self.extra: list[ServiceProcess] = []

    async def set_up(self) -> None:
        """Every script stored (as YAML, through the admin API), each on a channel of its own."""
        self.admin = await Admin.login(self.session, self.fleet)
        for name, document in SCRIPTS.items():
            await self.admin.put_script({"id": f"{name}_{SUFFIX}", **document})
            self.channels[name] = await self.admin.channel(f"{name}_{SUFFIX}")
        probe = await self.visitor("faq")
        await probe.say("hello")
        await probe.bot_is_member(bot_user_id(f"faq_{SUFFIX}"))  # fails every test at once, saying why
        await probe.ws.close()

    async def visitor(self, script: str) -> Visitor:
        return await Visitor.open(self.session, self.fleet, self.channels[script])


@pytest.fixture(scope="module")
async def bots(infra: Infra) -> AsyncIterator[Bots]:
    env = {
        "PARLEY_CHATBOT_GREETING_HOLD_SECONDS": str(HOLD),
        "PARLEY_CHATBOT_DEBOUNCE_SECONDS": "1.0",
        "PARLEY_CHATBOT_TIMER_POLL_SECONDS": "0.1",
        "PARLEY_CHATBOT_TIMER_LEASE_SECONDS": "3",
    }
    async with (
        fleet_for(infra, f"chatbots{SUFFIX}", own_vhost=True, **env) as fleet,
        aiohttp.ClientSession() as session,
    ):
        running = Bots(fleet, session)
        try:
            await running.set_up()
            yield running
        finally:
            for process in running.extra:
                await process.stop()


async def test_a_visitor_walks_every_step_type_through_the_gateway(bots: Bots) -> None:
    visitor = await bots.visitor("flow")
    await visitor.say("hi")
    assert await visitor.bot_said(2) == ["Hello!", "Topic?"]
    step = await visitor.pushed("bot.step")
    assert step["data"]["step_id"] == "topic" and [a["id"] for a in step["data"]["answers"]] == [
        "billing",
        "bug",
        "human",
    ]
    assert (await visitor.pushed("robot.status"))["data"]["status"] == 1
    assert (await visitor.click("topic", "billing"))["type"] == "ok"
    assert (await visitor.bot_said(4))[2:] == ["Billing it is.", "Email?"]
    refused = await visitor.click("topic", "billing")
    assert refused["type"] == "error" and refused["data"]["code"] == 9105
    await visitor.say("not an email")
    assert "email address" in (await visitor.bot_said(5))[4]
    await visitor.say("ada@example.com")
    await visitor.say("12")
    assert "phone number" in (await visitor.bot_said(7))[6]
    await visitor.say("+33 6 12 34 56 78")
    assert (await visitor.bot_said(8))[7] == "Describe."
    await visitor.say("it broke")
    await visitor.say("after the update")
    assert (await visitor.bot_said(9))[8] == "Order?"
    await visitor.say("A-1001")
    # The channel has no operator: the forward finds nobody and the script carries on.
    assert (await visitor.bot_said(12))[9:] == ["Forwarding.", "Nobody free.", "Bye."]
    status, state = await bots.admin.call("GET", "chatbot_engine", f"/chatbot/conversations/{visitor.conversation_id}")
    assert status == 200, state
    assert [(a["step_id"], a["text"]) for a in state["answers"]] == [
        ("topic", "Billing"),
        ("email", "ada@example.com"),
        ("phone", "+33612345678"),
        ("describe", "it broke\nafter the update"),
        ("order", "A-1001"),
    ]
    assert state["contact"] == {"email": "ada@example.com", "phone": "+33612345678"} and state["finished"]
    await visitor.ws.close()


async def test_forward_to_an_available_operator_hands_the_conversation_over(bots: Bots) -> None:
    operator_id, username, password = await bots.admin.operator()
    channel = await bots.admin.channel(f"flow_{SUFFIX}", [operator_id])
    answer = await login(bots.session, bots.fleet.url("auth"), username=username, password=password)
    ws_url = bots.fleet.url("gateway").replace("http://", "ws://") + "/ws"
    operator, _ = await WsClient.connect(bots.session, ws_url, answer["token"])
    await asyncio.sleep(0.5)  # presence learns of the operator's connection from a bus event
    visitor = await Visitor.open(bots.session, bots.fleet, channel)
    await visitor.say("hello")
    await visitor.bot_said(2)
    await visitor.click("topic", "human")
    await visitor.pushed("robot.status", lambda data: data["status"] == 2)
    joined = await operator.wait_for(
        lambda f: f["type"] == "conversation.updated" and f["data"]["conversation_id"] == visitor.conversation_id, 20
    )
    assert operator_id in joined["data"]["member_ids"]
    await visitor.say("thanks!")
    await asyncio.sleep(1)
    assert visitor.texts() == ["Hello!", "Topic?"]
    await operator.close()
    await visitor.ws.close()


async def test_an_engine_restart_mid_script_loses_and_repeats_nothing(bots: Bots) -> None:
    visitor = await bots.visitor("flow")
    await visitor.say("hi")
    await visitor.bot_said(2)
    await visitor.click("topic", "bug")
    await visitor.bot_said(3)
    engine = bots.fleet.services["chatbot_engine"]
    assert await engine.stop() == 0
    await visitor.say("the app crashes")  # stored by chat_session; the engine reads it when back
    await engine.start()
    await bots.fleet.wait_ready(names=("chatbot_engine",))
    assert (await visitor.bot_said(4, timeout=30))[3] == "Order?"
    await visitor.say("A-7")
    await visitor.bot_said(7)
    assert visitor.texts() == ["Hello!", "Topic?", "Describe.", "Order?", "Forwarding.", "Nobody free.", "Bye."]
    await visitor.ws.close()


async def test_every_rich_message_kind_reaches_the_client_intact(bots: Bots) -> None:
    visitor = await bots.visitor("rich")
    await visitor.say("show me")
    await visitor.bot_said(len(RICH))
    assert [message["body"] for message in visitor.bot_messages()] == RICH
    assert all(message["kind"] == "bot" for message in visitor.bot_messages())
    await visitor.ws.close()


async def test_faq_answers_suggests_or_hands_over(bots: Bots) -> None:
    channel = bots.channels["faq"]
    await bots.admin.faq(channel, "What are your opening hours?", "9 to 5.", keywords=["open"])
    await bots.admin.faq(channel, "How much is shipping?", "Free above 50 EUR.", keywords=["delivery"])
    await bots.admin.faq(channel, "Can I change my delivery address?", "Until it ships.")
    visitor = await bots.visitor("faq")
    await visitor.say("hello")
    await visitor.bot_said(1)
    await visitor.say("what are your opening hours?")
    assert (await visitor.bot_said(2))[1] == "9 to 5."
    await visitor.say("delivery?")
    await visitor.bot_said(3)
    suggested = visitor.bot_messages()[2]["body"]
    assert suggested["kind"] == "suggestions" and len(suggested["suggestions"]) == 2
    await visitor.say("do you sell bicycles")
    assert "nobody from the team is available" in (await visitor.bot_said(4))[3]
    await visitor.ws.close()


async def test_idle_timers_fire_once_each_with_two_engine_replicas(bots: Bots) -> None:
    bots.extra.append(await bots.fleet.add_replica("chatbot_engine"))
    quiet = [await bots.visitor("quiet") for _ in range(3)]
    askers = [await bots.visitor("asker") for _ in range(3)]
    for visitor in quiet + askers:
        await visitor.say("hello")
    for visitor in quiet:
        await visitor.bot_said(3)
    for visitor in askers:
        await visitor.bot_said(2)
    await asyncio.sleep(2.5)  # room for a duplicate to show up
    assert all(visitor.classes() == ["answer", "question", "proactive"] for visitor in quiet)
    assert all(visitor.classes() == ["question", "nudge"] for visitor in askers)
    for visitor in quiet + askers:
        await visitor.ws.close()


async def test_user_away_then_user_online_is_held_for_the_hold_time_then_greeted(bots: Bots) -> None:
    visitor = await bots.visitor("away")
    await visitor.say("hello")
    await visitor.bot_said(1)
    await visitor.pushed("robot.status", lambda data: data["status"] == 2)
    offline_at = time.monotonic()
    assert (await visitor.frame("status", {"status": "online"}))["type"] == "ok"
    await visitor.bot_said(2, timeout=30)
    assert time.monotonic() - offline_at >= HOLD - 1.0
    assert visitor.classes() == ["answer", "greeting"]
    await visitor.pushed("robot.status", lambda data: data["status"] == 1)
    await visitor.ws.close()


async def test_timer_frames_pause_and_resume(bots: Bots) -> None:
    visitor = await bots.visitor("quiet")
    await visitor.say("hello")
    await visitor.bot_said(2)
    assert (await visitor.frame("timers", {"action": "pause"}))["type"] == "ok"
    await asyncio.sleep(2.5)
    assert len(visitor.bot_messages()) == 2
    assert (await visitor.frame("timers", {"action": "resume"}))["type"] == "ok"
    assert visitor.classes() == ["answer", "question"] and (await visitor.bot_said(3))[2]
    await visitor.ws.close()
