"""Publishing presence.changed once per change, and again only if the first publish was lost.

A script that changes a status also records the change as unannounced; it is confirmed after
the broker confirmed the event. If the replica crashes in between, or the broker refuses, the
sweeper of any replica finds the change still unconfirmed after ``REANNOUNCE_AFTER_SECONDS``
and publishes the user's current state. Consumers therefore see each change once, or (after a
crash) the same state twice, never a lost change.
"""

from __future__ import annotations

import asyncio

from parley.bus import Bus
from parley.contracts.events import PresenceChanged
from parley.logs import get_logger
from parley_presence import metrics
from parley_presence.registry import ConnectionRegistry
from parley_presence.scripts import Change, PresenceScripts

log = get_logger("parley.presence")

# Longer than a publish with confirm can take when the broker is healthy (the bus's own
# request timeout is 5 s), so a change being published right now is never published twice.
REANNOUNCE_AFTER_SECONDS = 10.0
# Re-announcements per sweep: enough to catch up after a broker outage within a minute or so.
REANNOUNCE_LIMIT = 500


class Announcer:
    def __init__(self, bus: Bus, scripts: PresenceScripts) -> None:
        self.bus = bus
        self.scripts = scripts

    async def announce(self, changes: list[Change], *, trace_id: str | None = None) -> None:
        """Publish each change (in order), then confirm them all."""
        if not changes:
            return
        for change in changes:
            event = PresenceChanged(user_id=change.user_id, status=change.status, available=change.available)
            await self.bus.publish_event(event, trace_id=trace_id)
            metrics.CHANGES.labels(change.status).inc()
        stamps = [value for change in changes for value in (change.user_id, change.stamp)]
        await self.scripts.run("announced", *stamps)

    async def reannounce(self) -> int:
        """Publish again the changes nobody confirmed in time; returns how many."""
        changes = await self.scripts.changes("unannounced", int(REANNOUNCE_AFTER_SECONDS * 1000), REANNOUNCE_LIMIT)
        if changes:
            log.warning("presence.reannouncing", users=len(changes))
            await self.announce(changes)
            metrics.REANNOUNCED.inc(len(changes))
        return len(changes)


async def sweep(registry: ConnectionRegistry, announcer: Announcer, interval: float, stopping: asyncio.Event) -> None:
    """Until the service stops: expire dead connections and idle users, announce what changed,
    catch up lost announcements."""
    while not stopping.is_set():
        expired, changes = await registry.sweep()
        if expired:
            metrics.EXPIRED.inc(expired)
            log.info("presence.connections_expired", connections=expired, changes=len(changes))
        await announcer.announce(changes)
        await announcer.reannounce()
        await asyncio.sleep(interval)
