"""The live connections of this gateway node, by user."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from aiohttp import web

from parley.tokens import Claims
from parley_gateway import metrics


# Seqs held above the contiguous floor before the oldest is given up on (a gap that never fills).
MAX_SEQS_ABOVE_FLOOR = 256


class SeenSeqs:
    """Which seqs of one conversation a socket has had: a floor (all at or below) plus the rest."""

    __slots__ = ("floor", "above")

    def __init__(self) -> None:
        self.floor = 0
        self.above: set[int] = set()

    def add(self, seq: int) -> bool:
        """Record ``seq``; False when it was already delivered (a redelivery to drop)."""
        if seq <= self.floor or seq in self.above:
            return False
        self.above.add(seq)
        while self.floor + 1 in self.above:
            self.floor += 1
            self.above.discard(self.floor)
        if len(self.above) > MAX_SEQS_ABOVE_FLOOR:
            self.floor = min(self.above)
            self.above.discard(self.floor)
        return True


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    claims: Claims
    client_kind: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Seqs written to this socket per conversation: a redelivered message.new is dropped.
    delivered: dict[str, SeenSeqs] = field(default_factory=dict)

    def first_delivery(self, conversation_id: str, seq: int) -> bool:
        seen = self.delivered.get(conversation_id)
        if seen is None:
            seen = self.delivered[conversation_id] = SeenSeqs()
        return seen.add(seq)

    @property
    def user_id(self) -> str:
        return self.claims.sub

    async def send(self, frame_type: str, payload: str) -> bool:
        """Write one serialised frame; False when the socket is already closing."""
        if self.ws.closed:
            return False
        try:
            await self.ws.send_str(payload)
        except (ConnectionError, RuntimeError):
            return False
        metrics.FRAMES_OUT.labels(frame_type).inc()
        return True


class Connections:
    def __init__(self) -> None:
        self._by_user: dict[str, set[Connection]] = defaultdict(set)
        self._all: set[Connection] = set()

    def add(self, connection: Connection) -> None:
        self._all.add(connection)
        self._by_user[connection.user_id].add(connection)
        metrics.CONNECTIONS.set(len(self._all))

    def remove(self, connection: Connection) -> None:
        self._all.discard(connection)
        mine = self._by_user.get(connection.user_id)
        if mine is not None:
            mine.discard(connection)
            if not mine:
                del self._by_user[connection.user_id]
        metrics.CONNECTIONS.set(len(self._all))

    def of_user(self, user_id: str) -> list[Connection]:
        return list(self._by_user.get(user_id, ()))

    def all(self) -> list[Connection]:
        return list(self._all)

    def __len__(self) -> int:
        return len(self._all)
