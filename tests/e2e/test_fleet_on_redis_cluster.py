"""The whole fleet on a Redis Cluster (three primaries and their replicas, the tests' own): a
visitor and an operator exchange messages, presence follows the operator online, away and
offline, and a reply to a visitor who left arrives as a web push. Every Redis script of the fleet
runs here on the node of its keys' slot (rate limits, admission, delivery, chat_session's
reservations and deadlines, presence, notification's memberships and pending pushes).

And Redis losing its data: every key of the fleet deleted, chat_session's deadlines (which live
only in Redis) are rebuilt from MongoDB and still fire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from py_vapid import Vapid

from parley.contracts.commands import GetUserStatus, UserStatuses
from parley.contracts.events import PresenceChanged
from parley.stores import redis_client
from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.flows import staff_and_channel
from tests.e2e.presence_harness import WAIT_SECONDS, Probe, connect, visitor, wait_connected, wait_disconnected
from tests.e2e.push_endpoint import SUBJECT, PushService
from tests.kit.client import login
from tests.kit.fleet import fleet_for
from tests.kit.redis_servers import RedisClusterNodes
from tests.kit.seeding import Seeder
from tests.kit.waiting import eventually


@pytest.fixture(scope="module")
async def fleet(
    infra: Infra, redis_cluster_nodes: RedisClusterNodes, vapid: Vapid, push_service: PushService
) -> AsyncIterator[Fleet]:
    env = {
        "PARLEY_REDIS_CLUSTER_NODES": ",".join(f"127.0.0.1:{port}" for port in redis_cluster_nodes.ports),
        "PARLEY_NOTIFICATION_VAPID_PRIVATE_KEY": vapid.private_pem().decode(),
        "PARLEY_NOTIFICATION_VAPID_SUBJECT": SUBJECT,
        "PARLEY_NOTIFICATION_PUSH_ALLOW_INSECURE_ENDPOINTS": "true",
        "PARLEY_NOTIFICATION_PUSH_ALLOWED_HOSTS": '["127.0.0.1"]',
        "PARLEY_NOTIFICATION_PUSH_MERGE_SECONDS": "0.5",
        "PARLEY_GATEWAY_PRESENCE_BATCH_SECONDS": "0.5",
        "PARLEY_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
        "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    async with fleet_for(infra, "cluster", own_vhost=True, **env) as running:
        yield running


@pytest.fixture
async def probe(fleet: Fleet) -> AsyncIterator[Probe]:
    watching = await Probe(fleet, PresenceChanged).start()
    yield watching
    await watching.close()


async def test_chat_presence_and_push_work_on_a_redis_cluster(
    fleet: Fleet, probe: Probe, push_service: PushService
) -> None:
    gateway = fleet.url("gateway")
    async with aiohttp.ClientSession() as session:
        username, password, channel_id = await staff_and_channel(session, fleet)
        staff = await login(session, fleet.url("auth"), username=username, password=password)
        operator_id = staff["uid"]
        operator, _ = await connect(session, gateway, staff["token"])
        guest = await visitor(session, fleet)
        phone = push_service.device()
        async with session.put(
            f"{fleet.url('notification')}/push/subscriptions",
            json={"device_id": "phone", "subscription": phone.subscription()},
            headers={"Authorization": f"Bearer {guest['token']}"},
        ) as response:
            assert response.status == 200, await response.text()
        page, _ = await connect(session, gateway, guest["token"])
        await wait_connected(probe, operator_id, guest["uid"])

        # Chat: the visitor's temporary session becomes a conversation at the first message.
        opened = await page.request("session.open", {"channel_id": channel_id})
        conversation = opened["data"]["conversation_id"]
        first = {"conversation_id": conversation, "client_msg_id": "v1", "kind": "text", "body": "Where is my order?"}
        assert (await page.request("message.send", first))["type"] == "message.accepted"
        await operator.wait_for(
            lambda f: f["type"] == "message.new" and f["data"]["conversation_id"] == conversation, WAIT_SECONDS
        )
        answer = {"conversation_id": conversation, "client_msg_id": "o1", "kind": "text", "body": "Checking."}
        assert (await operator.request("message.send", answer))["type"] == "message.accepted"
        back = await page.wait_for(lambda f: f["type"] == "message.new" and f["data"]["seq"] == 2, WAIT_SECONDS)
        assert back["data"]["message"]["body"] == "Checking."

        # Presence: the operator online, away (every tab hidden), online again.
        async def status_is(user_id: str, wanted: str) -> bool:
            reply = await probe.bus.request(GetUserStatus(user_ids=[user_id]))
            return UserStatuses.model_validate(reply).statuses[user_id] == wanted

        assert await status_is(operator_id, "online")
        assert (await operator.request("status", {"status": "hidden"}))["type"] == "ok"
        await probe.wait_for(PresenceChanged, lambda e: e.user_id == operator_id and e.status == "away")
        assert (await operator.request("status", {"status": "visible"}))["type"] == "ok"
        await eventually(lambda: status_is(operator_id, "online"), what="the operator online again")

        # Push: the visitor leaves the page; the operator's next reply reaches their phone.
        await page.close()
        await wait_disconnected(probe, guest["uid"])
        late = {"conversation_id": conversation, "client_msg_id": "o2", "kind": "text", "body": "It ships today."}
        assert (await operator.request("message.send", late))["type"] == "message.accepted"
        await eventually(lambda: push_service.pushes(phone), what="the push at the phone")
        (push,) = push_service.pushes(phone)
        # The count may be 2: on a cluster, PUBLISH counts only the publishing node's subscribers,
        # so "Checking." (delivered live) may have been counted unread (docs/operations.md).
        assert (push.notice["conversation_id"], push.notice["seq"]) == (conversation, 3)
        assert push.notice["body"].endswith("It ships today.")
        # Offline once the grace after the last connection ended (the sweep on the cluster's presence slot).
        await eventually(lambda: status_is(guest["uid"], "offline"), what="the visitor offline")

        # And the operator leaves: offline.
        await operator.close()
        await probe.wait_for(PresenceChanged, lambda e: e.user_id == operator_id and e.status == "offline")


async def test_an_inactivity_deadline_lost_with_redis_s_data_still_closes_the_conversation(
    fleet: Fleet, probe: Probe, redis_cluster_nodes: RedisClusterNodes
) -> None:
    async with aiohttp.ClientSession() as session:
        seed = await Seeder.signed_in(session, fleet)
        staff = await seed.staff()
        channel_id = await seed.channel([staff.uid], inactivity_timeout_minutes=0.05)  # 3 s of silence
        operator_login = await login(session, fleet.url("auth"), username=staff.username, password=staff.password)
        operator, _ = await connect(session, fleet.url("gateway"), operator_login["token"])
        guest = await visitor(session, fleet)
        page, _ = await connect(session, fleet.url("gateway"), guest["token"])
        await wait_connected(probe, staff.uid, guest["uid"])
        opened = await page.request("session.open", {"channel_id": channel_id})
        conversation = opened["data"]["conversation_id"]
        first = {"conversation_id": conversation, "client_msg_id": "v1", "kind": "text", "body": "Hello?"}
        assert (await page.request("message.send", first))["type"] == "message.accepted"
        await operator.wait_for(
            lambda f: f["type"] == "message.new" and f["data"]["conversation_id"] == conversation, WAIT_SECONDS
        )

        # Redis loses everything of the fleet's (a flush, an empty replica promoted).
        prefix = fleet.env["PARLEY_REDIS_KEY_PREFIX"]
        cache = redis_client(redis_cluster_nodes.settings(prefix))
        deleted = [key async for key in cache.scan_iter(match=f"{prefix}*")]
        for key in deleted:
            await cache.delete(key)
        await cache.aclose()
        assert f"{prefix}chat:deadlines:inactivity" in deleted  # the deadline was there, and is gone

        closed = await page.wait_for(
            lambda f: (
                f["type"] == "conversation.updated"
                and f["data"]["conversation_id"] == conversation
                and f["data"]["status"] == "closed"
            ),
            WAIT_SECONDS,
        )
        assert closed["data"]["reason"] == "inactivity"
        await page.close()
        await operator.close()
