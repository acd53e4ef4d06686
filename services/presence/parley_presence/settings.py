from pydantic import Field

from parley.settings import ServiceSettings


class PresenceSettings(ServiceSettings):
    http_port: int = Field(8084, ge=0, le=65535, description="Port of presence's health/metrics server.")
    presence_connection_ttl_seconds: int = Field(
        90,
        ge=5,
        description="A connection not heard of (open or heartbeat batch) for this long is gone. "
        "Three gateway heartbeat intervals, so one lost batch does not drop anyone.",
    )
