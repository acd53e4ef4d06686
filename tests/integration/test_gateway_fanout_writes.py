"""The gateway's write path over real sockets: one frame built once, written straight to every
socket with nothing queued, while a socket that stopped reading queues alone and is closed with
1013 (docs/delivery.md, "Writing to sockets").

An aiohttp server in this process holds the sockets as the gateway does (its Connection,
Connections and OrderedDelivery); the clients are real WebSockets on loopback. The stalled
client is a raw socket with small kernel buffers that reads nothing until told, so its
backpressure reaches the server's transport within a few hundred KiB.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import orjson
import pytest
from aiohttp import web

from parley.contracts.commands import GetHistory, History
from parley.contracts.errors import CloseCode
from parley.tokens import Claims
from parley_gateway.connections import Connection, Connections, OutFrame
from parley_gateway.streams import OrderedDelivery
from tests.kit.waiting import eventually

USER = "o_watcher"
CONVERSATION = "c_fanout"
READERS = 3
MESSAGES = 1000
# Each frame ~2 KiB: 1,000 of them (2 MiB) are far more than the stalled socket's kernel
# buffers, its client's stream buffer, the write mark and the send queue hold together.
PADDING = "x" * 2000
SEND_QUEUE = 200
WRITE_MARK = 32 * 1024
SMALL_SOCKET_BUFFER = 4096
IN_FLIGHT = 100  # frames sent and not yet read, at most, while the once-stalled socket drains


async def _no_history(command: GetHistory) -> History:
    raise AssertionError(f"no gap is expected, yet history was read: {command}")


def _claims() -> Claims:
    now = int(time.time())
    return Claims(sub=USER, role="operator", sid="s", iat=now, exp=now + 600, iss="i", aud="a", jti="j")


@dataclass
class Gateway:
    url: str
    connections: Connections
    delivery: OrderedDelivery
    send_queue: int = SEND_QUEUE  # for the sockets connected from now on

    def deliver(self, seq: int) -> None:
        frame = _frame(seq)  # built once, for every socket of the conversation here
        for connection in self.connections.of_user(USER):
            self.delivery.deliver(connection, CONVERSATION, seq, frame)

    async def deliver_range(self, first: int, last: int) -> None:
        for seq in range(first, last + 1):
            self.deliver(seq)
            if seq % 10 == 0:
                await asyncio.sleep(0)  # the readers' turn: a live socket drains as it goes


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    connections = Connections()
    gateway = Gateway("", connections, OrderedDelivery(_no_history, 60.0))

    async def socket_endpoint(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        assert request.transport is not None
        # Small server-side kernel buffer: the stalled reader's backpressure reaches the transport soon.
        request.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_SOCKET_BUFFER)
        connection = Connection(
            ws=ws,
            claims=_claims(),
            client_kind="web",
            max_queued=gateway.send_queue,
            transport=request.transport,
            write_buffer_mark=WRITE_MARK,
        )
        connections.add(connection)
        try:
            async for _message in ws:
                pass
        finally:
            connections.remove(connection)
            await connection.finish()
        return ws

    app = web.Application()
    app.router.add_get("/ws", socket_endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    gateway.url = f"http://127.0.0.1:{port}/ws"
    yield gateway
    await runner.cleanup()


class StalledClient:
    """A WebSocket client that reads nothing until :meth:`read_all`, over small kernel buffers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, url: str) -> StalledClient:
        host, port = url.removeprefix("http://").split("/")[0].split(":")
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_SOCKET_BUFFER)
        raw.setblocking(False)
        await asyncio.get_running_loop().sock_connect(raw, (host, int(port)))
        reader, writer = await asyncio.open_connection(sock=raw, limit=SMALL_SOCKET_BUFFER)
        writer.write(
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def read_all(self, seqs: list[int] | None = None) -> tuple[list[int], int | None]:
        """Every message.new seq (into ``seqs``) until the server's close frame, and the close code
        (None if the socket ended without one)."""
        seqs = [] if seqs is None else seqs
        while True:
            try:
                first, second = await self.reader.readexactly(2)
            except asyncio.IncompleteReadError:
                return seqs, None
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await self.reader.readexactly(length)
            opcode = first & 0x0F
            if opcode == 0x8:  # close
                return seqs, struct.unpack("!H", payload[:2])[0]
            if opcode == 0x1:
                seqs.append(orjson.loads(payload)["data"]["seq"])

    def close(self) -> None:
        self.writer.transport.abort()


def _frame(seq: int) -> OutFrame:
    data = {"conversation_id": CONVERSATION, "seq": seq, "message": {"body": PADDING}}
    return OutFrame("message.new", orjson.dumps({"type": "message.new", "data": data}).decode())


async def _read_seqs(ws: aiohttp.ClientWebSocketResponse, seqs: list[int]) -> None:
    async for message in ws:
        if message.type == aiohttp.WSMsgType.TEXT:
            seqs.append(orjson.loads(message.data)["data"]["seq"])  # noqa: PERF401 - watched while it fills


async def test_a_stalled_socket_slows_no_one_and_gets_its_frames_in_order_or_1013(gateway: Gateway) -> None:
    async with aiohttp.ClientSession() as session:
        readers = [await session.ws_connect(gateway.url) for _ in range(READERS)]
        stalled = await StalledClient.connect(gateway.url)
        await eventually(lambda: len(gateway.connections) == READERS + 1, what="every socket registered")
        received: list[list[int]] = [[] for _ in readers]
        reading = [asyncio.create_task(_read_seqs(ws, seqs)) for ws, seqs in zip(readers, received, strict=True)]
        try:
            await gateway.deliver_range(1, MESSAGES)
            expected = list(range(1, MESSAGES + 1))
            # Nobody else slowed: every reading socket has everything, in order, while one still stalls.
            await eventually(
                lambda: all(seqs == expected for seqs in received), what="every reader has every message in order"
            )
            seqs, close_code = await asyncio.wait_for(stalled.read_all(), timeout=30)
            # Over far more than it could hold: closed with 1013 (reconnect and resume), after
            # an unbroken run from seq 1 of what it was sent before.
            assert close_code == CloseCode.TRY_AGAIN_LATER
            assert seqs == list(range(1, len(seqs) + 1)) and 0 < len(seqs) < MESSAGES
            assert all(not ws.closed for ws in readers)
        finally:
            stalled.close()
            for ws in readers:
                await ws.close()
            for task in reading:
                task.cancel()


async def test_a_socket_that_reads_again_gets_its_queued_frames_before_newer_ones(gateway: Gateway) -> None:
    """Backpressure, then reading again while more is sent: the socket's transport falls under
    the mark while frames still wait in its queue, and the newer frames must go behind them."""
    gateway.send_queue = MESSAGES * 2  # it is never closed here: only the order is at stake
    async with aiohttp.ClientSession() as session:
        reader = await session.ws_connect(gateway.url)
        stalled = await StalledClient.connect(gateway.url)
        await eventually(lambda: len(gateway.connections) == 2, what="both sockets registered")
        received: list[int] = []
        stalled_received: list[int] = []
        reading = asyncio.create_task(_read_seqs(reader, received))
        try:
            half = MESSAGES // 2
            await gateway.deliver_range(1, half)
            backed_up = [c for c in gateway.connections.all() if c.transport and c.transport.get_write_buffer_size()]
            assert backed_up, "the stalled socket should be under backpressure by now"
            stalled_reading = asyncio.create_task(stalled.read_all(stalled_received))
            for seq in range(half + 1, MESSAGES + 1):
                gateway.deliver(seq)
                # Sent while it drains: what is in flight to it stays a queue's worth, so its
                # transport keeps crossing the mark while older frames still wait in the queue.
                await eventually(lambda seq=seq: len(stalled_received) >= seq - IN_FLIGHT, interval=0.001)
            expected = list(range(1, MESSAGES + 1))
            await eventually(lambda: received == expected, what="the reader has every message in order")
            await eventually(
                lambda: len(stalled_received) >= MESSAGES or stalled_reading.done(),
                what="the once-stalled socket has caught up",
            )
            assert stalled_received == expected
            stalled_reading.cancel()
        finally:
            stalled.close()
            await reader.close()
            reading.cancel()
