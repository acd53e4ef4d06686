"""Operator routing end to end: least-busy and round-robin assignment under capacities, the queue
(positions, oldest first, assignment when an operator frees up or comes online), reassignment
after the response target, /transfer and /leave, and a chatbot asking for an operator."""

from __future__ import annotations

import asyncio

import pytest

from parley.contracts.bot import ContactCollected
from parley.contracts.commands import Caller, OperatorRequestResult, RequestOperator, SendMessage
from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, Person, of_type, world_fixture
from tests.kit.client import login

world = world_fixture("chat-routing")


async def operator_of(world: ChatWorld, conversation_id: str) -> str | None:
    return (await world.conversation(conversation_id))["operator_id"]


async def test_least_busy_fills_operators_up_to_capacity_then_queues(world: ChatWorld) -> None:
    olivia, bob = await world.operator("Olivia"), await world.operator("Bob")
    channel_id = await world.channel([olivia, bob], operator_capacity=2)
    await world.wait_available(channel_id, olivia, bob)

    visitors = [await world.visitor() for _ in range(5)]
    conversations = [await world.start_conversation(visitor, channel_id) for visitor in visitors]
    # Least busy, ties to the operator listed first: Olivia, Bob, Olivia, Bob; then both are full.
    assert [await operator_of(world, c) for c in conversations[:4]] == [olivia.uid, bob.uid, olivia.uid, bob.uid]
    waiting = await world.conversation(conversations[4])
    assert (waiting["status"], waiting["operator_id"], waiting["queue_position"]) == ("queued", None, 1)
    position = await visitors[4].ws.wait_for(of_type("queue.position", conversation_id=conversations[4], position=1))
    assert position["data"]["estimated_wait_seconds"] > 0
    # Both full: not available for routing, yet still accepting chats (their own switch is on).
    listed = await world.admin("GET", f"/channels/{channel_id}/operators")
    assert [(op["load"], op["available"], op["accepting_chats"]) for op in listed["operators"]] == [
        (2, False, True)
    ] * 2

    # The assigned operator receives the visitor's first message, and the visitor is told who joined.
    await olivia.ws.wait_for(of_type("message.new", conversation_id=conversations[0], seq=1))
    joined = await visitors[0].ws.wait_for(of_type("notice"))
    assert joined["data"]["text"] == "Olivia joined the conversation"

    # Bob's first visitor leaves: Bob has room again and the waiting visitor gets him at once.
    closed = await visitors[1].ws.request("conversation.close", {"conversation_id": conversations[1]})
    assert closed["type"] == "ok", closed
    await visitors[4].ws.wait_for(of_type("queue.position", conversation_id=conversations[4], position=0))
    assert await operator_of(world, conversations[4]) == bob.uid
    await bob.ws.wait_for(of_type("conversation.updated", conversation_id=conversations[4], status="open"))


async def test_round_robin_takes_turns(world: ChatWorld) -> None:
    operators = [await world.operator(name) for name in ("Ann", "Ben", "Cat")]
    channel_id = await world.channel(operators, routing="round_robin", operator_capacity=10)
    await world.wait_available(channel_id, *operators)
    # Ben is busier (a chat on another channel): least busy would pick Ann, Cat, Ann, Ben; round robin
    # ignores load and takes turns.
    elsewhere = await world.channel([operators[1]])
    await world.start_conversation(await world.visitor(), elsewhere)
    picked = []
    for _ in range(4):
        conversation_id = await world.start_conversation(await world.visitor(), channel_id)
        picked.append(await operator_of(world, conversation_id))
    assert picked == [operators[0].uid, operators[1].uid, operators[2].uid, operators[0].uid]


async def test_queue_serves_oldest_first_and_updates_positions(world: ChatWorld) -> None:
    solo = await world.operator("Solo")
    channel_id = await world.channel([solo], operator_capacity=1)
    await world.wait_available(channel_id, solo)
    first, second, third = [await world.visitor() for _ in range(3)]
    c1 = await world.start_conversation(first, channel_id)
    c2 = await world.start_conversation(second, channel_id)
    c3 = await world.start_conversation(third, channel_id)
    await second.ws.wait_for(of_type("queue.position", conversation_id=c2, position=1))
    await third.ws.wait_for(of_type("queue.position", conversation_id=c3, position=2))

    await world.send(solo, c1, "/close")
    await second.ws.wait_for(of_type("queue.position", conversation_id=c2, position=0))
    await third.ws.wait_for(of_type("queue.position", conversation_id=c3, position=1))
    assert await operator_of(world, c2) == solo.uid
    assert (await world.conversation(c3))["status"] == "queued"


async def test_offline_form_then_assignment_when_an_operator_comes_online(world: ChatWorld) -> None:
    staff = await world.seed.staff(name="Late")
    operator_id = staff.uid
    channel_id = await world.seed.channel([operator_id], name="Night")
    availability = await world.call("GET", f"/channels/{channel_id}/availability")
    assert (availability["available"], availability["availability"]) == (False, "offline_form")

    visitor = await world.visitor()
    opened = await visitor.ws.request("session.open", {"channel_id": channel_id})
    assert opened["data"]["availability"] == "offline_form"
    conversation_id = opened["data"]["conversation_id"]
    sent = await world.send(visitor, conversation_id, "Please call me back tomorrow")
    assert sent["data"]["message"]["seq"] == 1  # stored for the operators' queue, not lost
    assert (await world.conversation(conversation_id))["status"] == "queued"

    signed_in = await login(world.session, world.fleet.url("auth"), username=staff.username, password=staff.password)
    late = await world.connect(signed_in["token"])
    await late.wait_for(of_type("conversation.updated", conversation_id=conversation_id, status="open"), WAIT_SECONDS)
    assert await operator_of(world, conversation_id) == operator_id


async def slow_then_quick(world: ChatWorld, target_seconds: float) -> tuple[Person, Person, Person, str]:
    """Operators Slow and Quick; a visitor's conversation goes to Slow (listed first): slow, quick, visitor, id."""
    slow, quick = await world.operator("Slow"), await world.operator("Quick")
    channel_id = await world.channel([slow, quick], response_target_seconds=target_seconds)
    await world.wait_available(channel_id, slow, quick)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "Is anyone there?")
    assert await operator_of(world, conversation_id) == slow.uid
    return slow, quick, visitor, conversation_id


async def test_unanswered_visitor_is_offered_to_another_operator(world: ChatWorld) -> None:
    slow, quick, visitor, conversation_id = await slow_then_quick(world, 1.5)

    told = await slow.ws.wait_for(of_type("notice", level="warning"), WAIT_SECONDS)
    assert "passed to Quick" in told["data"]["text"] and "1.5 s" in told["data"]["text"]
    doc = await world.conversation(conversation_id)
    assert doc["operator_id"] == quick.uid and slow.uid not in doc["member_ids"]
    assert [entry["event"] for entry in doc["history"]][-1] == "reassigned"
    await slow.ws.wait_for(of_type("conversation.updated", conversation_id=conversation_id, operator_id=quick.uid))

    # Quick answers in time: the conversation stays with Quick.
    await world.send(quick, conversation_id, "Yes, I'm here")
    took_over = await visitor.ws.wait_for(of_type("message.new", conversation_id=conversation_id, seq=2))
    assert took_over["data"]["message"]["body"] == "Quick took over the conversation"
    await world.until(conversation_id, lambda d: d["operator_id"] == quick.uid and d["last_seq"] == 3, "answered")
    notices_before = len(quick.ws.of_type("notice"))
    await asyncio.sleep(2.5)  # longer than the target: a second reassignment would have happened
    assert await operator_of(world, conversation_id) == quick.uid
    assert len(quick.ws.of_type("notice")) == notices_before


async def test_transfer_and_leave(world: ChatWorld) -> None:
    olivia, bob = await world.operator("Olivia Stone"), await world.operator("Bob Marsh")
    channel_id = await world.channel([olivia, bob])
    await world.wait_available(channel_id, olivia, bob)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id)
    assert await operator_of(world, conversation_id) == olivia.uid

    for text, code in (("/transfer", 9105), ("/transfer Nobody", 9105), ("/transfer Olivia", 9105)):
        refused = await world.send(olivia, conversation_id, text)
        assert (refused["type"], refused["data"]["code"]) == ("error", code), (text, refused)
    refused = await world.send(visitor, conversation_id, "/transfer Bob")
    assert refused["data"]["code"] == 9105 and "operators" in refused["data"]["message"]

    done = await world.send(olivia, conversation_id, "/transfer bob")  # a unique name prefix, any case
    assert done["type"] == "message.accepted" and done["data"]["message"] is None
    assert done["data"]["command"]["text"] == "Transferred to Bob Marsh."
    await visitor.ws.wait_for(of_type("notice", text="You are now chatting with Bob Marsh"))
    await olivia.ws.wait_for(of_type("conversation.updated", conversation_id=conversation_id, operator_id=bob.uid))
    doc = await world.conversation(conversation_id)
    assert doc["operator_id"] == bob.uid and olivia.uid not in doc["member_ids"]
    gone = await world.send(olivia, conversation_id, "still here?")
    assert gone["data"]["code"] == 9101  # Olivia is no longer a member

    left = await world.send(bob, conversation_id, "/leave")
    assert left["data"]["command"]["command"] == "leave"
    await visitor.ws.wait_for(of_type("notice", text="Bob Marsh left the conversation"))
    # Back in the queue, and given to the other available operator (not Bob, who left it).
    await world.until(conversation_id, lambda d: d["operator_id"] == olivia.uid, "given back to Olivia")
    assert [entry["event"] for entry in (await world.conversation(conversation_id))["history"]][-3:] == [
        "transferred",
        "left",
        "joined",
    ]
    # The thread itself says so, in order with what was said (notices are messages of their own kind).
    transcript = await world.admin("GET", f"/conversations/{conversation_id}/transcript.json")
    notices = [m["body"] for m in transcript["messages"] if m["kind"] == "notice"]
    assert notices == [
        "Olivia Stone transferred the conversation to Bob Marsh",
        "Bob Marsh left the conversation",
        "Olivia Stone joined the conversation",
    ]


async def test_chatbot_channel_bot_posts_and_asks_for_an_operator(world: ChatWorld) -> None:
    human = await world.operator("Human")
    channel_id = await world.channel([human], chatbot_script_id="helper")
    await world.wait_available(channel_id, human)
    visitor = await world.visitor()
    opened = await visitor.ws.request("session.open", {"channel_id": channel_id})
    assert opened["data"]["availability"] == "chatbot"
    conversation_id = opened["data"]["conversation_id"]
    await world.send(visitor, conversation_id, "I need help")
    doc = await world.conversation(conversation_id)
    assert (doc["status"], doc["operator_id"]) == ("open", None)  # the bot answers first
    assert doc["member_ids"] == [visitor.uid, "bot_helper"]  # a member from the start, so it hears of it

    bot = Caller(user_id="bot_helper", role="bot", name="Helper")
    content = {"kind": "text", "class": "answer", "text": "Let me find someone for you."}
    reply = await world.bus.request(
        SendMessage(caller=bot, conversation_id=conversation_id, client_msg_id="bot-1", kind="bot", body=content)
    )
    assert reply.message is not None and reply.message.seq == 2 and reply.message.kind == "bot"
    impostor = Caller(user_id="bot_other", role="bot", name="Other")
    with pytest.raises(Exception, match="not a member"):
        await world.bus.request(
            SendMessage(
                caller=impostor, conversation_id=conversation_id, client_msg_id="bot-x", kind="bot", body=content
            )
        )

    # The bot's question_email step collected the visitor's address: the transcript goes there.
    contact = ContactCollected(
        conversation_id=conversation_id,
        visitor_id=visitor.uid,
        field="email",
        value="v@example.com",
        step_id="ask_email",
    )
    await world.bus.publish_event(contact)
    await world.until(conversation_id, lambda d: d["visitor_email"] == "v@example.com", "given the bot's e-mail")

    result = OperatorRequestResult.model_validate(
        await world.bus.request(RequestOperator(conversation_id=conversation_id, requested_by="bot_helper"))
    )
    assert (result.status, result.operator_id) == ("assigned", human.uid)
    await human.ws.wait_for(of_type("conversation.updated", conversation_id=conversation_id, status="open"))
    # The operator's list names the visitor by it (the console shows it instead of a device name).
    mine = await world.call("GET", "/me/conversations", human.token)
    assert [c["visitor_email"] for c in mine["conversations"] if c["id"] == conversation_id] == ["v@example.com"]


async def test_the_response_deadline_survives_a_chat_session_restart(world: ChatWorld) -> None:
    slow, quick, _, conversation_id = await slow_then_quick(world, 2)

    chat_session = world.fleet.services["chat_session"]
    assert await chat_session.stop() == 0  # the deadline was armed in the process that is now gone
    await chat_session.start()
    await world.fleet.wait_ready(names=("chat_session",))
    told = await slow.ws.wait_for(of_type("notice", level="warning"), WAIT_SECONDS)
    assert "passed to Quick" in told["data"]["text"]
    assert await operator_of(world, conversation_id) == quick.uid
