"""Who shares an open conversation with whom, so a presence change reaches the partners.

Kept in Redis from the conversation events (notification never reads chat_session's
collections): ``conv:<id>:members`` and each member's ``user:<id>:convs``. A closed
conversation is forgotten, with a tombstone so a late event cannot bring it back.
"""

from __future__ import annotations

from typing import cast

import redis.asyncio as redis

from parley.stores import timed

# A conversation with no event for 30 days is long over (chat_session closes idle ones far
# sooner); the expiry only bounds what a lost "closed" event could leave behind.
KEEP_MS = 30 * 86_400 * 1000

# KEYS[1]: the root of the memberships' key names (``memberships_root``, never a key itself); the
# keys a script touches are built on it and share its hash tag. ARGV: below.
_UPDATE = """
local P, conv, status, keep = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local members = P .. 'conv:' .. conv .. ':members'
local closed = P .. 'conv:' .. conv .. ':closed'
if redis.call('EXISTS', closed) == 1 then return 0 end
local keep_new = {}
if status ~= 'closed' then
  for i = 4, #ARGV do keep_new[ARGV[i]] = true end
end
for _, uid in ipairs(redis.call('SMEMBERS', members)) do
  if not keep_new[uid] then redis.call('SREM', P .. 'user:' .. uid .. ':convs', conv) end
end
redis.call('DEL', members)
if status == 'closed' then
  redis.call('SET', closed, '1', 'PX', keep)
  return 1
end
for i = 4, #ARGV do
  local convs = P .. 'user:' .. ARGV[i] .. ':convs'
  redis.call('SADD', convs, conv)
  redis.call('PEXPIRE', convs, keep)
  redis.call('SADD', members, ARGV[i])
end
redis.call('PEXPIRE', members, keep)
return 1
"""
_PARTNERS = """
local P, uid = KEYS[1], ARGV[1]
local seen, out = {[uid] = true}, {}
for _, conv in ipairs(redis.call('SMEMBERS', P .. 'user:' .. uid .. ':convs')) do
  for _, member in ipairs(redis.call('SMEMBERS', P .. 'conv:' .. conv .. ':members')) do
    if not seen[member] then seen[member] = true; out[#out + 1] = member end
  end
end
return out
"""


def memberships_root(prefix: str) -> str:
    """The root of the memberships' key names. Its hash tag keeps them on one slot of a Redis
    Cluster: an update rewrites a conversation's members and each member's conversations, and
    the partners of a user are read through conversations found while the script runs."""
    return f"{prefix}notification:{{memberships}}:"


class Memberships:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.prefix = memberships_root(prefix)
        self._update = client.register_script(_UPDATE)
        self._partners = client.register_script(_PARTNERS)

    async def conversation(self, conversation_id: str, status: str, member_ids: list[str]) -> None:
        """Record a conversation's members (or forget it when ``status`` is closed)."""
        with timed("redis", "memberships_update"):
            await self._update(keys=[self.prefix], args=[conversation_id, status, KEEP_MS, *member_ids])

    async def partners(self, user_id: str) -> list[str]:
        """Everyone who shares an open conversation with ``user_id`` (not the user)."""
        with timed("redis", "memberships_partners"):
            return cast(list[str], await self._partners(keys=[self.prefix], args=[user_id]))
