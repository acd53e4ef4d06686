"""The live connections of this gateway node, by user and by session, and how frames reach them.

A frame is encoded once (:class:`OutFrame`: its WebSocket bytes are built on first use and
shared) and written straight to every socket that has nothing queued and whose transport
takes it (its write buffer under ``write_buffer_mark``): a fan-out to a thousand sockets is a
thousand ``transport.write`` calls of the same bytes, with no task and no queue. Only a socket
under backpressure gets a send queue and one writer task, which writes its frames in order
through aiohttp (whose writer waits for the transport to drain); while that queue exists every
later frame of the socket joins it, so frames leave in the order they were sent (a reply, then
the message.new it caused). A reader too slow to empty its queue is closed with 1013 (it
reconnects and resumes), and a close is sent after the frames queued before it. A slow reader
slows only itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode, web
from prometheus_client import Counter

from parley.contracts.base import ClientKind
from parley.contracts.errors import CloseCode, ErrorCode
from parley.contracts.events import ConnectionOpened
from parley.contracts.frames import ErrorData, ErrorFrame, encode
from parley.logs import get_logger
from parley.tokens import Claims
from parley.websocket_frames import text_frame
from parley_gateway import metrics

if TYPE_CHECKING:
    from parley_gateway.streams import ConversationStream

log = get_logger("parley.gateway")

# Seqs held above the contiguous floor before the oldest is given up on (a gap that never fills).
MAX_SEQS_ABOVE_FLOOR = 256
# How long the writer may take to finish (queued frames, then the close handshake) once the
# reader is done; aiohttp's own close handshake waits up to 10 s, this bounds the rest.
WRITER_FINISH_SECONDS = 15.0
# How often silent connections and expired tokens are looked for: one pass over every
# connection instead of two timers each (a timer and its timeout cost ~0.9 KiB a connection);
# a heartbeat timeout or a token's expiry is acted on at most this late.
SWEEP_SECONDS = 1.0
# The default of gateway_write_buffer_mark_bytes (asyncio's own high-water mark).
WRITE_BUFFER_MARK_BYTES = 64 * 1024


class OutFrame:
    """One serialised server frame, written to many sockets: its WebSocket bytes are built once,
    the first time a socket takes it directly (``wire``)."""

    __slots__ = ("_sent", "_wire", "frame_type", "text")

    def __init__(self, frame_type: str, text: str) -> None:
        self.frame_type = frame_type
        self.text = text
        self._wire: bytes | None = None
        self._sent: Counter | None = None

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = text_frame(self.text.encode())
        return self._wire

    def count_sent(self) -> None:
        """One more socket was sent it (the labelled counter looked up once per frame)."""
        if self._sent is None:
            self._sent = metrics.FRAMES_OUT.labels(metrics.frame_label(self.frame_type))
        self._sent.inc()


# What may be sent: a frame built for many sockets, or one frame's JSON for one socket.
Payload = OutFrame | str


class SeenSeqs:
    """Which seqs of one conversation a socket has had: a floor (all at or below) plus the rest."""

    __slots__ = ("above", "floor")

    def __init__(self) -> None:
        self.floor = 0
        self.above: set[int] = set()

    def __contains__(self, seq: int) -> bool:
        return seq <= self.floor or seq in self.above

    def add(self, seq: int) -> bool:
        """Record ``seq``; False when it was already delivered (a redelivery to drop)."""
        if seq in self:
            return False
        self.above.add(seq)
        while self.floor + 1 in self.above:
            self.floor += 1
            self.above.discard(self.floor)
        if len(self.above) > MAX_SEQS_ABOVE_FLOOR:
            self.floor = min(self.above)
            self.above.discard(self.floor)
        return True

    def skip_to(self, seq: int) -> None:
        """Count everything up to ``seq`` as had (the client says it has it)."""
        if seq > self.floor:
            self.floor = seq
            self.above = {above for above in self.above if above > seq}
            while self.floor + 1 in self.above:
                self.floor += 1
                self.above.discard(self.floor)


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


@dataclass(eq=False, slots=True)
class Connection:
    """One socket. An idle one holds no task, no timer and no buffers: its writer task and send
    queue exist only while frames wait, and ``Connections.sweep`` watches its heartbeat and its
    token's expiry (a gateway holds tens of thousands of idle connections)."""

    ws: web.WebSocketResponse
    claims: Claims
    client_kind: ClientKind
    max_queued: int = 1000
    # The socket's transport (request.transport), written to directly while nothing is queued;
    # None writes everything through aiohttp's writer task.
    transport: asyncio.Transport | None = None
    write_buffer_mark: int = WRITE_BUFFER_MARK_BYTES
    # The page's Origin (None for apps and servers), interned: a site's thousands of sockets share
    # one string. chat_session checks it against the channel at each session.open.
    origin: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    opened_at: float = field(default_factory=time.monotonic)
    heard_at: float = field(default_factory=time.monotonic)  # the last frame from the client
    # Per conversation: what this socket was sent, and what waits for a gap below it to fill.
    streams: dict[str, ConversationStream] = field(default_factory=dict)
    # When frames were refused for rate (the last few seconds'), to tell bursts from floods;
    # None until the first refusal.
    refusals: deque[float] | None = None
    _queue: deque[OutFrame | _Close] | None = None
    _writer: asyncio.Task[None] | None = None
    closing: bool = False

    @property
    def user_id(self) -> str:
        return self.claims.sub

    def opened(self, node: str) -> ConnectionOpened:
        """The event that tells presence this connection is live on ``node``."""
        # A token's kind is one auth issued (a ClientKind); the event model validates it.
        return ConnectionOpened(
            connection_id=self.id, node=node, user_id=self.user_id, role=self.claims.role, client_kind=self.client_kind
        )

    def send(self, frame_type: str, payload: Payload) -> bool:
        """Write one serialised frame now, or queue it behind what waits; False when the
        connection is closing (nothing is written)."""
        if self.closing:
            return False
        frame = payload if isinstance(payload, OutFrame) else OutFrame(frame_type, payload)
        transport = self.transport
        if self._writer is None and transport is not None:
            if transport.is_closing() or self.ws.closed:
                self.closing = True  # the socket is gone (the reader sees it too): send nothing more
                return False
            if transport.get_write_buffer_size() <= self.write_buffer_mark:
                transport.write(frame.wire)
                frame.count_sent()
                return True
        if self._queue is not None and len(self._queue) >= self.max_queued:
            log.warning("gateway.slow_client", connection_id=self.id, queued=len(self._queue))
            self.close(CloseCode.TRY_AGAIN_LATER, "too slow to keep up; reconnect and resume")
            return False
        self._enqueue(frame)
        return True

    def send_error(self, code: ErrorCode, message: str, frame_id: str | None = None) -> None:
        metrics.ERRORS.labels(str(int(code))).inc()
        self.send("error", encode(ErrorFrame(data=ErrorData(code=int(code), message=message), id=frame_id)))

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued have been written; later frames are dropped."""
        if self.closing:
            return
        self.closing = True
        self._enqueue(_Close(code, reason))

    def reauthenticated(self, claims: Claims) -> None:
        """A fresh token of the same user: it now decides the connection's expiry."""
        self.claims = claims

    def check(self, now: float, wall_now: float, heartbeat_timeout: float) -> None:
        """Close the connection when the client fell silent or its token expired."""
        if self.closing:
            return
        if now - self.heard_at > heartbeat_timeout:
            self.close(CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout")
        elif self.claims.exp <= wall_now:
            self.send_error(
                ErrorCode.TOKEN_INVALID, "token expired; refresh it and reconnect (or send auth with a fresh one)"
            )
            self.close(CloseCode.TOKEN_EXPIRED, "token expired")

    def _enqueue(self, item: OutFrame | _Close) -> None:
        if self._queue is None:
            self._queue = deque()
        self._queue.append(item)
        if self._writer is None:  # one writer at a time keeps the frames in queue order
            self._writer = asyncio.create_task(self._write(), name=f"ws-writer-{self.id}")

    async def _write(self) -> None:
        """Write what is queued, then end (the next frame starts a new writer)."""
        try:
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code, message=item.reason.encode()[:120])
                    return
                try:
                    # aiohttp's writer waits here while the transport is paused (backpressure).
                    await self.ws.send_str(item.text)
                except (ConnectionError, RuntimeError):
                    self.closing = True  # the socket is gone (the reader sees it too): queue nothing more
                    return
                item.count_sent()
        finally:
            self._writer = None
            self._queue = None

    async def finish(self) -> None:
        """After the reader is done: let the writer flush and close (bounded), then stop timers."""
        for stream in self.streams.values():
            stream.stop()
        self.close(WSCloseCode.OK, "closing")  # a no-op when a close is queued or the client closed first
        writer = self._writer
        if writer is None:
            return
        try:
            await asyncio.wait_for(writer, WRITER_FINISH_SECONDS)
        except (TimeoutError, asyncio.CancelledError):
            writer.cancel()
        except Exception:  # a writer's failure must not leak out of the connection's cleanup
            log.warning("gateway.writer_failed", connection_id=self.id, exc_info=True)


class Connections:
    """This node's live connections, by user and by session."""

    def __init__(self) -> None:
        self._by_user: dict[str, set[Connection]] = defaultdict(set)
        self._all: set[Connection] = set()

    def add(self, connection: Connection) -> None:
        self._all.add(connection)
        self._by_user[connection.user_id].add(connection)
        metrics.CONNECTIONS.set(len(self._all))

    def remove(self, connection: Connection) -> None:
        self._all.discard(connection)
        mine = self._by_user.get(connection.user_id)
        if mine is not None:
            mine.discard(connection)
            if not mine:
                del self._by_user[connection.user_id]
        metrics.CONNECTIONS.set(len(self._all))

    def of_user(self, user_id: str) -> list[Connection]:
        return list(self._by_user.get(user_id, ()))

    def of_session(self, user_id: str, session_code: str) -> list[Connection]:
        return [connection for connection in self.of_user(user_id) if connection.claims.sid == session_code]

    def all(self) -> list[Connection]:
        return list(self._all)

    def with_ids(self, connection_ids: list[str]) -> list[Connection]:
        wanted = set(connection_ids)
        return [connection for connection in self._all if connection.id in wanted]

    def __len__(self) -> int:
        return len(self._all)

    async def sweep(self, heartbeat_timeout: float) -> None:
        """Forever: close the connections whose client fell silent or whose token expired."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now, wall_now = time.monotonic(), time.time()
            for connection in list(self._all):
                connection.check(now, wall_now, heartbeat_timeout)
