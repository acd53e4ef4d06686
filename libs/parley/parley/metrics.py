"""The metrics every service exposes, defined once.

Naming follows Prometheus conventions: base units (seconds), ``_total`` on counters, and no
label whose values grow with users or conversations. Service-specific metrics live beside the
domain code that updates them, but are declared with the same ``parley_`` prefix.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

# Buckets for in-process and bus latencies: a chat message should cross the fleet in tens of
# milliseconds, so resolution is finest between 1 ms and 100 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

BUS_PUBLISHED = Counter(
    "parley_bus_published_total", "Messages published (and confirmed) on the bus.", ["exchange", "type"]
)
BUS_CONSUMED = Counter(
    "parley_bus_consumed_total",
    "Messages consumed, by outcome: ack, retry, parked (a dependency outlasted the retries), dead_lettered, "
    "rejected (invalid, dead-lettered at once).",
    ["queue", "outcome"],
)
BUS_DEAD_LETTERED = Counter("parley_bus_dead_lettered_total", "Messages sent to parley.dlx.", ["queue"])
BUS_HANDLER_SECONDS = Histogram(
    "parley_bus_handler_duration_seconds", "Time a bus handler took.", ["queue"], buckets=LATENCY_BUCKETS
)
BUS_PARKED = Gauge(
    "parley_bus_parked",
    "Messages this process parked because a dependency outlasted their retries, and not seen done since "
    "(RabbitMQ's own count is the <queue>.parked queue's).",
    ["queue"],
)
BUS_PARKED_OLDEST_AGE = Gauge(
    "parley_bus_parked_oldest_age_seconds",
    "Seconds since the oldest message this process parked was first parked (0 when none).",
    ["queue"],
)
BUS_CONNECTED = Gauge("parley_bus_connected", "1 while the RabbitMQ connection is up.")
COMMAND_STREAM_ENTRIES = Gauge(
    "parley_command_stream_entries",
    "Entries in a Redis command stream (parley.command_streams): not read yet, or read and not settled "
    "(settled ones are deleted). Near 0 when the service keeps up; read by each replica every second.",
    ["stream"],
)
BUS_REQUEST_TIMEOUTS = Counter(
    "parley_bus_request_timeouts_total", "Request/reply calls that got no answer in time.", ["command"]
)

HTTP_REQUESTS = Counter("parley_http_requests_total", "HTTP requests served.", ["method", "route", "status"])
HTTP_SECONDS = Histogram(
    "parley_http_request_duration_seconds", "HTTP request latency.", ["method", "route"], buckets=LATENCY_BUCKETS
)

DEPENDENCY_UP = Gauge("parley_dependency_up", "1 while a dependency answers.", ["dependency"])
READY = Gauge("parley_ready", "1 while the service reports ready.")
STORE_SECONDS = Histogram(
    "parley_store_operation_duration_seconds",
    "Latency of Redis and MongoDB operations.",
    ["store", "operation"],
    buckets=LATENCY_BUCKETS,
)

# Every MongoDB command as the driver sees it (stores.CommandTimer): how much of a request's
# time is the database's, whichever code path issued it.
MONGO_COMMAND_SECONDS = Histogram(
    "parley_mongodb_command_duration_seconds",
    "Latency of every MongoDB command, by command name (find, insert, update, findAndModify, ...).",
    ["command"],
    buckets=LATENCY_BUCKETS,
)


def render_latest() -> tuple[bytes, str]:
    """The exposition text of the default registry and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
