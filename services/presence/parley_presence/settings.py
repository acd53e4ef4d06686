from pydantic import Field

from parley.settings import ServiceSettings


class PresenceSettings(ServiceSettings):
    http_port: int = Field(8084, ge=0, le=65535, description="Port of presence's health/metrics server.")
    presence_connection_ttl_seconds: float = Field(
        90.0,
        ge=1.0,
        description="A connection not heard of (open or heartbeat batch) for this long is gone. "
        "Three gateway heartbeat intervals, so one lost batch does not drop anyone.",
    )
    presence_away_seconds: float = Field(
        1800.0,
        gt=0,
        description="A connected user who has done nothing (no message, read, typing or visible status) "
        "for this long is away (Odoo's AWAY_TIMER: 30 minutes).",
    )
    presence_offline_grace_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="A user whose last connection closed keeps their status this long before going offline: "
        "a page reload, a network blip or a gateway's whole reconnect storm within it announces nothing. 0: offline "
        "at once.",
    )
    presence_sweep_interval_seconds: float = Field(
        1.0,
        gt=0,
        description="How often each replica expires dead connections and idle users: a dead node's users go "
        "offline at most this long after the connection TTL, for one cheap Redis call per interval.",
    )
