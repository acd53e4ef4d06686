"""The revocation list: sessions whose access tokens must no longer be accepted.

Auth writes a revoked session code here (logout, refresh-token reuse, a session replaced by a
newer login) with an expiry: once every access token of the session has expired by itself,
the entry is useless and Redis drops it. Verifiers (the gateway, auth's own admin endpoints)
check it next to the token's signature, so no call to auth is made per connection.
"""

from __future__ import annotations

import redis.asyncio as redis
from redis.exceptions import RedisError

from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import as_text, timed


class RevocationList:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = f"{prefix}auth:revoked:"

    def key(self, session_code: str) -> str:
        """The session's entry, for a caller that reads it inside a script of its own (the gateway
        checks it in the same Redis call that counts the user's connections)."""
        return self._prefix + session_code

    async def revoke(self, session_code: str, ttl_seconds: int, reason: str) -> None:
        """Refuse the session's tokens for ``ttl_seconds`` (the longest a token of it can still live)."""
        with timed("redis", "revocation_write"):
            await self._redis.set(self.key(session_code), reason, ex=max(1, ttl_seconds))

    async def reason(self, session_code: str) -> str | None:
        """Why the session was revoked, or None while it is valid. Raises ParleyError(UNAVAILABLE)
        when Redis does not answer: a revocation that cannot be checked is not assumed absent."""
        try:
            with timed("redis", "revocation_check"):
                reason = await self._redis.get(self.key(session_code))
                return None if reason is None else as_text(reason)
        except RedisError as error:
            raise ParleyError(ErrorCode.UNAVAILABLE, "cannot check the session's revocation") from error

    async def check(self, session_code: str) -> None:
        """Raise ParleyError(TOKEN_INVALID) when the session is revoked."""
        why = await self.reason(session_code)
        if why is not None:
            raise revoked(why)


def revoked(why: str) -> ParleyError:
    """The refusal of a revoked session's token (``why``: logout, reuse, replaced, ...)."""
    return ParleyError(ErrorCode.TOKEN_INVALID, f"session revoked ({why}); log in again")
