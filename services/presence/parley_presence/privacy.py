"""presence's part of an erase or export request (docs/privacy.md): every Redis key of the fleet
that holds the person's data, found by :class:`parley.redis_traces.RedisTraces` (presence owns
the most of them, and is the one service with Redis and no database of its own). Asked last, once
the other parts named the person's conversations: their recorded frames, unread counts, timers
and seqs are named by those ids. Deleting what is already gone changes nothing: safe to repeat."""

from __future__ import annotations

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.privacy import EraseRedisData, ExportRedisData, PartErased, PartExported, PrivacySubject
from parley.logs import get_logger
from parley.redis_traces import RedisTraces

log = get_logger("parley.presence")


def _tokens(subject: PrivacySubject) -> list[str]:
    return [subject.user_id, *subject.conversation_ids]


def register_privacy(bus: Bus, traces: RedisTraces) -> None:
    """Serve ``presence.privacy_erase`` and ``presence.privacy_export`` on the bus."""

    async def on_erase(command: EraseRedisData, _envelope: Envelope) -> PartErased:
        erased = await traces.erase(_tokens(command.subject))
        log.info(
            "presence.privacy_erased",
            request_id=command.subject.request_id,
            keys=len(erased.keys),
            members=erased.count - len(erased.keys),
        )
        return PartErased(erased={"redis_keys": len(erased.keys), "redis_members": erased.count - len(erased.keys)})

    async def on_export(command: ExportRedisData, _envelope: Envelope) -> PartExported:
        # By the person's id only: a key named by one of their conversations may be another
        # member's (an operator's unread count), whose name is not the person's to read.
        found = await traces.find([command.subject.user_id])
        # Names, not values: the values are counters, seqs and frames the other parts export as data.
        items = [{"key": key} for key in found.keys] + [
            {"key": key, "members": members} for key, members in found.members.items()
        ]
        return PartExported(items={"redis_keys": items})

    bus.on_command(EraseRedisData, on_erase)
    bus.on_command(ExportRedisData, on_export)
