"""External bots in conversations (docs/bots.md), through the agents bus commands the integrations
service sends and a real gateway: a streamed reply a reconnecting visitor resumes, hand-off to an
operator and back, a program action's round trip, the OutboundEvents with their stable ids, and
the refusals an attacker meets.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from parley.bus import Bus
from parley.contracts.agents import (
    AgentAppendDraft,
    AgentFinishDraft,
    AgentHandoff,
    AgentOpenDraft,
    AgentPostMessage,
    AgentProgramAction,
    AgentTakeBack,
    AgentTyping,
    BotFailed,
)
from parley.contracts.base import Envelope
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import BotChanged, OutboundEvent
from parley.settings import ServiceSettings
from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, Person, of_type, world_fixture
from tests.kit.waiting import eventually

pytestmark = pytest.mark.e2e

world = world_fixture("agents")


class Outbound:
    """Every OutboundEvent published on the fleet's bus, as the integrations service would see them."""

    def __init__(self) -> None:
        self.events: list[OutboundEvent] = []

    async def record(self, event: OutboundEvent, _envelope: Envelope) -> None:
        self.events.append(event)

    def of(self, conversation_id: str, event_type: str) -> list[OutboundEvent]:
        return [e for e in self.events if e.conversation_id == conversation_id and e.event_type == event_type]


@pytest.fixture(scope="module")
async def outbound(world: ChatWorld) -> AsyncIterator[Outbound]:
    seen = Outbound()
    consumer = Bus(
        ServiceSettings(amqp_url=world.infra.amqp_url, node_id="outbound-probe"), f"probe-{uuid.uuid4().hex[:6]}"
    )
    consumer.on_event(OutboundEvent, seen.record)
    await consumer.connect()
    await consumer.start_consuming()
    yield seen
    await consumer.close()


@pytest.fixture(scope="module")
async def setup(world: ChatWorld) -> dict[str, Any]:
    """A channel with one operator, served by the external bot ``helpdesk-<run>``."""
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia])
    bot_id = f"helpdesk-{uuid.uuid4().hex[:6]}"
    changed = BotChanged(
        bot_id=bot_id, account_id=f"agent_{bot_id}", name="Ava", channel_ids=[channel_id], failure_policy="handoff"
    )
    await world.bus.publish_event(changed)
    return {"olivia": olivia, "channel_id": channel_id, "bot_id": bot_id}


async def bot_conversation(world: ChatWorld, setup: dict[str, Any]) -> tuple[Person, str]:
    """A visitor writes on the bot's channel: the bot is a member and controls the conversation."""
    visitor = await world.visitor()

    async def bot_answers() -> str | None:
        opened = await visitor.ws.request("session.open", {"channel_id": setup["channel_id"]}, timeout=WAIT_SECONDS)
        return opened["data"]["conversation_id"] if opened["data"]["availability"] == "chatbot" else None

    conversation_id = await eventually(bot_answers, what="the channel served by the bot")
    sent = await world.send(visitor, conversation_id, "Hello")
    assert sent["type"] == "message.accepted", sent
    return visitor, conversation_id


def key() -> str:
    return uuid.uuid4().hex


async def test_a_streamed_reply_arrives_in_order_as_one_message_and_a_reconnect_resumes_it(
    world: ChatWorld, setup: dict[str, Any], outbound: Outbound
) -> None:
    visitor, conversation_id = await bot_conversation(world, setup)
    bot = setup["bot_id"]
    view = await world.conversation(conversation_id)
    assert view["controller"] == "bot" and f"agent_{bot}" in view["member_ids"]
    base = {"bot_id": bot, "conversation_id": conversation_id}
    await world.bus.request(AgentTyping(**base, idempotency_key=key(), ttl_seconds=20))
    await visitor.ws.wait_for(of_type("typing", user_id=f"agent_{bot}", ttl_seconds=20), WAIT_SECONDS)

    draft = await world.bus.request(AgentOpenDraft(**base, idempotency_key=key(), text="Your "))
    words = ["order ", "ships ", "today", "."]
    for index, word in enumerate(words[:2]):
        await world.bus.request(
            AgentAppendDraft(**base, idempotency_key=key(), draft_id=draft.draft_id, index=index, delta=word)
        )

    # A second tab connects mid-stream: history gives the draft so far, resume replays it.
    tab = await world.connect(visitor.token)
    page = await tab.request("history.get", {"conversation_id": conversation_id}, timeout=WAIT_SECONDS)
    assert [d["text"] for d in page["data"]["drafts"]] == ["Your order ships "]
    await tab.request("resume", {"conversation_id": conversation_id, "after_seq": 0}, timeout=WAIT_SECONDS)
    await tab.wait_for(
        of_type("message.delta", draft_id=draft.draft_id, offset=0, text="Your order ships "), WAIT_SECONDS
    )

    with pytest.raises(ParleyError) as gap:  # index 3 before 2: never reordered
        await world.bus.request(
            AgentAppendDraft(**base, idempotency_key=key(), draft_id=draft.draft_id, index=3, delta=".")
        )
    assert gap.value.code == ErrorCode.DRAFT_OUT_OF_ORDER
    for index, word in enumerate(words[2:], start=2):
        await world.bus.request(
            AgentAppendDraft(**base, idempotency_key=key(), draft_id=draft.draft_id, index=index, delta=word)
        )
    again = await world.bus.request(
        AgentAppendDraft(**base, idempotency_key=key(), draft_id=draft.draft_id, index=2, delta="today")
    )
    assert again.duplicate and again.next_index == 4

    finished = await world.bus.request(AgentFinishDraft(**base, idempotency_key=key(), draft_id=draft.draft_id))
    assert finished.message.body.text == "Your order ships today."
    for client in (visitor.ws, tab):
        final = await client.wait_for(
            lambda f: f.get("type") == "message.new" and f["data"]["message"]["client_msg_id"] == draft.draft_id,
            WAIT_SECONDS,
        )
        assert final["data"]["message"]["body"]["text"] == "Your order ships today."
    # The live deltas, put together by their offsets, are the reply; no later piece came first.
    text = ""
    for frame in visitor.ws.frames:
        if frame.get("type") == "message.delta" and frame["data"]["draft_id"] == draft.draft_id:
            assert frame["data"]["offset"] <= len(text), "a delta arrived before the one it follows"
            text = text[: frame["data"]["offset"]] + frame["data"]["text"]
    assert text == "Your order ships today."
    history = await visitor.ws.request("history.get", {"conversation_id": conversation_id}, timeout=WAIT_SECONDS)
    assert history["data"]["drafts"] == []
    assert sum(m["client_msg_id"] == draft.draft_id for m in history["data"]["messages"]) == 1
    with pytest.raises(ParleyError) as done:
        await world.bus.request(
            AgentAppendDraft(**base, idempotency_key=key(), draft_id=draft.draft_id, index=4, delta="!")
        )
    assert done.value.code == ErrorCode.DRAFT_FINISHED
    await eventually(lambda: outbound.of(conversation_id, "conversation.started"), what="conversation.started")


async def test_a_post_retried_with_its_key_is_one_message_and_the_same_event(
    world: ChatWorld, setup: dict[str, Any], outbound: Outbound
) -> None:
    visitor, conversation_id = await bot_conversation(world, setup)
    base = {"bot_id": setup["bot_id"], "conversation_id": conversation_id}
    html = '<p onclick="steal()">Hi <b>there</b><script>alert(1)</script><img src=x onerror=alert(1)></p>'
    post = AgentPostMessage(
        **base, idempotency_key="greet-1", content={"kind": "rich_text", "class": "greeting", "html": html}
    )
    first = await world.bus.request(post)
    second = await world.bus.request(post)
    assert (first.duplicate, second.duplicate) == (False, True) and first.message.id == second.message.id
    assert first.message.body.html == "<p>Hi <b>there</b></p>"
    events = await eventually(
        lambda: (
            len(outbound.of(conversation_id, "message.created")) >= 3
            and outbound.of(conversation_id, "message.created")
        ),
        what="the post's message.created twice",
    )
    ids = [e.event_id for e in events if e.data["message"]["id"] == first.message.id]
    assert len(ids) == 2 and len(set(ids)) == 1, ids
    visitor_message = next(e for e in events if e.data["message"]["author_id"] == visitor.uid)
    assert visitor_message.bot_id == setup["bot_id"]
    with pytest.raises(ParleyError) as reused:  # one key is one command
        await world.bus.request(AgentTakeBack(**base, idempotency_key="greet-1"))
    assert reused.value.code == ErrorCode.IDEMPOTENCY_KEY_REUSED


async def test_hand_off_to_an_operator_and_back(world: ChatWorld, setup: dict[str, Any], outbound: Outbound) -> None:
    olivia: Person = setup["olivia"]
    await world.wait_available(setup["channel_id"], olivia)
    visitor, conversation_id = await bot_conversation(world, setup)
    base = {"bot_id": setup["bot_id"], "conversation_id": conversation_id}
    handed = await world.bus.request(
        AgentHandoff(**base, idempotency_key=key(), reason="asked for a person", summary="refund")
    )
    assert (handed.controller, handed.operator_id) == ("human", olivia.uid)
    await visitor.ws.wait_for(of_type("conversation.updated", controller="human"), WAIT_SECONDS)
    with pytest.raises(ParleyError) as held:
        await world.bus.request(
            AgentPostMessage(**base, idempotency_key=key(), content={"kind": "text", "class": "answer", "text": "me!"})
        )
    assert held.value.code == ErrorCode.BOT_NOT_IN_CONTROL
    with pytest.raises(ParleyError) as too_soon:
        await world.bus.request(AgentTakeBack(**base, idempotency_key=key()))
    assert too_soon.value.code == ErrorCode.HELD_BY_HUMAN
    sent = await world.send(visitor, conversation_id, "I want a refund")
    while_human = sent["data"]["message"]["seq"]
    assert (await world.send(olivia, conversation_id, "/leave"))["type"] == "message.accepted"
    # The bot is told that the human let go (it gets nothing else while it does not control it).
    released = await eventually(lambda: outbound.of(conversation_id, "conversation.released"), what="the release")
    assert [(e.bot_id, e.data["reason"], e.data["controller"]) for e in released] == [
        (setup["bot_id"], "operator_left", "queued")
    ]
    back = await world.bus.request(AgentTakeBack(**base, idempotency_key=key()))
    assert back.controller == "bot"
    sent = await world.send(visitor, conversation_id, "thanks")
    with_bot = sent["data"]["message"]["seq"]

    def of_seq(seq: int) -> list[OutboundEvent]:
        return [e for e in outbound.of(conversation_id, "message.created") if e.data["message"]["seq"] == seq]

    assert (await eventually(lambda: of_seq(with_bot), what="the visitor's message after the take-back"))[0].bot_id
    assert [e.bot_id for e in of_seq(while_human)] == [None]  # the bot got nothing while a human held it
    handoffs = outbound.of(conversation_id, "bot.handoff")
    assert [e.data["reason"] for e in handoffs] == ["asked for a person"]


async def test_a_bot_the_integrations_service_gave_up_on_is_handed_off(
    world: ChatWorld, setup: dict[str, Any], outbound: Outbound
) -> None:
    _, conversation_id = await bot_conversation(world, setup)
    failed = BotFailed(
        bot_id=setup["bot_id"],
        conversation_id=conversation_id,
        event_id="ev_x",
        reason="timeout",
        detail="5 attempts",
        occurred_at=datetime.now(UTC),
    )
    await world.bus.publish_event(failed)
    await world.until(conversation_id, lambda c: c["controller"] in ("human", "queued"), "handed off")
    handoffs = await eventually(lambda: outbound.of(conversation_id, "bot.handoff"), what="bot.handoff")
    assert handoffs[0].data["reason"] == "bot_failed"


async def test_a_program_action_round_trip_location_and_expression_notice(
    world: ChatWorld, setup: dict[str, Any], outbound: Outbound
) -> None:
    visitor, conversation_id = await bot_conversation(world, setup)
    base = {"bot_id": setup["bot_id"], "conversation_id": conversation_id}
    asked = await world.bus.request(
        AgentProgramAction(**base, idempotency_key=key(), meaning="getLocation", params={"precision": "city"})
    )
    frame = await visitor.ws.wait_for(of_type("message.new", seq=asked.message.seq), WAIT_SECONDS)
    assert frame["data"]["message"]["kind"] == "action"
    answer = {
        "conversation_id": conversation_id,
        "seq": asked.message.seq,
        "status": "done",
        "result": {"city": "Lyon"},
    }
    assert (await visitor.ws.request("program.result", answer, timeout=WAIT_SECONDS))["type"] == "ok"
    result = await eventually(lambda: outbound.of(conversation_id, "program.result"), what="program.result")
    assert result[0].bot_id == setup["bot_id"] and result[0].data["result"] == {"city": "Lyon"}
    twice = await visitor.ws.request("program.result", answer, timeout=WAIT_SECONDS)
    assert twice["data"]["code"] == ErrorCode.UNKNOWN_ACTION
    location = {"latitude": 45.76, "longitude": 4.83, "city": "Lyon", "country": "France"}
    sent = await visitor.ws.request(
        "location", {"conversation_id": conversation_id, "location": location}, timeout=WAIT_SECONDS
    )
    assert sent["type"] == "ok", sent
    view = await world.conversation(conversation_id)
    assert view["visitor_location"]["city"] == "Lyon"
    notice = {"conversation_id": conversation_id, "seq": asked.message.seq, "status": 1}
    assert (await visitor.ws.request("expression.notice", notice, timeout=WAIT_SECONDS))["type"] == "ok"


async def test_what_an_attacker_meets(world: ChatWorld, setup: dict[str, Any]) -> None:
    visitor, conversation_id = await bot_conversation(world, setup)
    olivia: Person = setup["olivia"]
    other_channel = await world.channel([olivia])
    other = await world.visitor()
    other_conversation = await world.start_conversation(other, other_channel)
    text = {"kind": "text", "class": "answer", "text": "hi"}
    for target in (other_conversation, "c_doesnotexist"):  # not the bot's, or nobody's
        with pytest.raises(ParleyError) as refused:
            await world.bus.request(
                AgentPostMessage(bot_id=setup["bot_id"], conversation_id=target, idempotency_key=key(), content=text)
            )
        assert refused.value.code == ErrorCode.BOT_NOT_A_MEMBER
    with pytest.raises(ParleyError) as intruder:  # another bot on this bot's conversation
        await world.bus.request(
            AgentPostMessage(bot_id="intruder", conversation_id=conversation_id, idempotency_key=key(), content=text)
        )
    assert intruder.value.code == ErrorCode.BOT_NOT_A_MEMBER
    # A visitor cannot speak as the bot: no agents frame exists, and kind bot is refused.
    forged = await visitor.ws.request("agents.post_message", {"conversation_id": conversation_id}, timeout=WAIT_SECONDS)
    assert forged["data"]["code"] == ErrorCode.INVALID_FRAME
    as_bot = {"conversation_id": conversation_id, "client_msg_id": key(), "kind": "bot", "body": text}
    assert (await visitor.ws.request("message.send", as_bot, timeout=WAIT_SECONDS))["data"][
        "code"
    ] == ErrorCode.INVALID_FRAME
    # Another visitor answering this conversation's program action, or attaching a location.
    asked = await world.bus.request(
        AgentProgramAction(
            bot_id=setup["bot_id"], conversation_id=conversation_id, idempotency_key=key(), meaning="scan"
        )
    )
    answer = {"conversation_id": conversation_id, "seq": asked.message.seq, "result": {"$where": 1}}
    assert (await other.ws.request("program.result", answer, timeout=WAIT_SECONDS))["data"][
        "code"
    ] == ErrorCode.INVALID_FRAME
    answer["result"] = {}
    assert (await other.ws.request("program.result", answer, timeout=WAIT_SECONDS))["data"][
        "code"
    ] == ErrorCode.NOT_A_MEMBER
    not_action = {"conversation_id": conversation_id, "seq": 1, "result": {}}
    assert (await visitor.ws.request("program.result", not_action, timeout=WAIT_SECONDS))["data"][
        "code"
    ] == ErrorCode.UNKNOWN_ACTION
    far = {"conversation_id": conversation_id, "location": {"latitude": 91, "longitude": 0}}
    assert (await visitor.ws.request("location", far, timeout=WAIT_SECONDS))["data"]["code"] == ErrorCode.INVALID_FRAME
