"""Integrations metrics: deliveries by endpoint kind (bot, webhook), never by endpoint id (an
admin may register hundreds; the delivery API lists one endpoint's)."""

from prometheus_client import Counter, Gauge, Histogram

SENT = Counter("parley_integrations_deliveries_sent_total", "Deliveries a receiver answered 2xx.", ["kind"])
FAILED = Counter(
    "parley_integrations_attempts_failed_total",
    "Attempts that failed: timeout, network, status_429, status_5xx (all retried), status_4xx (a refusal, not "
    "retried), refused (the URL or an address its name resolves to is not public), gone (the endpoint was deleted).",
    ["kind", "reason"],
)
DEAD = Counter(
    "parley_integrations_deliveries_dead_total",
    "Deliveries dead-lettered (every attempt failed, or refused).",
    ["kind"],
)
LATENCY = Histogram(
    "parley_integrations_delivery_seconds",
    "Time from a request's start to the receiver's answer (answered attempts only).",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
EVENTS = Counter(
    "parley_integrations_events_total", "Outbound events consumed, by whether any endpoint wanted them.", ["matched"]
)
BACKLOG = Gauge("parley_integrations_backlog", "Pending deliveries (due or waiting for a retry).")
BACKLOG_AGE = Gauge("parley_integrations_backlog_age_seconds", "How long the oldest pending delivery has waited.")
DEAD_WAITING = Gauge("parley_integrations_dead_letters", "Dead-lettered deliveries waiting for a redelivery.")
CIRCUITS_OPEN = Gauge("parley_integrations_circuits_open", "Endpoints whose circuit breaker is open, on this replica.")
MESSAGES_BOUND = Gauge(
    "parley_integrations_messages_stream_bound",
    "1 while the events queue takes every chat message (a webhook subscribes to message.created), else 0.",
)
