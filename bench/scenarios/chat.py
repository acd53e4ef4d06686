"""Scenario 2, chat traffic: a step load until p99 breaks, sustained runs, and the profile.

Each worker gets its own channel, operators and visitors (see bench/load/chat.py). A step
offers a total rate split evenly over the workers. A step *meets the target* when its
end-to-end p99 is within the target and nothing was lost or refused; it is *saturated* when a
message was lost or left unanswered, the sender had to hold back, or fewer than 95 % of the
offered messages were delivered within the step. Steps go on past the target (to find the
capacity) until one is saturated or its p99 is far beyond the target. The sustained run is held
at the target rate if a step met the target there, else at the highest rate that met it, else
at the highest unsaturated rate; the profile samples the service that spent the most CPU per
message while the same rate runs again.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from pathlib import Path
from typing import Any

from bench import servicemetrics
from bench.environment import ParleyUnderTest
from bench.procstats import CpuSpan, Watch
from bench.report import progress
from bench.scenarios import profile
from bench.scenarios.targets import shares
from bench.settings import Sizes
from bench.stats import latency_ms
from bench.workers import WorkerPool

# Stragglers of a step may take this long to arrive (and are then counted, with their latency).
DRAIN_SECONDS = 10.0
# A step must deliver at least this share of what it offered, within the step, to keep up.
MIN_DELIVERED_SHARE = 0.95
# Past this multiple of the target p99 the fleet is queueing, and higher steps only add backlog.
GIVE_UP_P99_FACTOR = 4.0
# CPU of the idle fleet (timers, sweeps, heartbeats) is measured this long before the steps: at
# low rates it is a fair part of the CPU per message.
REST_SECONDS = 5.0


async def run_chat(parley: ParleyUnderTest, sizes: Sizes, results_dir: Path, with_profile: bool) -> dict[str, Any]:
    pool = WorkerPool("bench.load.chat:ChatAgent", sizes.workers, url=parley.ws_url, auth_url=parley.auth_url)
    await pool.start()
    try:
        setup = await _setup(parley, pool, sizes)
        watch = Watch.with_infra({**parley.pids(), **parley.own_servers, "load generator": pool.pids})
        rest = CpuSpan(watch).start()
        await asyncio.sleep(REST_SECONDS)
        at_rest = {name: round(percent, 1) for name, percent in rest.stop().percent().items()}
        steps = []
        for rate in sizes.steps():
            step = await _step(parley, pool, watch, sizes, f"step-{rate:g}", rate, sizes.chat_step_seconds)
            steps.append(step)
            progress(f"chat: {rate:g}/s -> p99 {step['latency_ms'].get('p99')} ms, saturated {step['saturated']}")
            if (
                step["saturated"]
                or step["latency_ms"].get("p99", math.inf) > GIVE_UP_P99_FACTOR * sizes.chat_target_p99_ms
            ):
                break
            await parley.wait_drained(30.0)
        meeting = [s["rate"] for s in steps if s["meets_target"]]
        keeping_up = [s["rate"] for s in steps if not s["saturated"]]
        target_met = sizes.chat_target_rate in meeting
        sustain_rate = sizes.chat_target_rate if target_met else max(meeting or keeping_up or [sizes.steps()[0]])
        await parley.wait_drained(60.0)
        sustained = await _step(
            parley, pool, watch, sizes, f"sustain-{sustain_rate:g}", sustain_rate, sizes.chat_sustain_seconds
        )
        result: dict[str, Any] = {
            "setup": setup,
            "cpu_percent_at_rest": at_rest,
            "steps": steps,
            "highest_rate_meeting_target": max(meeting) if meeting else None,
            "highest_rate_keeping_up": max(keeping_up) if keeping_up else None,
            "target": {
                "rate": sizes.chat_target_rate,
                "p99_ms": sizes.chat_target_p99_ms,
                "met": target_met and sustained["meets_target"],
            },
            "sustained": sustained,
        }
        if with_profile:
            await parley.wait_drained(60.0)
            result["profile"] = await _profile(parley, pool, sizes, sustained, results_dir)
        return result
    finally:
        await pool.stop()


async def _setup(parley: ParleyUnderTest, pool: WorkerPool, sizes: Sizes) -> dict[str, Any]:
    counts = shares(sizes.chat_conversations, pool.count)
    per_worker = []
    prefix = f"chat-{uuid.uuid4().hex[:8]}"
    for index, count in enumerate(counts):
        operators = await parley.create_operators(
            max(1, math.ceil(count / sizes.chat_conversations_per_operator)), f"{prefix}-w{index}"
        )
        channel_id = await parley.create_channel(f"chat-{index}", [operator["uid"] for operator in operators])
        per_worker.append(
            {
                "channel_id": channel_id,
                "operators": operators,
                "conversations": count,
                "device_prefix": prefix,
                "login_concurrency": max(1, sizes.login_concurrency // pool.count),
            }
        )
    done = await pool.call_all("setup", per_worker)
    return {
        "conversations": sum(d["conversations"] for d in done),
        "with_operator": sum(d["with_operator"] for d in done),
        "operators": sum(d["operators"] for d in done),
        "failures": [d["failures"] for d in done if d["failures"]],
        "seconds": round(max(d["seconds"] for d in done), 1),
    }


async def _step(
    parley: ParleyUnderTest, pool: WorkerPool, watch: Watch, sizes: Sizes, label: str, rate: float, seconds: float
) -> dict[str, Any]:
    metrics_urls = {name: parley.fleet.url(name) for name in parley.pids()}
    metrics_before = await servicemetrics.scrape(metrics_urls)
    database_before = await parley.database.requests_by_command() if parley.database else {}
    span = CpuSpan(watch).start()
    parts = await pool.call_all(
        "run_step",
        label=label,
        rate=rate / pool.count,
        seconds=seconds,
        drain_seconds=DRAIN_SECONDS,
        body_chars=sizes.body_chars,
    )
    span.stop()
    metrics_after = await servicemetrics.scrape(metrics_urls)
    database_after = await parley.database.requests_by_command() if parley.database else {}
    backlog = await parley.queued_messages()
    total = {
        key: sum(p[key] for p in parts)
        for key in (
            "sent",
            "held_back",
            "accepted",
            "received",
            "received_in_window",
            "lost",
            "unanswered",
            "duplicates",
        )
    }
    errors: dict[str, int] = {}
    for part in parts:
        for code, n in part["errors"].items():
            errors[code] = errors.get(code, 0) + n
    latency = latency_ms([value for p in parts for value in p["latencies"]])
    delivered_per_second = total["received_in_window"] / seconds
    accepted = max(1, total["accepted"])
    saturated = (
        total["lost"] > 0
        or total["unanswered"] > 0
        or total["held_back"] > 0
        or delivered_per_second < MIN_DELIVERED_SHARE * rate
    )
    meets_target = latency.get("p99", math.inf) <= sizes.chat_target_p99_ms and not saturated and not errors
    return {
        "label": label,
        "rate": rate,
        "seconds": seconds,
        **total,
        "errors": errors,
        "delivered_per_second": round(delivered_per_second, 1),
        "latency_ms": latency,
        "accept_latency_ms": latency_ms([value for p in parts for value in p["accept_latencies"]]),
        "cpu_ms_per_message": {name: round(1000 * used / accepted, 3) for name, used in span.used.items()},
        "cpu_percent": {name: round(p, 1) for name, p in span.percent().items()},
        "time_inside": servicemetrics.per_message(metrics_before, metrics_after, total["accepted"]),
        "database_requests_per_message": {
            command: round((n - database_before.get(command, 0)) / accepted, 2)
            for command, n in database_after.items()
            if n > database_before.get(command, 0)
        },
        "queued_after": backlog,
        "meets_target": meets_target,
        "saturated": saturated,
    }


async def _profile(
    parley: ParleyUnderTest, pool: WorkerPool, sizes: Sizes, sustained: dict[str, Any], results_dir: Path
) -> dict[str, Any]:
    services = set(parley.pids())
    costs = {name: ms for name, ms in sustained["cpu_ms_per_message"].items() if name in services}
    hottest = sizes.profile_service or max(costs, key=lambda name: costs[name])
    output = results_dir / f"profile-{hottest}.collapsed.txt"
    spy = await profile.record(parley.pids()[hottest], sizes.profile_seconds, output)
    load = await _step(
        parley, pool, Watch({}), sizes, f"profile-{sustained['rate']:g}", sustained["rate"], sizes.profile_seconds
    )
    ok, log = await profile.finish(spy, sizes.profile_seconds)
    if not ok or not output.exists():
        return {"service": hottest, "error": log}
    return {
        "service": hottest,
        "cpu_ms_per_message": costs,
        "rate": sustained["rate"],
        "file": str(output),
        "latency_ms_while_profiled": load["latency_ms"],
        "summary": profile.summarise(output),
    }
