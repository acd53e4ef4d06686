"""Shared fixtures: an isolated slice of the real infrastructure for each test run.

Each run gets its own RabbitMQ vhost, MongoDB database and Redis key prefix, so runs never see
each other's data, and removes them afterwards. The servers are the ones ``make infra`` brings
up (or whatever answers at the PARLEY_* URLs).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio as redis
from pymongo import AsyncMongoClient

from parley_fleet import create_vhost, delete_vhost
from tests.kit.redis_servers import RedisClusterNodes, redis_cluster

# Fixtures several tiers share: the VAPID key pair and a real push endpoint (tests/e2e/push_endpoint.py).
pytest_plugins = ["tests.e2e.push_endpoint"]

AMQP_URL = os.environ.get("PARLEY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT_URL = os.environ.get("PARLEY_AMQP_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672/")
REDIS_URL = os.environ.get("PARLEY_REDIS_URL", "redis://127.0.0.1:6379/0")
MONGO_URL = os.environ.get("PARLEY_MONGO_URL", "mongodb://127.0.0.1:27017/")

TESTS = Path(__file__).resolve().parent
# A test's tier is the folder it lives in (tests/<tier>/): its marker is set here, once, so a
# module cannot be left out of `pytest -m unit` (make check) by forgetting a `pytestmark`.
TIERS = ("unit", "integration", "e2e", "deploy", "browser", "chaos", "security")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        if folder not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in one of tests/{{{','.join(TIERS)}}}/")
        item.add_marker(getattr(pytest.mark, folder))


class Infra:
    """Names of this run's isolated vhost, database and key prefix, and the env that selects them."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.vhost = f"parley-test-{run_id}"
        self.mongo_db = f"parley_test_{run_id}"
        self.redis_prefix = f"parley-test:{run_id}:"
        parts = urlsplit(AMQP_URL)
        self.amqp_url = urlunsplit((parts.scheme, parts.netloc, "/" + self.vhost, "", ""))

    def env(self) -> dict[str, str]:
        return {
            "PARLEY_AMQP_URL": self.amqp_url,
            "PARLEY_REDIS_URL": REDIS_URL,
            "PARLEY_REDIS_KEY_PREFIX": self.redis_prefix,
            "PARLEY_MONGO_URL": MONGO_URL,
            "PARLEY_MONGO_DB": self.mongo_db,
        }


@pytest.fixture(scope="session")
async def infra() -> AsyncIterator[Infra]:
    slice_ = Infra(uuid.uuid4().hex[:10])
    await create_vhost(MANAGEMENT_URL, slice_.vhost)
    yield slice_
    await delete_vhost(MANAGEMENT_URL, slice_.vhost)
    mongo = AsyncMongoClient(MONGO_URL)
    await mongo.drop_database(slice_.mongo_db)
    await mongo.close()
    client = redis.Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{slice_.redis_prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(scope="session")
async def redis_cluster_nodes() -> AsyncIterator[RedisClusterNodes]:
    """A Redis Cluster of the tests' own (three primaries and their replicas on free ports), started
    when a test of the run first asks for one (~3 s) and shared by the rest of the run."""
    async with redis_cluster() as started:
        yield started


@pytest.fixture(scope="session")
async def mongo(infra: Infra) -> AsyncIterator[AsyncMongoClient]:
    client = AsyncMongoClient(MONGO_URL, tz_aware=True)
    yield client
    await client.close()
