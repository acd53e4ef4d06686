"""Connections to MongoDB (PyMongo's asyncio client) and Redis (redis.asyncio).

Only standard MongoDB commands are used, no transactions and no change streams, so the same
code runs against MongoDB and against FerretDB (the MongoDB-wire server used where Docker
cannot run MongoDB).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis.asyncio as redis
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from parley import metrics
from parley.settings import ServiceSettings

# A store that does not answer within this long is reported down (readiness), and a request
# waiting on it fails instead of hanging a handler until the bus's handler timeout.
STORE_TIMEOUT_SECONDS = 3.0


def mongo_client(settings: ServiceSettings, app_name: str) -> AsyncMongoClient:
    """A client that connects lazily and fails fast when the server is away."""
    timeout_ms = int(STORE_TIMEOUT_SECONDS * 1000)
    return AsyncMongoClient(
        settings.mongo_url,
        appname=app_name,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        event_listeners=[CommandTimer()],
    )


class CommandTimer(monitoring.CommandListener):
    """Observes every command's duration in parley_mongodb_command_duration_seconds."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        metrics.MONGO_COMMAND_SECONDS.labels(event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        metrics.MONGO_COMMAND_SECONDS.labels(event.command_name).observe(event.duration_micros / 1e6)


def mongo_database(client: AsyncMongoClient, settings: ServiceSettings) -> AsyncDatabase:
    return client[settings.mongo_db]


async def mongo_alive(client: AsyncMongoClient) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:  # noqa: BLE001 - any failure means "not reachable" for readiness
        return False
    return True


def redis_client(settings: ServiceSettings) -> redis.Redis:
    return redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=STORE_TIMEOUT_SECONDS,
        socket_connect_timeout=STORE_TIMEOUT_SECONDS,
        health_check_interval=15,
    )


async def redis_alive(client: redis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except Exception:  # noqa: BLE001 - any failure means "not reachable" for readiness
        return False


@contextmanager
def timed(store: str, operation: str) -> Iterator[None]:
    """Record the latency of one store operation in parley_store_operation_duration_seconds."""
    started = time.perf_counter()
    try:
        yield
    finally:
        metrics.STORE_SECONDS.labels(store, operation).observe(time.perf_counter() - started)
