"""Latency and timing summaries (milliseconds, nearest-rank percentiles)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (p in 0..100)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """count, p50, p95, p99, max and mean in milliseconds."""
    ordered = sorted(seconds)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "p50": round(percentile(ordered, 50) * 1000, 2),
        "p95": round(percentile(ordered, 95) * 1000, 2),
        "p99": round(percentile(ordered, 99) * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(sum(ordered) / len(ordered) * 1000, 2),
    }


def spread_s(moments: Sequence[float], since: float) -> dict[str, float | int]:
    """Seconds from ``since`` until 50/90/99/100 % of the moments had happened."""
    ordered = sorted(moment - since for moment in moments)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "p50": round(percentile(ordered, 50), 3),
        "p90": round(percentile(ordered, 90), 3),
        "p99": round(percentile(ordered, 99), 3),
        "all": round(ordered[-1], 3),
    }


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or baseline is None or baseline == 0 or math.isnan(value) or math.isnan(baseline):
        return None
    return round(value / baseline, 2)
