"""A small protocol client for tests: HTTP login, then frames over a real WebSocket."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import aiohttp

Frame = dict[str, Any]


async def login(session: aiohttp.ClientSession, auth_url: str, **body: str) -> dict[str, Any]:
    async with session.post(f"{auth_url}/auth/login", json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


class WsClient:
    """One WebSocket connection; frames that arrive are kept in order so tests can wait for them."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self._arrived = asyncio.Condition()
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, ws_url: str, token: str) -> tuple[WsClient, Frame]:
        ws = await session.ws_connect(ws_url)
        client = cls(ws)
        ok = await client.request("auth", {"token": token})
        assert ok["type"] == "auth.ok", ok
        return client, ok

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                async with self._arrived:
                    self.frames.append(message.json())
                    self._arrived.notify_all()
        async with self._arrived:
            self._arrived.notify_all()

    async def send(self, frame_type: str, data: dict[str, Any]) -> str:
        frame_id = f"f{next(self._ids)}"
        await self.ws.send_json({"type": frame_type, "id": frame_id, "data": data})
        return frame_id

    async def request(self, frame_type: str, data: dict[str, Any], timeout: float = 10.0) -> Frame:
        """Send a frame and wait for the server frame answering it (same id)."""
        frame_id = await self.send(frame_type, data)
        return await self.wait_for(lambda frame: frame.get("id") == frame_id, timeout)

    async def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = 10.0) -> Frame:
        async def first_match() -> Frame:
            seen = 0
            async with self._arrived:
                while True:
                    for frame in self.frames[seen:]:
                        if predicate(frame):
                            return frame
                    seen = len(self.frames)
                    if self.ws.closed:
                        raise ConnectionError(f"socket closed ({self.ws.close_code}) before the frame came")
                    await self._arrived.wait()

        return await asyncio.wait_for(first_match(), timeout)

    def of_type(self, frame_type: str) -> list[Frame]:
        return [frame for frame in self.frames if frame.get("type") == frame_type]

    async def close(self) -> None:
        await self.ws.close()
        await self._reader
