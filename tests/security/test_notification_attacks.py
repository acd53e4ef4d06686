"""Attacks on notification (issue 16, finding 8): a push subscription is a URL the caller
chooses, so it must never make notification call an internal address (SSRF), neither when it is
stored nor when a push is sent to one stored before the check or whose address changed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from py_vapid import Vapid
from pymongo import AsyncMongoClient

from parley.contracts.events import MessageCreated
from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.presence_harness import Probe, metric, visitor
from tests.e2e.push_endpoint import SUBJECT, PushService
from tests.e2e.test_push_delivery import message
from tests.kit.fleet import fleet_for
from tests.kit.waiting import eventually


@pytest.fixture(scope="module")
async def fleet(infra: Infra, vapid: Vapid) -> AsyncIterator[Fleet]:
    env = {
        "PARLEY_NOTIFICATION_VAPID_PRIVATE_KEY": vapid.private_pem().decode(),
        "PARLEY_NOTIFICATION_VAPID_SUBJECT": SUBJECT,
        # http is allowed here so that the only reason left to refuse the local endpoint is its address.
        "PARLEY_NOTIFICATION_PUSH_ALLOW_INSECURE_ENDPOINTS": "true",
        "PARLEY_NOTIFICATION_PUSH_MERGE_SECONDS": "0",
    }
    async with fleet_for(infra, "notification-attacks", own_vhost=True, **env) as running:
        yield running


INTERNAL_ENDPOINTS = [
    "https://127.0.0.1:15672/api/overview",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/push/x",
    "https://10.0.0.5/push/x",
    "https://172.16.3.4/push/x",
    "https://192.168.1.1/push/x",
    "https://100.64.0.1/push/x",
    "https://[fe80::1]/push/x",
    "https://localhost/push/x",
    "https://2130706433/push/x",
    "https://user:secret@fcm.googleapis.com/fcm/send/x",
    "https://fcm.googleapis.com:6379/fcm/send/x",
]


async def test_a_subscription_to_an_internal_address_is_refused(fleet: Fleet, push_service: PushService) -> None:
    device = push_service.device()
    async with aiohttp.ClientSession() as session:
        user = await visitor(session, fleet)
        for endpoint in INTERNAL_ENDPOINTS:
            body = {"device_id": "laptop", "subscription": {**device.subscription(), "endpoint": endpoint}}
            async with session.put(
                f"{fleet.url('notification')}/push/subscriptions",
                json=body,
                headers={"Authorization": f"Bearer {user['token']}"},
            ) as response:
                answer = await response.json()
            assert response.status == 400 and answer["error"]["code"] == 9105, (endpoint, answer)
            assert "public push service" in answer["error"]["message"], answer
        async with session.get(
            f"{fleet.url('notification')}/push/subscriptions", headers={"Authorization": f"Bearer {user['token']}"}
        ) as response:
            assert (await response.json())["subscriptions"] == []


async def test_a_stored_internal_endpoint_is_not_called_when_a_push_is_sent(
    fleet: Fleet, infra: Infra, mongo: AsyncMongoClient, push_service: PushService
) -> None:
    """A subscription stored before the check existed (or by another replica's older code) still
    names 127.0.0.1: the push is refused at sending, the endpoint never called, the subscription
    forgotten."""
    device = push_service.device()
    async with aiohttp.ClientSession() as session:
        user = await visitor(session, fleet)  # never connected: offline, so a message to them is pushed
    keys = device.subscription()["keys"]
    now = datetime.now(UTC)
    subscriptions = mongo[infra.mongo_db]["push_subscriptions"]
    await subscriptions.insert_one(
        {
            "_id": f"{user['uid']}/laptop",
            "user_id": user["uid"],
            "device_id": "laptop",
            "endpoint": device.endpoint,
            "p256dh": keys["p256dh"],
            "auth": keys["auth"],
            "created_at": now,
            "updated_at": now,
        }
    )
    refused_before = await metric(fleet.url("notification"), "parley_push_failed_total", reason="refused")
    probe = await Probe(fleet).start()
    try:
        conversation = f"c_{uuid.uuid4().hex[:8]}"
        await probe.bus.publish_event(
            MessageCreated(message=message(conversation, 1), member_ids=["u_olivia", user["uid"]])
        )

        async def refused() -> bool:
            return (
                await metric(fleet.url("notification"), "parley_push_failed_total", reason="refused") > refused_before
            )

        await eventually(refused)
    finally:
        await probe.close()
    assert push_service.tries(device) == 0
    assert await subscriptions.find_one({"_id": f"{user['uid']}/laptop"}) is None
