"""One WebSocket connection of the load generator, kept as lean as a client can be.

A link reads every frame on one task; frames answering a request (same ``id``) resolve that
request, the rest go to the agent's push handler. Server frames may come several to a
WebSocket message separated by newlines (Centrifugo batches that way); JSON never contains a
raw newline, so splitting on it is safe for every dialect.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from bench.load.dialects import Frame

PushHandler = Callable[["Link", Frame], None]
# Largest server frame we accept; Parley's biggest (a history page) is far below it.
MAX_FRAME_BYTES = 1024 * 1024
# Every link offers permessage-deflate (window bits 15), as browsers do: a server that accepts it
# pays a compressor per socket, and the idle scenario's RSS per connection shows it.
OFFER_DEFLATE = 15
# A finished socket's reader gets this long to notice before it is cancelled.
READER_FINISH_SECONDS = 10.0


class HelloRefused(Exception):
    """The server did not accept the link's credentials."""


class Link:
    """A client connection: open, authenticate, request/answer, pushes, drop like a dead network."""

    def __init__(self, dialect: Any, on_push: PushHandler, credential: str) -> None:
        self.dialect = dialect
        self.on_push = on_push
        self.credential = credential
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.uid = ""
        self.pongs = 0
        self.opened_at = 0.0
        self.closed_at = 0.0
        self.close_code: int | None = None
        self._pending: dict[str, asyncio.Future[Frame]] = {}
        self._numbers = 0
        self._reader: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        return self.ws is not None and not self.ws.closed

    async def connect(self, session: aiohttp.ClientSession, url: str, timeout: float = 30.0) -> Frame:
        """Open the socket and say hello; returns the server's hello answer."""
        if self._reader is not None:  # a previous socket's reader: let it finish failing its requests first
            await _finish(self._reader)
        self.ws = await session.ws_connect(
            url,
            autoping=True,
            heartbeat=None,
            max_msg_size=MAX_FRAME_BYTES,
            timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
            compress=OFFER_DEFLATE,
        )
        self.closed_at = 0.0
        self.close_code = None
        self._reader = asyncio.create_task(self._read())
        reply = await self.request(self.dialect.hello(self.credential), timeout)
        if not self.dialect.hello_ok(reply):
            await self.close()
            raise HelloRefused(str(reply)[:300])
        self.uid = str(reply.get("data", {}).get("uid", ""))
        self.opened_at = time.time()
        return reply

    def next_id(self) -> Any:
        self._numbers += 1
        return self.dialect.frame_id(self._numbers)

    async def send(self, frame: Frame) -> None:
        assert self.ws is not None
        await self.ws.send_str(orjson.dumps(frame).decode())

    async def request(self, frame: Frame, timeout: float = 10.0) -> Frame:
        """Send a frame with a fresh id and wait for the frame answering it."""
        frame_id = self.next_id()
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[str(frame_id)] = future
        try:
            await self.send({**frame, "id": frame_id})
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(str(frame_id), None)

    async def ping(self) -> None:
        frame = self.dialect.ping()
        if frame is not None and self.open:
            with contextlib.suppress(ConnectionError, RuntimeError):  # closing; the reader notices
                await self.send(frame)

    async def _read(self) -> None:
        assert self.ws is not None
        ws = self.ws
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                for line in message.data.split("\n"):
                    if line:
                        await self._dispatch(orjson.loads(line))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.closed_at = time.time()
            self.close_code = ws.close_code
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError(f"closed ({ws.close_code}) before the answer"))

    async def _dispatch(self, frame: Frame) -> None:
        key = frame.get("id")
        future = self._pending.pop(str(key), None) if key is not None else None
        if future is not None:
            if not future.done():
                future.set_result(frame)
            return
        answer = self.dialect.answer(frame)
        if answer is not None and self.ws is not None:
            await self.ws.send_str(answer)
        if self.dialect.is_pong(frame):
            self.pongs += 1
            return
        self.on_push(self, frame)

    def drop(self) -> None:
        """Vanish like a dead network path: a TCP reset, no close frame, no TIME_WAIT left behind."""
        if self.ws is None:
            return
        sock = self.ws.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection = self.ws._response.connection  # aiohttp has no public abort for a client socket
        if connection is not None and connection.transport is not None:
            connection.transport.abort()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await _finish(self._reader)


async def _finish(reader: asyncio.Task[None]) -> None:
    """Wait for a reader to end, bounded: one that hangs on a dead socket is cancelled."""
    done, _ = await asyncio.wait({reader}, timeout=READER_FINISH_SECONDS)
    if not done:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
