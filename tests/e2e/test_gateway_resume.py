"""Resume, history, drain and frame forwarding over real sockets, with two gateway processes.

The central one: a visitor cut off in the middle of a burst reconnects to the OTHER gateway
and finds every message exactly once, in order.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest

from parley_fleet import Fleet
from parley_fleet.processes import ServiceProcess
from tests.conftest import Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.gateway_fleet import Chat, closed, connect, login, start_chat, ws_url
from tests.kit.client import WsClient
from tests.kit.fleet import fleet_for

BURST = 80


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    # A burst of sends from one console is the point here, not the rate limits.
    async with fleet_for(
        infra,
        "resume",
        PARLEY_GATEWAY_FRAMES_PER_SECOND="500",
        PARLEY_GATEWAY_FRAME_BURST="500",
        PARLEY_GATEWAY_USER_FRAMES_PER_SECOND="500",
        PARLEY_GATEWAY_USER_FRAME_BURST="500",
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def second_gateway(fleet: Fleet) -> AsyncIterator[ServiceProcess]:
    process = await fleet.add_replica("gateway")
    yield process
    assert await process.stop() == 0


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture(scope="module")
async def admin(fleet: Fleet) -> str:
    async with aiohttp.ClientSession() as client:
        return (await login(client, fleet, username=ADMIN_USERNAME, password=ADMIN_PASSWORD))["token"]


def _seqs(client: WsClient, conversation_id: str) -> list[int]:
    return [
        f["data"]["seq"]
        for f in client.frames
        if f["type"] == "message.new" and f["data"]["conversation_id"] == conversation_id
    ]


async def _post(client: WsClient, chat: Chat, key: str) -> int:
    answer = await client.request(
        "message.send", {"conversation_id": chat.conversation_id, "client_msg_id": key, "kind": "text", "body": key}
    )
    assert answer["type"] == "message.accepted", answer
    return answer["data"]["message"]["seq"]


async def test_a_client_cut_off_mid_burst_resumes_on_another_gateway_exactly_once_in_order(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str, second_gateway: ServiceProcess
) -> None:
    chat = await start_chat(session, fleet, admin)  # seq 1: the visitor's hello
    console, _ = await connect(session, fleet.url("gateway"), chat.operator["token"])
    widget, _ = await connect(session, fleet.url("gateway"), chat.visitor["token"])

    async def burst() -> None:
        for n in range(BURST):
            await _post(console, chat, f"burst-{n}")

    sender = asyncio.create_task(burst())
    await widget.wait_for(lambda f: f["type"] == "message.new" and f["data"]["seq"] >= 20, timeout=30)
    widget.ws._conn.transport.abort()  # the network drops: no close handshake, frames in flight are lost
    before = _seqs(widget, chat.conversation_id)
    assert before == list(range(2, 2 + len(before))), "live delivery is in order and gap-free"
    last_had = before[-1]

    resumed, ok = await connect(
        session,
        second_gateway.url,
        chat.visitor["token"],
        resume=[{"conversation_id": chat.conversation_id, "after_seq": last_had}],
    )
    assert ok["type"] == "auth.ok"
    done = await resumed.wait_for(lambda f: f["type"] == "resume.done", timeout=30)
    assert done["id"] == ok["id"] and done["data"]["conversation_id"] == chat.conversation_id
    await sender
    await resumed.wait_for(lambda f: f["type"] == "message.new" and f["data"]["seq"] == BURST + 1, timeout=30)
    await asyncio.sleep(0.5)  # anything duplicated would show up now

    after = _seqs(resumed, chat.conversation_id)
    assert after == list(range(last_had + 1, BURST + 2)), "every message after the cut, once, in order"
    replayed = resumed.frames.index(done)
    replay_seqs = [f["data"]["seq"] for f in resumed.frames[:replayed] if f["type"] == "message.new"]
    assert all(seq <= done["data"]["last_seq"] for seq in replay_seqs)
    assert sorted(before + after) == list(range(2, BURST + 2))
    await resumed.close()
    await console.close()


async def test_a_resume_frame_replays_what_was_missed_then_live_traffic_follows(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    chat = await start_chat(session, fleet, admin)
    console, _ = await connect(session, fleet.url("gateway"), chat.operator["token"])
    missed = [await _post(console, chat, f"missed-{n}") for n in range(3)]  # the visitor is offline
    widget, _ = await connect(session, fleet.url("gateway"), chat.visitor["token"])
    done = await widget.request("resume", {"conversation_id": chat.conversation_id, "after_seq": 1})
    assert done["type"] == "resume.done" and done["data"]["last_seq"] == missed[-1]
    assert _seqs(widget, chat.conversation_id) == missed
    live = await _post(console, chat, "live-1")
    await widget.wait_for(lambda f: f["type"] == "message.new" and f["data"]["seq"] == live)
    assert _seqs(widget, chat.conversation_id) == [*missed, live]
    beyond = await widget.request("resume", {"conversation_id": chat.conversation_id, "after_seq": 99})
    assert beyond["data"]["code"] == 9105 and "beyond" in beyond["data"]["message"]
    await widget.close()
    await console.close()


async def test_history_pages_by_seq_and_only_members_read(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    chat = await start_chat(session, fleet, admin)
    widget, _ = await connect(session, fleet.url("gateway"), chat.visitor["token"])
    for n in range(4):
        await _post(widget, chat, f"more-{n}")  # seqs 2..5
    conversation = chat.conversation_id

    newest = await widget.request("history.get", {"conversation_id": conversation, "limit": 2})
    assert [m["seq"] for m in newest["data"]["messages"]] == [4, 5]
    assert newest["data"]["has_more"] is True and newest["data"]["last_seq"] == 5
    older = await widget.request("history.get", {"conversation_id": conversation, "before_seq": 4, "limit": 2})
    assert [m["seq"] for m in older["data"]["messages"]] == [2, 3] and older["data"]["has_more"] is True
    newer = await widget.request("history.get", {"conversation_id": conversation, "after_seq": 3})
    assert [m["seq"] for m in newer["data"]["messages"]] == [4, 5] and newer["data"]["has_more"] is False
    empty = await widget.request("history.get", {"conversation_id": conversation, "after_seq": 3, "before_seq": 4})
    assert empty["data"]["code"] == 9105
    unknown = await widget.request("history.get", {"conversation_id": "c_nobody_has_this"})
    assert unknown["data"]["code"] == 9102

    stranger_login = await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    stranger, _ = await connect(session, fleet.url("gateway"), stranger_login["token"])
    for frame_type, data in (
        ("history.get", {"conversation_id": conversation}),
        ("resume", {"conversation_id": conversation, "after_seq": 0}),
        ("message.send", {"conversation_id": conversation, "client_msg_id": "x", "kind": "text", "body": "let me in"}),
        ("seen", {"conversation_id": conversation, "seq": 1}),
    ):
        refused = await stranger.request(frame_type, data)
        assert refused["type"] == "error" and refused["data"]["code"] == 9101, (frame_type, refused)
    assert _seqs(stranger, conversation) == []
    await stranger.close()
    await widget.close()


async def test_member_frames_are_forwarded_and_answered(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    chat = await start_chat(session, fleet, admin)
    widget, _ = await connect(session, fleet.url("gateway"), chat.visitor["token"])
    console, _ = await connect(session, fleet.url("gateway"), chat.operator["token"])
    conversation = chat.conversation_id
    for frame_type, data in (
        ("ack", {"conversation_id": conversation, "seq": 1}),
        ("seen", {"conversation_id": conversation, "seq": 1}),
        ("typing", {"conversation_id": conversation, "active": True}),
        ("status", {"status": "online", "conversation_id": conversation}),
    ):
        answer = await widget.request(frame_type, data)
        assert answer["type"] == "ok", (frame_type, answer)
    typing = await console.wait_for(lambda f: f["type"] == "typing")
    assert typing["data"]["user_id"] == chat.visitor["uid"] and typing["data"]["active"] is True
    assert (await console.request("seen", {"conversation_id": conversation, "seq": 1}))["type"] == "ok"
    seen = await widget.wait_for(lambda f: f["type"] == "member.seen")
    assert seen["data"] == {"conversation_id": conversation, "user_id": chat.operator["uid"], "seq": 1}

    assert (await console.request("operator.availability", {"available": False}))["type"] == "ok"
    refused = await widget.request("operator.availability", {"available": True})
    assert refused["data"]["code"] == 9105
    # chatbot_engine's commands: answered either way (9503 while no chatbot_engine serves them).
    answer = await widget.request("chatbot.answer", {"conversation_id": conversation, "step_id": "s", "answer_id": "a"})
    assert answer["type"] in ("ok", "error")
    assert (await widget.request("conversation.close", {"conversation_id": conversation}))["type"] == "ok"
    rated = await widget.request(
        "conversation.rate", {"conversation_id": conversation, "rating": 5, "comment": "Thanks"}
    )
    assert rated["type"] == "ok", rated
    await widget.close()
    await console.close()


async def test_a_draining_gateway_keeps_delivering_then_sends_clients_elsewhere(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    chat = await start_chat(session, fleet, admin)
    console, _ = await connect(session, fleet.url("gateway"), chat.operator["token"])
    draining = await fleet.add_replica("gateway", PARLEY_GATEWAY_DRAIN_SECONDS="6")  # slots at 0, 2 and 4 s
    others = []
    for _ in range(2):  # the oldest connections are told first: these go before the widget
        other = await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
        others.append((await connect(session, draining.url, other["token"]))[0])
    widget, _ = await connect(session, draining.url, chat.visitor["token"])

    assert draining.process is not None
    draining.process.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.3)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(ws_url(draining.url))
    assert refused.value.status == 503  # no new connections while draining
    during = await _post(console, chat, "during-drain")
    got = await widget.wait_for(lambda f: f["type"] == "message.new" and f["data"]["seq"] == during, timeout=5)
    assert got["data"]["message"]["body"] == "during-drain"  # deliveries still flow
    assert await closed(widget) == 1012
    assert [await closed(other) for other in others] == [1012, 1012]
    assert await asyncio.wait_for(draining.process.wait(), 30) == 0

    # The gateway is gone; the client reconnects elsewhere and resumes what it missed meanwhile.
    missed = await _post(console, chat, "after-drain")
    back, _ = await connect(
        session,
        fleet.url("gateway"),
        chat.visitor["token"],
        resume=[{"conversation_id": chat.conversation_id, "after_seq": during}],
    )
    await back.wait_for(lambda f: f["type"] == "resume.done")
    assert _seqs(back, chat.conversation_id) == [missed]
    await back.close()
    await console.close()


async def test_a_conversation_closed_while_a_member_was_away_is_said_closed_when_it_resumes(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    """A console offline when the visitor closed: its resume replays the messages (the closing
    notice among them) and then says what the conversation is now, so it is not shown open."""
    chat = await start_chat(session, fleet, admin)
    widget, _ = await connect(session, fleet.url("gateway"), chat.visitor["token"])
    assert (await widget.request("conversation.close", {"conversation_id": chat.conversation_id}))["type"] == "ok"
    resume = [{"conversation_id": chat.conversation_id, "after_seq": 1}]
    console, _ = await connect(session, fleet.url("gateway"), chat.operator["token"], resume=resume)
    await console.wait_for(lambda f: f["type"] == "resume.done")
    state = await console.wait_for(
        lambda f: f["type"] == "conversation.updated" and f["data"]["conversation_id"] == chat.conversation_id
    )
    assert state["data"]["status"] == "closed" and state["data"]["operator_id"] == chat.operator["uid"]
    await console.close()
    await widget.close()
