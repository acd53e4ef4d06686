"""HTTP and WebSocket spoken byte by byte, for attacks no well-behaved client library sends:
request heads dribbled a line at a time, paths sent exactly as written (aiohttp's client would
resolve ``..`` itself), and compressed WebSocket frames built by hand."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import zlib
from dataclasses import dataclass

# Deflate's tail after a sync flush, which permessage-deflate leaves off the wire (RFC 7692 7.2.1).
DEFLATE_TAIL = b"\x00\x00\xff\xff"
OPCODE_BINARY, OPCODE_CLOSE = 0x2, 0x8
# Inflated in pieces of this size while compressing, so the attacker's side stays small too.
BOMB_CHUNK_BYTES = 1024 * 1024


async def open_from(source: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection to 127.0.0.1:``port`` from the loopback address ``source``."""
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes (a reset counts as a close)."""
    received = b""
    try:
        while chunk := await reader.read(65536):
            received += chunk
    except ConnectionError:
        pass
    return received


async def raw_get(port: int, path: str, source: str = "127.0.0.1") -> tuple[int, bytes]:
    """GET ``path`` sent byte for byte as given; the status and body of the answer."""
    reader, writer = await open_from(source, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await read_until_closed(reader)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@dataclass
class Dribble:
    """A request sent a piece at a time; ``complete`` once its last piece went out."""

    pieces_sent: int = 0
    complete: bool = False


async def dribble(
    writer: asyncio.StreamWriter, first: bytes, pieces: list[bytes], pause: float, progress: Dribble
) -> None:
    """The slowloris client: ``first``, then each of ``pieces`` ``pause`` s apart. Stops when the
    server drops the socket."""
    try:
        writer.write(first)
        await writer.drain()
        for piece in pieces:
            await asyncio.sleep(pause)
            writer.write(piece)
            await writer.drain()
            progress.pieces_sent += 1
        progress.complete = True
    except ConnectionError:
        pass


def slow_head(lines: int) -> tuple[bytes, list[bytes]]:
    """A request line, then ``lines`` header lines and the blank line that ends the head, one
    piece each (``Connection: close``: a server that waits for it all answers and closes)."""
    first = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    return first, [f"X-Slow-{index}: still here\r\n".encode() for index in range(lines)] + [b"\r\n"]


def slow_body(method: str, path: str, size: int, headers: dict[str, str] | None = None) -> tuple[bytes, list[bytes]]:
    """A whole request head announcing a JSON body of ``size`` bytes, then that body a byte per
    piece (not JSON: a server that waits for it all refuses it, and changes nothing)."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {size}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), [b"x"] * size


async def read_one_answer(reader: asyncio.StreamReader) -> bytes:
    """One HTTP answer with a Content-Length, read whole (the socket stays open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    return head + await reader.readexactly(length)


def deflate_bomb(inflated_bytes: int) -> bytes:
    """A permessage-deflate payload that inflates to ``inflated_bytes`` zero bytes (about a
    thousandth of that on the wire)."""
    compressor = zlib.compressobj(level=9, wbits=-zlib.MAX_WBITS)
    chunk = bytes(BOMB_CHUNK_BYTES)
    parts = [compressor.compress(chunk) for _ in range(inflated_bytes // BOMB_CHUNK_BYTES)]
    parts.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    return b"".join(parts).removesuffix(DEFLATE_TAIL)


def masked_frame(opcode: int, payload: bytes, *, compressed: bool) -> bytes:
    """One final client frame (clients must mask, RFC 6455 5.3); RSV1 marks it compressed."""
    first = 0x80 | (0x40 if compressed else 0) | opcode
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, 0x80 | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, size)
    mask = os.urandom(4)
    return header + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


async def websocket_with_deflate(
    port: int, path: str, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket handshake offering permessage-deflate; fails unless the server takes it."""
    reader, writer, head = await websocket_offering_deflate(port, path, source)
    assert b"permessage-deflate" in head.lower(), f"the server did not take compression: {head!r}"
    return reader, writer


async def websocket_offering_deflate(
    port: int, path: str, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """A WebSocket handshake offering permessage-deflate, as browsers do; the answer's head says
    whether the server took it."""
    reader, writer = await open_from(source, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer, head


async def close_code(reader: asyncio.StreamReader) -> int | None:
    """Read server frames until a close frame; its code (None if the socket ends without one)."""
    try:
        while True:
            first, second = await reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", await reader.readexactly(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", await reader.readexactly(8))
            payload = await reader.readexactly(size)
            if first & 0x0F == OPCODE_CLOSE:
                return int(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else None
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
