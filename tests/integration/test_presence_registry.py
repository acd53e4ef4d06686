"""Presence's Redis scripts against the real Redis: transitions, expiry, atomicity, operators; on
one server and on a Redis Cluster.

Two :class:`PresenceScripts` over the same keys stand for two presence replicas.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import cast

import pytest
import redis.asyncio as redis

from parley.contracts.events import ConnectionOpened
from parley.settings import ServiceSettings
from parley.stores import prepare_redis, redis_client
from parley_presence.operators import Operators
from parley_presence.registry import ConnectionRegistry
from parley_presence.scripts import Change, PresenceScripts
from tests.conftest import REDIS_URL, Infra

# Short enough to keep the tests fast, long enough that a loaded machine does not expire a
# connection between two steps that are meant to see it alive.
TTL = 1.0
AWAY = 1.0
GRACE = 0.5


@pytest.fixture(params=["single", "cluster"])
def settings(request: pytest.FixtureRequest) -> ServiceSettings:
    """One Redis server, or a Redis Cluster (started when first asked for): presence's scripts
    must run on the node of their one hash tag, whatever other nodes hold."""
    if request.param == "cluster":
        return cast(ServiceSettings, request.getfixturevalue("redis_cluster_nodes").settings("unused:"))
    return ServiceSettings(redis_url=REDIS_URL)


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[redis.Redis]:
    connection = redis_client(settings)
    await prepare_redis(connection)  # as a service does before its traffic
    yield connection
    await connection.aclose()


@pytest.fixture
def prefix(infra: Infra) -> str:
    return f"{infra.redis_prefix}{uuid.uuid4().hex[:8]}:"


# Timing tests whose scripts (heartbeat, sweep) the cluster runs in the other tests as well:
# one server is enough for them, and saves ~4 s of sleeping.
ONE_SERVER_ONLY = pytest.mark.parametrize("settings", ["single"], indirect=True)


def _scripts(
    client: redis.Redis, prefix: str, ttl: float = 30.0, away: float = 30.0, grace: float = 0.0
) -> PresenceScripts:
    return PresenceScripts(client, prefix, ttl, away, grace)


def _opened(connection_id: str, user_id: str, node: str = "node-a", role: str = "visitor") -> ConnectionOpened:
    return ConnectionOpened(
        connection_id=connection_id,
        node=node,
        user_id=user_id,
        role=role,
        client_kind="web",  # type: ignore[arg-type]
    )


def _statuses(changes: list[Change]) -> list[str]:
    return [change.status for change in changes]


async def test_status_follows_connections_and_visibility(client: redis.Redis, prefix: str) -> None:
    registry = ConnectionRegistry(_scripts(client, prefix))
    assert _statuses(await registry.opened(_opened("c1", "u1"))) == ["online"]
    assert await registry.opened(_opened("c2", "u1", node="node-b")) == []  # still online: no event
    assert await registry.nodes_of(["u1", "nobody"]) == {"node-a": ["u1"], "node-b": ["u1"]}
    assert await registry.client_status("c1", "hidden") == []  # c2 is still visible
    assert _statuses(await registry.client_status("c2", "hidden")) == ["away"]  # every tab hidden
    assert _statuses(await registry.client_status("c1", "visible")) == ["online"]
    assert _statuses(await registry.closed("c1", "u1")) == ["away"]  # the tab left is hidden
    assert await registry.statuses(["u1", "nobody"]) == {"u1": "away", "nobody": "offline"}
    assert _statuses(await registry.closed("c2", "u1")) == ["offline"]
    assert await registry.closed("c2", "u1") == []  # a redelivered close changes nothing
    assert await registry.nodes_of(["u1"]) == {}


async def test_a_reconnect_within_the_grace_announces_nothing_and_the_grace_ends_offline(
    client: redis.Redis, prefix: str
) -> None:
    registry = ConnectionRegistry(_scripts(client, prefix, grace=GRACE))
    assert _statuses(await registry.opened(_opened("c1", "u1"))) == ["online"]
    assert _statuses(await registry.opened(_opened("c9", "u9"))) == ["online"]
    # Both leave; u1 comes back on another node within the grace (a reload, a reconnect storm).
    assert await registry.closed("c1", "u1") == []
    assert await registry.closed("c9", "u9") == []
    assert await registry.statuses(["u1", "u9"]) == {"u1": "online", "u9": "online"}  # as they were
    assert await registry.opened(_opened("c2", "u1", node="node-b")) == []
    assert await registry.nodes_of(["u1", "u9"]) == {"node-b": ["u1"]}  # deliveries follow connections
    assert (await registry.sweep())[1] == []  # the grace has not ended
    await asyncio.sleep(GRACE + 0.1)
    expired, changes = await registry.sweep()
    assert (expired, [(c.user_id, c.status) for c in changes]) == (0, [("u9", "offline")])
    assert await registry.statuses(["u1", "u9"]) == {"u1": "online", "u9": "offline"}
    assert (await registry.sweep())[1] == []  # announced once


async def test_a_late_open_does_not_resurrect_a_closed_connection(client: redis.Redis, prefix: str) -> None:
    registry = ConnectionRegistry(_scripts(client, prefix))
    assert await registry.closed("c1", "u1") == []
    assert await registry.opened(_opened("c1", "u1")) == []
    assert await registry.statuses(["u1"]) == {"u1": "offline"}


@ONE_SERVER_ONLY
async def test_heartbeats_keep_connections_and_silence_expires_them(client: redis.Redis, prefix: str) -> None:
    registry = ConnectionRegistry(_scripts(client, prefix, ttl=TTL))
    await registry.opened(_opened("kept", "u-kept"))
    await registry.opened(_opened("dropped", "u-dropped", node="dead-node"))
    for _ in range(4):  # two TTLs of heartbeats for one connection only
        await asyncio.sleep(TTL / 2)
        assert await registry.heartbeat(["kept", "never-opened"]) == (["never-opened"], [])  # unknown: returned
        expired, changes = await registry.sweep()
        if changes:
            assert (expired, [(c.user_id, c.status) for c in changes]) == (1, [("u-dropped", "offline")])
    assert await registry.statuses(["u-kept", "u-dropped"]) == {"u-kept": "online", "u-dropped": "offline"}
    assert await registry.nodes_of(["u-kept", "u-dropped"]) == {"node-a": ["u-kept"]}


@ONE_SERVER_ONLY
async def test_a_connection_expired_while_heartbeats_were_delayed_comes_back(client: redis.Redis, prefix: str) -> None:
    registry = ConnectionRegistry(_scripts(client, prefix, ttl=TTL))
    await registry.opened(_opened("c1", "u1"))
    await asyncio.sleep(TTL + 0.2)  # no heartbeat: the broker was away, say
    assert _statuses((await registry.sweep())[1]) == ["offline"]
    assert _statuses((await registry.heartbeat(["c1"]))[1]) == ["online"]  # the node still holds it
    assert await registry.nodes_of(["u1"]) == {"node-a": ["u1"]}
    assert (await registry.heartbeat(["c1"]))[1] == []


async def test_after_redis_lost_its_data_a_heartbeat_names_the_connections_to_announce_again(
    client: redis.Redis, prefix: str
) -> None:
    registry = ConnectionRegistry(_scripts(client, prefix))
    await registry.opened(_opened("c1", "u1"))
    await registry.opened(_opened("c2", "u2", node="node-b"))
    await client.delete(*[key async for key in client.scan_iter(match=f"{prefix}*")])  # Redis lost it all
    assert await registry.statuses(["u1", "u2"]) == {"u1": "offline", "u2": "offline"}
    assert await registry.heartbeat(["c1"]) == (["c1"], [])  # nothing to revive: the node is asked
    assert _statuses(await registry.opened(_opened("c1", "u1"))) == ["online"]  # its node's answer
    assert await registry.heartbeat(["c1"]) == ([], [])
    assert await registry.statuses(["u1"]) == {"u1": "online"}
    assert await registry.nodes_of(["u1"]) == {"node-a": ["u1"]}


async def test_idle_users_become_away_and_activity_brings_them_back(client: redis.Redis, prefix: str) -> None:
    registry = ConnectionRegistry(_scripts(client, prefix, away=AWAY))
    await registry.opened(_opened("c1", "u1"))
    assert await registry.sweep() == (0, [])
    await asyncio.sleep(AWAY + 0.2)
    expired, changes = await registry.sweep()
    assert (expired, _statuses(changes)) == (0, ["away"])
    assert await registry.sweep() == (0, [])  # announced once, not at every sweep
    assert _statuses(await registry.activity(["u1", "u1", "offline-user"])) == ["online"]


async def test_two_replicas_never_announce_the_same_change_twice(client: redis.Redis, prefix: str) -> None:
    replicas = [ConnectionRegistry(_scripts(client, prefix, ttl=TTL)) for _ in range(2)]
    users = [f"u{i}" for i in range(20)]
    opened = await asyncio.gather(*(replicas[i % 2].opened(_opened(f"c-{user}", user)) for i, user in enumerate(users)))
    # The same open event handled by both replicas (a redelivery): one announcement per user.
    again = await asyncio.gather(
        *(replicas[1 - i % 2].opened(_opened(f"c-{user}", user)) for i, user in enumerate(users))
    )
    assert sorted(c.user_id for changes in opened + again for c in changes) == sorted(users)
    await asyncio.sleep(TTL + 0.1)
    sweeps = await asyncio.gather(*(replica.sweep() for replica in replicas for _ in range(3)))
    offline = [change for _, changes in sweeps for change in changes]
    assert sorted(c.user_id for c in offline) == sorted(users) and set(_statuses(offline)) == {"offline"}
    assert sum(expired for expired, _ in sweeps) == len(users)


async def test_unconfirmed_changes_are_handed_out_again(client: redis.Redis, prefix: str) -> None:
    scripts = _scripts(client, prefix)
    registry = ConnectionRegistry(scripts)
    (_change,) = await registry.opened(_opened("c1", "u1"))
    (again,) = await scripts.changes("unannounced", 0, 10)  # never confirmed: handed out again
    assert (again.user_id, again.status) == ("u1", "online")
    assert await scripts.changes("unannounced", 60_000, 10) == []  # claimed: not before the delay
    await scripts.run("announced", again.user_id, again.stamp)
    assert await scripts.changes("unannounced", 0, 10) == []


async def test_operator_toggle(client: redis.Redis, prefix: str) -> None:
    """Who could take a conversation; how many each has is chat_session's count (its routing tests)."""
    scripts = _scripts(client, prefix)
    registry, operators = ConnectionRegistry(scripts), Operators(scripts)
    for user in ("op-a", "op-b", "op-c"):
        await registry.opened(_opened(f"c-{user}", user, role="operator"))
    (toggle,) = await operators.set_available("op-c", False)
    assert (toggle.status, toggle.available) == ("online", False)  # a toggle alone is a change
    assert await operators.set_available("op-c", False) == []
    available = await operators.available(["op-b", "op-a", "op-c", "op-offline"])
    assert [s.user_id for s in available] == ["op-b", "op-a"]  # in the order asked
    states = {s.user_id: s for s in await operators.states(["op-a", "op-c", "op-offline"])}
    assert states["op-a"].available is True and states["op-c"].available is False
    assert (states["op-offline"].status, states["op-offline"].available) == ("offline", True)
