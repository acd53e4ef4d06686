"""What permessage-deflate costs a bare aiohttp server: RSS per idle WebSocket, with clients that
offer it (as browsers do), when the server accepts it (aiohttp's default) and when it declines it
(the gateway's choice, parley_gateway/websocket.py); one frame each way on every socket.

    .venv/bin/python -m bench.deflate on 2000
    .venv/bin/python -m bench.deflate off 2000

The clients run in a child process, so their memory is not counted.
"""

import asyncio
import os
import resource
import sys

import aiohttp
import psutil
from aiohttp import web

N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
COMPRESS = sys.argv[1] == "on"


async def handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=COMPRESS)
    await ws.prepare(request)
    await ws.send_str('{"type":"auth.ok","data":{"uid":"v_1","role":"visitor"}}')
    async for _ in ws:
        await ws.send_str('{"type":"pong","data":{}}')
    return ws


async def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    server = psutil.Process(os.getpid())
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.deflate",
        "client",
        str(port),
        str(N),
        stdout=asyncio.subprocess.PIPE,
    )
    await proc.stdout.readline()  # "warm" after 16
    await asyncio.sleep(0.5)
    base = server.memory_info().rss
    await proc.stdout.readline()  # "all"
    await asyncio.sleep(1.0)
    full = server.memory_info().rss
    per_connection_kib = (full - base) / (N - 16) / 1024
    print(f"server compress={'on' if COMPRESS else 'off'}: {per_connection_kib:.1f} KiB per connection over {N - 16}")
    proc.kill()


async def client(port: int, n: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    s = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    links: list[aiohttp.ClientWebSocketResponse] = []
    for i in range(n):
        ws = await s.ws_connect(f"http://127.0.0.1:{port}/ws", compress=15)
        await ws.receive()
        await ws.send_str('{"type":"ping","data":{}}')
        await ws.receive()
        links.append(ws)
        if i == 15:
            print("warm", flush=True)
    print("all", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(client(int(sys.argv[2]), int(sys.argv[3])))
    else:
        asyncio.run(main())
