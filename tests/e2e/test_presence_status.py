"""Presence end to end: statuses and their events (driven by the clients' own `status` and
`operator.availability` frames), batched heartbeats, a gateway killed with kill -9, and
operators' availability, on the real processes.

Settings are shortened so the tests stay fast: a heartbeat batch every 0.5 s, connections
expire after 2 s without one, and presence sweeps every 0.25 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as redis

from parley.contracts.commands import (
    AvailableOperators,
    Caller,
    GetAvailableOperators,
    GetUserStatus,
    LookupNodes,
    NodesOfUsers,
    OperatorState,
    SetAvailability,
    UserStatuses,
)
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.events import Heartbeats, PresenceChanged
from parley_fleet import Fleet
from tests.conftest import REDIS_URL, Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.presence_harness import Probe, connect, node_of, visitor, wait_connected
from tests.kit.client import login
from tests.kit.fleet import fleet_for
from tests.kit.seeding import Seeder
from tests.kit.waiting import eventually

BATCH_SECONDS = 0.5
TTL_SECONDS = 2.0
FLEET_ENV = {
    "PARLEY_GATEWAY_PRESENCE_BATCH_SECONDS": str(BATCH_SECONDS),
    "PARLEY_PRESENCE_CONNECTION_TTL_SECONDS": str(TTL_SECONDS),
    "PARLEY_PRESENCE_SWEEP_INTERVAL_SECONDS": "0.25",
    "PARLEY_AUTH_ADMIN_USERNAME": ADMIN_USERNAME,
    "PARLEY_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
}


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(infra, "presence", own_vhost=True, **FLEET_ENV) as running:
        yield running


@pytest.fixture
async def probe(fleet: Fleet) -> AsyncIterator[Probe]:
    watching = await Probe(fleet, PresenceChanged, Heartbeats).start()
    yield watching
    await watching.close()


async def changes_of(probe: Probe, user_id: str, count: int) -> list[str]:
    """The user's first ``count`` announced statuses, once that many have come."""
    await probe.wait_for(
        PresenceChanged, lambda _: len(probe.events(PresenceChanged, lambda e: e.user_id == user_id)) >= count
    )
    return [e.status for e in probe.events(PresenceChanged, lambda e: e.user_id == user_id)][:count]


async def statuses(probe: Probe, *user_ids: str) -> dict[str, str]:
    reply = await probe.bus.request(GetUserStatus(user_ids=list(user_ids)))
    return dict(UserStatuses.model_validate(reply).statuses)


async def test_each_status_change_is_announced_once(fleet: Fleet, probe: Probe) -> None:
    async with aiohttp.ClientSession() as session:
        user = await visitor(session, fleet)
        uid = user["uid"]
        client, _ = await connect(session, fleet.url("gateway"), user["token"])
        await probe.wait_for(PresenceChanged, lambda e: e.user_id == uid and e.status == "online")
        assert await statuses(probe, uid) == {uid: "online"}

        # The client's `status` frame (page visibility): the gateway turns it into gateway.client_status.
        assert (await client.request("status", {"status": "hidden"}))["type"] == "ok"
        await probe.wait_for(PresenceChanged, lambda e: e.user_id == uid and e.status == "away")
        assert (await client.request("status", {"status": "visible"}))["type"] == "ok"
        await changes_of(probe, uid, 3)
        assert await statuses(probe, uid) == {uid: "online"}
        await client.close()
        await changes_of(probe, uid, 4)
        await asyncio.sleep(0.5)
    changes = probe.events(PresenceChanged, lambda e: e.user_id == uid)
    assert [e.status for e in changes] == ["online", "away", "online", "offline"]
    assert all(e.available is None for e in changes)  # a visitor has no available/busy toggle


async def test_heartbeats_are_one_message_per_node_per_interval(fleet: Fleet, probe: Probe) -> None:
    gateway = fleet.services["gateway"]
    async with aiohttp.ClientSession() as session:
        users = [await visitor(session, fleet) for _ in range(4)]
        connections = [await connect(session, gateway.url, user["token"]) for user in users]
        uids = [user["uid"] for user in users]
        await wait_connected(probe, *uids)
        started = time.monotonic()
        await asyncio.sleep(2 * TTL_SECONDS)
        elapsed = time.monotonic() - started
        batches = [
            event
            for at, event in probe.seen
            if isinstance(event, Heartbeats) and event.node == node_of(gateway) and started <= at <= started + elapsed
        ]
        # One message per interval for the whole node, not one per connection.
        assert elapsed / BATCH_SECONDS - 2 <= len(batches) <= elapsed / BATCH_SECONDS + 1, len(batches)
        ids = {connection_id for _, connection_id in connections}
        assert all(ids <= set(event.connection_ids) for event in batches)
        # Two TTLs later the batches alone have kept every connection alive, and announced nothing.
        reply = await probe.bus.request(LookupNodes(user_ids=uids))
        assert NodesOfUsers.model_validate(reply).nodes == {node_of(gateway): uids}
        assert set((await statuses(probe, *uids)).values()) == {"online"}
        assert [e.status for e in probe.events(PresenceChanged, lambda e: e.user_id in uids)] == ["online"] * 4
        for client, _ in connections:
            await client.close()


async def test_users_of_a_killed_gateway_go_offline_within_the_ttl(fleet: Fleet, probe: Probe) -> None:
    doomed = await fleet.add_replica("gateway")
    try:
        async with aiohttp.ClientSession() as session:
            only_there, also_elsewhere = await visitor(session, fleet), await visitor(session, fleet)
            await connect(session, doomed.url, only_there["token"])
            await connect(session, doomed.url, also_elsewhere["token"])
            survivor, _ = await connect(session, fleet.url("gateway"), also_elsewhere["token"])
            await wait_connected(probe, only_there["uid"], also_elsewhere["uid"])
            main = node_of(fleet.services["gateway"])
            # also_elsewhere was online already (through doomed), so wait for its second node by lookup.
            deadline = time.monotonic() + 15
            nodes: set[str] = set()
            while time.monotonic() < deadline and nodes != {node_of(doomed), main}:
                reply = await probe.bus.request(LookupNodes(user_ids=[only_there["uid"], also_elsewhere["uid"]]))
                nodes = set(NodesOfUsers.model_validate(reply).nodes)
                await asyncio.sleep(0.1)
            assert nodes == {node_of(doomed), main}

            doomed.kill()  # SIGKILL: no goodbye, no connection_closed events
            killed_at = time.monotonic()
            await probe.wait_for(PresenceChanged, lambda e: e.user_id == only_there["uid"] and e.status == "offline")
            assert time.monotonic() - killed_at <= TTL_SECONDS + 3.0

            # No phantom: the doomed node's other connection expires too. It may have been opened
            # a few ms later than only_there's, so it can fall to the next sweep (0.25 s on).
            async def only_main_left() -> bool:
                reply = await probe.bus.request(LookupNodes(user_ids=[only_there["uid"], also_elsewhere["uid"]]))
                return NodesOfUsers.model_validate(reply).nodes == {main: [also_elsewhere["uid"]]}

            await eventually(only_main_left, timeout=2.0)
            assert time.monotonic() - killed_at <= TTL_SECONDS + 3.0
            assert await statuses(probe, only_there["uid"], also_elsewhere["uid"]) == {
                only_there["uid"]: "offline",
                also_elsewhere["uid"]: "online",
            }
            assert not probe.events(
                PresenceChanged, lambda e: e.user_id == also_elsewhere["uid"] and e.status != "online"
            )
            await survivor.close()
    finally:
        await doomed.stop()


async def test_presence_comes_back_from_the_next_heartbeat_batch_after_redis_lost_its_data(
    fleet: Fleet, probe: Probe
) -> None:
    async with aiohttp.ClientSession() as session:
        users = [await visitor(session, fleet) for _ in range(3)]
        for user in users:
            await connect(session, fleet.url("gateway"), user["token"])
        uids = [user["uid"] for user in users]
        await wait_connected(probe, *uids)
        # This fleet's whole keyspace gone, as after a Redis restarted without persistence.
        client = redis.Redis.from_url(REDIS_URL)
        try:
            deleted = await client.delete(
                *[key async for key in client.scan_iter(match=f"{fleet.env['PARLEY_REDIS_KEY_PREFIX']}*")]
            )
        finally:
            await client.aclose()
        lost_at = time.monotonic()
        assert deleted > 0

        # The next batch names connections presence has no record of; their gateway announces
        # them again, and presence announces each user online a second time (from no record).
        await probe.wait_for(
            PresenceChanged,
            lambda _: all(len(probe.events(PresenceChanged, lambda e, uid=uid: e.user_id == uid)) >= 2 for uid in uids),
            timeout=4 * BATCH_SECONDS + 3.0,
        )
        rebuilt_after = time.monotonic() - lost_at
        assert set((await statuses(probe, *uids)).values()) == {"online"}
        for uid in uids:
            assert [e.status for e in probe.events(PresenceChanged, lambda e, uid=uid: e.user_id == uid)] == [
                "online"
            ] * 2
        reply = await probe.bus.request(LookupNodes(user_ids=uids))
        nodes = NodesOfUsers.model_validate(reply).nodes
        assert {node: sorted(users) for node, users in nodes.items()} == {
            node_of(fleet.services["gateway"]): sorted(uids)
        }
        assert rebuilt_after <= 4 * BATCH_SECONDS + 3.0


async def test_operator_toggle_drives_available_operators(fleet: Fleet, probe: Probe) -> None:
    async with aiohttp.ClientSession() as session:
        admin = await login(session, fleet.url("auth"), username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
        operator = await _new_operator(session, fleet, admin["token"])
        client, _ = await connect(session, fleet.url("gateway"), operator["token"])
        uid = operator["uid"]
        await probe.wait_for(PresenceChanged, lambda e: e.user_id == uid and e.status == "online")
        # The console's toggle: the gateway forwards it to presence.set_availability.
        assert (await client.request("operator.availability", {"available": False}))["type"] == "ok"
        toggled = await probe.wait_for(PresenceChanged, lambda e: e.user_id == uid and e.available is False)
        assert toggled.status == "online"
        assert await available(probe, uid) == []
        caller = Caller(user_id=uid, role="operator", name="Olivia")
        back = OperatorState.model_validate(await probe.bus.request(SetAvailability(caller=caller, available=True)))
        assert (back.status, back.available) == ("online", True)
        assert [s.user_id for s in await available(probe, uid)] == [uid]

        visitor_caller = Caller(user_id="v_1", role="visitor")
        with pytest.raises(ParleyError) as refused:
            await probe.bus.request(SetAvailability(caller=visitor_caller, available=False))
        assert refused.value.code == ErrorCode.BAD_ARGUMENT
        await client.close()


async def available(probe: Probe, *operator_ids: str) -> list[OperatorState]:
    reply = await probe.bus.request(GetAvailableOperators(operator_ids=list(operator_ids)))
    return AvailableOperators.model_validate(reply).operators


async def _new_operator(session: aiohttp.ClientSession, fleet: Fleet, admin_token: str) -> dict:
    staff = await Seeder(session, fleet, admin_token).staff(name="Olivia")
    return await login(session, fleet.url("auth"), username=staff.username, password=staff.password)
