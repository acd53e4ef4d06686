"""The floor for Python: a bare aiohttp WebSocket server speaking Parley's frames, minus the work.

Any ``auth`` is accepted, ``ping`` gets ``pong``, ``broadcast`` goes to every socket as a
``message.new``, anything else is echoed. No bus, no stores, no validation: what one asyncio
process costs per connection and per delivery before Parley adds anything.
Run: ``python -m bench.baselines.echo_server --port 9000``.
"""

import argparse

import orjson
from aiohttp import WSMsgType, web

sockets: set[web.WebSocketResponse] = set()


async def websocket(request: web.Request) -> web.WebSocketResponse:
    # Declines permessage-deflate, as the gateway does (the bench's clients offer it, as browsers do).
    ws = web.WebSocketResponse(max_msg_size=64 * 1024, compress=False)
    await ws.prepare(request)
    sockets.add(ws)
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            frame = orjson.loads(message.data)
            kind, frame_id = frame.get("type"), frame.get("id")
            if kind == "auth":
                await ws.send_str(orjson.dumps({"type": "auth.ok", "id": frame_id, "data": {"uid": "floor"}}).decode())
            elif kind == "ping":
                await ws.send_str(orjson.dumps({"type": "pong", "id": frame_id, "data": {}}).decode())
            elif kind == "broadcast":
                payload = orjson.dumps({"type": "message.new", "data": {"message": frame["data"]}}).decode()
                for peer in list(sockets):
                    if not peer.closed:
                        await peer.send_str(payload)
            else:
                await ws.send_str(message.data)
    finally:
        sockets.discard(ws)
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    app = web.Application()
    app.router.add_get("/ws", websocket)
    web.run_app(app, host="127.0.0.1", port=parser.parse_args().port, access_log=None, print=None)


if __name__ == "__main__":
    main()
