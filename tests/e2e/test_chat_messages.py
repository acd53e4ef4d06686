"""Conversations end to end: the temporary session, commands, canned responses, the word filter,
seen / typing / unread, close and rating, the inactivity timeout, idempotent and concurrent sends,
and every refusal answering with its code and changing nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from parley.contracts.commands import Caller, SendMessage
from parley.contracts.errors import ParleyError
from tests.conftest import Infra
from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, Person, of_type, world_fixture

# 25 sockets each for a visitor and an operator: fifty concurrent senders through the gateway,
# their auth frames and sends all within one user's burst.
world = world_fixture(
    "chat-messages", {"PARLEY_GATEWAY_MAX_CONNECTIONS_PER_USER": "30", "PARLEY_GATEWAY_USER_FRAME_BURST": "500"}
)


@pytest.fixture
async def pair(world: ChatWorld) -> tuple[Person, Person, str, str]:
    """An operator and a visitor in a conversation of a fresh channel (operator, visitor, channel, conversation)."""
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator])
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "Hello")
    await operator.ws.wait_for(of_type("message.new", conversation_id=conversation_id, seq=1))
    return operator, visitor, channel_id, conversation_id


async def stored(mongo: Any, infra: Infra, conversation_id: str) -> list[Any]:
    cursor = mongo[infra.mongo_db]["messages"].find({"conversation_id": conversation_id}).sort("seq", 1)
    return [doc["body"] for doc in await cursor.to_list()]


def refused(frame: dict[str, Any], code: int) -> None:
    assert frame["type"] == "error" and frame["data"]["code"] == code, frame


async def test_temporary_session_is_stored_on_the_first_message_and_reopened(
    world: ChatWorld, infra: Infra, mongo
) -> None:
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator])
    visitor = await world.visitor()
    opened = await visitor.ws.request("session.open", {"channel_id": channel_id})
    assert opened["data"]["temporary"] is True and opened["data"]["last_seq"] == 0
    conversation_id = opened["data"]["conversation_id"]
    assert await mongo[infra.mongo_db]["conversations"].find_one({"_id": conversation_id}) is None
    again = await visitor.ws.request("session.open", {"channel_id": channel_id})
    # Nothing stored yet: the same reservation again (two tabs of one visitor share it).
    assert (again["data"]["conversation_id"], again["data"]["temporary"]) == (conversation_id, True)

    await world.send(visitor, conversation_id, "First words")
    assert await mongo[infra.mongo_db]["conversations"].find_one({"_id": conversation_id}) is not None
    reopened = await visitor.ws.request("session.open", {"channel_id": channel_id})
    assert (reopened["data"]["conversation_id"], reopened["data"]["temporary"], reopened["data"]["last_seq"]) == (
        conversation_id,
        False,
        1,
    )
    stranger = await world.visitor()
    reserved = await visitor.ws.request("session.open", {"channel_id": await world.channel([operator])})
    refused(
        await world.send(stranger, reserved["data"]["conversation_id"], "hijack"), 9101
    )  # another visitor's reservation


ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
)


async def test_the_page_the_visitor_chats_from_is_shown_to_the_operator(world: ChatWorld) -> None:
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator])
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    where = {"channel_id": channel_id, "referrer": "https://search.example/?q=ficus", "user_agent": ANDROID_CHROME}
    first = await visitor.ws.request("session.open", {**where, "page_url": "https://shop.example/"})
    # Opened again from another page before writing: the latest page is the one kept.
    again = await visitor.ws.request("session.open", {**where, "page_url": "https://shop.example/plants/ficus"})
    assert again["data"]["conversation_id"] == first["data"]["conversation_id"]
    conversation_id = first["data"]["conversation_id"]
    await world.send(visitor, conversation_id, "Is the ficus in stock?")
    view = await world.conversation(conversation_id)
    assert (view["visitor_page_url"], view["visitor_referrer"], view["visitor_device"]) == (
        "https://shop.example/plants/ficus",
        "https://search.example/?q=ficus",
        "Chrome 120 on Android",
    )
    assert "user_agent" not in view  # only the few words are kept
    listed = await world.call("GET", "/me/conversations", token=operator.token)
    [mine] = [c for c in listed["conversations"] if c["id"] == conversation_id]
    assert mine["visitor_page_url"] == "https://shop.example/plants/ficus"

    # Out of bounds: refused as a malformed frame, and nothing opened.
    for bad in (
        {"page_url": "javascript:alert(1)"},
        {"referrer": "file:///etc/passwd"},
        {"page_url": "https://shop.example/" + "a" * 2000},
        {"user_agent": "x" * 513},
        {"page_url": "https://shop.example/has space"},
    ):
        refused(await visitor.ws.request("session.open", {"channel_id": channel_id, **bad}), 9001)


async def test_commands_answer_their_sender_and_store_nothing(world: ChatWorld, infra: Infra, mongo, pair) -> None:
    operator, visitor, _, conversation_id = pair
    visitor_help = await world.send(visitor, conversation_id, "/help")
    assert visitor_help["data"]["command"]["command"] == "help"
    assert (
        "/close" in visitor_help["data"]["command"]["text"]
        and "/transfer" not in visitor_help["data"]["command"]["text"]
    )
    operator_help = (await world.send(operator, conversation_id, "/HELP"))["data"]["command"]["text"]
    assert all(usage in operator_help for usage in ("/transfer <operator>", "/leave", "/close", ":shortcut"))
    refused(await world.send(visitor, conversation_id, "/nope"), 9105)
    refused(await world.send(visitor, conversation_id, "/close right now"), 9105)
    refused(await world.send(visitor, conversation_id, "/leave"), 9105)
    escaped = await world.send(visitor, conversation_id, "//slash is literal")
    assert escaped["data"]["message"]["body"] == "/slash is literal"
    plain = await world.send(visitor, conversation_id, "/usr/bin is not a command")
    assert plain["data"]["message"]["body"] == "/usr/bin is not a command"
    assert await stored(mongo, infra, conversation_id) == ["Hello", "/slash is literal", "/usr/bin is not a command"]

    # A retried command (same client_msg_id) gets the first answer; it is not run twice.
    first = await world.send(visitor, conversation_id, "/close", client_msg_id="close-1")
    assert first["data"]["command"]["text"] == "The conversation is closed."
    retried = await world.send(visitor, conversation_id, "/close", client_msg_id="close-1")
    assert retried["data"]["command"] == first["data"]["command"]
    await operator.ws.wait_for(of_type("conversation.updated", conversation_id=conversation_id, status="closed"))


async def test_canned_responses_suggest_then_expand(world: ChatWorld, infra: Infra, mongo, pair) -> None:
    operator, visitor, channel_id, conversation_id = pair
    base = f"/channels/{channel_id}/canned-responses"
    for shortcut, text in (
        ("greet", "Hello! How can I help you today?"),
        ("great", "Great, glad it works."),
        ("bye", "Goodbye!"),
    ):
        await world.call("PUT", f"{base}/{shortcut}", operator.token, json={"text": text})
    outsider = await world.operator("Outsider")
    await world.call("PUT", f"{base}/evil", outsider.token, json={"text": "x"}, status=403)
    await world.call("PUT", f"{base}/Bad Shortcut", operator.token, json={"text": "x"}, status=400)
    listed = await world.call("GET", base, operator.token, params={"prefix": "gr"})
    assert [item["shortcut"] for item in listed["canned_responses"]] == ["great", "greet"]

    suggested = await world.send(operator, conversation_id, ":gr")
    command = suggested["data"]["command"]
    assert suggested["data"]["message"] is None and command["command"] == "canned"
    assert [(s["shortcut"], s["text"]) for s in command["suggestions"]] == [
        ("great", "Great, glad it works."),
        ("greet", "Hello! How can I help you today?"),
    ]
    assert len((await world.send(operator, conversation_id, ":"))["data"]["command"]["suggestions"]) == 3
    assert (await world.send(operator, conversation_id, ":zzz"))["data"]["command"]["suggestions"] == []
    expanded = await world.send(operator, conversation_id, ":greet")
    assert expanded["data"]["message"]["body"] == "Hello! How can I help you today?"
    await visitor.ws.wait_for(of_type("message.new", conversation_id=conversation_id, seq=2))
    visitor_colon = await world.send(visitor, conversation_id, ":greet")  # visitors have no canned responses
    assert visitor_colon["data"]["message"]["body"] == ":greet"
    assert await stored(mongo, infra, conversation_id) == ["Hello", "Hello! How can I help you today?", ":greet"]


async def test_sensitive_words_are_refused_with_8001_and_not_stored(
    world: ChatWorld, infra: Infra, mongo, pair
) -> None:
    operator, visitor, channel_id, conversation_id = pair
    words = await world.admin("PUT", f"/channels/{channel_id}/sensitive-words", json={"words": ["Darn", "坏蛋"]})
    assert words["words"] == ["darn", "坏蛋"]
    await world.call("PUT", f"/channels/{channel_id}/sensitive-words", operator.token, json={"words": []}, status=403)

    refused(await world.send(visitor, conversation_id, "Well DARN it"), 8001)
    refused(await world.send(visitor, conversation_id, "你这个坏蛋!"), 8001)
    refused(await world.send(operator, conversation_id, "darn."), 8001)
    action = {
        "conversation_id": conversation_id,
        "client_msg_id": "act-1",
        "kind": "action",
        "body": {"meaning": "say", "params": {"text": "darn"}},
    }
    refused(await visitor.ws.request("message.send", action), 8001)
    fine = await world.send(visitor, conversation_id, "I am darning socks")  # a whole word only
    assert fine["data"]["message"]["seq"] == 2
    assert await stored(mongo, infra, conversation_id) == ["Hello", "I am darning socks"]
    await asyncio.sleep(0.3)
    assert not [
        f
        for f in operator.ws.of_type("message.new")
        if f["data"]["conversation_id"] == conversation_id and f["data"]["seq"] > 2
    ]


async def test_seen_typing_and_unread_counts(world: ChatWorld, pair) -> None:
    operator, visitor, _, conversation_id = pair
    await world.send(visitor, conversation_id, "Second")
    await world.send(visitor, conversation_id, "Third")
    mine = await world.call("GET", "/me/conversations", operator.token)
    assert [(c["id"], c["unread"]) for c in mine["conversations"]] == [(conversation_id, 3)]
    assert mine["conversations"][0]["visitor_preview"] == "Third"  # the visitor's latest words, for the list

    seen = await operator.ws.request("seen", {"conversation_id": conversation_id, "seq": 2})
    assert seen["type"] == "ok", seen
    await visitor.ws.wait_for(of_type("member.seen", conversation_id=conversation_id, user_id=operator.uid, seq=2))
    assert (await world.call("GET", "/me/conversations", operator.token))["conversations"][0]["unread"] == 1
    refused(await operator.ws.request("seen", {"conversation_id": conversation_id, "seq": 99}), 9105)
    acked = await operator.ws.request("ack", {"conversation_id": conversation_id, "seq": 3})  # received, not read
    assert acked["type"] == "ok", acked
    members = {member["user_id"]: member for member in (await world.conversation(conversation_id))["members"]}
    assert (members[operator.uid]["last_delivered_seq"], members[operator.uid]["last_seen_seq"]) == (3, 2)
    stranger = await world.visitor()
    refused(await stranger.ws.request("seen", {"conversation_id": conversation_id, "seq": 1}), 9101)
    # The visitor's own messages are never unread for them.
    assert (await world.call("GET", "/me/conversations", visitor.token))["conversations"][0]["unread"] == 0

    typing = await visitor.ws.request("typing", {"conversation_id": conversation_id, "active": True})
    assert typing["type"] == "ok", typing
    relayed = await operator.ws.wait_for(of_type("typing", conversation_id=conversation_id, user_id=visitor.uid))
    assert relayed["data"]["active"] is True
    refused(await stranger.ws.request("typing", {"conversation_id": conversation_id, "active": True}), 9101)


async def test_close_and_rating(world: ChatWorld, infra: Infra, mongo, pair) -> None:
    operator, visitor, channel_id, conversation_id = pair
    closed = await visitor.ws.request("conversation.close", {"conversation_id": conversation_id})
    assert closed["type"] == "ok", closed
    update = await operator.ws.wait_for(
        of_type("conversation.updated", conversation_id=conversation_id, status="closed")
    )
    assert update["data"]["reason"] == "closed"
    refused(await world.send(visitor, conversation_id, "one more thing"), 9104)
    refused(await world.send(operator, conversation_id, "/transfer someone"), 9104)
    refused(await visitor.ws.request("typing", {"conversation_id": conversation_id, "active": True}), 9104)
    visitor_name = (await world.conversation(conversation_id))["visitor_name"]
    assert await stored(mongo, infra, conversation_id) == ["Hello", f"{visitor_name} closed the conversation"]
    notice = await operator.ws.wait_for(of_type("message.new", conversation_id=conversation_id, seq=2))
    assert (notice["data"]["message"]["kind"], notice["data"]["message"]["author_id"]) == ("notice", visitor.uid)
    again = await visitor.ws.request("conversation.close", {"conversation_id": conversation_id})
    assert again["type"] == "ok"  # closing twice changes nothing

    refused(await operator.ws.request("conversation.rate", {"conversation_id": conversation_id, "rating": 5}), 9105)
    refused(await visitor.ws.request("conversation.rate", {"conversation_id": conversation_id, "rating": 6}), 9001)
    rated = await visitor.ws.request(
        "conversation.rate", {"conversation_id": conversation_id, "rating": 4, "comment": "Quick"}
    )
    assert rated["type"] == "ok", rated
    detail = await world.conversation(conversation_id)
    assert (detail["status"], detail["closed_by"]) == ("closed", visitor.uid)
    assert (detail["rating"]["rating"], detail["rating"]["comment"]) == (4, "Quick")
    # The channel's satisfaction, whole and per operator, for its operators and admins only.
    ratings = await world.call("GET", f"/channels/{channel_id}/ratings", operator.token)
    assert ratings["channel"] == {"count": 1, "average": 4.0, "csat_percent": 100.0, "distribution": [0, 0, 0, 1, 0]}
    assert [(op["user_id"], op["name"], op["count"]) for op in ratings["operators"]] == [(operator.uid, "Olivia", 1)]
    stranger = await world.operator("Stranger")
    await world.call("GET", f"/channels/{channel_id}/ratings", stranger.token, status=403)
    await world.call("GET", f"/channels/{channel_id}/ratings", visitor.token, status=403)
    await world.call("GET", f"/channels/{channel_id}/ratings", None, status=401)
    for days in ("0", "367", "abc", "[$gt]"):
        await world.call("GET", f"/channels/{channel_id}/ratings", operator.token, status=400, params={"days": days})
    # A new session of the same visitor and channel is a new conversation.
    reopened = await visitor.ws.request("session.open", {"channel_id": detail["channel_id"]})
    assert reopened["data"]["temporary"] is True and reopened["data"]["conversation_id"] != conversation_id


async def test_inactivity_closes_a_silent_conversation(world: ChatWorld) -> None:
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator], inactivity_timeout_minutes=0.03)  # 1.8 s
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id)
    update = await visitor.ws.wait_for(
        of_type("conversation.updated", conversation_id=conversation_id, status="closed"), WAIT_SECONDS
    )
    assert update["data"]["reason"] == "inactivity"
    detail = await world.conversation(conversation_id)
    assert detail["close_reason"] == "inactivity"


async def test_idempotent_resend_and_fifty_concurrent_senders(world: ChatWorld, infra: Infra, mongo, pair) -> None:
    operator, visitor, _, conversation_id = pair
    first = await world.send(visitor, conversation_id, "Once", client_msg_id="once")
    again = await world.send(visitor, conversation_id, "Once", client_msg_id="once")
    assert again["data"]["duplicate"] is True and again["data"]["message"] == first["data"]["message"]

    senders = [
        Caller(user_id=visitor.uid, role="visitor", name=visitor.name),
        Caller(user_id=operator.uid, role="operator", name="Olivia"),
    ]

    async def send(n: int, client_msg_id: str) -> dict[str, Any]:
        command = SendMessage(
            caller=senders[n % 2],
            conversation_id=conversation_id,
            client_msg_id=client_msg_id,
            kind="text",
            body=f"message {n}",
        )
        return (await world.bus.request(command, timeout=30)).model_dump(mode="json")

    # 50 senders at once, and 10 of them sent twice at the same moment (a retry racing the original).
    ids = [f"burst-{n}-{uuid.uuid4().hex[:6]}" for n in range(50)]
    replies = await asyncio.gather(*(send(n, ids[n]) for n in range(50)), *(send(n, ids[n]) for n in range(10)))
    seqs = sorted(reply["message"]["seq"] for reply in replies[:50])
    assert seqs == list(range(3, 53)), seqs  # after "Hello" (1) and "Once" (2): no gap, no duplicate
    assert [reply["message"]["seq"] for reply in replies[50:]] == [reply["message"]["seq"] for reply in replies[:10]]
    docs = await mongo[infra.mongo_db]["messages"].find({"conversation_id": conversation_id}).sort("seq", 1).to_list()
    assert [doc["seq"] for doc in docs] == list(range(1, 53))
    assert len({(doc["author_id"], doc["client_msg_id"]) for doc in docs}) == 52
    assert (await world.conversation(conversation_id))["last_seq"] == 52


async def test_fifty_sockets_sending_at_once_through_the_gateway(world: ChatWorld, infra: Infra, mongo, pair) -> None:
    operator, visitor, _, conversation_id = pair
    sockets = [await world.connect(person.token) for person in (visitor, operator) for _ in range(25)]
    frames = [
        {"conversation_id": conversation_id, "client_msg_id": f"ws-{n}", "kind": "text", "body": f"socket {n}"}
        for n in range(len(sockets))
    ]
    answers = await asyncio.gather(
        *(ws.request("message.send", frame, WAIT_SECONDS) for ws, frame in zip(sockets, frames, strict=True))
    )
    assert all(answer["type"] == "message.accepted" for answer in answers), [
        a for a in answers if a["type"] != "message.accepted"
    ]
    assert sorted(answer["data"]["message"]["seq"] for answer in answers) == list(range(2, 52))
    docs = await mongo[infra.mongo_db]["messages"].find({"conversation_id": conversation_id}).sort("seq", 1).to_list()
    assert [doc["seq"] for doc in docs] == list(range(1, 52))
    # Every member's socket got every message once, in a gapless run.
    await visitor.ws.wait_for(of_type("message.new", conversation_id=conversation_id, seq=51), WAIT_SECONDS)
    got = sorted(
        f["data"]["seq"] for f in visitor.ws.of_type("message.new") if f["data"]["conversation_id"] == conversation_id
    )
    assert got == list(range(1, 52))


async def test_refusals_have_codes_and_change_nothing(world: ChatWorld, infra: Infra, mongo, pair) -> None:
    operator, visitor, channel_id, conversation_id = pair
    refused(await visitor.ws.request("session.open", {"channel_id": "ch_nope"}), 9103)
    refused(await world.send(visitor, "c_does_not_exist", "hi"), 9102)
    stranger = await world.visitor()
    refused(await world.send(stranger, conversation_id, "let me in"), 9101)
    refused(await stranger.ws.request("conversation.close", {"conversation_id": conversation_id}), 9101)
    refused(await operator.ws.request("session.open", {"channel_id": channel_id}), 9105)
    too_long = await visitor.ws.request(
        "message.send",
        {"conversation_id": conversation_id, "client_msg_id": "long", "kind": "text", "body": "x" * 4001},
    )
    assert too_long["type"] == "error" and too_long["data"]["code"] in (9001, 9002), too_long
    with pytest.raises(ParleyError) as bot_kind:
        await world.bus.request(
            SendMessage(
                caller=Caller(user_id=visitor.uid, role="visitor"),
                conversation_id=conversation_id,
                client_msg_id="fake-bot",
                kind="bot",
                body={"kind": "text", "class": "answer", "text": "I am a bot"},
            )
        )
    assert bot_kind.value.code == 9105
    assert await stored(mongo, infra, conversation_id) == ["Hello"]
    assert (await world.conversation(conversation_id))["status"] == "open"

    # The admin API: wrong role 403, unknown channel 404, bad field 400, oversized body 413.
    await world.call("POST", "/channels", visitor.token, json={"name": "x"}, status=403)
    await world.call("POST", "/channels", json={"name": "x"}, status=401)
    await world.admin("GET", "/channels/ch_nope", status=404)
    bad = await world.admin("POST", "/channels", json={"name": "x", "routing": "random"}, status=400)
    assert bad["error"]["code"] == 9105 and "routing" in bad["error"]["message"]
    huge = await world.admin("POST", "/channels", json={"name": "x", "welcome": "y" * 70_000}, status=413)
    assert huge["error"]["code"] == 9002
    await world.admin("PATCH", f"/channels/{channel_id}", json={"operator_capacity": 0}, status=400)
    assert (await world.admin("GET", f"/channels/{channel_id}"))["operator_capacity"] == 4
