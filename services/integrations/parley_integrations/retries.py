"""What one attempt's outcome means, as pure decisions (unit-tested): whether to try again,
when, and how an endpoint's circuit and rate limit gate the next request."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

Verdict = Literal["delivered", "retry", "dead"]


def verdict(status: int | None) -> Verdict:
    """2xx delivered; no answer (timeout, network), 429 and 5xx worth another attempt; any other
    status (a 4xx, a redirect, which is not followed) refused for good."""
    if status is None:
        return "retry"
    if 200 <= status < 300:
        return "delivered"
    if status == 429 or status >= 500:
        return "retry"
    return "dead"


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the attempt after ``attempt`` (1-based): ``base * 2^(attempt-1)`` capped,
    with jitter over its upper half, so endpoints that failed together are not retried together."""
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(delay / 2, delay)


def retry_after(header: str | None, now: datetime, cap: float) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), at most ``cap``."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return min(float(header), cap)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), cap)


@dataclass
class Circuit:
    """One endpoint's circuit breaker: ``failures`` consecutive failed attempts open it; after
    ``open_seconds`` one trial request is let through (half-open): its success closes it, its
    failure opens it again."""

    failures_to_open: int
    open_seconds: float
    failures: int = 0
    opened_at: float | None = None
    trial_in_flight: bool = False

    def allows(self, now: float) -> bool:
        if self.opened_at is None:
            return True
        return now - self.opened_at >= self.open_seconds and not self.trial_in_flight

    def started(self) -> None:
        if self.opened_at is not None:
            self.trial_in_flight = True

    def succeeded(self) -> None:
        self.failures, self.opened_at, self.trial_in_flight = 0, None, False

    def failed(self, now: float) -> None:
        self.failures += 1
        self.trial_in_flight = False
        if self.opened_at is not None or self.failures >= self.failures_to_open:
            self.opened_at = now

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


@dataclass
class TokenBucket:
    """Requests per second to one endpoint, bursts of ``rate`` (at least one)."""

    rate: float
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def take(self, now: float) -> bool:
        burst = max(self.rate, 1.0)
        if self.tokens < 0:
            self.tokens, self.updated = burst, now
        self.tokens = min(burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def ready(self, now: float) -> bool:
        burst = max(self.rate, 1.0)
        tokens = burst if self.tokens < 0 else min(burst, self.tokens + (now - self.updated) * self.rate)
        return tokens >= 1.0
