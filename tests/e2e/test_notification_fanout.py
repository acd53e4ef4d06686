"""Notification end to end: each event becomes the right frame for the right members, and each
delivery goes once to every gateway node holding a recipient, and to no other node.

Three gateway processes (the fleet's and two more); the events are published on the fleet's
bus exactly as chat_session and presence publish them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from parley.contracts.events import (
    ClientFrameEvent,
    ConversationChanged,
    ConversationClosed,
    MemberSeenEvent,
    MessageCreated,
    PresenceChanged,
    TypingEvent,
)
from parley.contracts.messages import Message
from parley_fleet import Fleet
from parley_fleet.processes import ServiceProcess
from tests.conftest import Infra
from tests.e2e.client import WsClient
from tests.e2e.presence_harness import (
    WAIT_SECONDS,
    Probe,
    connect,
    metric,
    node_of,
    running_fleet,
    start_gateway,
    visitor,
    wait_connected,
)

# A delivery that was going to arrive has arrived well within this (they take milliseconds).
QUIET_SECONDS = 1.0


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with running_fleet(infra, "fanout", {}) as running:
        yield running


@pytest.fixture(scope="module")
async def gateways(fleet: Fleet) -> AsyncIterator[list[ServiceProcess]]:
    """Three gateway nodes: the fleet's and two more."""
    extra = [await start_gateway(fleet, "b"), await start_gateway(fleet, "c")]
    yield [fleet.services["gateway"], *extra]
    for gateway in extra:
        await gateway.stop()


@pytest.fixture
async def probe(fleet: Fleet) -> AsyncIterator[Probe]:
    watching = await Probe(fleet).start()
    yield watching
    await watching.close()


class Member:
    def __init__(self, uid: str, clients: list[WsClient]) -> None:
        self.uid = uid
        self.clients = clients

    async def got(self, frame_type: str, **data: object) -> list[dict]:
        """The matching frame on every connection of this member (waits for each)."""

        def matches(frame: dict) -> bool:
            return frame["type"] == frame_type and data.items() <= frame["data"].items()

        return [await client.wait_for(matches, timeout=WAIT_SECONDS) for client in self.clients]

    def frames(self, frame_type: str) -> list[dict]:
        return [frame for client in self.clients for frame in client.of_type(frame_type)]

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def member(session: aiohttp.ClientSession, fleet: Fleet, *gateways: ServiceProcess) -> Member:
    """A visitor with one connection on each of ``gateways``."""
    user = await visitor(session, fleet)
    return Member(user["uid"], [(await connect(session, gateway.url, user["token"]))[0] for gateway in gateways])


async def known_to_presence(probe: Probe, *members: Member) -> None:
    await wait_connected(probe, *(m.uid for m in members))


async def deliveries(gateways: list[ServiceProcess]) -> list[float]:
    """Deliveries each gateway node has consumed from its own parley.deliver queue."""
    return [
        await metric(
            gateway.url, "parley_bus_consumed_total", queue=f"gateway.deliver.{node_of(gateway)}", outcome="ack"
        )
        for gateway in gateways
    ]


def message(conversation_id: str, author: str, seq: int = 1) -> Message:
    return Message(
        id=f"m_{uuid.uuid4().hex[:8]}",
        conversation_id=conversation_id,
        seq=seq,
        author_id=author,
        author_role="visitor",
        author_name="Vera",
        kind="text",
        body=f"line {seq}",
        client_msg_id=f"k{seq}",
        created_at=datetime.now(UTC),
    )


async def test_one_delivery_per_node_holding_recipients_and_none_elsewhere(
    fleet: Fleet, gateways: list[ServiceProcess], probe: Probe
) -> None:
    a, b, c = gateways
    async with aiohttp.ClientSession() as session:
        vera = await member(session, fleet, a, a)  # two connections on node a
        otto = await member(session, fleet, b)
        bystander = await member(session, fleet, c)
        await known_to_presence(probe, vera, otto, bystander)
        before = await deliveries(gateways)
        sent_before = await metric(
            fleet.url("notification"), "parley_notification_deliveries_total", frame="message.new"
        )

        conversation = f"c_{uuid.uuid4().hex[:8]}"
        await probe.bus.publish_event(
            MessageCreated(message=message(conversation, vera.uid), member_ids=[vera.uid, otto.uid])
        )
        await vera.got("message.new", conversation_id=conversation)
        await otto.got("message.new", conversation_id=conversation)
        await asyncio.sleep(QUIET_SECONDS)

        after = await deliveries(gateways)
        assert [now - then for now, then in zip(after, before, strict=True)] == [1, 1, 0]
        sent = await metric(fleet.url("notification"), "parley_notification_deliveries_total", frame="message.new")
        assert sent - sent_before == 2
        assert len(vera.frames("message.new")) == 2  # once per connection
        assert bystander.frames("message.new") == []
        for someone in (vera, otto, bystander):
            await someone.close()


async def test_conversation_events_become_frames_for_their_members(
    fleet: Fleet, gateways: list[ServiceProcess], probe: Probe
) -> None:
    a, b, _ = gateways
    async with aiohttp.ClientSession() as session:
        vera, otto = await member(session, fleet, a), await member(session, fleet, b)
        await known_to_presence(probe, vera, otto)
        members = [vera.uid, otto.uid]
        conversation = f"c_{uuid.uuid4().hex[:8]}"
        publish = probe.bus.publish_event

        await publish(
            ConversationChanged(
                conversation_id=conversation, channel_id="ch", status="open", member_ids=members, operator_id=otto.uid
            )
        )
        for someone in (vera, otto):
            (update,) = await someone.got("conversation.updated", conversation_id=conversation)
            assert (update["data"]["status"], update["data"]["operator_id"]) == ("open", otto.uid)

        await publish(MemberSeenEvent(conversation_id=conversation, user_id=otto.uid, seq=3, member_ids=members))
        (seen,) = await vera.got("member.seen", conversation_id=conversation)
        assert (seen["data"]["user_id"], seen["data"]["seq"]) == (otto.uid, 3)

        await publish(
            TypingEvent(conversation_id=conversation, user_id=vera.uid, name="Vera", active=True, member_ids=members)
        )
        (typing,) = await otto.got("typing", conversation_id=conversation)
        assert (typing["data"]["user_id"], typing["data"]["active"]) == (vera.uid, True)

        notice = {"type": "notice", "data": {"level": "info", "code": None, "text": "just for Vera"}}
        await publish(ClientFrameEvent(user_ids=[vera.uid], frame=notice))
        (delivered,) = await vera.got("notice")
        assert delivered == notice  # delivered as is

        await publish(
            ConversationClosed(
                conversation_id=conversation, channel_id="ch", member_ids=members, closed_by=vera.uid, reason="done"
            )
        )
        for someone in (vera, otto):
            await someone.got("conversation.updated", conversation_id=conversation, status="closed")
        await asyncio.sleep(QUIET_SECONDS)
        assert vera.frames("typing") == []  # nobody sees their own typing
        assert otto.frames("notice") == []
        await vera.close()
        await otto.close()


async def test_presence_changes_reach_conversation_partners_only(
    fleet: Fleet, gateways: list[ServiceProcess], probe: Probe
) -> None:
    a, b, c = gateways
    async with aiohttp.ClientSession() as session:
        vera, otto, bystander = (
            await member(session, fleet, a),
            await member(session, fleet, b),
            await member(session, fleet, c),
        )
        await known_to_presence(probe, vera, otto, bystander)
        conversation = f"c_{uuid.uuid4().hex[:8]}"
        members = [vera.uid, otto.uid]
        await probe.bus.publish_event(
            ConversationChanged(conversation_id=conversation, channel_id="ch", status="open", member_ids=members)
        )
        await vera.got("conversation.updated", conversation_id=conversation)

        await otto.close()
        (gone,) = await vera.got("presence", user_id=otto.uid)
        assert gone["data"]["status"] == "offline"
        back = await member(session, fleet, c)  # someone new comes and goes: not Vera's partner
        await back.close()
        await asyncio.sleep(QUIET_SECONDS)
        assert [f["data"]["user_id"] for f in vera.frames("presence") if f["data"]["user_id"] != vera.uid] == [otto.uid]
        assert [f for f in bystander.frames("presence") if f["data"]["user_id"] != bystander.uid] == []
        await vera.close()
        await bystander.close()


async def test_a_users_own_presence_change_reaches_all_their_connections(
    fleet: Fleet, gateways: list[ServiceProcess], probe: Probe
) -> None:
    """An operator's busy toggle in one console shows in their other consoles."""
    a, b, _ = gateways
    async with aiohttp.ClientSession() as session:
        olivia = await member(session, fleet, a, b)
        await known_to_presence(probe, olivia)
        await probe.bus.publish_event(PresenceChanged(user_id=olivia.uid, status="online", available=False))
        frames = await olivia.got("presence", user_id=olivia.uid, available=False)
        assert len(frames) == 2 and all(frame["data"]["status"] == "online" for frame in frames)
        await olivia.close()
