"""Where the time of a chat step went, from the fleet's own /metrics: bus handlers and MongoDB.

Each service exports ``parley_bus_handler_duration_seconds{queue}`` (the time a handler took,
database included) and ``parley_mongodb_command_duration_seconds{command}`` (every MongoDB
command as the driver saw it). Scraped before and after a step, the differences say, per
message, how many database commands each service issued and how long they took, and how long
the handlers ran: the share of the end-to-end latency that is the database's, and the share
that is Parley's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

HISTOGRAMS = {
    "parley_bus_handler_duration_seconds": ("handler", "queue"),
    "parley_mongodb_command_duration_seconds": ("mongodb", "command"),
}
Totals = dict[tuple[str, str], list[float]]  # (kind, label) -> [count, sum seconds]


def parse(text: str) -> Totals:
    totals: Totals = {}
    for family in text_string_to_metric_families(text):
        if family.name not in HISTOGRAMS:
            continue
        kind, label = HISTOGRAMS[family.name]
        for sample in family.samples:
            key = (kind, sample.labels.get(label, ""))
            if sample.name.endswith("_count"):
                totals.setdefault(key, [0.0, 0.0])[0] = sample.value
            elif sample.name.endswith("_sum"):
                totals.setdefault(key, [0.0, 0.0])[1] = sample.value
    return totals


async def scrape(urls: dict[str, str]) -> dict[str, Totals]:
    """service -> its handler and MongoDB totals so far (a service that does not answer: none)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

        async def one(url: str) -> Totals:
            try:
                async with session.get(f"{url}/metrics") as response:
                    return parse(await response.text())
            except (aiohttp.ClientError, TimeoutError):
                return {}

        results = await asyncio.gather(*(one(url) for url in urls.values()))
    return dict(zip(urls, results, strict=True))


def per_message(before: dict[str, Totals], after: dict[str, Totals], messages: int) -> dict[str, dict[str, Any]]:
    """service -> {"<kind> <label>": {"per_message": calls per message, "mean_ms": ms per call}}."""
    result: dict[str, dict[str, Any]] = {}
    for service, totals in after.items():
        rows = {}
        for (kind, label), (count, seconds) in totals.items():
            count0, seconds0 = before.get(service, {}).get((kind, label), [0.0, 0.0])
            calls = count - count0
            if calls > 0:
                rows[f"{kind} {label}"] = {
                    "per_message": round(calls / max(1, messages), 2),
                    "mean_ms": round(1000 * (seconds - seconds0) / calls, 2),
                }
        if rows:
            result[service] = dict(sorted(rows.items()))
    return result
