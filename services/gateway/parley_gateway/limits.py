"""Limits on what a client sends: frame size, JSON nesting, and frame rate.

Rates are token buckets in Redis (``parley.ratelimit``), one per connection and one per user
over all their connections on every node, taken together in one atomic step. A client that
keeps sending after being refused is flooding and is closed with 1008.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

import orjson
from pydantic import ValidationError

from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.frames import CLIENT_FRAME, ClientFrame
from parley.logs import get_logger
from parley.ratelimit import Bucket, RateLimiter
from parley_gateway import metrics
from parley_gateway.connections import Connection
from parley_gateway.settings import GatewaySettings

log = get_logger("parley.gateway")

# Refusals are counted over this window to tell a burst (a few refused frames) from a flood.
FLOOD_WINDOW_SECONDS = 10.0
# A ping this long after the client's previous frame cannot be part of a flood (the rates allow
# several frames a second), so it is not counted: idle connections' heartbeats stay off Redis.
UNCOUNTED_PING_AFTER_SECONDS = 1.0
# When Redis does not answer, frames pass unlimited (a limiter blip must not cut every chat);
# the warning is written at most this often so an outage does not flood the log either.
LIMITER_DOWN_LOG_SECONDS = 10.0


class Flooding(Exception):
    """The connection kept sending after being refused for rate: close it (1008)."""


class FrameLimits:
    def __init__(self, settings: GatewaySettings, limiter: RateLimiter) -> None:
        self.settings = settings
        self.limiter = limiter
        self._limiter_down_logged = 0.0

    def check_size(self, raw: str | bytes) -> None:
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode())
        if size > self.settings.gateway_max_frame_bytes:
            raise ParleyError(
                ErrorCode.FRAME_TOO_LARGE,
                f"frame of {size} bytes; the limit is {self.settings.gateway_max_frame_bytes}",
            )

    def buckets(self, connection: Connection) -> tuple[Bucket, Bucket]:
        """The connection's frame bucket and its user's, one group (a connection is its user's)."""
        settings = self.settings
        user = f"gw:user:{connection.user_id}"
        per_connection = Bucket(
            f"gw:conn:{connection.id}", settings.gateway_frame_burst, settings.gateway_frames_per_second, group=user
        )
        per_user = Bucket(user, settings.gateway_user_frame_burst, settings.gateway_user_frames_per_second, group=user)
        return per_connection, per_user

    async def take(self, connection: Connection) -> None:
        """Count one frame; raise ParleyError(RATE_LIMITED), or Flooding when refusals pile up."""
        settings = self.settings
        per_connection, per_user = self.buckets(connection)
        try:
            verdict = await self.limiter.take(per_connection, per_user)
        except ParleyError as error:
            now = time.monotonic()
            if now - self._limiter_down_logged > LIMITER_DOWN_LOG_SECONDS:
                self._limiter_down_logged = now
                log.warning("gateway.rate_limiter_unavailable", error=error.message)
            return
        if verdict.allowed:
            return
        metrics.RATE_LIMITED.inc()
        now = time.monotonic()
        if connection.refusals is None:
            connection.refusals = deque()
        refusals = connection.refusals
        refusals.append(now)
        while refusals and now - refusals[0] > FLOOD_WINDOW_SECONDS:
            refusals.popleft()
        if len(refusals) > settings.gateway_flood_refusals:
            raise Flooding()
        scope = "connection" if verdict.blocked_by is per_connection else "user (all connections)"
        raise ParleyError(
            ErrorCode.RATE_LIMITED, f"too many frames for this {scope}; retry in {verdict.retry_after_seconds:.2f} s"
        )

    async def read(self, connection: Connection, raw: str | bytes, quiet_seconds: float = 0.0) -> ClientFrame:
        """A client frame checked against every limit, counted against the rates, validated.

        ``quiet_seconds``: how long the client was silent before this frame. Raises
        FrameRefused (carrying the frame's id when one could be read) or Flooding.
        """
        parsed, problem = _decode(raw)
        frame_id = _id_of(parsed)
        try:
            self.check_size(raw)
            if not (quiet_seconds >= UNCOUNTED_PING_AFTER_SECONDS and _is_ping(parsed)):
                await self.take(connection)
            if problem is not None:
                raise problem
            if nesting_exceeds(parsed, self.settings.gateway_max_json_depth):
                raise ParleyError(
                    ErrorCode.INVALID_FRAME, f"nested deeper than {self.settings.gateway_max_json_depth} levels"
                )
            try:
                return CLIENT_FRAME.validate_python(parsed)
            except ValidationError as error:
                raise ParleyError(ErrorCode.INVALID_FRAME, describe(error)) from None
        except ParleyError as error:
            raise FrameRefused(error.code, error.message, frame_id) from None


class FrameRefused(ParleyError):
    def __init__(self, code: ErrorCode, message: str, frame_id: str | None) -> None:
        super().__init__(code, message)
        self.frame_id = frame_id


def _decode(raw: str | bytes) -> tuple[Any, ParleyError | None]:
    """The parsed JSON (or None) and what is wrong with the frame as such (or None)."""
    parsed, problem = None, None
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        problem = ParleyError(ErrorCode.INVALID_FRAME, f"not JSON: {error}")
    if isinstance(raw, bytes):
        problem = ParleyError(ErrorCode.INVALID_FRAME, "binary frames are not supported; send JSON text frames")
    return parsed, problem


def _is_ping(parsed: Any) -> bool:
    return isinstance(parsed, dict) and parsed.get("type") == "ping"


def _id_of(parsed: Any) -> str | None:
    frame_id = parsed.get("id") if isinstance(parsed, dict) else None
    return frame_id if isinstance(frame_id, str) and 0 < len(frame_id) <= 64 else None


def frame_id_of(raw: str | bytes) -> str | None:
    """The request id of a raw frame, when one can be read (so even a refusal is matched)."""
    parsed, _ = _decode(raw)
    return _id_of(parsed)


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether objects/lists nest deeper than ``limit`` (iterative: no recursion to blow)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def describe(error: ValidationError) -> str:
    problems = [f"{'.'.join(map(str, e['loc'])) or 'frame'}: {e['msg']}" for e in error.errors()[:5]]
    return "invalid frame: " + "; ".join(problems)
