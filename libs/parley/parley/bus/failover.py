"""One robust AMQP connection over the nodes of a RabbitMQ cluster.

aio-pika's robust connection reconnects by itself, re-opening its channels and re-declaring its
queues and consumers, but always to the one URL it was given: with that node gone, it dials a dead
address until the node is back. This connection takes every node's URL and dials the next one at
each attempt after a failed one, so losing a node costs a reconnect, not the node's whole outage.
Any node serves every queue: a quorum queue is replicated, and a node's exclusive queues are
declared again wherever the connection lands.

The hook is the attribute aio-pika resets at the start of each attempt: ``transport`` is set to
None when a connection is lost (it was a transport then) and again when the next attempt begins
(it is still None): None over None is "the last attempt failed, or was the first", so the next
URL is dialled. Tested against aio-pika 10 (tests/integration/test_bus_failover.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aio_pika import RobustConnection
from yarl import URL

from parley.logs import get_logger

log = get_logger("parley.bus")


class FailoverConnection(RobustConnection):
    def __init__(self, urls: Sequence[str], *, first: int = 0, **kwargs: Any) -> None:
        if not urls:
            raise ValueError("at least one AMQP URL")
        self._urls = [URL(url) for url in urls]
        self._index = (first - 1) % len(self._urls)  # the first attempt moves on to `first`
        self._initialised = False
        self._transport: Any = None
        super().__init__(self._urls[first % len(self._urls)], **kwargs)
        self._initialised = True

    @property
    def url(self) -> URL:
        return self._urls[self._index]

    @url.setter
    def url(self, value: URL) -> None:
        if self._initialised:  # a password renewed (update_secret): for the node in use
            self._urls[self._index] = value

    @property
    def transport(self) -> Any:
        return self._transport

    @transport.setter
    def transport(self, value: Any) -> None:
        if value is None and self._transport is None and self._initialised:
            self._index = (self._index + 1) % len(self._urls)
            if len(self._urls) > 1:
                log.info("bus.dialing", node=f"{self.url.host}:{self.url.port}")
        self._transport = value

    def __str__(self) -> str:
        return ", ".join(str(url.with_password("******")) for url in self._urls)
