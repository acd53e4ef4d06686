"""The life cycle every Parley process shares.

Start: logging, the HTTP server (``/healthz`` answers at once, ``/readyz`` only once ready),
the dependencies (RabbitMQ, and Redis/MongoDB when used), the service's start-up hooks, then
intake (bus consumers) and background tasks.

Stop (SIGTERM or SIGINT), in a fixed order: report not ready, run the drain hooks while intake
still flows (the gateway tells its clients to reconnect with 1012 here, and keeps delivering to
the ones not yet told), stop intake and let in-flight handlers finish (they ack), run the
service's stop hooks, cancel background tasks, close the HTTP server and the dependencies. Each
step is bounded (``STEP_SECONDS``), and a watchdog thread ends the process (exit code 70, naming
the step and dumping every thread's and task's stack) if the whole stop takes longer than
``shutdown_timeout_seconds``.
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
import uvloop
from aiohttp import web

from parley import metrics
from parley.bus import Bus
from parley.bus.consumer import Handler
from parley.command_streams import StreamConsumer
from parley.connection_limits import ConnectionLimits, GuardedSite, guard_app, runner_options
from parley.contracts.base import Command
from parley.http import MAX_BODY_BYTES, cors, json_response, observe
from parley.logs import configure_logging, get_logger
from parley.settings import ServiceSettings
from parley.stores import (
    MongoClient,
    MongoDatabase,
    mongo_alive,
    mongo_client,
    mongo_database,
    prepare_redis,
    redis_alive,
    redis_client,
)

Hook = Callable[[], Awaitable[None]]
log = get_logger("parley.runtime")

# How long a stop waits for background tasks to end once cancelled, and for in-flight HTTP
# handlers (aiohttp waits this long, cancels them, and waits as long again; its default is 60 s,
# more than the whole budget). Both take milliseconds when healthy; a step that hangs must not
# eat the budget of the ones after it.
STEP_SECONDS = 2.5


class Service:
    """One Parley process: declare what it uses, register handlers and routes, then :meth:`run`."""

    def __init__(
        self, name: str, settings: ServiceSettings, *, uses_redis: bool = False, uses_mongo: bool = False
    ) -> None:
        self.name = name
        self.settings = settings
        self.bus = Bus(settings, name)
        self.redis: redis.Redis | None = redis_client(settings) if uses_redis else None
        self._mongo_client: MongoClient | None = (
            mongo_client(settings, f"{name}/{settings.node_id}") if uses_mongo else None
        )
        self.http = web.Application(
            middlewares=[cors(settings.http_cors_origins), observe], client_max_size=MAX_BODY_BYTES
        )
        self.connection_limits = ConnectionLimits.from_settings(settings)
        self._connection_guard = guard_app(self.http, self.connection_limits)
        self.http.router.add_get("/healthz", self._healthz)
        self.http.router.add_get("/readyz", self._readyz)
        self.http.router.add_get("/metrics", self._metrics)
        self.stopping = asyncio.Event()
        self._started = False
        self._startup_hooks: list[Hook] = []
        self._drain_hooks: list[Hook] = []
        self._stop_hooks: list[Hook] = []
        self._background: list[Callable[[], Awaitable[None]]] = []
        self._stream_consumers: list[StreamConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_step = ""  # what the stop is doing, for the watchdog's report

    @property
    def db(self) -> MongoDatabase:
        if self._mongo_client is None:
            raise RuntimeError(f"{self.name} was not declared with uses_mongo=True")
        return mongo_database(self._mongo_client, self.settings)

    def on_startup(self, hook: Hook) -> Hook:
        """Run after the dependencies are up and before intake starts (e.g. create indexes)."""
        self._startup_hooks.append(hook)
        return hook

    def on_drain(self, hook: Hook) -> Hook:
        """Run first when stopping, while the bus still delivers (hand clients over to other nodes)."""
        self._drain_hooks.append(hook)
        return hook

    def on_stop(self, hook: Hook) -> Hook:
        """Run after intake has stopped and before the dependencies close."""
        self._stop_hooks.append(hook)
        return hook

    def on_stream_command(self, contract: type[Command[Any]], handler: Handler) -> None:
        """Also take ``contract`` from its Redis command stream (parley.command_streams), with the
        handler it has on the bus: callers that send it there skip RabbitMQ. Read from when intake
        starts, stopped with the bus's consumers."""
        if self.redis is None:
            raise RuntimeError(f"{self.name} was not declared with uses_redis=True")
        consumer = StreamConsumer(self.redis, self.settings, self.name, contract, handler)
        self._stream_consumers.append(consumer)
        self.background(consumer.run)
        self.background(consumer.sweep)

    def background(self, task: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """A coroutine that runs for the life of the process (cancelled at stop)."""
        self._background.append(task)
        return task

    # ---- health ---------------------------------------------------------------------------------

    async def dependencies(self) -> dict[str, bool]:
        checks: dict[str, bool] = {"rabbitmq": self.bus.connected}
        if self.redis is not None:
            checks["redis"] = await redis_alive(self.redis)
        if self._mongo_client is not None:
            checks["mongodb"] = await mongo_alive(self._mongo_client)
        for name, up in checks.items():
            metrics.DEPENDENCY_UP.labels(name).set(1 if up else 0)
        return checks

    async def _healthz(self, _request: web.Request) -> web.Response:
        return json_response({"status": "alive", "service": self.name, "node": self.settings.node_id})

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = await self.dependencies()
        ready = self._started and not self.stopping.is_set() and all(checks.values())
        metrics.READY.set(1 if ready else 0)
        body = {
            "ready": ready,
            "stopping": self.stopping.is_set(),
            "dependencies": checks,
            "node": self.settings.node_id,  # whoever polls it knows it is this process answering
        }
        return json_response(body, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        payload, content_type = metrics.render_latest()
        return web.Response(body=payload, headers={"Content-Type": content_type})

    # ---- life cycle ---------------------------------------------------------------------------

    def run(self) -> None:
        """Configure logging and run until SIGTERM/SIGINT; blocks."""
        configure_logging(
            service=self.name, node=self.settings.node_id, level=self.settings.log_level, fmt=self.settings.log_format
        )
        # uvloop: the same asyncio API, with the loop, its sockets and timers in C (docs/performance.md).
        uvloop.run(self.serve())

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        runner = web.AppRunner(
            self.http,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=self._step_seconds,
            **runner_options(self.connection_limits),
        )
        await runner.setup()
        site = GuardedSite(
            runner, self._connection_guard, self.settings.http_host, self.settings.http_port, reuse_address=True
        )
        await site.start()
        log.info("service.listening", host=self.settings.http_host, port=self.settings.http_port)
        try:
            await self._start()
            if not self.stopping.is_set():
                log.info("service.ready")
                await self.stopping.wait()
        finally:
            await self._stop(runner)

    async def _start(self) -> None:
        await self.bus.connect(self.stopping)
        if self.redis is not None:
            await prepare_redis(self.redis)
        for hook in self._startup_hooks:
            await hook()
        await self.bus.start_consuming()
        self._tasks = [
            asyncio.create_task(self._guard(task), name=getattr(task, "__name__", repr(task)))
            for task in self._background
        ]
        self._started = True

    async def _guard(self, task: Callable[[], Awaitable[None]]) -> None:
        """Keep a background task alive: log and restart it after an unexpected failure."""
        while not self.stopping.is_set():
            try:
                await task()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("service.background_failed", task=getattr(task, "__name__", repr(task)))
                await asyncio.sleep(1.0)

    async def _stop(self, runner: web.AppRunner) -> None:
        self.stopping.set()
        budget = self.settings.shutdown_timeout_seconds
        watchdog = threading.Timer(budget, self._watchdog_exit, args=(budget, asyncio.get_running_loop()))
        watchdog.daemon = True
        watchdog.start()
        log.info("service.stopping", budget_seconds=budget)
        try:
            self._stop_step = "drain_hooks"
            for hook in self._drain_hooks:
                await _quietly(hook(), "drain_hook")
            self._stop_step = "stop_consuming"
            await asyncio.gather(
                self.bus.stop_consuming(timeout=budget / 3),
                *(consumer.stop(timeout=budget / 3) for consumer in self._stream_consumers),
            )
            self._stop_step = "stop_hooks"
            for hook in self._stop_hooks:
                await _quietly(hook(), "stop_hook")
            self._stop_step = "background_tasks"
            await self._cancel_background(timeout=self._step_seconds)
            self._stop_step = "http_server"
            await runner.cleanup()
            self._stop_step = "clients"
            await _quietly(self.bus.close(), "bus_close")
            if self.redis is not None:
                await _quietly(self.redis.aclose(), "redis_close")
            if self._mongo_client is not None:
                await _quietly(self._mongo_client.close(), "mongo_close")
        finally:
            watchdog.cancel()
        log.info("service.stopped")

    @property
    def _step_seconds(self) -> float:
        """The bound of one stop step: STEP_SECONDS, or a tenth of a smaller budget."""
        return min(STEP_SECONDS, self.settings.shutdown_timeout_seconds / 10)

    async def _cancel_background(self, timeout: float) -> None:
        if not self._tasks:  # asyncio.wait refuses an empty set
            return
        for task in self._tasks:
            task.cancel()
        _, pending = await asyncio.wait(self._tasks, timeout=timeout)
        if pending:  # left behind: the loop's end cancels them again
            log.warning("service.background_not_stopped", tasks=sorted(task.get_name() for task in pending))

    def _watchdog_exit(self, budget: float, loop: asyncio.AbstractEventLoop) -> None:
        """The stop overran its budget: say at which step, dump every thread's and task's stack, exit."""
        log.error("service.stop_watchdog", service=self.name, budget_seconds=budget, step=self._stop_step)
        faulthandler.dump_traceback(all_threads=True)
        try:  # read from another thread while the loop may still run: best effort, for the post-mortem
            for task in list(asyncio.all_tasks(loop)):
                task.print_stack(limit=20, file=sys.stderr)
        except RuntimeError:
            pass
        os._exit(70)


async def _quietly(awaitable: Awaitable[Any], what: str) -> None:
    try:
        await awaitable
    except Exception:  # shutdown goes on whatever one step does
        log.warning("service.stop_step_failed", step=what, exc_info=True)
