"""What every worker's agent shares: its HTTP session (bound to the worker's source address),
logins through auth's public API, and bounded concurrency for the thousands of set-up calls."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import aiohttp

from bench.load.dialects import DIALECTS
from bench.load.links import dial
from tests.kit.client import Data, Frame, HelloRefused, WsClient

T = TypeVar("T")
# Connection set-up may queue behind thousands of others on a busy 2-core machine.
CONNECT_TIMEOUT_SECONDS = 60.0
# Pause between set-up retries: a broker restart by another test takes a few seconds.
SETUP_RETRY_SECONDS = 3.0
# Error codes a client retries (docs/protocol.md): internal error, a service did not answer.
RETRYABLE_CODES = (9500, 9503)


class Agent:
    def __init__(self, index: int, source_ip: str, dialect: str = "parley", **_: Any) -> None:
        self.index = index
        self.source_ip = source_ip
        self.dialect = DIALECTS[dialect]()
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=0, local_addr=(self.source_ip, 0), ttl_dns_cache=None)
            timeout = aiohttp.ClientTimeout(
                total=None, connect=CONNECT_TIMEOUT_SECONDS, sock_read=CONNECT_TIMEOUT_SECONDS
            )
            self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        return self._session

    async def login_one(self, auth_url: str, body: dict[str, str]) -> dict[str, Any]:
        headers = {"X-Forwarded-For": client_address(body.get("device_id") or body.get("username", ""))}
        async with self.session.post(f"{auth_url}/auth/login", json=body, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"login {response.status}: {(await response.text())[:200]}")
            return await response.json()

    async def login_visitors(
        self, auth_url: str, device_ids: list[str], concurrency: int = 1
    ) -> tuple[list[dict[str, Any] | None], dict[str, Any]]:
        """Log in one visitor per device id; returns the logins (None where one failed) and a summary."""
        started = time.perf_counter()
        results = await bounded(
            concurrency,
            (lambda device=device: self.login_one(auth_url, {"device_id": device}) for device in device_ids),
        )
        logins = [result if isinstance(result, dict) else None for result in results]
        errors = Counter(type(result).__name__ for result in results if isinstance(result, BaseException))
        summary = {
            "logged_in": sum(login is not None for login in logins),
            "failed": sum(login is None for login in logins),
            "seconds": time.perf_counter() - started,
            "errors": dict(errors),
        }
        return logins, summary

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def connect_patiently(link: WsClient, session: aiohttp.ClientSession, url: str, attempts: int = 5) -> None:
    """Connect a set-up link (an operator), retrying while the fleet is briefly unavailable."""
    for attempt in range(1, attempts + 1):
        try:
            await dial(link, session, url)
            return
        except (HelloRefused, aiohttp.ClientError, ConnectionError, TimeoutError):
            if attempt == attempts:
                raise
            await asyncio.sleep(SETUP_RETRY_SECONDS)


async def request_patiently(link: WsClient, frame_type: str, data: Data, expect: str, attempts: int = 4) -> Frame:
    """A set-up request retried the way docs/protocol.md tells clients to (9500/9503 and silence:
    send the same frame again; sends are idempotent on client_msg_id); raises when refused."""
    reply: Frame | None = None
    for attempt in range(1, attempts + 1):
        try:
            reply = await link.request(frame_type, data, timeout=15.0)
        except TimeoutError:
            reply = None
        if reply is not None and reply.get("type") == expect:
            return reply
        retryable = reply is None or reply.get("data", {}).get("code") in RETRYABLE_CODES
        if attempt == attempts or not retryable:
            break
        await asyncio.sleep(SETUP_RETRY_SECONDS)
    raise RuntimeError(f"{frame_type} refused: {str(reply)[:160]}")


def client_address(account: str) -> str:
    """A stable made-up client address per account, sent as X-Forwarded-For (the bench fleet's
    auth trusts one proxy hop): thousands of visitors come from thousands of addresses in real
    life, not from the bench's few 127.0.0.x, so auth's per-address login limit sees them so."""
    digest = hashlib.sha256(account.encode()).digest()
    return f"10.{digest[0]}.{digest[1]}.{digest[2]}"


async def bounded(concurrency: int, calls: Iterable[Callable[[], Awaitable[T]]]) -> list[T | BaseException]:
    """Run the calls with at most ``concurrency`` in flight; exceptions are returned, not raised."""
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[T]]) -> T | BaseException:
        async with gate:
            try:
                return await call()
            except Exception as error:  # noqa: BLE001 - counted by the caller
                return error

    return await asyncio.gather(*(one(call) for call in calls))
