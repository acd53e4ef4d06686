"""The one client of the gateway's WebSocket protocol (docs/protocol.md) in tests/ and bench/.

The e2e, security and browser suites, the chaos tier's members and the bench's load links all
speak through :class:`WsClient`, so how frames are numbered, answered and read is written once.
A client owns one aiohttp WebSocket at a time and reads it on one task. A frame whose ``id``
answers a pending :meth:`WsClient.request` resolves it; every other frame goes to the push
handler. With ``keep_frames`` (the tests' default) every frame, answers included, is also kept
in arrival order for :meth:`WsClient.wait_for` and :meth:`WsClient.of_type`; the bench's
thousands of links keep nothing and parse each frame once with orjson, nothing more.

How a server is spoken to (its request ids, its hello, its keep-alive, what to answer to its own
pings, where a chat message's text is) is a :class:`Dialect`. Parley's is the default; the bench
adds the aiohttp floor's and Centrifugo's (bench/load/dialects.py) so their figures compare.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, Final, Protocol, Self

import aiohttp
import orjson

Frame = dict[str, Any]
Data = dict[str, Any]
FrameId = str | int
PushHandler = Callable[["WsClient", Frame], None]
FramePredicate = Callable[[Frame], bool]

# The frame types the client itself sends or reads; every other type is its caller's business.
AUTH: Final = "auth"
AUTH_OK: Final = "auth.ok"
PING: Final = "ping"
PONG: Final = "pong"
MESSAGE_NEW: Final = "message.new"

# How long a request waits for its answer unless told: a bus round trip behind a backlog on a
# loaded 2-core machine fits in it, and a test that fails on silence does not hang for long.
ANSWER_SECONDS = 10.0
# A close handshake the server has not finished by then is given up: a gateway being stopped
# (a drain test, a storm) may never answer it, and thousands of links close at once.
CLOSE_SECONDS = 5.0
# Largest server frame accepted: aiohttp's own default, named here. Parley's largest frame, a
# history page, is far below it.
MAX_FRAME_BYTES = 4 * 1024 * 1024
# A finished socket's reader gets this long to notice before it is cancelled.
READER_FINISH_SECONDS = 10.0


class HelloRefused(Exception):
    """The server did not accept the client's credential."""


class Dialect(Protocol):
    """How one kind of server is spoken to."""

    name: str

    def frame_id(self, number: int) -> FrameId:
        """The id of the client's ``number``-th request."""
        ...

    def frame(self, frame_type: str, data: Data, frame_id: FrameId) -> Frame:
        """A client frame of ``frame_type`` carrying ``data``, stamped with ``frame_id``."""
        ...

    def hello(self, credential: str) -> tuple[str, Data]:
        """The frame type and data that authenticate a new socket."""
        ...

    def hello_ok(self, reply: Frame) -> bool: ...

    def uid(self, reply: Frame) -> str:
        """The user id an accepted hello names ("" when the server does not say)."""
        ...

    def ping(self) -> tuple[str, Data] | None:
        """The client's keep-alive frame, or None when the server keeps the socket alive itself."""
        ...

    def answer(self, frame: Frame) -> str | None:
        """What to send back at once to a server frame (the server's keep-alive), or None."""
        ...

    def is_pong(self, frame: Frame) -> bool: ...

    def body_of(self, frame: Frame) -> str | None:
        """The text of a pushed chat message, or None for any other frame."""
        ...


class ParleyDialect:
    """docs/protocol.md: ``{"type", "id", "data"}`` frames, an ``auth`` frame first, client pings."""

    name = "parley"

    def frame_id(self, number: int) -> FrameId:
        return f"f{number}"

    def frame(self, frame_type: str, data: Data, frame_id: FrameId) -> Frame:
        return {"type": frame_type, "id": frame_id, "data": data}

    def hello(self, credential: str) -> tuple[str, Data]:
        return AUTH, {"token": credential}

    def hello_ok(self, reply: Frame) -> bool:
        return reply.get("type") == AUTH_OK

    def uid(self, reply: Frame) -> str:
        return str(reply.get("data", {}).get("uid", ""))

    def ping(self) -> tuple[str, Data] | None:
        return PING, {}

    def answer(self, frame: Frame) -> str | None:
        return None  # the gateway never pings: its heartbeat is the client's pings (docs/protocol.md)

    def is_pong(self, frame: Frame) -> bool:
        return frame.get("type") == PONG

    def body_of(self, frame: Frame) -> str | None:
        if frame.get("type") != MESSAGE_NEW:
            return None
        body = frame["data"]["message"]["body"]
        return body if isinstance(body, str) else None


# Dialects hold no state: one Parley dialect serves every client.
PARLEY: Final = ParleyDialect()


class WsClient:
    """A protocol connection: open (again after a drop), hello, request/answer, pushes, waiting for
    a frame, a drop like a dead network. ``WsClient(ws)`` reads a socket the caller opened."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse | None = None,
        *,
        dialect: Dialect = PARLEY,
        on_push: PushHandler | None = None,
        credential: str = "",
        keep_frames: bool = True,
    ) -> None:
        self.dialect = dialect
        self.on_push = on_push
        self.credential = credential
        self.keep_frames = keep_frames
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames: list[Frame] = []  # every frame in arrival order, while keep_frames
        self.uid = ""
        self.pongs = 0
        self.opened_at = 0.0  # time.time() of the last accepted hello; 0: never
        self.close_code: int | None = None  # the last socket's, once its reader has ended
        self._numbers = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Frame]] = {}
        self._waiters: list[tuple[FramePredicate, asyncio.Future[Frame]]] = []
        self._reader: asyncio.Task[None] | None = None
        self._reading = False
        self._failure: Exception | None = None
        if ws is not None:
            self._start(ws)

    @classmethod
    async def connect(
        cls, session: aiohttp.ClientSession, url: str, token: str, *, timeout: float = ANSWER_SECONDS
    ) -> tuple[Self, Frame]:
        """A new client on ``url`` authenticated with ``token``, and the server's ``auth.ok``."""
        client = cls(credential=token)
        await client.open(session, url)
        return client, await client.hello(timeout)

    @property
    def is_open(self) -> bool:
        """A socket is there and its reader still reads it."""
        return self.ws is not None and not self.ws.closed and self._reading

    async def open(self, session: aiohttp.ClientSession, url: str, *, compress: int = 0) -> None:
        """Open a socket to ``url`` (closing this client's previous one) and start reading it.
        ``compress``: the permessage-deflate window bits to offer, 0 for none."""
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:  # the previous socket's reader fails its requests first
            await _finish(self._reader)
        ws = await session.ws_connect(
            url,
            max_msg_size=MAX_FRAME_BYTES,
            timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_SECONDS),
            compress=compress,
        )
        self._start(ws)

    async def hello(self, timeout: float = ANSWER_SECONDS) -> Frame:
        """Authenticate the open socket with the client's credential; the server's acceptance.
        HelloRefused (the socket closed) when the server answers anything else."""
        frame_type, data = self.dialect.hello(self.credential)
        reply = await self.request(frame_type, data, timeout)
        if not self.dialect.hello_ok(reply):
            await self.close()
            raise HelloRefused(str(reply)[:300])
        self.uid = self.dialect.uid(reply)
        self.opened_at = time.time()
        return reply

    def next_id(self) -> FrameId:
        """A fresh request id, for a caller that must know it before the frame goes out."""
        return self.dialect.frame_id(next(self._numbers))

    async def send(self, frame_type: str, data: Data, *, frame_id: FrameId | None = None) -> FrameId:
        """Send one frame stamped with ``frame_id`` (a fresh one unless given); returns the id.
        ConnectionError when the socket is closed or closing."""
        if frame_id is None:
            frame_id = self.next_id()
        ws = self.ws
        if ws is None or not self._reading:
            raise ConnectionError("the socket is not open")
        try:
            await ws.send_str(_encode(self.dialect.frame(frame_type, data, frame_id)))
        except (aiohttp.ClientError, RuntimeError) as error:
            raise ConnectionError(f"the socket is closing: {error}") from error
        return frame_id

    async def request(self, frame_type: str, data: Data, timeout: float = ANSWER_SECONDS) -> Frame:
        """Send a frame and wait for the server frame answering it (same id). ConnectionError
        when the socket closes first, TimeoutError when no answer comes within ``timeout``."""
        frame_id = self.next_id()
        key = str(frame_id)
        self._pending[key] = answer = asyncio.get_running_loop().create_future()
        try:
            await self.send(frame_type, data, frame_id=frame_id)
            return await asyncio.wait_for(answer, timeout)
        finally:
            self._pending.pop(key, None)

    async def ping(self) -> None:
        """The dialect's keep-alive frame; nothing when it has none or the socket is going."""
        frame = self.dialect.ping()
        if frame is not None and self.is_open:
            try:
                await self.send(*frame)
            except ConnectionError:
                return  # closing: the reader notices and ends the socket's life

    async def wait_for(self, predicate: FramePredicate, timeout: float = ANSWER_SECONDS) -> Frame:
        """The first frame (kept or yet to come) ``predicate`` holds for. ConnectionError when the
        socket closes before it comes, TimeoutError after ``timeout``; an error ``predicate``
        raises on a frame is raised here."""
        for frame in self.frames:
            if predicate(frame):
                return frame
        if not self.is_open:
            raise ConnectionError(f"socket closed ({self._close_code()}) before the frame came")
        waiter = (predicate, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter[1], timeout)
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def of_type(self, frame_type: str) -> list[Frame]:
        """The kept frames of ``frame_type``, in arrival order."""
        return [frame for frame in self.frames if frame.get("type") == frame_type]

    async def wait_closed(self) -> int | None:
        """Until the socket's reader has ended (the socket closed or dropped); its close code."""
        if self._reader is not None:
            await asyncio.wait({self._reader})  # not awaited directly: cancelling us must not cancel it
        return self._close_code()

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
        """Close the socket (a close handshake, bounded by CLOSE_SECONDS) and wait for its reader."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await _finish(self._reader)

    # ---- reading -----------------------------------------------------------------------------

    def _start(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.close_code = None
        self._reading = True
        self._failure = None
        self._reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                # Centrifugo batches frames into one message, a newline between two; JSON never
                # holds a raw newline, so the split is safe for every dialect.
                for line in message.data.split("\n"):
                    if line:
                        await self._arrived(orjson.loads(line))
        except ConnectionError:
            pass  # a reset socket ends like a closed one: the finally below says so to everyone
        except Exception as error:  # noqa: BLE001 - a frame that is not JSON, a push handler's bug
            # Reported to every request and waiter as the reason the socket's life ended,
            # instead of an error on a task nobody awaits.
            self._failure = error
        finally:
            self._ended(ws)

    async def _arrived(self, frame: Frame) -> None:
        if self.keep_frames:
            self.frames.append(frame)
        key = frame.get("id")
        answered = self._pending.pop(str(key), None) if key is not None else None
        if answered is not None:
            if not answered.done():
                answered.set_result(frame)
        else:
            reply = self.dialect.answer(frame)
            if reply is not None and self.ws is not None:
                await self.ws.send_str(reply)
            if self.dialect.is_pong(frame):
                self.pongs += 1
            elif self.on_push is not None:
                self.on_push(self, frame)
        if self._waiters:
            self._wake_waiters(frame)

    def _wake_waiters(self, frame: Frame) -> None:
        for waiter in list(self._waiters):
            predicate, future = waiter
            if future.done():
                continue
            try:
                matched = predicate(frame)
            except Exception as error:  # noqa: BLE001 - the waiting caller's own error, raised there
                future.set_exception(error)
                continue
            if matched:
                future.set_result(frame)
                self._waiters.remove(waiter)

    def _ended(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """The socket's life is over: every request and waiter still pending hears so."""
        if ws is not self.ws:
            return  # an older socket's reader, finishing after open() replaced it
        self._reading = False
        self.close_code = ws.close_code
        if self._failure is None:
            gone = ConnectionError(f"socket closed ({ws.close_code}) before the frame came")
        else:
            gone = ConnectionError(f"the socket's reader failed: {self._failure!r}")
            gone.__cause__ = self._failure
        for future in [*self._pending.values(), *(future for _, future in self._waiters)]:
            if not future.done():
                future.set_exception(gone)
        self._waiters.clear()

    def _close_code(self) -> int | None:
        return self.ws.close_code if self.ws is not None else self.close_code


async def login(session: aiohttp.ClientSession, auth_url: str, **body: str) -> dict[str, Any]:
    """Log in through auth's public API (``POST /auth/login``); the answer (token, uid...)."""
    async with session.post(f"{auth_url}/auth/login", json=body) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


def _encode(frame: Frame) -> str:
    try:
        return orjson.dumps(frame).decode()
    except TypeError:
        # A test may send what orjson refuses on purpose (an integer past 64 bits, for the
        # gateway to refuse): the standard library writes it.
        return json.dumps(frame)


async def _finish(reader: asyncio.Task[None]) -> None:
    """Wait for a reader to end, bounded: one that hangs on a dead socket is cancelled."""
    done, _ = await asyncio.wait({reader}, timeout=READER_FINISH_SECONDS)
    if not done:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
