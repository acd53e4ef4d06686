"""The chatbot engine process on the real bus, MongoDB and Redis: scripts walked step by step,
answers stored, FAQ answers, idempotency on redelivery, and a restart in the middle of a script.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pymongo import AsyncMongoClient

from parley.contracts.bot import GetRobotStatus, bot_user_id
from parley.contracts.commands import Caller, ChatbotAnswer
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import MessageCreated, VisitorTyping
from parley_chatbot_engine.faq import FaqEntrySpec, FaqStore
from parley_fleet.processes import ServiceProcess
from tests.conftest import Infra
from tests.integration.chatbot_harness import (
    CHANNEL,
    FLOW_STEPS,
    WAIT_SECONDS,
    ChatDouble,
    Slice,
    close_slice,
    open_slice,
    start_ready,
    store_scripts,
)
from tests.kit.waiting import eventually

FLOW = {"id": "flow", "name": "Flow", "bot_name": "Flo", "steps": FLOW_STEPS}
FAQ_BOT = {"id": "faqbot", "name": "FAQ", "steps": [{"id": "hi", "type": "text", "text": "Ask me anything."}]}
BOT, FAQ_BOT_ID = bot_user_id("flow"), bot_user_id("faqbot")
# Idle timers far beyond the tests' length: these tests are about scripts, not timers.
ENGINE_ENV = {
    "PARLEY_CHATBOT_BOTH_SILENT_SECONDS": "600",
    "PARLEY_CHATBOT_USER_SILENT_SECONDS": "600",
    "PARLEY_CHATBOT_UNRESPONSIVE_SECONDS": "600",
    "PARLEY_CHATBOT_DEBOUNCE_SECONDS": "1.0",
    "PARLEY_CHATBOT_TYPING_HOLD_SECONDS": "3.0",
    "PARLEY_CHATBOT_TIMER_POLL_SECONDS": "0.1",
}


class Running:
    def __init__(self, slice_: Slice, chat: ChatDouble, engine: ServiceProcess) -> None:
        self.slice = slice_
        self.chat = chat
        self.engine = engine

    async def restart(self, *, kill: bool) -> None:
        if kill:
            self.engine.kill()
            assert self.engine.process is not None
            await self.engine.process.wait()
        else:
            assert await self.engine.stop() == 0
        await start_ready(self.engine)


@pytest.fixture(scope="module")
async def running(infra: Infra) -> AsyncIterator[Running]:
    slice_ = await open_slice(infra, f"cbflow{uuid.uuid4().hex[:4]}")
    await store_scripts(slice_, FLOW, FAQ_BOT)
    chat = ChatDouble(slice_)
    await chat.start()
    engine = await start_ready(slice_.engine("a", ENGINE_ENV))
    try:
        yield Running(slice_, chat, engine)
    finally:
        await engine.stop()
        await chat.stop()
        await close_slice(slice_)


def new_conversation() -> tuple[str, str]:
    return f"c_{uuid.uuid4().hex[:12]}", f"v_{uuid.uuid4().hex[:8]}"


async def click(chat: ChatDouble, conversation_id: str, visitor: str, step_id: str, answer_id: str) -> None:
    caller = Caller(user_id=visitor, role="visitor")
    await chat.chat.request(
        ChatbotAnswer(caller=caller, conversation_id=conversation_id, step_id=step_id, answer_id=answer_id)
    )


async def steps_counted(engine: ServiceProcess) -> dict[str, float]:
    """parley_chatbot_steps_total of the engine, by step type."""
    async with aiohttp.ClientSession() as session, session.get(f"{engine.url}/metrics") as response:
        text = await response.text()
    pattern = r'^parley_chatbot_steps_total\{step_type="([a-z_]+)"\} (\S+)$'
    return {step_type: float(value) for step_type, value in re.findall(pattern, text, re.MULTILINE)}


async def state_of(slice_: Slice, mongo: AsyncMongoClient, conversation_id: str) -> dict:
    doc = await mongo[slice_.mongo_db]["bot_states"].find_one({"_id": conversation_id})
    assert doc is not None
    return doc


async def settled_state_of(slice_: Slice, mongo: AsyncMongoClient, conversation_id: str) -> dict:
    """The state once its outbox is carried out: the effects (posts, timers) are done before the
    outbox is cleared, so the last bot message can arrive a moment before that write."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (state := await state_of(slice_, mongo, conversation_id))["outbox"] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return state


async def test_walks_every_step_type_and_stores_each_answer_with_its_step(
    running: Running, mongo: AsyncMongoClient
) -> None:
    chat, (cid, visitor) = running.chat, new_conversation()
    await chat.open(cid, visitor, BOT)
    await chat.visitor_says(cid, visitor, BOT, "hi there")
    assert await chat.said(cid, 2) == ["Hello!", "Topic?"]
    await eventually(lambda: chat.frames_of(cid, "bot.step"), what="bot.step")
    step = chat.frames_of(cid, "bot.step")[0]
    assert step["step_id"] == "topic" and [a["id"] for a in step["answers"]] == ["billing", "bug", "human"]
    assert chat.frames_of(cid, "robot.status")[0]["status"] == 1
    assert all(event.user_ids == [visitor] for event in chat.frames)

    await click(chat, cid, visitor, "topic", "billing")
    assert (await chat.said(cid, 4))[2:] == ["Billing it is.", "Email?"]
    await chat.visitor_says(cid, visitor, BOT, "not an email")
    assert "email address" in (await chat.said(cid, 5))[4]
    await chat.visitor_says(cid, visitor, BOT, "Ada@Example.com")
    assert (await chat.said(cid, 6))[5] == "Phone?"
    await eventually(lambda: chat.contacts, what="contact_collected")
    assert (chat.contacts[0].field, chat.contacts[0].value, chat.contacts[0].visitor_id) == (
        "email",
        "Ada@example.com",
        visitor,
    )
    await chat.visitor_says(cid, visitor, BOT, "12")
    assert "phone number" in (await chat.said(cid, 7))[6]
    await chat.visitor_says(cid, visitor, BOT, "+33 6 12 34 56 78")
    assert (await chat.said(cid, 8))[7] == "Describe."

    await chat.visitor_says(cid, visitor, BOT, "it broke")
    await chat.visitor_says(cid, visitor, BOT, "after the update")
    assert (await chat.said(cid, 9))[8] == "Order?"
    await chat.visitor_says(cid, visitor, BOT, "A-1001")
    # forward_operator with nobody available: the script goes on.
    assert (await chat.said(cid, 12))[9:] == ["Forwarding.", "Nobody free.", "Bye."]
    assert chat.operator_requests.count(cid) == 1

    state = await settled_state_of(running.slice, mongo, cid)
    answers = [(a["step_id"], a["text"], a["via"]) for a in state["progress"]["answers"]]
    assert answers == [
        ("topic", "Billing", "button"),
        ("email", "Ada@example.com", "text"),
        ("phone", "+33612345678", "text"),
        ("describe", "it broke\nafter the update", "lines"),
        ("order", "A-1001", "text"),
    ]
    assert state["progress"]["contact"] == {"email": "Ada@example.com", "phone": "+33612345678"}
    assert state["progress"]["finished"] and state["outbox"] == []
    contacts = await mongo[running.slice.mongo_db]["chatbot_visitor_contacts"].find_one({"_id": visitor})
    assert contacts is not None and contacts["email"] == "Ada@example.com" and contacts["phone"] == "+33612345678"
    assert all(message.kind == "bot" and message.author_name == "Flo" for message in chat.posts[cid])
    steps = await steps_counted(running.engine)
    for step_type in ("text", "question_selection", "question_email", "free_input_multi", "forward_operator", "end"):
        assert steps.get(step_type, 0) >= 1, (step_type, steps)


async def test_forward_with_an_operator_assigned_hands_over_and_the_bot_goes_quiet(running: Running) -> None:
    chat, (cid, visitor) = running.chat, new_conversation()
    chat.operator_status[cid] = "assigned"
    await chat.open(cid, visitor, BOT)
    await chat.visitor_says(cid, visitor, BOT, "hello")
    await chat.said(cid, 2)
    await chat.visitor_says(cid, visitor, BOT, "human please")
    await eventually(
        lambda: chat.frames_of(cid, "robot.status")[-1:] and chat.frames_of(cid, "robot.status")[-1]["status"] == 2
    )
    await chat.visitor_says(cid, visitor, BOT, "anyone?")
    robot = await chat.chat.request(GetRobotStatus(conversation_id=cid))
    assert robot.status == 2 and robot.bot_id == BOT
    assert chat.texts(cid) == ["Hello!", "Topic?"] and chat.operator_requests.count(cid) == 1


async def test_a_visitor_still_typing_is_waited_for_before_the_lines_are_one_answer(
    running: Running, mongo: AsyncMongoClient
) -> None:
    """Issue 22 item 2: "use several messages; I'll wait until you're done" waits while typing
    frames come, past the quiet spell (1 s here), so the second line is not the next answer."""
    chat, (cid, visitor) = running.chat, new_conversation()
    await chat.open(cid, visitor, BOT)
    await chat.visitor_says(cid, visitor, BOT, "hi")
    await chat.said(cid, 2)
    await click(chat, cid, visitor, "topic", "bug")
    assert (await chat.said(cid, 3))[2] == "Describe."
    await chat.visitor_says(cid, visitor, BOT, "it broke")
    # The visitor types the next line for 2.4 s, a typing frame every 0.6 s (the widget's pace,
    # sped up): twice the quiet spell without a message.
    for _ in range(5):
        await chat.chat.publish_event(VisitorTyping(conversation_id=cid, user_id=visitor, active=True))
        await asyncio.sleep(0.6)
    assert chat.texts(cid) == ["Hello!", "Topic?", "Describe."], "the first line was taken alone"
    await chat.visitor_says(cid, visitor, BOT, "after the update")
    assert (await chat.said(cid, 4))[3] == "Order?"
    state = await settled_state_of(running.slice, mongo, cid)
    assert [(a["step_id"], a["text"]) for a in state["progress"]["answers"]][-1] == (
        "describe",
        "it broke\nafter the update",
    )


async def test_buttons_for_closed_steps_or_from_strangers_are_refused(running: Running) -> None:
    chat, (cid, visitor) = running.chat, new_conversation()
    await chat.open(cid, visitor, BOT)
    await chat.visitor_says(cid, visitor, BOT, "hello")
    await chat.said(cid, 2)
    with pytest.raises(ParleyError) as stranger:
        await click(chat, cid, "v_stranger", "topic", "billing")
    assert stranger.value.code == ErrorCode.NOT_A_MEMBER
    await click(chat, cid, visitor, "topic", "bug")
    with pytest.raises(ParleyError) as closed:
        await click(chat, cid, visitor, "topic", "billing")
    assert closed.value.code == ErrorCode.BAD_ARGUMENT
    assert await chat.said(cid, 3) == ["Hello!", "Topic?", "Describe."]


async def test_a_redelivered_message_is_answered_once(running: Running) -> None:
    chat, (cid, visitor) = running.chat, new_conversation()
    await chat.open(cid, visitor, BOT)
    await chat.visitor_says(cid, visitor, BOT, "hello")
    await chat.said(cid, 2)
    answer = await chat.visitor_says(cid, visitor, BOT, "billing")
    for _ in range(3):  # at-least-once delivery: the same message.created again, new envelopes
        await chat.chat.publish_event(MessageCreated(message=answer, member_ids=[visitor, BOT]))
    await chat.said(cid, 4)
    await chat.visitor_says(cid, visitor, BOT, "not an email either")
    await chat.said(cid, 5)
    assert chat.texts(cid)[:4] == ["Hello!", "Topic?", "Billing it is.", "Email?"]
    assert len(chat.posts[cid]) == 5


async def test_faq_answers_suggests_or_hands_over(running: Running, mongo: AsyncMongoClient) -> None:
    faq = FaqStore(mongo[running.slice.mongo_db])
    await faq.add(CHANNEL, FaqEntrySpec(question="What are your opening hours?", answer="9 to 5.", keywords=["open"]))
    await faq.add(
        CHANNEL, FaqEntrySpec(question="How much is shipping?", answer="Free above 50 EUR.", keywords=["delivery"])
    )
    await faq.add(CHANNEL, FaqEntrySpec(question="Can I change my delivery address?", answer="Until it ships."))
    chat, (cid, visitor) = running.chat, new_conversation()
    await chat.open(cid, visitor, FAQ_BOT_ID)
    await chat.visitor_says(cid, visitor, FAQ_BOT_ID, "hello")
    await chat.said(cid, 1)
    await chat.visitor_says(cid, visitor, FAQ_BOT_ID, "what are your opening hours")
    assert (await chat.said(cid, 2))[1] == "9 to 5."
    await chat.visitor_says(cid, visitor, FAQ_BOT_ID, "delivery?")
    await chat.said(cid, 3)
    suggestions = chat.bodies(cid)[2]
    assert suggestions.kind == "suggestions" and 1 <= len(suggestions.suggestions) <= 3
    await chat.visitor_says(cid, visitor, FAQ_BOT_ID, "do you sell bicycles")
    assert "nobody from the team is available" in (await chat.said(cid, 4))[3]
    assert chat.operator_requests.count(cid) == 1


async def test_restart_mid_script_loses_nothing_and_repeats_nothing(running: Running, mongo: AsyncMongoClient) -> None:
    chat, (cid, visitor) = running.chat, new_conversation()
    await chat.open(cid, visitor, BOT)
    await chat.visitor_says(cid, visitor, BOT, "hello")
    await chat.said(cid, 2)
    await chat.visitor_says(cid, visitor, BOT, "billing")
    await chat.said(cid, 4)
    await running.restart(kill=True)
    await chat.visitor_says(cid, visitor, BOT, "ada@example.com")
    assert (await chat.said(cid, 5))[4] == "Phone?"
    await running.engine.stop()  # a graceful stop this time, with the answer sent while it is down
    await chat.visitor_says(cid, visitor, BOT, "+1 555 123 4567")
    await start_ready(running.engine)
    assert (await chat.said(cid, 6))[5] == "Describe."
    assert chat.texts(cid) == ["Hello!", "Topic?", "Billing it is.", "Email?", "Phone?", "Describe."]
    ids = [message.client_msg_id for message in chat.posts[cid]]
    assert len(ids) == len(set(ids))
    state = await state_of(running.slice, mongo, cid)
    assert state["progress"]["step_id"] == "describe" and state["progress"]["contact"]["phone"] == "+15551234567"
