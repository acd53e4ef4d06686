"""A person's traces in Redis, found by what names them, for an erase or an export (docs/privacy.md).

Redis holds a person's data under many shapes: keys named after them (``{presence}:user:<id>:status``,
``ratelimit:...:<id>``, ``chat:{temporary:<id>}:of:<channel>``), keys named after one of their
conversations (``delivery:state:<conversation>``, ``notification:{pushes}:unread:<operator>:<conversation>``
with the preview of their message), and members of shared sets and sorted sets
(``notification:{pushes}:due`` holds ``<user>\\t<conversation>``, ``chatbot:timers`` holds
``<conversation>:<kind>``). Rather than a list of key shapes that the next feature silently
outgrows, every key under the fleet's prefix is scanned and a trace is anything whose name, member,
field or value contains one of the person's tokens (their user id, their conversations' ids):
those ids are long random strings, so a match is theirs. A key named by a token is deleted; from
a shared collection only the matching members or fields go; a plain value that mentions a token
is deleted.

The revocation list is left alone: its entries are what keeps the person's revoked sessions
refused until their last access token expires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import redis.asyncio as redis

# Keys read per SCAN step: bounds one call while a large keyspace is walked.
SCAN_COUNT = 500
# Key spaces no erase touches (see the module docstring).
UNTOUCHED = ("auth:revoked:",)


@dataclass
class Traces:
    """What was found (an export) or removed (an erase): key names, and members per shared key."""

    keys: list[str] = field(default_factory=list)
    members: dict[str, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.keys) + sum(len(found) for found in self.members.values())


def _mentions(text: str, tokens: Iterable[str]) -> bool:
    return any(token in text for token in tokens)


class RedisTraces:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    async def find(self, tokens: list[str]) -> Traces:
        return await self._walk(tokens, erase=False)

    async def erase(self, tokens: list[str]) -> Traces:
        return await self._walk(tokens, erase=True)

    async def _walk(self, tokens: list[str], *, erase: bool) -> Traces:
        tokens = [token for token in tokens if token]
        traces = Traces()
        if not tokens:
            return traces
        untouched = tuple(self._prefix + space for space in UNTOUCHED)
        async for key in self._redis.scan_iter(match=f"{_escaped(self._prefix)}*", count=SCAN_COUNT):
            name = key if isinstance(key, str) else key.decode()
            if name.startswith(untouched):
                continue
            if _mentions(name, tokens):
                traces.keys.append(name)
                if erase:
                    await self._redis.delete(name)
                continue
            await self._look_inside(name, tokens, traces, erase=erase)
        return traces

    async def _look_inside(self, name: str, tokens: list[str], traces: Traces, *, erase: bool) -> None:
        kind = await self._redis.type(name)
        kind = kind if isinstance(kind, str) else kind.decode()
        if kind == "string":
            value = await self._redis.get(name)
            if value is not None and _mentions(str(value), tokens):
                traces.keys.append(name)
                if erase:
                    await self._redis.delete(name)
        elif kind == "hash":
            fields = [
                f
                async for f, value in self._redis.hscan_iter(name, count=SCAN_COUNT)
                if _mentions(f"{f}{value}", tokens)
            ]
            if fields:
                traces.members[name] = fields
                if erase:
                    await self._redis.hdel(name, *fields)
        elif kind == "set":
            members = [m async for m in self._redis.sscan_iter(name, count=SCAN_COUNT) if _mentions(m, tokens)]
            if members:
                traces.members[name] = members
                if erase:
                    await self._redis.srem(name, *members)
        elif kind == "zset":
            members = [m async for m, _ in self._redis.zscan_iter(name, count=SCAN_COUNT) if _mentions(m, tokens)]
            if members:
                traces.members[name] = members
                if erase:
                    await self._redis.zrem(name, *members)
        elif kind == "list":
            values = [str(v) for v in await self._redis.lrange(name, 0, -1) if _mentions(str(v), tokens)]
            if values:
                traces.members[name] = values
                if erase:
                    for value in values:
                        await self._redis.lrem(name, 0, value)


def _escaped(prefix: str) -> str:
    """The prefix as a literal in a SCAN MATCH pattern."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in prefix)
