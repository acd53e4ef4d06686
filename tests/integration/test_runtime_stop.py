"""The shared life cycle's stop (parley.runtime.Service), on a real RabbitMQ: every step is
bounded, so one that hangs cannot use up the budget of the ones after it."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest
from aiohttp import web

from parley.runtime import STEP_SECONDS, Service
from parley.settings import ServiceSettings
from parley_fleet import free_port
from tests.conftest import Infra

# Far above the bounded steps, so the watchdog (which would end the test process) never fires.
BUDGET_SECONDS = 50.0
# aiohttp waits STEP_SECONDS for an in-flight handler, cancels it, and waits as long again at most
# (its default would wait 60 s). Past this the stop is cancelled, which also stops its watchdog.
STOP_LIMIT_SECONDS = 2 * STEP_SECONDS + 2


async def test_a_request_still_running_at_stop_does_not_hold_the_stop(infra: Infra) -> None:
    """The service declares the bus's exchanges and no queue: the run's vhost serves."""
    port = free_port()
    settings = ServiceSettings(
        amqp_url=infra.amqp_url, node_id=uuid.uuid4().hex[:8], http_port=port, shutdown_timeout_seconds=BUDGET_SECONDS
    )
    service = Service("stoptest", settings)
    started = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(120)  # a handler that will not finish by itself
        return web.Response(text="late")

    service.http.router.add_get("/slow", slow)
    serving = asyncio.create_task(service.serve())
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the service never became ready")
        request = asyncio.create_task(session.get(f"http://127.0.0.1:{port}/slow"))
        await asyncio.wait_for(started.wait(), 5)

        stop_began = time.monotonic()
        service.stopping.set()
        try:
            await asyncio.wait_for(serving, STOP_LIMIT_SECONDS)
        except TimeoutError:
            pytest.fail(f"the stop still waited for the request after {STOP_LIMIT_SECONDS:g} s")
        finally:
            request.cancel()
            await asyncio.gather(request, return_exceptions=True)
    assert time.monotonic() - stop_began < STOP_LIMIT_SECONDS
