"""Attacks on the transport (issue 16, findings 5 and 10), against a real gateway process and the
local edge (which routes like the Ingress) in front of the fleet:

- slowloris: a request head dribbled a line at a time, or nothing sent at all, must not hold a
  socket past the header timeout, on the gateway and on the edge;
- one address holding many sockets: beyond the cap it is answered 429 (9003), while another
  address still connects; behind the edge the gateway counts the address the edge forwards for;
- ``..`` (plain, percent-encoded, with doubled slashes or backslashes) must not lead the edge
  past the Ingress table to an internal endpoint (/metrics);
- a compressed WebSocket frame that inflates far beyond the frame limit is closed with 1009
  before it is inflated.

Sources 127.0.0.2 and up are other loopback addresses (Linux answers on all of 127.0.0.0/8),
one per test, so each test's address starts with no sockets counted.
"""

from __future__ import annotations

import asyncio
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from parley.connection_limits import ConnectionLimits
from parley_fleet import SERVICES, Fleet
from parley_fleet.edge import Edge
from parley_fleet.processes import ServiceProcess
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.gateway_fleet import login
from tests.security.wire import (
    OPCODE_BINARY,
    Dribble,
    close_code,
    deflate_bomb,
    dribble,
    masked_frame,
    open_from,
    raw_get,
    read_one_answer,
    read_until_closed,
    slow_body,
    slow_head,
    websocket_offering_deflate,
    websocket_with_deflate,
)

# The strict servers' header, body and idle timeouts.
TIMEOUT_SECONDS = 1.0
ADDRESS_CAP = 2
# The slow client's head or body would take 60 s (a piece every 0.5 s) if nobody cut it short.
DRIBBLED_PIECES, DRIBBLE_PAUSE_SECONDS = 120, 0.5
# How long a test waits for a drop that a 1 s timeout makes in about 1 s; only a guard against
# waiting forever on a server that never drops (the assertion is on what happened).
DROP_GUARD_SECONDS = 30.0
# Inflates to 128 MiB; about 127 KiB on the wire, under the 256 KiB the wire check allows, so it
# reaches the inflater.
BOMB_INFLATED_BYTES = 128 * 1024 * 1024
# Memory the bomb may cost the process that receives it: a bounded inflater stops at 256 KiB;
# an unbounded one holds the 128 MiB.
BOMB_MEMORY_ALLOWANCE_BYTES = 32 * 1024 * 1024


@pytest.fixture(scope="module")
async def strict_gateway(fleet: Fleet) -> ServiceProcess:
    """A gateway node with 1 s header, body and idle timeouts and 2 sockets per address, which
    believes the X-Forwarded-For of the local edge (127.0.0.1) only."""
    return await fleet.add_replica(
        "gateway",
        PARLEY_HTTP_HEADER_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
        PARLEY_HTTP_BODY_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
        PARLEY_HTTP_IDLE_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
        PARLEY_HTTP_MAX_CONNECTIONS_PER_ADDRESS=str(ADDRESS_CAP),
        PARLEY_HTTP_TRUSTED_PROXIES='["127.0.0.1"]',
    )


@asynccontextmanager
async def edge_before(fleet: Fleet, gateway_url: str, limits: ConnectionLimits) -> AsyncIterator[Edge]:
    """The local edge in front of the fleet, its gateway route going to ``gateway_url``."""
    upstreams = {name: fleet.url(name) for name in SERVICES} | {"gateway": gateway_url}
    edge = Edge(upstreams, limits=limits)
    await edge.start()
    try:
        yield edge
    finally:
        await edge.stop()


STRICT_EDGE = ConnectionLimits(
    header_timeout_seconds=TIMEOUT_SECONDS,
    body_timeout_seconds=TIMEOUT_SECONDS,
    idle_timeout_seconds=TIMEOUT_SECONDS,
    max_per_address=ADDRESS_CAP,
)


def session_from(source: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0), force_close=True))


async def visitor_token(fleet: Fleet) -> str:
    async with aiohttp.ClientSession() as session:
        answer = await login(session, fleet, device_id=f"transport-{uuid.uuid4().hex}")
    return str(answer["token"])


async def admin_token(fleet: Fleet) -> str:
    async with aiohttp.ClientSession() as session:
        answer = await login(session, fleet, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    return str(answer["token"])


# ---- slow heads, slow bodies, idle sockets ---------------------------------------------------------


@asynccontextmanager
async def server_port(target: str, fleet: Fleet, strict_gateway: ServiceProcess) -> AsyncIterator[int]:
    if target == "gateway":
        yield strict_gateway.port
    else:
        async with edge_before(fleet, fleet.url("gateway"), STRICT_EDGE) as edge:
            yield edge.port


async def _dribbled(port: int, request: tuple[bytes, list[bytes]]) -> tuple[bytes, Dribble]:
    """Send ``request`` a piece at a time; what the server answered before it closed, and how
    far the request got."""
    reader, writer = await open_from("127.0.0.1", port)
    progress = Dribble()
    slow_client = asyncio.create_task(dribble(writer, *request, DRIBBLE_PAUSE_SECONDS, progress))
    try:
        answer = await asyncio.wait_for(
            read_until_closed(reader), DROP_GUARD_SECONDS + DRIBBLED_PIECES * DRIBBLE_PAUSE_SECONDS
        )
    finally:
        slow_client.cancel()
        writer.close()
    return answer, progress


@pytest.mark.parametrize("target", ["gateway", "edge"])
async def test_a_dribbled_request_head_is_dropped_before_it_completes(
    target: str, fleet: Fleet, strict_gateway: ServiceProcess
) -> None:
    async with server_port(target, fleet, strict_gateway) as port:
        answer, progress = await _dribbled(port, slow_head(DRIBBLED_PIECES))
    assert answer == b"", "the server answered: it waited for the whole slow head"
    assert not progress.complete, (
        f"the head was sent whole ({progress.pieces_sent} pieces) before the server dropped it"
    )


async def test_a_dribbled_body_is_dropped_before_it_completes_on_the_gateway(
    fleet: Fleet, strict_gateway: ServiceProcess
) -> None:
    """An admin's PUT (the gateway's one endpoint with a body): its handler waits for the body."""
    request = slow_body(
        "PUT", "/admin/maintenance", DRIBBLED_PIECES, {"Authorization": f"Bearer {await admin_token(fleet)}"}
    )
    answer, progress = await _dribbled(strict_gateway.port, request)
    assert answer == b"", "the server answered: it waited for the whole slow body"
    assert not progress.complete, f"the body was sent whole ({progress.pieces_sent} bytes) before the server dropped it"


async def test_a_dribbled_body_is_dropped_before_it_completes_on_the_edge(fleet: Fleet) -> None:
    """A login through the edge: the edge streams the body on, and its body timeout still cuts a dribbler."""
    async with edge_before(fleet, fleet.url("gateway"), STRICT_EDGE) as edge:
        answer, progress = await _dribbled(edge.port, slow_body("POST", "/auth/login", DRIBBLED_PIECES))
    assert answer == b"", "the server answered: it waited for the whole slow body"
    assert not progress.complete, f"the body was sent whole ({progress.pieces_sent} bytes) before the server dropped it"


@pytest.mark.parametrize("target", ["gateway", "edge"])
async def test_an_idle_kept_alive_connection_is_closed(
    target: str, fleet: Fleet, strict_gateway: ServiceProcess
) -> None:
    async with server_port(target, fleet, strict_gateway) as port:
        reader, writer = await open_from("127.0.0.1", port)
        writer.write(b"GET /widget.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # keep-alive: HTTP/1.1's default
        await writer.drain()
        answer = await read_one_answer(reader)
        try:
            after = await asyncio.wait_for(read_until_closed(reader), DROP_GUARD_SECONDS)
        except TimeoutError:
            pytest.fail(
                f"an idle kept-alive connection was still open after {DROP_GUARD_SECONDS:g} s (idle timeout: 1 s)"
            )
        finally:
            writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert after == b""


@pytest.mark.parametrize("target", ["gateway", "edge"])
async def test_a_connection_that_sends_nothing_is_dropped(
    target: str, fleet: Fleet, strict_gateway: ServiceProcess
) -> None:
    async with server_port(target, fleet, strict_gateway) as port:
        reader, writer = await open_from("127.0.0.1", port)
        try:
            answer = await asyncio.wait_for(read_until_closed(reader), DROP_GUARD_SECONDS)
        except TimeoutError:
            pytest.fail(f"a silent connection was still open after {DROP_GUARD_SECONDS:g} s (header timeout: 1 s)")
        finally:
            writer.close()
    assert answer == b""


# ---- sockets per address -------------------------------------------------------------------------


async def _hold_sockets(session: aiohttp.ClientSession, url: str, count: int) -> list[aiohttp.ClientWebSocketResponse]:
    return [await session.ws_connect(url) for _ in range(count)]


async def _refused_status(session: aiohttp.ClientSession, url: str) -> int | None:
    try:
        ws = await session.ws_connect(url)
    except aiohttp.WSServerHandshakeError as refused:
        return refused.status
    await ws.close()
    return None


async def test_an_address_over_the_cap_is_refused_while_another_connects(
    fleet: Fleet, strict_gateway: ServiceProcess
) -> None:
    token = await visitor_token(fleet)
    url = f"ws://127.0.0.1:{strict_gateway.port}/ws?token={token}"
    async with session_from("127.0.0.2") as crowded, session_from("127.0.0.3") as other:
        held = await _hold_sockets(crowded, url, ADDRESS_CAP)
        assert await _refused_status(crowded, url) == 429
        async with crowded.get(f"{strict_gateway.url}/healthz") as answer:  # any request, with the documented body
            assert answer.status == 429
            assert (await answer.json())["error"]["code"] == 9003
        # A client writing its own X-Forwarded-For is not a trusted proxy: still counted as itself.
        spoofed = await crowded.get(f"{strict_gateway.url}/healthz", headers={"X-Forwarded-For": "198.51.100.7"})
        assert spoofed.status == 429
        spoofed.release()
        assert await _refused_status(other, url) is None, "another address was refused too"
        for ws in held:
            await ws.close()


async def test_the_edge_caps_sockets_per_address(fleet: Fleet) -> None:
    token = await visitor_token(fleet)
    async with edge_before(fleet, fleet.url("gateway"), STRICT_EDGE) as edge:
        url = f"ws://127.0.0.1:{edge.port}/ws?token={token}"
        async with session_from("127.0.0.4") as crowded, session_from("127.0.0.5") as other:
            held = await _hold_sockets(crowded, url, ADDRESS_CAP)
            assert await _refused_status(crowded, url) == 429
            assert await _refused_status(other, url) is None
            for ws in held:
                await ws.close()


async def test_behind_the_edge_the_gateway_counts_the_address_forwarded_for(
    fleet: Fleet, strict_gateway: ServiceProcess
) -> None:
    """Every socket from the edge to the gateway comes from 127.0.0.1; the gateway trusts it and
    counts the browsers' own addresses, so one crowded address does not lock out the rest."""
    token = await visitor_token(fleet)
    async with edge_before(fleet, strict_gateway.url, ConnectionLimits()) as edge:  # the edge's own cap is not reached
        url = f"ws://127.0.0.1:{edge.port}/ws?token={token}"
        async with session_from("127.0.0.6") as crowded, session_from("127.0.0.7") as other:
            held = await _hold_sockets(crowded, url, ADDRESS_CAP)
            assert await _refused_status(crowded, url) == 429  # the gateway's refusal, passed on by the edge
            assert await _refused_status(other, url) is None
            for ws in held:
                await ws.close()


# ---- paths past the Ingress table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/console/../metrics", 404),
        ("/console/%2e%2e/metrics", 404),
        ("/console/%2E%2E/metrics", 404),
        ("/console/.%2e/metrics", 404),
        ("/console//..//metrics", 404),
        ("//console/../../metrics", 400),  # above the root
        ("/widget/x/../../metrics", 404),
        ("/console/..%2fmetrics", 400),  # an encoded slash: one segment or two?
        ("/console/..\\metrics", 400),
        ("/console/..%5cmetrics", 400),
        ("/console/%252e%252e/metrics", 400),  # encoded twice
    ],
)
async def test_dot_segments_do_not_lead_past_the_ingress_table(fleet: Fleet, path: str, status: int) -> None:
    async with edge_before(fleet, fleet.url("gateway"), ConnectionLimits()) as edge:
        answered, body = await raw_get(edge.port, path)
    assert b"# HELP" not in body, f"{path} reached a /metrics"
    assert answered == status, body


async def test_the_edge_routes_by_the_normalised_path(fleet: Fleet) -> None:
    async with edge_before(fleet, fleet.url("gateway"), ConnectionLimits()) as edge:
        answered, body = await raw_get(edge.port, "/console/../widget.js")
    assert answered == 200
    assert b"# HELP" not in body


# ---- compressed frames ------------------------------------------------------------------------------


def _peak_rss_bytes(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


async def _send_bomb(port: int, token: str, bomb: bytes) -> int | None:
    reader, writer = await websocket_with_deflate(port, f"/ws?token={token}")
    writer.write(masked_frame(OPCODE_BINARY, bomb, compressed=True))
    await writer.drain()
    code = await asyncio.wait_for(close_code(reader), DROP_GUARD_SECONDS)
    writer.close()
    return code


async def test_the_gateway_declines_compression_and_closes_on_a_compressed_frame_unread(fleet: Fleet) -> None:
    """The gateway declines permessage-deflate (parley_gateway/websocket.py): a frame sent
    compressed anyway is a protocol error (1002), closed on without inflating it."""
    bomb, token = deflate_bomb(BOMB_INFLATED_BYTES), await visitor_token(fleet)
    gateway = fleet.services["gateway"]
    assert gateway.process is not None
    peak_before = _peak_rss_bytes(gateway.process.pid)
    reader, writer, head = await websocket_offering_deflate(gateway.port, f"/ws?token={token}")
    assert b"permessage-deflate" not in head.lower(), head
    writer.write(masked_frame(OPCODE_BINARY, bomb, compressed=True))
    await writer.drain()
    assert await asyncio.wait_for(close_code(reader), DROP_GUARD_SECONDS) == 1002
    writer.close()
    assert _peak_rss_bytes(gateway.process.pid) - peak_before < BOMB_MEMORY_ALLOWANCE_BYTES


async def test_the_edge_does_not_inflate_a_frame_beyond_the_gateways_limit(fleet: Fleet) -> None:
    bomb, token = deflate_bomb(BOMB_INFLATED_BYTES), await visitor_token(fleet)
    async with edge_before(fleet, fleet.url("gateway"), ConnectionLimits()) as edge:
        tracemalloc.start()
        try:
            code = await _send_bomb(edge.port, token, bomb)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert code == 1009
    assert peak < BOMB_MEMORY_ALLOWANCE_BYTES, (
        f"the edge held {peak / 2**20:.0f} MiB for a {len(bomb) // 1024} KiB frame"
    )
