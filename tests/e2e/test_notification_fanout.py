"""Fan-out end to end: each frame reaches the right members' connections, once each, and goes
once to every gateway node holding a recipient, and to no other node (docs/delivery.md).

Three gateway processes (the fleet's and two more). Conversation frames are published exactly as
chat_session publishes them (its Announcer, on the users' delivery channels in Redis); client
frames of other services and presence changes go through notification, from events published on
the fleet's bus as chatbot_engine and presence publish them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
import redis.asyncio as redis

from parley.contracts.events import ClientFrameEvent, PresenceChanged
from parley.contracts.messages import Message
from parley.deliveries import DeliveryPublisher
from parley_chat_session.conversations.announcements import Announcer
from parley_fleet import Fleet
from parley_fleet.processes import ServiceProcess
from tests.conftest import REDIS_URL, Infra
from tests.e2e.presence_harness import WAIT_SECONDS, Probe, connect, metric, visitor, wait_connected
from tests.kit.chat_documents import stored_conversation
from tests.kit.client import WsClient
from tests.kit.fleet import fleet_for

# A delivery that was going to arrive has arrived well within this (they take milliseconds).
QUIET_SECONDS = 1.0


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(infra, "fanout", own_vhost=True) as running:
        yield running


@pytest.fixture(scope="module")
async def gateways(fleet: Fleet) -> AsyncIterator[list[ServiceProcess]]:
    """Three gateway nodes: the fleet's and two more."""
    extra = [await fleet.add_replica("gateway"), await fleet.add_replica("gateway")]
    yield [fleet.services["gateway"], *extra]
    for gateway in extra:
        await gateway.stop()


@pytest.fixture
async def probe(fleet: Fleet) -> AsyncIterator[Probe]:
    watching = await Probe(fleet).start()
    yield watching
    await watching.close()


@pytest.fixture
async def cache() -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


def prefix_of(fleet: Fleet) -> str:
    return fleet.services["gateway"].env["PARLEY_REDIS_KEY_PREFIX"]


@pytest.fixture
def announcer(fleet: Fleet, probe: Probe, cache: redis.Redis) -> Announcer:
    """chat_session's announcer, on the fleet's bus and delivery channels."""
    return Announcer(probe.bus, DeliveryPublisher(cache, prefix_of(fleet)))


async def memberships_known(cache: redis.Redis, fleet: Fleet, conversation_id: str) -> None:
    """Until notification has recorded the conversation's members (from its bus event)."""
    key = f"{prefix_of(fleet)}notification:{{memberships}}:conv:{conversation_id}:members"
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not await cache.exists(key):
        assert asyncio.get_running_loop().time() < deadline, "notification never recorded the conversation"
        await asyncio.sleep(0.05)


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


async def deliveries(gateways: list[ServiceProcess], frame_type: str) -> list[float]:
    """Frames each gateway node has received off its users' delivery channels."""
    return [
        await metric(gateway.url, "parley_gateway_deliveries_received_total", type=frame_type) for gateway in gateways
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
    fleet: Fleet, gateways: list[ServiceProcess], probe: Probe, announcer: Announcer
) -> None:
    a, b, c = gateways
    async with aiohttp.ClientSession() as session:
        vera = await member(session, fleet, a, a)  # two connections on node a
        otto = await member(session, fleet, b)
        bystander = await member(session, fleet, c)
        await known_to_presence(probe, vera, otto, bystander)
        before = await deliveries(gateways, "message.new")

        conversation = f"c_{uuid.uuid4().hex[:8]}"
        members = [vera.uid, otto.uid]
        doc = stored_conversation(conversation, channel_id="ch_fanout", visitor_id=vera.uid, member_ids=members)
        await announcer.message(message(conversation, vera.uid), members, doc=doc)
        await vera.got("message.new", conversation_id=conversation)
        await otto.got("message.new", conversation_id=conversation)
        await asyncio.sleep(QUIET_SECONDS)

        after = await deliveries(gateways, "message.new")
        assert [now - then for now, then in zip(after, before, strict=True)] == [1, 1, 0]
        assert len(vera.frames("message.new")) == 2  # once per connection
        assert bystander.frames("message.new") == []
        for someone in (vera, otto, bystander):
            await someone.close()


async def test_conversation_events_become_frames_for_their_members(
    fleet: Fleet, gateways: list[ServiceProcess], probe: Probe, announcer: Announcer
) -> None:
    a, b, _ = gateways
    async with aiohttp.ClientSession() as session:
        vera, otto = await member(session, fleet, a), await member(session, fleet, b)
        await known_to_presence(probe, vera, otto)
        members = [vera.uid, otto.uid]
        conversation = f"c_{uuid.uuid4().hex[:8]}"
        doc = stored_conversation(
            conversation, channel_id="ch", visitor_id=vera.uid, member_ids=members, operator_id=otto.uid
        )

        await announcer.updated(doc, "assigned")
        for someone in (vera, otto):
            (update,) = await someone.got("conversation.updated", conversation_id=conversation)
            assert (update["data"]["status"], update["data"]["operator_id"]) == ("open", otto.uid)

        await announcer.seen(doc, otto.uid, 3)
        (seen,) = await vera.got("member.seen", conversation_id=conversation)
        assert (seen["data"]["user_id"], seen["data"]["seq"]) == (otto.uid, 3)

        await announcer.typing(doc, vera.uid, "Vera", True)
        (typing,) = await otto.got("typing", conversation_id=conversation)
        assert (typing["data"]["user_id"], typing["data"]["active"]) == (vera.uid, True)

        # Another service's frame for one user goes through notification.
        notice = {"type": "notice", "data": {"level": "info", "code": None, "text": "just for Vera"}}
        await probe.bus.publish_event(ClientFrameEvent(user_ids=[vera.uid], frame=notice))
        (delivered,) = await vera.got("notice")
        assert delivered == notice  # delivered as is

        await announcer.closed(
            doc.model_copy(update={"status": "closed", "closed_by": vera.uid, "close_reason": "done"})
        )
        for someone in (vera, otto):
            await someone.got("conversation.updated", conversation_id=conversation, status="closed")
        await asyncio.sleep(QUIET_SECONDS)
        assert vera.frames("typing") == []  # nobody sees their own typing
        assert otto.frames("notice") == []
        await vera.close()
        await otto.close()


async def test_presence_changes_reach_conversation_partners_only(
    fleet: Fleet, gateways: list[ServiceProcess], probe: Probe, announcer: Announcer, cache: redis.Redis
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
        # The bus event gives notification the memberships; the frame shows it was published.
        await announcer.updated(
            stored_conversation(conversation, channel_id="ch", visitor_id=vera.uid, member_ids=members), "opened"
        )
        await vera.got("conversation.updated", conversation_id=conversation)
        await memberships_known(cache, fleet, conversation)

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
