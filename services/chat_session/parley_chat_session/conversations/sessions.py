"""Temporary sessions: ``session.open`` answers at once, MongoDB sees the conversation only when
its first message is posted (Odoo's ``persist=false``).

The reservation lives in Redis (``chat:temporary:<conversation id>``, a hash of the visitor,
the channel, and an e-mail the visitor may leave before writing) and expires when unused.
Opening again while a conversation of that visitor and channel is live returns it; while only
a reservation is, returns that reservation (two tabs of one visitor share one conversation).
A visitor holds at most ``MAX_RESERVATIONS_PER_VISITOR`` reservations (one per channel).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis

from parley.contracts.base import new_id
from parley.contracts.bot import bot_user_id, script_id_of
from parley.contracts.commands import Caller, OpenSession, SessionOpened, VisitorPage
from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import as_text_map
from parley_chat_session.access import require_allowed_origin, require_visitor
from parley_chat_session.channels.store import Channel, Channels
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore, history_entry, member_entry, now
from parley_chat_session.routing.availability import Availability
from parley_chat_session.visitor_device import device_of

# Unused reservations one visitor holds at once, over every channel (opening a channel again
# reuses its reservation): a visitor has a few sites' widgets open at most, and each reservation
# is a day of Redis memory, so one visitor opening channel after channel is refused instead.
MAX_RESERVATIONS_PER_VISITOR = 10

# Reuse the visitor's reservation of the channel, or take the new one if the visitor holds fewer
# than the cap; atomic, so two tabs opening at once get the same one. KEYS: the visitor's
# reservation of this channel (its conversation id) and the visitor's reservations (a sorted set
# by expiry), on one slot (the visitor's hash tag). ARGV: new id, ttl (s), now (s), the cap, the
# margin (s, below).
# A reservation counts while its entry in the set does: the entry expires with the reservation,
# and the first message removes it (``Sessions._forget``). One that expires within
# ``EXPIRY_MARGIN_SECONDS`` counts as gone already: its record (a key of another slot, refreshed
# after the script) could expire before it is refreshed.
_RESERVE = """
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now + tonumber(ARGV[5]))
local current = redis.call('GET', KEYS[1])
if current and redis.call('ZSCORE', KEYS[2], current) then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[2], now + ttl, current)
  redis.call('EXPIRE', KEYS[2], ttl)
  return {'reused', current}
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return {'full', ''}
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('EXPIRE', KEYS[2], ttl)
return {'new', ARGV[1]}
"""
# Seconds: more than the skew between a reservation's record and its entry (set a few
# milliseconds apart, with Python's clock and Redis's), far less than a reservation lives (a day).
EXPIRY_MARGIN_SECONDS = 2


def new_conversation(conversation_id: str, channel: Channel, reservation: dict[str, str]) -> dict[str, Any]:
    """The document of a conversation at its first message; one that needs a human starts queued."""
    stamp = now()
    visitor_id, visitor_name = reservation["visitor_id"], reservation.get("visitor_name", "")
    script = channel.chatbot_script_id
    # An external bot (docs/bots.md) takes the channel's conversations before any script.
    agent = channel.agent
    needs_operator = not script and agent is None
    members = {visitor_id: member_entry("visitor", visitor_name)}
    if agent is not None:
        members[agent.user_id] = member_entry("bot", agent.name)
    elif script:  # the channel's chatbot is there from the start: it answers first
        members[bot_user_id(script)] = member_entry("bot", "")
    return {
        "_id": conversation_id,
        "channel_id": channel.id,
        "visitor_id": visitor_id,
        "visitor_name": visitor_name,
        "visitor_email": reservation.get("email") or None,
        # The channel's site signed who this visitor is (a verified identity), shown to operators.
        "visitor_verified": reservation.get("visitor_verified") == "1",
        # Where they chat from, as their client said at session.open (shown to operators).
        "visitor_page_url": reservation.get("page_url") or None,
        "visitor_referrer": reservation.get("referrer") or None,
        "visitor_device": reservation.get("device") or None,
        "status": "queued" if needs_operator else "open",
        "queued_at": stamp if needs_operator else None,
        "queue_position": None,
        "operator_id": None,
        "members": members,
        "member_ids": list(members),
        "past_operator_ids": [],
        "declined_by": [],
        "last_seq": 0,
        "created_at": stamp,
        "last_activity_at": stamp,
        "assigned_at": None,
        "awaiting_reply_since": None,
        "closed_at": None,
        "closed_by": None,
        "close_reason": None,
        "transcript_emailed_at": None,
        "history": [history_entry("opened", visitor_id, visitor_name)],
        # The external bot serving it and whether it answers now (agents/controller.py derives the rest).
        "agent_id": agent.user_id if agent is not None else None,
        "bot_in_control": agent is not None,
    }


def is_channel_bot(caller: Caller, channel: Channel) -> bool:
    """Whether the caller is the bot of the channel's chatbot script (a member wherever it posts)."""
    script = channel.chatbot_script_id
    return caller.role == "bot" and script is not None and script_id_of(caller.user_id) == script


@dataclass(frozen=True)
class Located:
    """Where a message goes: a stored conversation, or a temporary session's reservation."""

    doc: Conversation | None
    reservation: dict[str, str] | None
    channel: Channel


class Sessions:
    def __init__(
        self,
        cache: redis.Redis,
        store: ConversationStore,
        channels: Channels,
        availability: Availability,
        *,
        key_prefix: str,
        ttl_seconds: int,
    ) -> None:
        self._cache = cache
        self._store = store
        self._channels = channels
        self._availability = availability
        self._prefix = key_prefix
        self._ttl = ttl_seconds
        self._reserve = cache.register_script(_RESERVE)

    def _key(self, conversation_id: str) -> str:
        return f"{self._prefix}chat:temporary:{conversation_id}"

    def _visitor_keys(self, visitor_id: str, channel_id: str) -> list[str]:
        """The visitor's reservation of the channel, and the set of all the visitor's reservations:
        one hash tag (the visitor), so the reservation script's keys share a Redis Cluster slot."""
        visitor = f"{self._prefix}chat:{{temporary:{visitor_id}}}"
        return [f"{visitor}:of:{channel_id}", f"{visitor}:by"]

    async def open(self, command: OpenSession) -> SessionOpened:
        channel = await self._channels.get(command.channel_id)
        require_allowed_origin(channel, command.origin)
        caller = command.caller
        opened: dict[str, Any] = {"channel_id": channel.id, "channel_name": channel.name, "welcome": channel.welcome}
        mode = await self._availability.mode(channel)
        live = await self._store.live_of_visitor(caller.user_id, channel.id)
        if live is not None:
            live_id, last_seq = live.id, live.last_seq
            return SessionOpened(
                conversation_id=live_id, temporary=False, last_seq=last_seq, availability=mode, **opened
            )
        if caller.role != "visitor":
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "only visitors open livechat sessions")
        conversation_id = await self._reservation(caller, channel.id, command.page)
        return SessionOpened(conversation_id=conversation_id, temporary=True, availability=mode, **opened)

    async def _reservation(self, caller: Caller, channel_id: str, page: VisitorPage | None = None) -> str:
        """The visitor's reservation of the channel: the one it holds, or a new one within the cap."""
        fresh = f"c_{new_id()[:24]}"
        # Written before the script decides (a key of another slot than the visitor's), so a
        # reservation the script hands out always has its record; dropped if it is not taken.
        record = {
            "visitor_id": caller.user_id,
            "visitor_name": caller.name,
            "channel_id": channel_id,
            "visitor_verified": "1" if caller.verified_channel == channel_id else "",
            **_page_fields(page),
        }
        await self._write(self._key(fresh), record)
        outcome: str
        conversation_id: str  # the script answers [outcome, conversation id]
        outcome, conversation_id = await self._reserve(
            keys=self._visitor_keys(caller.user_id, channel_id),
            args=[fresh, self._ttl, int(time.time()), MAX_RESERVATIONS_PER_VISITOR, EXPIRY_MARGIN_SECONDS],
        )
        if outcome != "new":
            await self._cache.delete(self._key(fresh))
        if outcome == "reused":
            kept = await self._cache.expire(self._key(conversation_id), self._ttl)
            page_fields = _page_fields(page)  # the page they open it from now
            if kept and page_fields:  # never a record of page fields alone (an expired one stays gone)
                await self._cache.hset(self._key(conversation_id), items=[p for f in page_fields.items() for p in f])
        if outcome == "full":
            raise ParleyError(
                ErrorCode.RATE_LIMITED,
                f"too many unused sessions: a visitor holds at most {MAX_RESERVATIONS_PER_VISITOR} at once (one per "
                "channel); write in one of them, or open again once one has expired "
                f"({self._ttl} s after it was last opened)",
            )
        return conversation_id

    async def locate(self, caller: Caller, conversation_id: str) -> Located:
        """The stored conversation, or the reservation of a temporary session and its channel.

        A temporary session is the visitor's, and the channel's chatbot's: anyone else is refused.
        """
        doc = await self._store.for_message(conversation_id)
        if doc is not None:
            return Located(doc, None, await self._channels.of_message(doc.channel_id))
        reservation = as_text_map(await self._cache.hgetall(self._key(conversation_id)))
        if not reservation:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, f"no conversation {conversation_id!r}")
        channel = await self._channels.get(reservation["channel_id"])
        if caller.user_id != reservation["visitor_id"] and not is_channel_bot(caller, channel):
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you are not a member of this conversation")
        return Located(None, reservation, channel)

    async def persist(self, conversation_id: str, located: Located) -> tuple[Conversation, bool]:
        """The conversation a temporary session becomes at its first message; True when created now."""
        assert located.reservation is not None
        doc = new_conversation(conversation_id, located.channel, located.reservation)
        if not await self._store.insert(doc):  # two first messages raced; the conversation exists now
            return await self._store.get(conversation_id), False
        await self._forget(conversation_id, located.reservation)
        return Conversation.from_document(doc), True

    async def _forget(self, conversation_id: str, reservation: dict[str, str]) -> None:
        """The reservation became a conversation: it no longer counts against the visitor's cap."""
        of_channel, of_visitor = self._visitor_keys(reservation["visitor_id"], reservation["channel_id"])
        # Its entry first (what the cap and reuse go by); the record is on another slot.
        await self._cache.zrem(of_visitor, conversation_id)
        await self._cache.delete(self._key(conversation_id))
        # Only if it still names this one (a later open may have made another after an expiry).
        if await self._cache.get(of_channel) == conversation_id:
            await self._cache.delete(of_channel)

    async def _write(self, key: str, fields: dict[str, str]) -> None:
        """Set fields of a reservation's record and restart its expiry (one key: one slot)."""
        async with self._cache.pipeline(transaction=True) as pipe:
            pipe.hset(key, items=[part for field in fields.items() for part in field])
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def visitor_of(self, conversation_id: str) -> str:
        """The visitor of the conversation, stored or still a temporary session's reservation."""
        doc = await self._store.find(conversation_id)
        if doc is not None:
            return doc.visitor_id
        reservation = as_text_map(await self._cache.hgetall(self._key(conversation_id)))
        if not reservation:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, f"no conversation {conversation_id!r}")
        return reservation["visitor_id"]

    async def set_visitor_email(self, caller: Caller, conversation_id: str, email: str) -> None:
        """The visitor's e-mail (for the transcript), on the conversation or its reservation."""
        doc = await self._store.find(conversation_id)
        if doc is not None:
            require_visitor(doc.visitor_id, caller.user_id)
            await self._store.set_visitor_email(conversation_id, email)
            return
        key = self._key(conversation_id)
        reservation = as_text_map(await self._cache.hgetall(key))
        if not reservation:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, f"no conversation {conversation_id!r}")
        require_visitor(reservation["visitor_id"], caller.user_id)
        await self._write(key, {"email": email})
        # The first message may have turned the reservation into a conversation meanwhile.
        if await self._store.find(conversation_id) is not None:
            await self._store.set_visitor_email(conversation_id, email)
            await self._forget(conversation_id, reservation)


def _page_fields(page: VisitorPage | None) -> dict[str, str]:
    """The reservation's record of where the visitor opened the session (empty values left out)."""
    if page is None:
        return {}
    fields = {"page_url": page.page_url or "", "referrer": page.referrer or "", "device": device_of(page.user_agent)}
    return {name: value for name, value in fields.items() if value}
