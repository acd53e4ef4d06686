"""Transcripts and administration end to end: history paging, JSON and HTML export, the admins'
search, the e-mail sent on close (to a real local SMTP receiver), retention of a backdated
transcript, the public availability endpoint with business hours, and the served OpenAPI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from parley_fleet import free_port
from tests.conftest import Infra
from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, of_type, world_fixture
from tests.kit.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
NASTY = '<script>alert("x")</script> & <b>bold</b>'


class Inbox:
    """aiosmtpd handler: keeps every mail it receives."""

    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.mails.append(envelope)
        return "250 OK"


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def transcript_settings(inbox: tuple[Inbox, int]) -> dict[str, str]:
    return {
        "PARLEY_CHAT_SMTP_HOST": "127.0.0.1",
        "PARLEY_CHAT_SMTP_PORT": str(inbox[1]),
        "PARLEY_CHAT_SMTP_SENDER": "Parley <chat@parley.test>",
        "PARLEY_CHAT_RETENTION_DAYS": "30",
        "PARLEY_CHAT_RETENTION_SWEEP_SECONDS": "1",
    }


world = world_fixture("chat-transcripts", transcript_settings, uses=("inbox",))


async def conversation_with(world: ChatWorld, count: int, **channel: Any) -> tuple[Any, Any, str, str]:
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator], **channel)
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "message 1")
    for n in range(2, count + 1):
        await world.send(visitor if n % 2 else operator, conversation_id, f"message {n}" if n != 5 else NASTY)
    return operator, visitor, channel_id, conversation_id


def seqs(page: dict[str, Any]) -> list[int]:
    return [message["seq"] for message in page["messages"]]


async def test_history_pages_and_exports(world: ChatWorld) -> None:
    operator, visitor, _, conversation_id = await conversation_with(world, 12)
    path = f"/conversations/{conversation_id}/messages"
    newest = await world.call("GET", path, visitor.token, params={"limit": 5})
    assert (seqs(newest), newest["has_more"], newest["last_seq"]) == ([8, 9, 10, 11, 12], True, 12)
    older = await world.call("GET", path, operator.token, params={"before_seq": 8, "limit": 5})
    assert (seqs(older), older["has_more"]) == ([3, 4, 5, 6, 7], True)
    oldest = await world.admin("GET", path, params={"before_seq": 3})
    assert (seqs(oldest), oldest["has_more"]) == ([1, 2], False)
    newer = await world.call("GET", path, visitor.token, params={"after_seq": 10})
    assert (seqs(newer), newer["has_more"]) == ([11, 12], False)
    for params in ({"limit": 0}, {"before_seq": "abc"}, {"page": 2}):
        bad = await world.call("GET", path, visitor.token, params=params, status=400)
        assert bad["error"]["code"] == 9105
    stranger = await world.visitor()
    assert (await world.call("GET", path, stranger.token, status=403))["error"]["code"] == 9101
    await world.call("GET", "/conversations/c_missing/messages", visitor.token, status=404)

    exported = await world.call("GET", f"/conversations/{conversation_id}/transcript.json", visitor.token)
    assert [m["seq"] for m in exported["messages"]] == list(range(1, 13))
    assert exported["conversation"]["id"] == conversation_id and exported["messages"][4]["body"] == NASTY
    html = await world.call("GET", f"/conversations/{conversation_id}/transcript.html", operator.token)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>" not in html and "message 12" in html
    await world.call("GET", f"/conversations/{conversation_id}/transcript.html", stranger.token, status=403)


async def test_search_for_admins(world: ChatWorld) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    operator, visitor, channel_id, first = await conversation_with(world, 1)
    second = await world.start_conversation(await world.visitor(), channel_id)
    await visitor.ws.request("conversation.close", {"conversation_id": first})

    async def search(**params: Any) -> list[str]:
        found = await world.admin("GET", "/conversations", params={k: str(v) for k, v in params.items()})
        return [conversation["id"] for conversation in found["conversations"]]

    assert await search(channel_id=channel_id) == [second, first]  # newest first
    assert await search(channel_id=channel_id, status="closed") == [first]
    assert await search(operator_id=operator.uid) == [second, first]
    assert await search(visitor_id=visitor.uid) == [first]
    assert await search(channel_id=channel_id, created_from=started.isoformat()) == [second, first]
    assert await search(channel_id=channel_id, created_to=started.isoformat()) == []
    page = await world.admin("GET", "/conversations", params={"channel_id": channel_id, "limit": "1"})
    assert [c["id"] for c in page["conversations"]] == [second] and page["next_cursor"]
    rest = await world.admin(
        "GET", "/conversations", params={"channel_id": channel_id, "limit": "1", "cursor": page["next_cursor"]}
    )
    assert ([c["id"] for c in rest["conversations"]], rest["next_cursor"]) == ([first], None)
    await world.call("GET", "/conversations", operator.token, status=403)
    await world.admin("GET", "/conversations", params={"status": "lost"}, status=400)


async def test_transcript_is_emailed_on_close(world: ChatWorld, inbox: tuple[Inbox, int]) -> None:
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator], name="Acme Support")
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    opened = await visitor.ws.request("session.open", {"channel_id": channel_id})
    conversation_id = opened["data"]["conversation_id"]
    email_path = f"/conversations/{conversation_id}/visitor-email"
    await world.call("PUT", email_path, visitor.token, json={"email": "not-an-address"}, status=400)
    await world.call("PUT", email_path, operator.token, json={"email": "op@example.com"}, status=403)
    await world.call(
        "PUT", email_path, visitor.token, json={"email": "visitor@example.com"}, status=204
    )  # before writing
    await world.send(visitor, conversation_id, NASTY)
    await world.send(operator, conversation_id, "Happy to help")
    assert (await world.conversation(conversation_id))["visitor_email"] == "visitor@example.com"
    await world.send(operator, conversation_id, "/close")

    deadline = time.monotonic() + WAIT_SECONDS
    while not [m for m in inbox[0].mails if m.rcpt_tos == ["visitor@example.com"]]:
        assert time.monotonic() < deadline, "no transcript e-mail arrived"
        await asyncio.sleep(0.1)
    (envelope,) = [m for m in inbox[0].mails if m.rcpt_tos == ["visitor@example.com"]]
    mail = message_from_bytes(envelope.original_content, policy=policy.default)
    assert mail["Subject"] == "Your conversation with Acme Support"
    html = mail.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html and "Happy to help" in html
    assert "Happy to help" in mail.get_body(("plain",)).get_content()
    await asyncio.sleep(1.0)  # a redelivered close event must not send it twice
    assert len([m for m in inbox[0].mails if m.rcpt_tos == ["visitor@example.com"]]) == 1


async def test_an_offline_message_is_emailed_to_the_channel_s_team_once(
    world: ChatWorld, inbox: tuple[Inbox, int]
) -> None:
    operator = await world.operator("Olga")
    team = ["desk@acme.example", "olga@acme.example"]
    closed = {"timezone": "UTC", "weekly": {}}  # nobody answers: the offline form
    channel_id = await world.channel([operator], name="Acme Plants", business_hours=closed, offline_emails=team)
    visitor = await world.visitor()
    form = {
        "name": "Ada\r\nBcc: everyone@example.com",  # a header injection attempt, kept on one line
        "email": "ada@example.com",
        "message": "Please call me back about my order.",
        "page_url": "https://shop.example/plants",
    }
    await world.call("POST", f"/channels/{channel_id}/offline-requests", visitor.token, status=201, json=form)

    def to_team() -> list[Any]:
        return [m for m in inbox[0].mails if sorted(m.rcpt_tos) == team]

    deadline = time.monotonic() + WAIT_SECONDS
    while not to_team():
        assert time.monotonic() < deadline, "no offline e-mail reached the team"
        await asyncio.sleep(0.1)
    mail = message_from_bytes(to_team()[0].original_content, policy=policy.default)
    assert mail["Subject"] == "Offline message from Ada Bcc: everyone@example.com (Acme Plants)"
    assert mail["Reply-To"].addresses[0].addr_spec == "ada@example.com"
    assert mail["Bcc"] is None
    body = mail.get_body(("plain",)).get_content()
    assert "Please call me back about my order." in body and "https://shop.example/plants" in body
    await asyncio.sleep(1.0)  # a redelivered event must not send it twice
    assert len(to_team()) == 1
    # A channel without a team address sends nothing; a bad address is refused where it enters.
    await world.admin("PATCH", f"/channels/{channel_id}", json={"offline_emails": ["not-an-address"]}, status=400)


async def test_retention_deletes_transcripts_older_than_the_setting(world: ChatWorld, infra: Infra, mongo) -> None:
    db = mongo[infra.mongo_db]
    old, recent = datetime.now(UTC) - timedelta(days=45), datetime.now(UTC) - timedelta(days=5)
    for conversation_id, when in (("c_backdated_old", old), ("c_backdated_recent", recent)):
        await db["conversations"].insert_one(
            {
                "_id": conversation_id,
                "channel_id": "ch_archive",
                "visitor_id": "v_x",
                "status": "closed",
                "member_ids": ["v_x"],
                "created_at": when,
                "last_activity_at": when,
            }
        )
        await db["messages"].insert_one(
            {
                "_id": f"m_{conversation_id}",
                "conversation_id": conversation_id,
                "seq": 1,
                "author_id": "v_x",
                "client_msg_id": conversation_id,
                "body": "old news",
                "created_at": when,
            }
        )
        await db["ratings"].insert_one({"_id": conversation_id, "rating": 3})
    deadline = time.monotonic() + WAIT_SECONDS
    while await db["conversations"].find_one({"_id": "c_backdated_old"}) is not None:
        assert time.monotonic() < deadline, "the retention pass never deleted the 45-day-old transcript"
        await asyncio.sleep(0.2)
    assert await db["messages"].count_documents({"conversation_id": "c_backdated_old"}) == 0
    assert await db["ratings"].find_one({"_id": "c_backdated_old"}) is None
    assert await db["conversations"].find_one({"_id": "c_backdated_recent"}) is not None
    assert await db["messages"].count_documents({"conversation_id": "c_backdated_recent"}) == 1


async def test_availability_follows_operators_bot_and_business_hours(world: ChatWorld) -> None:
    operator = await world.operator("Olivia")
    never_open = {"timezone": "Europe/Paris", "weekly": {}}
    channel_id = await world.channel([operator], business_hours=never_open, allowed_origins=["https://shop.example"])
    await world.wait_available(channel_id, operator)
    path = f"/channels/{channel_id}/availability"
    async with world.session.get(world.chat_url + path, headers={"Origin": "https://shop.example"}) as response:
        closed = await response.json()
        assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert (closed["available"], closed["availability"], closed["within_business_hours"]) == (
        False,
        "offline_form",
        False,
    )
    async with world.session.get(world.chat_url + path, headers={"Origin": "https://evil.example"}) as response:
        assert "Access-Control-Allow-Origin" not in response.headers

    open_now = await world.admin("PATCH", f"/channels/{channel_id}", json={"business_hours": None})
    assert open_now["business_hours"] is None
    live = await world.call("GET", path)
    assert (live["available"], live["availability"]) == (True, "operators")
    await world.admin(
        "PATCH",
        f"/channels/{channel_id}",
        json={"business_hours": {"timezone": "Mars/Olympus", "weekly": {}}},
        status=400,
    )

    busy = await operator.ws.request("operator.availability", {"available": False})
    assert busy["type"] != "error", busy
    await world.wait_available(channel_id, operator, available=False)
    # Busy but at work: visitors chat and wait in the queue, told their position (issue 22 item 3).
    assert (await world.call("GET", path))["availability"] == "operators"
    await operator.ws.close()  # gone: nobody of the team is online

    async def offline_form() -> bool:
        return (await world.call("GET", path))["availability"] == "offline_form"

    await eventually(offline_form, what="the offline form once nobody is online")
    bot_channel = await world.channel([], chatbot_script_id="helper", business_hours=never_open)
    assert (await world.call("GET", f"/channels/{bot_channel}/availability"))["availability"] == "chatbot"
    await world.call("GET", "/channels/ch_missing/availability", status=404)


async def test_channel_and_operator_administration(world: ChatWorld) -> None:
    olivia, bob = await world.operator("Olivia"), await world.operator("Bob")
    channel_id = await world.channel([olivia])
    listed = await world.call("GET", "/channels", olivia.token)
    assert [channel["id"] for channel in listed["channels"]] == [channel_id]
    await world.call("GET", f"/channels/{channel_id}", bob.token, status=403)

    operators = await world.admin("PUT", f"/channels/{channel_id}/operators/{bob.uid}", json={"name": "Bob B."})
    assert [(op["user_id"], op["name"]) for op in operators["operators"]] == [
        (olivia.uid, "Olivia"),
        (bob.uid, "Bob B."),
    ]
    assert (await world.call("GET", f"/channels/{channel_id}", bob.token))["operator_ids"] == [olivia.uid, bob.uid]
    await world.admin("DELETE", f"/channels/{channel_id}/operators/{olivia.uid}", status=204)
    await world.admin("DELETE", f"/channels/{channel_id}/operators/{olivia.uid}", status=400)
    assert (await world.admin("GET", f"/channels/{channel_id}"))["operator_ids"] == [bob.uid]

    await world.admin("DELETE", f"/channels/{channel_id}", status=204)
    await world.admin("GET", f"/channels/{channel_id}", status=404)
    visitor = await world.visitor()
    gone = await visitor.ws.request("session.open", {"channel_id": channel_id})
    assert gone["data"]["code"] == 9103


async def test_openapi_is_served_and_matches_the_docs(world: ChatWorld) -> None:
    served = await world.call("GET", "/openapi.yaml")
    assert served == (ROOT / "docs" / "chat-session-openapi.yaml").read_text()


async def test_member_joined_notice_reaches_the_visitor(world: ChatWorld) -> None:
    _, visitor, _, conversation_id = await conversation_with(world, 1)
    notice = await visitor.ws.wait_for(of_type("notice", text="Olivia joined the conversation"))
    assert notice["data"]["level"] == "info"
    detail = await world.conversation(conversation_id)
    assert [entry["event"] for entry in detail["history"]] == ["opened", "joined"]
