"""The load generator's links: the tests' protocol client (tests/kit/client.py), set up lean.

A link keeps no frames (a worker holds thousands): answers resolve their requests, every other
frame goes to the agent's push handler, parsed once with orjson. It offers permessage-deflate as
browsers do, and it can be dropped like a dead network path and opened again (the storm).
"""

from __future__ import annotations

import aiohttp

from tests.kit.client import Dialect, Frame, PushHandler, WsClient

# Every link offers permessage-deflate (window bits 15), as browsers do: a server that accepts it
# pays a compressor per socket, and the idle scenario's RSS per connection shows it.
OFFER_DEFLATE = 15
# A hello may queue behind thousands of others on a busy 2-core machine.
HELLO_TIMEOUT_SECONDS = 30.0


def new_link(dialect: Dialect, on_push: PushHandler, credential: str) -> WsClient:
    """A link, not yet open, that authenticates with ``credential``."""
    return WsClient(dialect=dialect, on_push=on_push, credential=credential, keep_frames=False)


async def dial(link: WsClient, session: aiohttp.ClientSession, url: str) -> Frame:
    """Open the link's socket (again, after a drop) and say hello; the server's acceptance.
    HelloRefused when it refuses the credential."""
    await link.open(session, url, compress=OFFER_DEFLATE)
    return await link.hello(HELLO_TIMEOUT_SECONDS)
