"""How a link talks to each kind of server: Parley, the bare-aiohttp floor and Centrifugo.

A dialect says how to say hello (authenticate), how to keep the connection alive, what to
answer to a server's own frames, and where a pushed chat message's body is. The rest of the
client (links, agents) is the same for the three servers, so their figures compare.
"""

from __future__ import annotations

from typing import Any

Frame = dict[str, Any]


class ParleyDialect:
    """docs/protocol.md: an ``auth`` frame first, client ``ping`` frames, ``message.new`` pushes."""

    name = "parley"

    def frame_id(self, number: int) -> str:
        return f"r{number}"

    def hello(self, token: str) -> Frame:
        return {"type": "auth", "data": {"token": token}}

    def hello_ok(self, reply: Frame) -> bool:
        return reply.get("type") == "auth.ok"

    def ping(self) -> Frame | None:
        return {"type": "ping", "data": {}}

    def answer(self, frame: Frame) -> str | None:
        """A frame to send back at once (the server's keep-alive), or None."""
        return None

    def is_pong(self, frame: Frame) -> bool:
        return frame.get("type") == "pong"

    def body_of(self, frame: Frame) -> str | None:
        """The text of a pushed chat message, or None for any other frame."""
        if frame.get("type") != "message.new":
            return None
        body = frame["data"]["message"]["body"]
        return body if isinstance(body, str) else None


class FloorDialect(ParleyDialect):
    """The bare aiohttp server (baselines/echo_server.py) speaks Parley's frames, minus the work."""

    name = "aiohttp-floor"


class CentrifugoDialect:
    """Centrifugo v5 JSON protocol: ``connect`` with a JWT; the server pings (``{}``), we pong."""

    name = "centrifugo"

    def frame_id(self, number: int) -> int:
        return number

    def hello(self, token: str) -> Frame:
        return {"connect": {"token": token, "name": "parley-bench"}}

    def hello_ok(self, reply: Frame) -> bool:
        return "connect" in reply

    def ping(self) -> Frame | None:
        return None  # Centrifugo pings from the server side every 25 s

    def answer(self, frame: Frame) -> str | None:
        return "{}" if not frame else None

    def is_pong(self, frame: Frame) -> bool:
        return not frame  # count the server's pings as the keep-alive round

    def body_of(self, frame: Frame) -> str | None:
        body = frame.get("push", {}).get("pub", {}).get("data", {}).get("body")
        return body if isinstance(body, str) else None


DIALECTS: dict[str, type[ParleyDialect] | type[CentrifugoDialect]] = {
    "parley": ParleyDialect,
    "aiohttp-floor": FloorDialect,
    "centrifugo": CentrifugoDialect,
}
