"""The fleet starter when another process takes a service's port between its choice and the
service's bind (parallel test processes each picking free ports): the service is started again on
another port, and readiness is a service answering as itself, never the port's other owner."""

from __future__ import annotations

import socket
import uuid

import aiohttp
from aiohttp import web

from parley_fleet import Fleet
from parley_fleet.processes import free_port
from tests.conftest import Infra
from tests.kit.fleet import ARTIFACTS


async def test_a_service_whose_port_was_taken_starts_on_another_and_is_the_one_answering(infra: Infra) -> None:
    taken = free_port()
    # The port's owner answers /readyz 200 as well, as another fleet's service would.
    impostor = web.Application()

    async def readyz(_request: web.Request) -> web.Response:
        return web.json_response({"ready": True, "node": "someone-else"})

    impostor.router.add_get("/readyz", readyz)
    runner = web.AppRunner(impostor)
    await runner.setup()
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", taken))
    await web.SockSite(runner, listening).start()
    env = {**infra.env(), "PARLEY_NODE_ID_PREFIX": f"ports-{uuid.uuid4().hex[:6]}"}
    fleet = Fleet(env=env, log_dir=ARTIFACTS / f"ports-{uuid.uuid4().hex[:6]}", ports={"presence": taken})
    try:
        await fleet.start()
        presence = fleet.services["presence"]
        assert presence.port != taken
        assert fleet.ports["presence"] == presence.port
        async with aiohttp.ClientSession() as http, http.get(f"{presence.url}/readyz") as response:
            assert (await response.json())["node"] == presence.env["PARLEY_NODE_ID"]
    finally:
        codes = await fleet.stop()
        await runner.cleanup()
    assert codes == {"presence": 0}
