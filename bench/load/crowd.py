"""A crowd of mostly idle links in one worker: the idle, fan-out and reconnect-storm scenarios.

The crowd connects its links, keeps them alive with a ping every ``interval`` seconds (spread
evenly, one slice of the crowd per second), records when fan-out probes arrive, and can drop
every link at once and bring them back the way a real client does (2 s, plus jitter).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from typing import Any

from bench.load.agent import Agent, bounded
from bench.load.conversations import Tracked
from bench.load.links import dial, new_link
from tests.kit.client import Frame, WsClient

# An attempt still in flight at the storm's deadline gets this long before it is cut off.
STRAGGLER_SECONDS = 120.0


class CrowdAgent(Agent):
    def __init__(self, url: str, **init: Any) -> None:
        super().__init__(**init)
        self.url = url
        self.links: list[WsClient] = []
        self.receipts: dict[str, list[float]] = defaultdict(list)
        self.tracked: dict[WsClient, Tracked] = {}
        self.dropped: list[WsClient] = []
        self.first_links: list[WsClient] = []  # one link per visitor logged in here
        self.stuck = 0  # reconnects cut off after the storm's deadline
        self._heartbeats: asyncio.Task[None] | None = None

    # ---- set-up ----------------------------------------------------------------------------

    async def login(
        self, auth_url: str, device_prefix: str, count: int, concurrency: int = 1, links_per_visitor: int = 1
    ) -> dict[str, Any]:
        """``count`` links (not yet connected) of ceil(count / ``links_per_visitor``) visitors logged in
        here: each visitor's token serves that many links, as tabs of one browser would."""
        visitors = -(-count // links_per_visitor)
        devices = [f"{device_prefix}-w{self.index}-{n:06d}" for n in range(visitors)]
        logins, summary = await self.login_visitors(auth_url, devices, concurrency)
        tokens = [login["token"] for login in logins if login is not None]
        for n in range(min(count, len(tokens) * links_per_visitor)):
            link = new_link(self.dialect, self._on_push, tokens[n // links_per_visitor])
            self.links.append(link)
            if n % links_per_visitor == 0:
                self.first_links.append(link)
        return summary

    async def add_links(self, credentials: list[str]) -> int:
        """Links with given credentials (a shared operator token, Centrifugo JWTs)."""
        self.links += [new_link(self.dialect, self._on_push, credential) for credential in credentials]
        return len(self.links)

    async def connect(self, concurrency: int = 16, limit: int | None = None) -> dict[str, Any]:
        """Connect the links not yet open (at most ``limit``); returns counts, duration, error kinds."""
        todo = [link for link in self.links if not link.is_open][:limit]
        started = time.perf_counter()
        results = await bounded(concurrency, (lambda link=link: dial(link, self.session, self.url) for link in todo))
        errors = Counter(f"{type(r).__name__}: {str(r)[:160]}" for r in results if isinstance(r, BaseException))
        return {
            "connected": len(todo) - sum(errors.values()),
            "failed": sum(errors.values()),
            "seconds": time.perf_counter() - started,
            "errors": dict(errors.most_common(5)),
        }

    async def subscribe(self, channel: str) -> int:
        """Centrifugo only: subscribe every open link to ``channel``."""
        results = await bounded(
            64,
            (lambda link=link: link.request("subscribe", {"channel": channel}) for link in self.links if link.is_open),
        )
        return sum(isinstance(result, dict) and "subscribe" in result for result in results)

    # ---- keep-alive ------------------------------------------------------------------------

    async def start_heartbeats(self, interval: float = 25.0) -> None:
        if self._heartbeats is None:
            self._heartbeats = asyncio.create_task(self._beat(max(1, int(interval))))

    async def _beat(self, slots: int) -> None:
        """Second by second, ping the links of one slot: each link pings every ``slots`` seconds."""
        tick = random.randrange(slots)
        while True:
            await asyncio.sleep(1.0)
            tick += 1
            await asyncio.gather(*(link.ping() for link in self.links[tick % slots :: slots]))

    async def stats(self) -> dict[str, Any]:
        return {
            "open": sum(link.is_open for link in self.links),
            "links": len(self.links),
            "pongs": sum(link.pongs for link in self.links),
            # Links that had been up and are not any more, by close code.
            "close_codes": dict(
                Counter(str(link.close_code) for link in self.links if link.opened_at and not link.is_open)
            ),
        }

    # ---- fan-out probes --------------------------------------------------------------------

    def _on_push(self, link: WsClient, frame: Frame) -> None:
        body = self.dialect.body_of(frame)
        if body is not None and body.startswith("P|"):
            self.receipts[body.split("|", 2)[1]].append(time.time())
        tracked = self.tracked.get(link)
        if tracked is not None:
            tracked.on_frame(frame)

    async def probe_receipts(self) -> dict[str, list[float]]:
        return dict(self.receipts)

    # ---- conversations kept across a storm (Parley only) ------------------------------------

    async def open_conversations(self, channel_id: str, count: int) -> list[str]:
        """``count`` visitors (one link each) open a session and post once: a stored conversation each."""
        chosen = [link for link in self.first_links if link.is_open][:count]
        for link in chosen:
            self.tracked[link] = Tracked(link)
        results = await bounded(8, (lambda link=link: self.tracked[link].start(channel_id) for link in chosen))
        return [result for result in results if isinstance(result, str)]

    async def conversation_report(self) -> dict[str, Any]:
        return {
            tracked.conversation_id: tracked.report() for tracked in self.tracked.values() if tracked.conversation_id
        }

    # ---- the storm ---------------------------------------------------------------------------

    async def drop(self) -> dict[str, Any]:
        """Every open link vanishes at once (TCP reset), as when a network path or node dies."""
        self.dropped = [link for link in self.links if link.is_open]
        for link in self.dropped:
            link.drop()
        return {"dropped": len(self.dropped), "down_before": len(self.links) - len(self.dropped), "at": time.time()}

    async def reconnect(self, delay: float, jitter: float, deadline_seconds: float) -> dict[str, Any]:
        """Bring every dropped link back: wait ``delay`` + U(0, ``jitter``), connect, auth, resume."""
        deadline = time.monotonic() + deadline_seconds
        closed = self.dropped
        results = await asyncio.gather(
            *(
                self._bounded_come_back(link, delay, jitter, deadline, deadline_seconds + STRAGGLER_SECONDS)
                for link in closed
            )
        )
        back = [result for result in results if result[0] is not None]
        return {
            "closed": len(closed),
            "recovered": len(back),
            "recovered_at": [when for when, _, _ in back],
            "handshake_seconds": [took for _, took, _ in back],
            "attempts": dict(Counter(tries for _, _, tries in results)),
            "stuck": self.stuck,
        }

    async def _bounded_come_back(
        self, link: WsClient, delay: float, jitter: float, deadline: float, budget: float
    ) -> tuple[float | None, float, int]:
        """:meth:`_come_back`, cut off when an attempt in flight at the deadline never ends."""
        try:
            return await asyncio.wait_for(self._come_back(link, delay, jitter, deadline), budget)
        except TimeoutError:
            self.stuck += 1
            return None, 0.0, -1

    async def _come_back(
        self, link: WsClient, delay: float, jitter: float, deadline: float
    ) -> tuple[float | None, float, int]:
        """Reconnect like a client: returns when it was back, how long its last handshake took, tries."""
        tries = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(delay + random.uniform(0.0, jitter))
            tries += 1
            started = time.time()
            try:
                await dial(link, self.session, self.url)
            except Exception:  # noqa: BLE001 - refused, reset or timed out: try again like a client would
                continue
            handshake = time.time() - started
            tracked = self.tracked.get(link)
            if tracked is not None:
                await tracked.resume()
            return time.time(), handshake, tries
        return None, 0.0, tries

    async def close(self) -> None:
        if self._heartbeats is not None:
            self._heartbeats.cancel()
        await asyncio.gather(*(link.close() for link in self.links), return_exceptions=True)
        await super().close()
