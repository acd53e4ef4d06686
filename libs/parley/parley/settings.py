"""Typed settings for every Parley service, read from the environment (prefix ``PARLEY_``).

Each service subclasses :class:`ServiceSettings` and adds its own fields. Every field has a
default that works against the local infrastructure (``make infra``) and a description that
the README's configuration table is generated from (``python -m tools.settings_doc``; a unit test
fails when the README differs). A bad value stops the process at start with a message naming the
variable.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from typing import Literal, Self, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "PARLEY_"


def _default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ServiceSettings(BaseSettings):
    """Settings every service shares: where the brokers are, how to log, where to listen."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    node_id: str = Field(
        default_factory=_default_node_id,
        description="Unique id of this process; the gateway's delivery queue is named after it.",
        json_schema_extra={"doc_default": "<hostname>-<pid>"},  # the README's table shows the rule, not a machine's id
    )
    http_host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    http_port: int = Field(
        8080, ge=0, le=65535, description="Port of /healthz, /readyz, /metrics and the service's API."
    )
    http_cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the HTTP API (CORS), as a JSON list, "
        'e.g. ["https://shop.example"]; ["*"] allows any origin; empty allows none. Set it on auth for the web '
        "widget's login.",
    )
    http_header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A request's line and headers must arrive whole within this long (from the connection, or from "
        "the first byte of a kept-alive connection's next request), else the socket is dropped: a client sending "
        "a header line now and then cannot hold it. A slow mobile link sends a few hundred bytes in well under 1 s.",
    )
    http_body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="A request body must arrive whole within this long of its headers, else the socket is dropped "
        "(bodies are at most 64 KiB: about 2 KB/s, slower than any link a person chats over).",
    )
    http_idle_timeout_seconds: float = Field(
        75.0,
        gt=0,
        description="A kept-alive connection with no request in progress is closed after this long; longer than "
        "the proxies' own upstream keep-alive (nginx: 60 s), so a proxy never reuses a socket being closed.",
    )
    http_max_connections_per_address: int = Field(
        256,
        ge=1,
        description="Sockets (WebSockets included) one client address may hold on this process; the next is "
        "answered HTTP 429 (9003) before any upgrade and closed. Room for an office or a mobile carrier's NAT "
        "behind one address (each user holds a few), far below a process's file descriptors. Raise it for load "
        "generators that open thousands of sockets from one address (make bench).",
    )
    http_listen_backlog: int = Field(
        4096,
        ge=1,
        le=65535,
        description="Connections the kernel queues on the listening socket while the process is busy accepting. "
        "aiohttp's default of 128 drops the rest of a reconnect storm's SYNs (thousands of clients within seconds "
        "of a node's restart or a network blip), and each dropped one retries only a second or more later. The "
        "kernel caps it at net.core.somaxconn (4096 on current kernels).",
    )
    http_trusted_proxies: list[str] = Field(
        default_factory=list,
        description='Addresses or networks of proxies in front of this service (JSON list, e.g. ["10.0.0.0/8"]) '
        "whose X-Forwarded-For is believed: behind them, the address cap counts the client they forward for "
        '(docs/protocol.md, "Connection limits"). make up trusts its edge on 127.0.0.1; in Kubernetes, the Ingress '
        "controller's pod network. Empty: the socket's peer is the client (never trust a header anyone can write).",
    )
    amqp_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672/",
        description="RabbitMQ URL (vhost in the path); for a cluster, every node's, comma-separated: the bus "
        "connects to one and moves to the next when it goes.",
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis URL; with redis_sentinels, only its password and database number are used.",
    )
    redis_sentinels: str = Field(
        "",
        description="host:port of each Redis Sentinel, comma-separated: when set, the services ask them for "
        "the primary of redis_sentinel_primary, and again after a failover.",
    )
    redis_sentinel_primary: str = Field("parley", description="The name the Sentinels monitor Parley's Redis by.")
    redis_cluster_nodes: str = Field(
        "",
        description="host:port of Redis Cluster nodes, comma-separated (a few are enough: the client learns the "
        "rest): when set, Redis is a cluster, and redis_url gives only its password.",
    )
    redis_key_prefix: str = Field(
        "parley:",
        description="Prefix of every Redis key, so tests and tenants can share a server; no { or } (a hash tag in "
        "it would put every key on one Redis Cluster slot).",
    )
    redis_max_connections: int = Field(
        100,
        ge=1,
        description="Connections one process opens to Redis at most; a command that finds them all busy waits for one "
        "(up to 3 s) instead of failing, so a burst of connects or messages queues instead of erroring.",
    )
    mongo_url: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB (or MongoDB-wire server) URL.")
    mongo_db: str = Field("parley", description="MongoDB database name.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest log level written (any case: INFO and info are the same)."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="json off a TTY, coloured console on one (auto), or forced."
    )
    auth_jwks_url: str = Field(
        "http://127.0.0.1:8081/auth/jwks.json",
        description="Where auth publishes its public keys; tokens are verified locally against them.",
    )
    bus_prefetch: int = Field(
        64, ge=1, le=10_000, description="Unacked messages a consumer holds at once (bounds memory and in-flight work)."
    )
    bus_max_attempts: int = Field(
        8,
        ge=1,
        le=100,
        description="Deliveries of a failing message before it is dead-lettered; with the default, its retries "
        "(0.1 s, 0.5 s, 1 s, 2 s, 5 s, then 10 s) span about 28 s, longer than a store or broker restart. "
        "Each retry waits in a delay queue, holding no consumer slot; a failure no retry can mend (a value the "
        "database refuses, a model that does not validate) is answered and dead-lettered at once. Returns of a "
        "message by a consumer that died holding it count too (the quorum queue's x-delivery-limit is this - 1): "
        "every node of a service needs the same value.",
    )
    bus_handler_timeout_seconds: float = Field(
        30.0, gt=0, description="A handler running longer than this counts as failed (and is retried)."
    )
    bus_request_timeout_seconds: float = Field(
        5.0, gt=0, description="How long a request/reply call waits for its answer before it fails."
    )
    shutdown_timeout_seconds: float = Field(
        25.0,
        gt=0,
        description="Budget for a graceful stop; the watchdog exits the process when it runs out. "
        "Shorter than Kubernetes' grace period so our own cleanup, not SIGKILL, ends the process.",
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("http_trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry.strip(), strict=False)  # ValueError names the bad entry
        return value

    @field_validator("amqp_url")
    @classmethod
    def _amqp_urls(cls, value: str) -> str:
        for url in value.split(","):
            if not url.strip().startswith(("amqp://", "amqps://")):
                raise ValueError(f"not an AMQP URL: {url.strip()!r} (several are separated by commas)")
        return value

    @field_validator("redis_sentinels", "redis_cluster_nodes")
    @classmethod
    def _host_ports(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            host, _, port = entry.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"not host:port: {entry!r} (several are separated by commas)")
        return value

    @field_validator("redis_key_prefix")
    @classmethod
    def _no_hash_tag(cls, value: str) -> str:
        # Redis Cluster hashes only a key's first {...}: one in the prefix would override every
        # store's own tag (presence, the rate limits' groups) and put all keys on one slot.
        if "{" in value or "}" in value:
            raise ValueError("must not contain { or }: Redis Cluster would hash every key by it")
        return value

    @model_validator(mode="after")
    def _one_redis_mode(self) -> Self:
        if self.redis_sentinels.strip() and self.redis_cluster_nodes.strip():
            raise ValueError(
                "redis_sentinels and redis_cluster_nodes: a Redis is a cluster or under Sentinel, not both"
            )
        return self

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """Every Sentinel's (host, port); empty: Redis is redis_url itself."""
        return _addresses(self.redis_sentinels)

    @property
    def cluster_node_addresses(self) -> list[tuple[str, int]]:
        """The Redis Cluster nodes given, (host, port); empty: Redis is not a cluster."""
        return _addresses(self.redis_cluster_nodes)

    @property
    def amqp_urls(self) -> list[str]:
        """Every node's URL, in the order given."""
        return [url.strip() for url in self.amqp_url.split(",")]


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def _addresses(value: str) -> list[tuple[str, int]]:
    entries = filter(None, (part.strip() for part in value.split(",")))
    return [(host, int(port)) for host, _, port in (entry.rpartition(":") for entry in entries)]


def load_settings(settings_class: type[SettingsT]) -> SettingsT:
    """Read and validate settings; on a bad value print which variable is wrong and exit 2."""
    try:
        return settings_class()
    except ValidationError as error:
        lines = [f"invalid configuration for {settings_class.__name__}:"]
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"])
            lines.append(f"  {ENV_PREFIX}{field.upper()}: {problem['msg']} (got {problem.get('input')!r})")
        sys.stderr.write("\n".join(lines) + "\n")
        raise SystemExit(2) from None
