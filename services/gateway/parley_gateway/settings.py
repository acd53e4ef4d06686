from pydantic import Field

from parley.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    http_port: int = Field(8080, ge=0, le=65535, description="Port of /ws and health/metrics.")
    gateway_heartbeat_timeout_seconds: float = Field(
        60.0, gt=0, description="A connection silent this long (no frame, no ping) is closed with 4008 (bm-aichat: 60 s)."
    )
    gateway_auth_timeout_seconds: float = Field(
        10.0, gt=0, description="Time a new connection has to send its auth frame before it is closed with 4001."
    )
    gateway_max_frame_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest client frame accepted; a 4000-character message fits many times over."
    )
    gateway_presence_batch_seconds: float = Field(
        30.0,
        gt=0,
        description="Interval of the heartbeat batch sent to presence (one bus message per node); "
        "a third of presence's connection TTL so one lost batch drops nobody.",
    )
    gateway_drain_seconds: float = Field(
        20.0, ge=0, description="On SIGTERM, clients are told to reconnect (1012) spread over this window."
    )
