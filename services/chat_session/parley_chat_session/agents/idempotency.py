"""A bot's idempotency keys: one key is one command (docs/bots.md, "Idempotency").

``chat:agent-key:<bot>:<key>`` holds the command type and conversation the key was first used
for, and what the command made (a draft id, a hand-off done). A key used again for another
command or conversation is refused (9208); used again for the same one, the handler answers
what was done. Messages need no more than the claim: their key is their ``client_msg_id``.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as redis

from parley.contracts.errors import ErrorCode, ParleyError

# A bot retries within minutes; a day covers a bot that comes back after an outage.
KEY_TTL_SECONDS = 24 * 3600


class IdempotencyKeys:
    def __init__(self, cache: redis.Redis, key_prefix: str) -> None:
        self._cache = cache
        self._prefix = key_prefix

    def _key(self, bot_id: str, key: str) -> str:
        return f"{self._prefix}chat:agent-key:{bot_id}:{key}"

    async def claim(self, bot_id: str, key: str, command_type: str, conversation_id: str) -> dict[str, Any] | None:
        """None the first time; then what an earlier use of the key recorded ({}: it was claimed,
        and may have died half-way). 9208 for a key of another command or conversation."""
        record = {"type": command_type, "conversation_id": conversation_id}
        if await self._cache.set(self._key(bot_id, key), orjson.dumps(record), nx=True, ex=KEY_TTL_SECONDS):
            return None
        raw = await self._cache.get(self._key(bot_id, key))
        earlier: dict[str, Any] = orjson.loads(raw) if raw else record
        if earlier.get("type") != command_type or earlier.get("conversation_id") != conversation_id:
            raise ParleyError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED, "this idempotency key was used for another command or conversation"
            )
        return {name: value for name, value in earlier.items() if name not in record}

    async def done(self, bot_id: str, key: str, **made: Any) -> None:
        """Record what the command made, for its retries."""
        raw = await self._cache.get(self._key(bot_id, key))
        record = {**(orjson.loads(raw) if raw else {}), **made}
        await self._cache.set(self._key(bot_id, key), orjson.dumps(record), ex=KEY_TTL_SECONDS)
