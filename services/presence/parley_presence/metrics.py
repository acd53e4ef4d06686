"""Presence metrics (no per-user labels)."""

from prometheus_client import Counter

CHANGES = Counter("parley_presence_changes_total", "presence.changed events published, by new status.", ["status"])
REANNOUNCED = Counter(
    "parley_presence_reannounced_total", "Changes published again because their first publish was not confirmed."
)
EXPIRED = Counter(
    "parley_presence_connections_expired_total",
    "Connections dropped because their heartbeats stopped (their gateway died without closing them).",
)
UNKNOWN_HEARTBEATS = Counter(
    "parley_presence_unknown_heartbeats_total",
    "Connection ids in heartbeat batches that presence had no record of (Redis lost its data, or the open was "
    "lost): their node is asked to announce them again.",
)
