"""Web push end to end, against a real push endpoint (tests/e2e/push_endpoint.py): a
local HTTP server that checks each push's VAPID JWT and decrypts its payload with the
subscription's private key, as a browser's push service and the browser would. No mock of
pywebpush: notification's real HTTP requests arrive there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import orjson
import pytest
import redis.asyncio as redis
from py_vapid import Vapid

from parley.contracts.events import MemberSeenEvent
from parley.contracts.messages import Message
from parley.deliveries import DeliveryPublisher
from parley_chat_session.conversations.announcements import Announcer
from parley_fleet import Fleet
from tests.conftest import REDIS_URL, Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.flows import staff_and_channel
from tests.e2e.presence_harness import WAIT_SECONDS, Probe, connect, metric, visitor, wait_connected, wait_disconnected
from tests.e2e.push_endpoint import SUBJECT, Device, PushService
from tests.kit.chat_documents import stored_conversation
from tests.kit.client import login
from tests.kit.fleet import fleet_for
from tests.kit.waiting import eventually

MERGE_SECONDS = 0.5
MAX_DIRECT_PUSH = 2
QUEUE_RATE = 4.0  # pushes per second: a queued fan-out of 5 takes about a second
# Long enough for the merge window, the due poll and a push round trip on a loaded machine.
SETTLE_SECONDS = MERGE_SECONDS + 2.0


@pytest.fixture(scope="module")
async def fleet(infra: Infra, vapid: Vapid, push_service: PushService) -> AsyncIterator[Fleet]:
    env = {
        "PARLEY_NOTIFICATION_VAPID_PRIVATE_KEY": vapid.private_pem().decode(),
        "PARLEY_NOTIFICATION_VAPID_SUBJECT": SUBJECT,
        "PARLEY_NOTIFICATION_PUSH_ALLOW_INSECURE_ENDPOINTS": "true",
        # The local push endpoint is on 127.0.0.1 and a random port, which only an allowed host may use.
        "PARLEY_NOTIFICATION_PUSH_ALLOWED_HOSTS": '["127.0.0.1"]',
        "PARLEY_NOTIFICATION_PUSH_MERGE_SECONDS": str(MERGE_SECONDS),
        "PARLEY_NOTIFICATION_MAX_DIRECT_PUSH": str(MAX_DIRECT_PUSH),
        "PARLEY_NOTIFICATION_PUSH_QUEUE_RATE": str(QUEUE_RATE),
        "PARLEY_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
        "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    async with fleet_for(infra, "push", own_vhost=True, **env) as running:
        yield running


@pytest.fixture
async def probe(fleet: Fleet) -> AsyncIterator[Probe]:
    watching = await Probe(fleet).start()
    yield watching
    await watching.close()


@pytest.fixture
async def chat(fleet: Fleet, probe: Probe) -> AsyncIterator[Announcer]:
    """chat_session's announcer on the fleet's bus and delivery channels: it publishes a message
    as chat_session does (message.new to the members' channels, then message.created)."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield Announcer(probe.bus, DeliveryPublisher(client, fleet.services["gateway"].env["PARLEY_REDIS_KEY_PREFIX"]))
    await client.aclose()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def subscribe(session: aiohttp.ClientSession, fleet: Fleet, token: str, device_id: str, device: Device) -> None:
    async with session.put(
        f"{fleet.url('notification')}/push/subscriptions",
        json={"device_id": device_id, "subscription": device.subscription()},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200, await response.text()


async def offline_user(
    session: aiohttp.ClientSession,
    fleet: Fleet,
    service: PushService,
    devices: int = 1,
    answers: list[int] | None = None,
) -> tuple[str, str, list[Device]]:
    """A visitor with push subscriptions and no live connection: (uid, token, devices)."""
    user = await visitor(session, fleet)
    registered = [service.device(answers) for _ in range(devices)]
    for number, device in enumerate(registered):
        await subscribe(session, fleet, user["token"], f"browser-{number}", device)
    return user["uid"], user["token"], registered


def message(conversation_id: str, seq: int, body: str = "") -> Message:
    return Message(
        id=f"m_{uuid.uuid4().hex[:8]}",
        conversation_id=conversation_id,
        seq=seq,
        author_id="u_olivia",
        author_role="operator",
        author_name="Olivia",
        kind="text",
        body=body or f"answer number {seq}",
        created_at=datetime.now(UTC),
    )


async def posted(chat: Announcer, conversation_id: str, seq: int, members: list[str], body: str = "") -> None:
    """What chat_session publishes when Olivia (an operator) posts to the conversation."""
    member_ids = ["u_olivia", *members]
    conversation = stored_conversation(
        conversation_id,
        channel_id="ch_push",
        visitor_id=members[0] if members else "",
        operator_id="u_olivia",
        member_ids=member_ids,
    )
    await chat.message(message(conversation_id, seq, body), member_ids, doc=conversation)


async def test_public_key_and_subscription_api(
    session: aiohttp.ClientSession, fleet: Fleet, push_service: PushService
) -> None:
    api = f"{fleet.url('notification')}/push"
    async with session.get(f"{api}/vapid-public-key") as response:
        assert (await response.json())["public_key"] == push_service.vapid_public_key
    user = await visitor(session, fleet)
    auth = {"Authorization": f"Bearer {user['token']}"}
    device = push_service.device()
    async with session.put(
        f"{api}/subscriptions", json={"device_id": "d1", "subscription": device.subscription()}
    ) as response:
        assert response.status == 401
    broken = {**device.subscription(), "keys": {"p256dh": "bm90IGEga2V5", "auth": "c2hvcnQ"}}
    async with session.put(
        f"{api}/subscriptions", json={"device_id": "d1", "subscription": broken}, headers=auth
    ) as response:
        assert response.status == 400
    for _ in range(2):  # registering again replaces, it does not add
        await subscribe(session, fleet, user["token"], "d1", device)
    async with session.get(f"{api}/subscriptions", headers=auth) as response:
        listed = (await response.json())["subscriptions"]
    assert [(s["device_id"], s["endpoint_origin"]) for s in listed] == [("d1", push_service.origin)]
    async with session.delete(f"{api}/subscriptions/d1", headers=auth) as response:
        assert response.status == 204
    async with session.delete(f"{api}/subscriptions/d1", headers=auth) as response:
        assert response.status == 404


async def test_a_reply_to_a_visitor_who_left_arrives_as_a_push(
    session: aiohttp.ClientSession, fleet: Fleet, push_service: PushService, probe: Probe
) -> None:
    """The whole path: gateway, chat_session, presence, notification, the push service."""
    username, password, channel_id = await staff_and_channel(session, fleet)
    operator_login = await login(session, fleet.url("auth"), username=username, password=password)
    operator, _ = await connect(session, fleet.url("gateway"), operator_login["token"])
    uid, token, (phone,) = await offline_user(session, fleet, push_service)
    page, _ = await connect(session, fleet.url("gateway"), token)
    await wait_connected(probe, operator_login["uid"], uid)
    opened = await page.request("session.open", {"channel_id": channel_id})
    conversation = opened["data"]["conversation_id"]
    first = {"conversation_id": conversation, "client_msg_id": "v1", "kind": "text", "body": "Where is my order?"}
    assert (await page.request("message.send", first))["type"] == "message.accepted"
    await operator.wait_for(
        lambda f: f["type"] == "message.new" and f["data"]["conversation_id"] == conversation, WAIT_SECONDS
    )

    await page.close()  # the visitor leaves the page
    # No live connection is what push goes by (the status waits out the offline grace first).
    await wait_disconnected(probe, uid)
    answer = {"conversation_id": conversation, "client_msg_id": "o1", "kind": "text", "body": "It ships today."}
    assert (await operator.request("message.send", answer))["type"] == "message.accepted"
    await eventually(lambda: push_service.pushes(phone))
    (push,) = push_service.pushes(phone)
    assert (push.notice["conversation_id"], push.notice["body"], push.notice["count"]) == (
        conversation,
        "It ships today.",
        1,
    )
    await operator.close()


async def test_a_burst_to_an_offline_member_is_one_push_with_a_count(
    session: aiohttp.ClientSession, fleet: Fleet, push_service: PushService, probe: Probe, chat: Announcer
) -> None:
    uid, _, (phone,) = await offline_user(session, fleet, push_service)
    conversation = f"c_{uuid.uuid4().hex[:8]}"
    for seq in (1, 2, 3, 3):  # the last one a redelivery
        await posted(chat, conversation, seq, [uid])
    await eventually(lambda: push_service.pushes(phone))
    await asyncio.sleep(SETTLE_SECONDS)
    (push,) = push_service.pushes(phone)
    assert push.notice == {
        "type": "message",
        "conversation_id": conversation,
        "seq": 3,
        "count": 3,
        "author_name": "Olivia",
        "title": "3 new messages",
        "body": "Olivia: answer number 3",
        "tag": f"parley:{conversation}",
    }
    assert push.headers["urgency"] == "high" and len(push.headers["topic"]) <= 32


async def test_no_push_when_read_elsewhere_or_connected(
    session: aiohttp.ClientSession, fleet: Fleet, push_service: PushService, probe: Probe, chat: Announcer
) -> None:
    reader, _, (reader_phone,) = await offline_user(session, fleet, push_service)
    online, token, (online_phone,) = await offline_user(session, fleet, push_service)
    client, _ = await connect(session, fleet.url("gateway"), token)
    await wait_connected(probe, online)
    conversation = f"c_{uuid.uuid4().hex[:8]}"
    await posted(chat, conversation, 1, [reader, online])
    await client.wait_for(
        lambda f: f["type"] == "message.new" and f["data"]["conversation_id"] == conversation, WAIT_SECONDS
    )
    # The reader reads it on another device within the merge window: the push is out of date.
    await probe.bus.publish_event(
        MemberSeenEvent(conversation_id=conversation, user_id=reader, seq=1, member_ids=[reader, online])
    )
    await asyncio.sleep(SETTLE_SECONDS)
    assert push_service.pushes(reader_phone) == [] and push_service.pushes(online_phone) == []
    await client.close()


async def test_subscriptions_answered_404_or_410_are_deleted(
    session: aiohttp.ClientSession, fleet: Fleet, push_service: PushService, probe: Probe, chat: Announcer
) -> None:
    gone_before = await metric(fleet.url("notification"), "parley_push_failed_total", reason="gone")
    uid, token, devices = await offline_user(session, fleet, push_service, devices=1, answers=[410])
    extra = push_service.device([404])
    await subscribe(session, fleet, token, "old-laptop", extra)
    await posted(chat, f"c_{uuid.uuid4().hex[:8]}", 1, [uid])
    await eventually(lambda: all(push_service.tries(device) for device in (*devices, extra)))

    async def all_deleted() -> bool:
        async with session.get(
            f"{fleet.url('notification')}/push/subscriptions", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            return (await response.json())["subscriptions"] == []

    await eventually(all_deleted)
    assert await metric(fleet.url("notification"), "parley_push_failed_total", reason="gone") - gone_before == 2


async def test_a_push_answered_429_is_retried(
    session: aiohttp.ClientSession, fleet: Fleet, push_service: PushService, probe: Probe, chat: Announcer
) -> None:
    uid, _, (phone,) = await offline_user(session, fleet, push_service, answers=[429, 503])
    await posted(chat, f"c_{uuid.uuid4().hex[:8]}", 1, [uid])
    await eventually(lambda: push_service.pushes(phone))
    assert push_service.tries(phone) == 3


async def test_pushes_above_max_direct_push_are_queued_and_rate_limited(
    session: aiohttp.ClientSession, fleet: Fleet, push_service: PushService, probe: Probe, chat: Announcer
) -> None:
    queued_before = await metric(fleet.url("notification"), "parley_push_queued_total")
    few, _, few_devices = await offline_user(session, fleet, push_service, devices=MAX_DIRECT_PUSH)
    await posted(chat, f"c_{uuid.uuid4().hex[:8]}", 1, [few])
    await eventually(lambda: all(push_service.pushes(d) for d in few_devices))
    assert await metric(fleet.url("notification"), "parley_push_queued_total") == queued_before  # sent directly

    many, _, many_devices = await offline_user(session, fleet, push_service, devices=5)
    await posted(chat, f"c_{uuid.uuid4().hex[:8]}", 1, [many], body="x" * 4000)
    await eventually(lambda: all(push_service.pushes(d) for d in many_devices))
    assert await metric(fleet.url("notification"), "parley_push_queued_total") - queued_before == 5
    arrivals = sorted(push_service.pushes(d)[0].at for d in many_devices)
    assert arrivals[-1] - arrivals[0] >= (5 - 1) / QUEUE_RATE * 0.8, arrivals  # drained at the rate
    notice = push_service.pushes(many_devices[0])[0].notice
    assert notice["body"].endswith("…") and len(orjson.dumps(notice)) <= 4096 - 103  # cut to one record
