"""Scenario 1, idle connections: N authenticated links with heartbeats on one server process.

Measured: the server process's RSS growth per connection (RSS after N connections, held
through a full heartbeat round, minus RSS after a small warm-up batch, divided by N) and its
CPU while the connections only ping. The crowd's worker pool is handed back open, so the
reconnect storm can run on the very same connections.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bench.procstats import CpuSpan, DescriptorSampler, Watch, sample_descriptors
from bench.report import progress
from bench.scenarios.targets import Target, shares
from bench.settings import Sizes
from bench.workers import WorkerPool

# Connections opened (and kept) before the RSS baseline is read: the first sockets pay for
# lazily imported code and first-use allocations that are not per-connection costs.
WARM_LINKS = 16
# After the last connect: lets the server finish the work each new connection triggers
# (presence events, first buffers) before the measurement starts.
SETTLE_SECONDS = 5.0
# A visitor's token serves at most this many links: the gateway's default per-user cap.
MAX_LINKS_PER_VISITOR = 10


async def run_idle(target: Target, sizes: Sizes, auth_url: str = "") -> tuple[dict[str, Any], WorkerPool]:
    total = sizes.idle_connections + WARM_LINKS
    pool = WorkerPool("bench.load.crowd:CrowdAgent", sizes.workers, url=target.ws_url, dialect=target.dialect)
    await pool.start()
    result: dict[str, Any] = {"target": target.name, "process": target.process, "requested": sizes.idle_connections}
    counts = shares(total, sizes.workers)
    progress(f"idle/{target.name}: {total} links on {sizes.workers} workers")
    if target.credentials is None:
        prefix = f"idle-{uuid.uuid4().hex[:8]}"
        per_worker = max(1, sizes.login_concurrency // sizes.workers)
        links_per_visitor = -(-total // max(1, min(total, sizes.idle_visitors)))
        if links_per_visitor > MAX_LINKS_PER_VISITOR:
            raise ValueError(
                f"{total} connections need more than {sizes.idle_visitors} visitors (10 links each at most)"
            )
        calls = [
            {
                "auth_url": auth_url,
                "device_prefix": prefix,
                "count": n,
                "concurrency": per_worker,
                "links_per_visitor": links_per_visitor,
            }
            for n in counts
        ]
        logins = await pool.call_all("login", calls)
        result["links_per_visitor"] = links_per_visitor
        result["logins"] = _merge_logins(logins)
    else:
        await pool.call_all(
            "add_links", [{"credentials": target.credentials(n, f"w{i}")} for i, n in enumerate(counts)]
        )

    progress(f"idle/{target.name}: connecting")
    # Each link pings from the moment it is up, as a client does: a ramp longer than the
    # gateway's 60 s heartbeat timeout would otherwise lose its first links to 4008.
    await pool.call_all("start_heartbeats", interval=sizes.ping_interval_seconds)
    watch = Watch({target.process: target.pid, **target.companions, "load generator": pool.pids})
    await pool.call(0, "connect", limit=WARM_LINKS)
    await asyncio.sleep(2.0)
    rss_before = watch.rss(target.process)
    ramp = CpuSpan(watch).start()
    sampler = DescriptorSampler(target.pid)
    sampling = asyncio.create_task(sample_descriptors(sampler))
    connects = await pool.call_all("connect")
    ramp.stop()
    sampling.cancel()
    connected = sum(c["connected"] for c in connects)
    result["connect"] = {
        "connected": connected,
        "failed": sum(c["failed"] for c in connects),
        "seconds": round(ramp.seconds, 2),
        "per_second": round(connected / ramp.seconds, 1) if ramp.seconds else None,
        "cpu_seconds": {name: round(used, 2) for name, used in ramp.used.items()},
        "errors": _merge_counts(c["errors"] for c in connects),
        "server_descriptors": sampler.report(),
    }
    await asyncio.sleep(SETTLE_SECONDS)
    rss_settled = watch.rss(target.process)
    progress(
        f"idle/{target.name}: {connected} connected in {ramp.seconds:.0f} s; holding {sizes.idle_hold_seconds:g} s"
    )
    hold = CpuSpan(watch).start()
    await asyncio.sleep(sizes.idle_hold_seconds)
    hold.stop()
    rss_after = watch.rss(target.process)
    stats = await pool.call_all("stats")
    still_open = sum(s["open"] for s in stats) - WARM_LINKS
    result.update(
        connections=still_open,
        rss_before_mib=round(rss_before / 2**20, 1),
        rss_after_mib=round(rss_after / 2**20, 1),
        rss_per_connection_kib=round((rss_after - rss_before) / max(1, connected) / 1024, 2),
        rss_per_connection_kib_after_connect=round((rss_settled - rss_before) / max(1, connected) / 1024, 2),
        hold_seconds=round(hold.seconds, 1),
        cpu_percent_at_rest={name: round(p, 2) for name, p in hold.percent().items()},
        heartbeats_answered=sum(s["pongs"] for s in stats),
        closed_during_hold=_merge_counts(s["close_codes"] for s in stats),
        measured_at=time.time(),
    )
    return result, pool


def _merge_logins(logins: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = max(login["seconds"] for login in logins)
    done = sum(login["logged_in"] for login in logins)
    return {
        "logged_in": done,
        "failed": sum(login["failed"] for login in logins),
        "seconds": round(seconds, 2),
        "per_second": round(done / seconds, 1) if seconds else None,
        "errors": _merge_counts(login["errors"] for login in logins),
    }


def _merge_counts(counts: Any) -> dict[str, int]:
    merged: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            merged[key] = merged.get(key, 0) + value
    return merged
