"""A conversation member's client as a real app behaves (docs/protocol.md): one WebSocket to a
gateway (the suites' protocol client, tests/kit/client.py); after any drop it reconnects to the
next gateway and resumes every conversation from the last seq it has; a resume refused (a
service away) is asked again. Every ``message.new`` goes into the ledger as it arrives,
duplicates and all: the ledger judges them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp

from tests.chaos.ledger import Ledger
from tests.kit.client import Frame, WsClient

# A real client waits 2 s before reconnecting (docs/design.md); shorter here to keep the suite short.
RECONNECT_DELAY_SECONDS = 1.0
# Protocol pings keep an idle connection under the gateway's 60 s heartbeat timeout.
PING_INTERVAL_SECONDS = 20.0
RESUME_TIMEOUT_SECONDS = 15.0


class Member:
    def __init__(
        self, http: aiohttp.ClientSession, gateways: list[str], token: str, user_id: str, ledger: Ledger, first: int = 0
    ) -> None:
        self.http, self.gateways, self.token, self.user_id, self.ledger = http, gateways, token, user_id, ledger
        self.gateway_index = first
        self.conversations: set[str] = set()  # resumed after a reconnect: the open ones it follows
        self.followed: set[str] = set()  # every conversation it ever followed, closed ones too
        self.closed: set[str] = set()  # conversations it was told are closed
        self.connected = asyncio.Event()
        self.connections = 0
        # conversation.updated frames as they arrive: (conversation id, time.monotonic())
        self.state_frames: list[tuple[str, float]] = []
        self._client: WsClient | None = None
        self._resumed: dict[str, asyncio.Event] = {}
        self._refused: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            await self._client.close()

    @property
    def gateway(self) -> str | None:
        """The gateway this client is connected to now (None: between connections)."""
        return self.gateways[self.gateway_index % len(self.gateways)] if self.connected.is_set() else None

    def high(self, conversation_id: str) -> int:
        """The last seq this client has of the conversation (0: none yet)."""
        return max(self.ledger.received.get(self.user_id, {}).get(conversation_id, [0]), default=0)

    async def request(self, frame_type: str, data: dict[str, Any], timeout: float = 5.0) -> Frame:
        """Send a frame on the live connection and wait for its answer; ConnectionError when the
        connection is not there or drops, TimeoutError when no answer comes in time."""
        if not self.connected.is_set() or self._client is None:
            raise ConnectionError("not connected")
        answer = await self._client.request(frame_type, data, timeout)
        # The answer is a frame like the others for the bookkeeping (a resume's resume.done).
        self._on_frame(self._client, answer)
        return answer

    async def _run(self) -> None:
        while True:
            url = self.gateways[self.gateway_index % len(self.gateways)]
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, TimeoutError, OSError):
                await self._session(url)
            self.gateway_index += 1  # another gateway: this one may be gone
            await asyncio.sleep(RECONNECT_DELAY_SECONDS)

    async def _session(self, url: str) -> None:
        client = self._client = WsClient(on_push=self._on_frame, keep_frames=False)
        try:
            await client.open(self.http, url)
            self.connections += 1
            await self._authenticate()
            self.connected.set()
            tasks = {asyncio.create_task(client.wait_closed()), asyncio.create_task(self._keep_alive())}
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                # Whichever ended first (the socket closed, or a ping went unanswered), the other
                # goes too, and its error is collected here, not left on an orphan task.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self.connected.clear()  # no request goes to a socket on its way out
            await client.close()

    async def _authenticate(self) -> None:
        """auth with every known conversation to resume; those refused are resumed one by one."""
        positions = [{"conversation_id": c, "after_seq": self.high(c)} for c in sorted(self.conversations)]
        self._resumed = {position["conversation_id"]: asyncio.Event() for position in positions}
        self._refused = set()
        self.connected.set()  # request() needs it; no message.send can be ahead of the auth frame
        answer = await self.request("auth", {"token": self.token, "resume": positions}, timeout=10)
        if answer["type"] != "auth.ok":
            raise ConnectionError(f"auth refused: {answer}")
        for conversation_id, done in self._resumed.items():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled(conversation_id), RESUME_TIMEOUT_SECONDS)
            while not done.is_set():
                await self._resume_again(conversation_id)

    async def _settled(self, conversation_id: str) -> None:
        """Until the resume of the conversation given with auth is done, or was refused."""
        while not (self._resumed[conversation_id].is_set() or conversation_id in self._refused):
            await asyncio.sleep(0.05)

    async def _resume_again(self, conversation_id: str) -> None:
        """A refused resume (chat_session away, say) is asked again, as the protocol's 9503 says."""
        answer = await self.request(
            "resume", {"conversation_id": conversation_id, "after_seq": self.high(conversation_id)}, 10
        )
        if answer["type"] == "error":
            await asyncio.sleep(RECONNECT_DELAY_SECONDS)

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(PING_INTERVAL_SECONDS)
            await self.request("ping", {})

    def follow(self, conversation_id: str) -> None:
        self.followed.add(conversation_id)
        if conversation_id not in self.closed:
            self.conversations.add(conversation_id)

    def _on_frame(self, _client: WsClient, frame: Frame) -> None:
        kind, data = frame.get("type"), frame.get("data") or {}
        if kind == "message.new":
            self.ledger.record_received(self.user_id, data["conversation_id"], data["seq"])
            self.follow(data["conversation_id"])
        elif kind == "conversation.updated":
            self.state_frames.append((data["conversation_id"], time.monotonic()))
            if data.get("status") == "closed":
                # A client stops following a closed conversation (tests/chaos/closes.py).
                self.closed.add(data["conversation_id"])
                self.conversations.discard(data["conversation_id"])
            elif self.user_id in data.get("member_ids", []):
                self.follow(data["conversation_id"])
        elif kind == "resume.done" and data["conversation_id"] in self._resumed:
            self._resumed[data["conversation_id"]].set()
        elif kind == "error" and data.get("message", "").startswith("resume of "):
            # A resume given with auth was refused: stop waiting for it, _authenticate asks again.
            refused = data["message"].removeprefix("resume of ").partition(":")[0]
            self._refused.add(refused)
