"""Notification metrics (no per-user labels)."""

from prometheus_client import Counter, Gauge

DELIVERIES = Counter(
    "parley_notification_deliveries_total",
    "Frames published to users' delivery channels: one per recipient of a client.frame or presence change.",
    ["frame"],
)
PUSH_SENT = Counter("parley_push_sent_total", "Web pushes accepted by a push service.")
PUSH_FAILED = Counter(
    "parley_push_failed_total",
    "Web pushes not delivered: gone (404/410, subscription deleted), rejected (other 4xx), "
    "exhausted (429/5xx/network after every attempt), refused (the endpoint, a redirect or its name's addresses "
    "are not a public https push service; subscription deleted).",
    ["reason"],
)
PUSH_SKIPPED = Counter(
    "parley_push_skipped_total",
    "Pushes not sent because they were out of date: seen (read elsewhere), stale (older than the TTL), "
    "online (the user has a live connection again).",
    ["reason"],
)
PUSH_QUEUED = Counter("parley_push_queued_total", "Pushes put in the rate-limited queue (above MAX_DIRECT_PUSH).")
PUSH_QUEUE_LENGTH = Gauge("parley_push_queue_length", "Pushes waiting in the rate-limited queue.")
