"""The faults, each a coroutine that breaks something and returns once the thing is back (or,
for a killed service, once the supervisor has started it again): recovery is the fleet's job."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import aiohttp
import redis.asyncio as redis

from tests.chaos.parking import parked
from tests.chaos.phases import ChaosRun, Fault

# How long a broker stays away, and a proxy fault lasts: longer than a bus reconnect interval
# (1 s) and a request timeout's share, shorter than a client's patience.
OUTAGE_SECONDS = 4.0
# An outage longer than the bus's retry budget (~28 s, topology.RETRY_BACKOFF_SECONDS): the work
# it holds up is parked, and comes back by itself once the dependency does.
LONG_OUTAGE_SECONDS = 60.0
PARKED_POLL_SECONDS = 1.0
LATENCY_SECONDS = 8.0
# The second gateway reaches RabbitMQ and Redis (its delivery transport) through proxies of its
# own, so its links alone can be cut while the rest of the fleet (and its other gateway) keeps theirs.
GATEWAY_AMQP = "gateway-amqp"
GATEWAY_REDIS = "gateway-redis"
PROXIES = ("amqp", GATEWAY_AMQP, "redis", GATEWAY_REDIS, "mongo")


@dataclass(frozen=True)
class Scenario:
    key: str  # short, for client_msg_ids and test ids
    name: str  # the table's "fault" column
    fault: Fault
    killed: str | None = None  # the service the supervisor must restart, once
    parks: bool = False  # outlasts the retry budget: work must be parked, none dead-lettered


async def nothing(run: ChaosRun) -> None:
    await asyncio.sleep(OUTAGE_SECONDS)


def kill(service: str) -> Fault:
    async def kill_and_wait_restart(run: ChaosRun) -> None:
        process = run.fleet.services[service].process
        assert process is not None and process.returncode is None, f"{service} is not running"
        before = run.supervisor.restart_count(service)
        os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while run.supervisor.restart_count(service) == before:
            assert time.monotonic() < deadline, f"the supervisor did not restart {service}"
            await asyncio.sleep(0.1)

    return kill_and_wait_restart


def away(stop: Callable[[ChaosRun], Awaitable[None]], start: Callable[[ChaosRun], Awaitable[object]]) -> Fault:
    """A dependency away for OUTAGE_SECONDS, then started again."""

    async def outage(run: ChaosRun) -> None:
        try:
            await stop(run)
            await asyncio.sleep(OUTAGE_SECONDS)
        finally:
            await start(run)

    return outage


def away_long(stop: Callable[[ChaosRun], Awaitable[None]], start: Callable[[ChaosRun], Awaitable[object]]) -> Fault:
    """A dependency away for LONG_OUTAGE_SECONDS, longer than the bus's retry budget."""

    async def away(run: ChaosRun) -> None:
        most: Counter[str] = Counter()
        try:
            await stop(run)
            back_at = time.monotonic() + LONG_OUTAGE_SECONDS
            # Evidence the row exercised parking, not only the retries: the most that waited at
            # once (none while RabbitMQ itself is away: the parking queues are in it).
            while time.monotonic() < back_at:
                with contextlib.suppress(OSError, aio_pika.exceptions.AMQPError, aiohttp.ClientError):
                    most |= await parked(run.brokers.amqp_url, run.brokers.management_url)
                await asyncio.sleep(min(PARKED_POLL_SECONDS, max(0.0, back_at - time.monotonic())))
        finally:
            await start(run)
            run.parked_most = dict(most)

    return away


async def _stop_rabbitmq_app(run: ChaosRun) -> None:
    await run.brokers.rabbitmqctl("stop_app")


async def _start_rabbitmq_app(run: ChaosRun) -> None:
    await run.brokers.rabbitmqctl("start_app")


async def _stop_redis(run: ChaosRun) -> None:
    await run.brokers.stop_redis()


async def _stop_mongo(run: ChaosRun) -> None:
    await run.brokers.stop_mongo()


async def _up(run: ChaosRun) -> None:
    await run.brokers.up()  # starts what is not answering: Redis reading back its saved data


async def flush_redis(run: ChaosRun) -> None:
    """Redis loses everything at once, as a restart without persistence or a failover to an empty
    replica does: the state kept only there must be rebuilt by the services themselves."""
    client = redis.Redis.from_url(run.brokers.redis_url)
    try:
        await client.flushall()
    finally:
        await client.aclose()
    await asyncio.sleep(OUTAGE_SECONDS)


def latency(*proxies: str, milliseconds: int, jitter: int) -> Fault:
    async def slow(run: ChaosRun) -> None:
        for proxy in proxies:
            await run.proxy.add_latency(proxy, milliseconds, jitter)
        try:
            await asyncio.sleep(LATENCY_SECONDS)
        finally:
            for proxy in proxies:
                await run.proxy.clear(proxy)

    return slow


def cut(*proxies: str) -> Fault:
    async def cut_connections(run: ChaosRun) -> None:
        for proxy in proxies:
            await run.proxy.set_enabled(proxy, False)
        try:
            await asyncio.sleep(OUTAGE_SECONDS)
        finally:
            for proxy in proxies:
                await run.proxy.set_enabled(proxy, True)

    return cut_connections


SCENARIOS = [
    Scenario("base", "none (baseline)", nothing),
    Scenario("rmq", "RabbitMQ restart (4 s)", away(_stop_rabbitmq_app, _start_rabbitmq_app)),
    Scenario("kcs", "kill -9 chat_session", kill("chat_session"), killed="chat_session"),
    Scenario("kno", "kill -9 notification", kill("notification"), killed="notification"),
    Scenario("kin", "kill -9 integrations", kill("integrations"), killed="integrations"),
    Scenario("kpr", "kill -9 presence", kill("presence"), killed="presence"),
    Scenario("kbot", "kill -9 chatbot_engine", kill("chatbot_engine"), killed="chatbot_engine"),
    Scenario("kgw", "kill -9 a gateway", kill("gateway"), killed="gateway"),
    Scenario("redis", "Redis stopped (4 s)", away(_stop_redis, _up)),
    Scenario("mongo", "MongoDB-wire server stopped (4 s)", away(_stop_mongo, _up)),
    Scenario("mongo60", "MongoDB-wire server stopped (60 s)", away_long(_stop_mongo, _up), parks=True),
    Scenario("rmq60", "RabbitMQ stopped (60 s)", away_long(_stop_rabbitmq_app, _start_rabbitmq_app), parks=True),
    Scenario("redis60", "Redis stopped (60 s)", away_long(_stop_redis, _up), parks=True),
    Scenario("rflush", "Redis flushed (FLUSHALL)", flush_redis),
    Scenario("lat", "proxy: latency 200±100 ms to all brokers (8 s)", latency(*PROXIES, milliseconds=200, jitter=100)),
    Scenario("camqp", "proxy: RabbitMQ connections cut (4 s)", cut("amqp", GATEWAY_AMQP)),
    Scenario("cstore", "proxy: Redis and MongoDB connections cut (4 s)", cut("redis", GATEWAY_REDIS, "mongo")),
]
