"""The servers the bench speaks to besides Parley: the bare-aiohttp floor and Centrifugo.

The load client is the tests' protocol client (tests/kit/client.py) for all three; only the
dialect differs (how to say hello, keep the connection alive, answer the server's own frames,
where a pushed chat message's body is), so the three servers' figures compare.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.kit.client import Data, Dialect, Frame, FrameId, ParleyDialect


class FloorDialect(ParleyDialect):
    """The bare aiohttp server (baselines/echo_server.py) speaks Parley's frames, minus the work."""

    name = "aiohttp-floor"


class CentrifugoDialect:
    """Centrifugo v5 JSON protocol: ``{"id", <method>: {...}}`` frames, ``connect`` with a JWT; the
    server pings (``{}``) and we pong."""

    name = "centrifugo"

    def frame_id(self, number: int) -> FrameId:
        return number

    def frame(self, frame_type: str, data: Data, frame_id: FrameId) -> Frame:
        return {"id": frame_id, frame_type: data}

    def hello(self, credential: str) -> tuple[str, Data]:
        return "connect", {"token": credential, "name": "parley-bench"}

    def hello_ok(self, reply: Frame) -> bool:
        return "connect" in reply

    def uid(self, reply: Frame) -> str:
        return ""  # the token names the user; the connect reply names only the client

    def ping(self) -> tuple[str, Data] | None:
        return None  # Centrifugo pings from the server side every 25 s

    def answer(self, frame: Frame) -> str | None:
        return "{}" if not frame else None

    def is_pong(self, frame: Frame) -> bool:
        return not frame  # count the server's pings as the keep-alive round

    def body_of(self, frame: Frame) -> str | None:
        body = frame.get("push", {}).get("pub", {}).get("data", {}).get("body")
        return body if isinstance(body, str) else None


DIALECTS: dict[str, Callable[[], Dialect]] = {
    "parley": ParleyDialect,
    "aiohttp-floor": FloorDialect,
    "centrifugo": CentrifugoDialect,
}
