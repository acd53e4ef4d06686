"""Load-generator worker processes: each runs one asyncio loop holding thousands of links.

The coordinator (the bench's main process) starts W workers with multiprocessing's "spawn"
context (each a clean interpreter, on uvloop), each owning one *agent* object, and calls the
agent's coroutine methods by name over a pipe. Calls may overlap (a long ``run_step`` and a
short ``stats``). Every worker gets its own 127.0.0.x source address, so the client side never
runs out of ephemeral ports (about 28k per source address and destination port).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import multiprocessing
import resource
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

# Source addresses 127.0.0.10, .11, ...: distinct from 127.0.0.1 the servers listen on.
FIRST_SOURCE_OCTET = 10


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def source_address(index: int) -> str:
    return f"127.0.0.{FIRST_SOURCE_OCTET + index}"


class WorkerError(RuntimeError):
    """An agent method raised in a worker; the message carries the worker's traceback."""


class WorkerPool:
    """``count`` worker processes, each with an agent built from ``agent`` ("module:Class")."""

    def __init__(self, agent: str, count: int, **init: Any) -> None:
        self.agent = agent
        self.count = count
        self.init = init
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self._pipes: list[Connection] = []
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes if process.pid is not None]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        for index in range(self.count):
            parent, child = context.Pipe()
            init = {**self.init, "index": index, "source_ip": source_address(index)}
            process = context.Process(target=_worker_main, args=(child, self.agent, init), daemon=True)
            process.start()
            child.close()
            self.processes.append(process)
            self._pipes.append(parent)
            threading.Thread(target=self._read, args=(parent,), daemon=True).start()

    def _read(self, pipe: Connection) -> None:
        """One thread per worker: results come back whenever the worker sends them."""
        assert self._loop is not None
        while True:
            try:
                call_id, ok, result = pipe.recv()
            except (EOFError, OSError):
                return
            self._loop.call_soon_threadsafe(self._resolve, call_id, ok, result)

    def _resolve(self, call_id: int, ok: bool, result: Any) -> None:
        future = self._pending.pop(call_id, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(result)
        else:
            future.set_exception(WorkerError(result))

    async def call(self, index: int, method: str, **kwargs: Any) -> Any:
        assert self._loop is not None
        call_id = next(self._ids)
        future = self._loop.create_future()
        self._pending[call_id] = future
        self._pipes[index].send((call_id, method, kwargs))
        return await future

    async def call_all(self, method: str, per_worker: list[dict[str, Any]] | None = None, **kwargs: Any) -> list[Any]:
        """Call ``method`` on every worker at once (``per_worker[i]`` adds worker i's own arguments)."""
        return await asyncio.gather(
            *(self.call(i, method, **{**kwargs, **(per_worker[i] if per_worker else {})}) for i in range(self.count))
        )

    async def stop(self, timeout: float = 20.0) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):  # a worker that died already
                pipe.send((0, "__stop__", {}))
        loop = asyncio.get_running_loop()
        for process in self.processes:
            await loop.run_in_executor(None, process.join, timeout)
            if process.is_alive():
                process.kill()
        for pipe in self._pipes:
            pipe.close()


def _worker_main(pipe: Connection, agent: str, init: dict[str, Any]) -> None:
    raise_open_files_limit()
    import uvloop

    uvloop.run(_serve(pipe, agent, init))


async def _serve(pipe: Connection, agent_path: str, init: dict[str, Any]) -> None:
    module, name = agent_path.split(":")
    agent = getattr(importlib.import_module(module), name)(**init)
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[int, str, dict[str, Any]] | None] = asyncio.Queue()

    def receive() -> None:
        while True:
            try:
                message = pipe.recv()
            except (EOFError, OSError):
                message = None
            loop.call_soon_threadsafe(inbox.put_nowait, message)
            if message is None or message[1] == "__stop__":
                return

    threading.Thread(target=receive, daemon=True).start()
    running: set[asyncio.Task[None]] = set()
    while (message := await inbox.get()) is not None and message[1] != "__stop__":
        task = asyncio.create_task(_run(pipe, agent, *message))
        running.add(task)
        task.add_done_callback(running.discard)
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    await agent.close()


async def _run(pipe: Connection, agent: Any, call_id: int, method: str, kwargs: dict[str, Any]) -> None:
    try:
        result = await getattr(agent, method)(**kwargs)
    except Exception:  # noqa: BLE001 - the coordinator gets the traceback and decides
        pipe.send((call_id, False, traceback.format_exc()))
        return
    pipe.send((call_id, True, result))
