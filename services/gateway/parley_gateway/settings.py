from __future__ import annotations

from pydantic import Field, model_validator

from parley.settings import ServiceSettings

# What a stop needs besides the drain window: the last close handshakes (3 s), stopping intake
# and closing the stores; the drain window plus this must fit in the shutdown budget.
STOP_AFTER_DRAIN_SECONDS = 10.0


class GatewaySettings(ServiceSettings):
    http_port: int = Field(8080, ge=0, le=65535, description="Port of /ws and health/metrics.")
    shutdown_timeout_seconds: float = Field(
        35.0,
        gt=0,
        description="Budget for a graceful stop (the drain window and 10 s more, checked at start); the watchdog "
        "exits the process when it runs out. Below Kubernetes' grace period (45 s) minus the preStop sleep (5 s).",
    )
    gateway_heartbeat_timeout_seconds: float = Field(
        60.0,
        gt=0,
        description="A connection silent this long (no frame, no ping) is closed with 4008 (bm-aichat: 60 s).",
    )
    gateway_auth_timeout_seconds: float = Field(
        10.0, gt=0, description="Time a new connection has to send its auth frame before it is closed with 4001."
    )
    gateway_max_frame_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest client frame accepted (error 9002 above it; a frame over 4 times this closes the "
        "connection with 1009); a 4000-character message fits many times over.",
    )
    gateway_max_json_depth: int = Field(
        16,
        ge=4,
        le=256,
        description="Deepest nesting of objects and lists in a frame (error 9001 beyond); frames need 4 or 5.",
    )
    gateway_frames_per_second: float = Field(
        10.0, gt=0, description="Frames a connection may send per second, sustained (error 9003 beyond)."
    )
    gateway_frame_burst: int = Field(
        30, ge=1, description="Frames a connection may send at once (a reconnect's resumes, a pasted batch)."
    )
    gateway_user_frames_per_second: float = Field(
        20.0,
        gt=0,
        description="Frames one user may send per second over all their connections, on every node together "
        "(a token bucket in Redis).",
    )
    gateway_user_frame_burst: int = Field(
        60, ge=1, description="Frames one user may send at once over all their connections."
    )
    gateway_flood_refusals: int = Field(
        50,
        ge=1,
        description="Rate-limited frames within 10 s after which the connection is closed with 1008: a client that "
        "ignores 9003 that long is flooding, not bursting.",
    )
    gateway_max_connections_per_user: int = Field(
        10,
        ge=1,
        description="Live connections one user may hold on all nodes together (tabs, devices, consoles); "
        "one more gets 9003 and close 1008.",
    )
    gateway_allowed_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description='Browser origins allowed to open /ws (JSON list; ["*"]: any); others get HTTP 403. '
        "Clients without an Origin header (apps, servers) are not concerned. A visitor's page must also be one of "
        "its channel's allowed_origins when the channel lists any (checked at session.open: 9114, close 4011).",
    )
    gateway_maintenance_poll_seconds: float = Field(
        2.0, gt=0, description="How often each node reads the maintenance flag from Redis (how late a switch can be)."
    )
    gateway_send_queue_frames: int = Field(
        1000,
        ge=10,
        description="Frames waiting to be written to one socket before the client counts as too slow and is closed "
        "with 1013 (it reconnects and resumes): one slow reader never holds up the others.",
    )
    gateway_write_buffer_mark_bytes: int = Field(
        64 * 1024,
        ge=0,
        description="Unsent bytes in one socket's transport above which it counts as under backpressure: its "
        "frames then wait in its send queue (one writer task) instead of being written at once; below it, a "
        "frame built once is written straight to every socket (asyncio's own high-water mark by default).",
    )
    gateway_gap_wait_seconds: float = Field(
        1.0,
        gt=0,
        description="How long a message.new above a missing seq is held for the missing one to arrive before the "
        "gap is filled from chat_session's history (deliveries can overtake each other on the bus).",
    )
    gateway_position_check_seconds: float = Field(
        3.0,
        gt=0,
        description="How often each node compares what it delivered to its live sockets with the newest seq "
        "chat_session stored (one batched request per node, none when it serves no conversation) and fills what is "
        "missing from history: a lost last message reaches its socket at most this plus gateway_gap_wait_seconds "
        "late. After a lost bus link the same check runs at once (docs/delivery.md).",
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

    @model_validator(mode="after")
    def drain_fits_the_shutdown_budget(self) -> GatewaySettings:
        if self.gateway_drain_seconds + STOP_AFTER_DRAIN_SECONDS > self.shutdown_timeout_seconds:
            raise ValueError(
                f"gateway_drain_seconds ({self.gateway_drain_seconds:g}) + {STOP_AFTER_DRAIN_SECONDS:g} s must fit in "
                f"shutdown_timeout_seconds ({self.shutdown_timeout_seconds:g}), or the watchdog cuts the drain short"
            )
        return self
