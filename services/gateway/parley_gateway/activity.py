"""Who sent, read or typed on this node: what presence needs for its away clock.

Presence marks a connected user away after half an hour without activity (Odoo's AWAY_TIMER),
so it needs to hear of a user's activity at once only when the user may have been quiet for a
while: the first activity after a quiet interval is reported straight away (an away user is
online again within milliseconds), and later activity rides on the node's next heartbeat batch.
A chatting user thus costs presence one report per batch interval instead of one per message,
read receipt and keystroke burst.
"""

from __future__ import annotations


class ActivityReports:
    def __init__(self, interval_seconds: float) -> None:
        self._interval = interval_seconds
        self._reported_at: dict[str, float] = {}  # user -> when presence last heard of their activity
        self._pending: set[str] = set()  # active since then, for the next batch

    def note(self, user_id: str, now: float) -> bool:
        """The user did something at ``now`` (monotonic); True when it is to be reported at once."""
        last = self._reported_at.get(user_id)
        if last is None or now - last >= self._interval:
            self._reported_at[user_id] = now
            self._pending.discard(user_id)
            return True
        self._pending.add(user_id)
        return False

    def note_unreported(self, user_id: str) -> None:
        """An immediate report could not go out: the next batch carries it."""
        self._pending.add(user_id)

    def take(self, now: float) -> list[str]:
        """The users to report with the batch sent at ``now``; users quiet for a whole interval
        are forgotten (their next activity is reported at once anyway)."""
        batch = sorted(self._pending)
        self._pending.clear()
        for user_id in batch:
            self._reported_at[user_id] = now
        quiet = [user_id for user_id, at in self._reported_at.items() if now - at >= self._interval]
        for user_id in quiet:
            del self._reported_at[user_id]
        return batch
