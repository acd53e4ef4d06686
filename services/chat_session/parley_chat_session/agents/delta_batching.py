"""Batching a streamed reply's deltas into ``message.delta`` frames (pure: the clock is given).

A fast model appends a delta every few milliseconds; a frame per delta would flood every
member's socket and the delivery channels with tiny frames. Deltas of a draft are joined and
sent at most once per ``interval`` seconds: the first delta after a quiet spell goes at once (a
slow bot's words show without delay), the ones that follow within the interval wait for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# One frame per draft per 100 ms: ten updates a second read as smooth typing, and a model
# producing 100 tokens a second costs a tenth of the frames.
DELTA_INTERVAL_SECONDS = 0.1


@dataclass(frozen=True)
class Piece:
    """Text of a draft starting at ``offset`` characters."""

    offset: int
    text: str

    @property
    def end(self) -> int:
        return self.offset + len(self.text)


@dataclass
class DraftBuffer:
    """What one draft has waiting, and when its last frame left."""

    interval: float = DELTA_INTERVAL_SECONDS
    last_sent_at: float | None = None
    pending: list[Piece] = field(default_factory=list)

    def add(self, piece: Piece, now: float) -> float:
        """Hold ``piece``; returns how long to wait before :meth:`take` (0: send now).

        A piece that continues the last one is joined to it; one that does not (another replica
        appended the piece between) stays apart, so every frame's offset is right."""
        if self.pending and self.pending[-1].end == piece.offset:
            last = self.pending.pop()
            self.pending.append(Piece(last.offset, last.text + piece.text))
        else:
            self.pending.append(piece)
        return self.delay(now)

    def delay(self, now: float) -> float:
        if self.last_sent_at is None:
            return 0.0
        return max(0.0, self.last_sent_at + self.interval - now)

    def take(self, now: float) -> list[Piece]:
        """The pieces to send now, in order (empty when nothing waits)."""
        pieces, self.pending = self.pending, []
        if pieces:
            self.last_sent_at = now
        return pieces
