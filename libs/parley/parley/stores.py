"""Connections to MongoDB (PyMongo's asyncio client) and Redis (redis.asyncio).

Only standard MongoDB commands are used, no transactions and no change streams, so the same
code runs against MongoDB and against FerretDB (the MongoDB-wire server used where Docker
cannot run MongoDB).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import urlsplit

import redis.asyncio as redis
from prometheus_client import Histogram
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection, Connection
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.driver_info import DriverInfo

from parley import metrics
from parley.logs import get_logger
from parley.settings import ServiceSettings

log = get_logger("parley.stores")

# A store that does not answer within this long is reported down (readiness), and a request
# waiting on it fails instead of hanging a handler until the bus's handler timeout.
STORE_TIMEOUT_SECONDS = 3.0

# Documents are read and written as plain dicts (PyMongo's default document class); the stores
# turn them into their models. Services annotate their database handle with MongoDatabase.
Document = dict[str, Any]
MongoClient = AsyncMongoClient[Document]
MongoDatabase = AsyncDatabase[Document]


def mongo_client(settings: ServiceSettings, app_name: str) -> MongoClient:
    """A client that connects lazily and fails fast when the server is away.

    Production runs a replica set of three, whose primary can change (an election after a node
    is lost or upgraded). A write is acknowledged only once a majority holds it (``w=majority``):
    one acknowledged by a primary that then lost its election would be rolled back, and a message
    the client was told is stored would be gone. A write or read that fails on a network error
    or an election is retried once by the driver on the new primary (retryable writes and reads,
    explicit here rather than left to driver defaults); past that, the bus's own retries take over.
    A standalone server (FerretDB here) treats ``w=majority`` as its own acknowledgement."""
    timeout_ms = int(STORE_TIMEOUT_SECONDS * 1000)
    return AsyncMongoClient(
        settings.mongo_url,
        appname=app_name,
        w="majority",
        retryWrites=True,
        retryReads=True,
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


def mongo_database(client: MongoClient, settings: ServiceSettings) -> MongoDatabase:
    return client[settings.mongo_db]


async def mongo_alive(client: MongoClient) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:  # noqa: BLE001 - any failure means "not reachable" for readiness
        return False
    return True


async def each_write_outcome(write: Awaitable[object], count: int) -> list[Exception | None]:
    """Await an unordered bulk write of ``count`` operations and say what it did to each: None,
    or the error a single write would have raised (DuplicateKeyError for a unique index). A
    write-concern failure concerns them all and is raised."""
    try:
        await write
    except BulkWriteError as error:
        if error.details.get("writeConcernErrors"):
            raise
        failed = {failure["index"]: failure for failure in error.details.get("writeErrors", [])}
        return [_single_write_error(failed[index]) if index in failed else None for index in range(count)]
    return [None] * count


async def insert_new(collection: AsyncCollection[Document], documents: list[Document]) -> int:
    """Insert those of ``documents`` whose _id is not stored yet (the same thing again keeps what
    is there); answers how many were new. Any error but an existing _id is raised."""
    if not documents:
        return 0
    outcomes = await each_write_outcome(collection.insert_many(documents, ordered=False), len(documents))
    for outcome in outcomes:
        if outcome is not None and not isinstance(outcome, DuplicateKeyError):
            raise outcome
    return outcomes.count(None)


def _single_write_error(failure: dict[str, Any]) -> Exception:
    if failure.get("code") == 11000:
        return DuplicateKeyError(failure.get("errmsg", "duplicate key"), 11000, failure)
    return OperationFailure(failure.get("errmsg", "write failed"), failure.get("code"), failure)


def as_text(reply: bytes | str) -> str:
    """A Redis reply as text. The clients decode every reply (``decode_responses=True``), but
    redis-py types replies as ``bytes | str``: this narrows them for the type checker."""
    return reply.decode() if isinstance(reply, bytes) else reply


def as_text_map(reply: Mapping[bytes, bytes] | Mapping[str, str] | Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    """A Redis hash (HGETALL) as text keys and values; see :func:`as_text`."""
    return {as_text(key): as_text(value) for key, value in reply.items()}


class BlockingSentinelPool(SentinelConnectionPool, redis.BlockingConnectionPool):
    """Sentinel's pool (each new connection asks the Sentinels where the primary is, so a failover
    moves the clients to the promoted replica) with the blocking pool's wait for a free connection."""


# Given to every connection: without it redis-py builds one per new connection and looks its own
# version up in the installed packages' metadata each time (importlib.metadata, a directory scan),
# 5 % of a gateway's CPU in a reconnect storm, while its pool grows (bench storm profile).
REDIS_DRIVER_INFO = DriverInfo()


def redis_client(settings: ServiceSettings) -> redis.Redis:
    # A blocking pool: redis-py's default pool raises "Too many connections" past 100 commands
    # in flight, which turned a burst of connects into refused revocation checks.
    options: dict[str, Any] = {
        "driver_info": REDIS_DRIVER_INFO,
        "max_connections": settings.redis_max_connections,
        "timeout": STORE_TIMEOUT_SECONDS,
        "decode_responses": True,
        "socket_timeout": STORE_TIMEOUT_SECONDS,
        "socket_connect_timeout": STORE_TIMEOUT_SECONDS,
        "health_check_interval": 15,
    }
    if settings.cluster_node_addresses:
        return _cluster_client(settings, options)
    if settings.sentinel_addresses:
        primary: redis.Redis = _sentinels(settings).master_for(
            settings.redis_sentinel_primary,
            connection_pool_class=BlockingSentinelPool,
            **_url_auth(settings),
            **options,
        )
        return primary
    pool = redis.BlockingConnectionPool.from_url(settings.redis_url, **options)
    return redis.Redis.from_pool(pool)  # owns the pool: closing the client closes it


def _cluster_client(settings: ServiceSettings, options: dict[str, Any]) -> redis.Redis:
    """A Redis Cluster client: each command goes to the node owning its keys' slot, and a MOVED
    reply (a replica promoted, a slot migrated) refreshes its map of the cluster.

    It is handed out as a ``redis.Redis``: the commands Parley uses have the same signatures on
    both (one-slot scripts and transactions, pipelines, pub/sub's PUBLISH), and the few that
    differ are wrapped here (:func:`get_many`). The blocking pool's wait has no equivalent: each
    node's pool holds max_connections, and a command finding them all busy fails (the bus retries)."""
    parts = urlsplit(settings.redis_url)
    cluster = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in settings.cluster_node_addresses],
        username=parts.username,
        password=parts.password,
        max_connections=options["max_connections"],
        decode_responses=True,
        socket_timeout=STORE_TIMEOUT_SECONDS,
        socket_connect_timeout=STORE_TIMEOUT_SECONDS,
        health_check_interval=options["health_check_interval"],
        driver_info=REDIS_DRIVER_INFO,
    )
    return cast(redis.Redis, cluster)


def is_cluster(client: redis.Redis) -> bool:
    return isinstance(client, RedisCluster)


async def get_many(client: redis.Redis, keys: list[str]) -> list[str | None]:
    """GET of each key, in one round trip per node: MGET on one server, whose keys a cluster
    would refuse when they span slots (each is then sent to its own node)."""
    if is_cluster(client):
        values = await cast(RedisCluster, client).mget_nonatomic(keys)
    else:
        values = await client.mget(keys)
    return [None if value is None else as_text(value) for value in values]


class ClusterLinkPool(redis.ConnectionPool):
    """Links for a pub/sub subscriber on a Redis Cluster: a PUBLISH reaches the subscribers of
    every node (the cluster bus carries it), so a link may go to any node; each new link dials
    the next node given, so one lost sends the subscriber to another."""

    def __init__(self, nodes: list[tuple[str, int]], **options: Any) -> None:
        super().__init__(**options)
        self._nodes = itertools.cycle(nodes)

    def make_connection(self) -> AbstractConnection:
        host, port = next(self._nodes)
        return Connection(host=host, port=port, **self.connection_kwargs)


def redis_link_pool(settings: ServiceSettings, **options: Any) -> redis.ConnectionPool:
    """A pool to make long-lived links from (a pub/sub subscriber's): to the primary the Sentinels
    name at each new link, to the cluster's nodes in turn, or to redis_url."""
    if settings.cluster_node_addresses:
        parts = urlsplit(settings.redis_url)
        return ClusterLinkPool(
            settings.cluster_node_addresses, username=parts.username, password=parts.password, **options
        )
    if settings.sentinel_addresses:
        return SentinelConnectionPool(  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            settings.redis_sentinel_primary, _sentinels(settings), is_master=True, **_url_auth(settings), **options
        )
    return redis.ConnectionPool.from_url(settings.redis_url, **options)


def _sentinels(settings: ServiceSettings) -> Sentinel:
    timeouts = {"socket_timeout": STORE_TIMEOUT_SECONDS, "socket_connect_timeout": STORE_TIMEOUT_SECONDS}
    return Sentinel(settings.sentinel_addresses, sentinel_kwargs=timeouts)  # type: ignore[no-untyped-call]


def _url_auth(settings: ServiceSettings) -> dict[str, Any]:
    """The password and database number of redis_url, for the primary the Sentinels name."""
    parts = urlsplit(settings.redis_url)
    database = parts.path.strip("/")
    return {"password": parts.password, "username": parts.username, "db": int(database) if database else 0}


async def prepare_redis(client: redis.Redis) -> None:
    """Before traffic: a cluster client learns the cluster's slot map now. redis-py's asyncio
    cluster client learns it at its first command otherwise, and a burst of first commands
    racing that (a consumer's prefetch at start) had some of them fail on a connection the map's
    refresh closed under them (``'NoneType' object has no attribute 'writelines'``). Redis
    unreachable now is no reason not to start: the client then learns the map at first use."""
    if is_cluster(client):
        try:
            await cast(RedisCluster, client).initialize()
        except Exception as error:  # noqa: BLE001 - unreachable now; readiness reports it
            log.warning("redis.cluster_map_unknown", error=str(error))


async def redis_alive(client: redis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except Exception:  # noqa: BLE001 - any failure means "not reachable" for readiness
        return False


# The histogram child of each (store, operation): prometheus-client's labels() validates and
# locks on every call, 3-4 % of a gateway's CPU in a reconnect storm when asked per operation.
_STORE_TIMERS: dict[tuple[str, str], Histogram] = {}


@contextmanager
def timed(store: str, operation: str) -> Iterator[None]:
    """Record the latency of one store operation in parley_store_operation_duration_seconds."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timer = _STORE_TIMERS.get((store, operation))
        if timer is None:
            timer = _STORE_TIMERS[(store, operation)] = metrics.STORE_SECONDS.labels(store, operation)
        timer.observe(time.perf_counter() - started)
