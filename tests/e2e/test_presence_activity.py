"""Activity end to end: sending, reading and typing reach presence through the gateway (not
through chat_session's events), at once after a quiet spell and batched while chatting.

The away threshold is shortened to a few seconds and heartbeat batches come every 2 s, so the
test can tell an immediate report from one that waited for the next batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from parley.contracts.events import Heartbeats, PresenceChanged
from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.flows import staff_and_channel
from tests.e2e.presence_harness import Probe, connect, node_of, visitor
from tests.kit.fleet import fleet_for
from tests.kit.waiting import eventually

BATCH_SECONDS = 3.0
AWAY_SECONDS = 6.0
FLEET_ENV = {
    "PARLEY_GATEWAY_PRESENCE_BATCH_SECONDS": str(BATCH_SECONDS),
    "PARLEY_PRESENCE_CONNECTION_TTL_SECONDS": str(3 * BATCH_SECONDS),
    "PARLEY_PRESENCE_AWAY_SECONDS": str(AWAY_SECONDS),
    "PARLEY_PRESENCE_SWEEP_INTERVAL_SECONDS": "0.25",
    "PARLEY_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
    "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
}
# An immediate report reaches presence in milliseconds (1.1 s seen on a loaded CI machine); a
# batched one, sent just after a batch, BATCH_SECONDS later: halfway tells them apart.
IMMEDIATE_SECONDS = BATCH_SECONDS / 2


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(infra, "activity", own_vhost=True, **FLEET_ENV) as running:
        yield running


async def test_a_message_brings_an_away_user_back_at_once_and_chatting_keeps_them_online(fleet: Fleet) -> None:
    probe = await Probe(fleet, PresenceChanged, Heartbeats).start()
    try:
        async with aiohttp.ClientSession() as session:
            _, _, channel_id = await staff_and_channel(session, fleet)
            user = await visitor(session, fleet)
            uid, node = user["uid"], node_of(fleet.services["gateway"])
            client, _ = await connect(session, fleet.url("gateway"), user["token"])
            conversation_id = (await client.request("session.open", {"channel_id": channel_id}))["data"][
                "conversation_id"
            ]
            await probe.wait_for(
                PresenceChanged, lambda e: e.user_id == uid and e.status == "away", timeout=AWAY_SECONDS + 10
            )

            # Just after a batch, so the next one is BATCH_SECONDS away.
            batches = len(probe.events(Heartbeats, lambda e: e.node == node))
            await eventually(lambda: len(probe.events(Heartbeats, lambda e: e.node == node)) > batches)
            sent_at = time.monotonic()
            data = {"conversation_id": conversation_id, "client_msg_id": "m0", "kind": "text", "body": "still there?"}
            assert (await client.request("message.send", data))["type"] == "message.accepted"

            def changes_since_sent() -> list[tuple[float, PresenceChanged]]:
                return probe.arrivals(PresenceChanged, lambda e: e.user_id == uid, since=sent_at)

            await eventually(lambda: bool(changes_since_sent()), timeout=IMMEDIATE_SECONDS + BATCH_SECONDS + 5)
            back_at, back = changes_since_sent()[0]
            assert back.status == "online"
            assert back_at - sent_at < IMMEDIATE_SECONDS, back_at - sent_at  # not held for the next batch

            # Chatting for longer than the away threshold: the batches carry the activity.
            for n in range(1, int(AWAY_SECONDS) + 3):  # longer than the away threshold
                await asyncio.sleep(1.0)
                data = {
                    "conversation_id": conversation_id,
                    "client_msg_id": f"m{n}",
                    "kind": "text",
                    "body": f"line {n}",
                }
                assert (await client.request("message.send", data))["type"] == "message.accepted"
            assert [event.status for _, event in changes_since_sent()] == ["online"]  # never away again
            carried = probe.arrivals(Heartbeats, lambda e: uid in e.active_user_ids, since=back_at + 0.001)
            assert carried, "no heartbeat batch carried the user's activity"
            await client.close()
    finally:
        await probe.close()
