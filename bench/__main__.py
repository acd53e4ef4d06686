"""``python -m bench`` (``make bench``): run the scenarios, write the report, print the summary.

Order: Parley's fleet starts on its own slice; idle connections, then the reconnect storm on
the same connections; the idle scenario against the aiohttp floor and Centrifugo; fan-out
against the three; chat traffic (step load, sustained, profile) last, as it leaves the most
behind. Each baseline runs right after Parley's own measurement so ratios hold on a busy box.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import traceback
from collections.abc import Awaitable
from pathlib import Path

from bench import procstats
from bench.baselines.servers import Centrifugo, ServerProcess, ensure_centrifugo, floor_server
from bench.dbfloor import run_dbfloor
from bench.environment import MONGO_URL, ParleyUnderTest, snapshot_head, working_tree_state
from bench.privatedb import PrivateFerretDB, ferretdb_binary, requests_by_command
from bench.report import Report, progress, summary
from bench.scenarios.chat import run_chat
from bench.scenarios.fanout import CentrifugoDriver, FloorDriver, ParleyDriver, run_fanout
from bench.scenarios.idle import run_idle
from bench.scenarios.storm import run_storm
from bench.scenarios.targets import Target
from bench.settings import Sizes, parse
from bench.workers import raise_open_files_limit

RESULTS = Path(__file__).resolve().parent / "results"
QUIET_LOAD = 1.5


async def run(argv: list[str] | None = None) -> int:
    sizes, args = parse(argv)
    selected = set(args.scenarios.split(","))
    limit = raise_open_files_limit()
    run_dir = RESULTS / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.wait_for_quiet:
        await _wait_for_quiet(args.wait_for_quiet)
    report = Report(run_dir, sizes, {"scenarios": sorted(selected), "code": args.code, "open_files_limit": limit})
    report["machine"] = procstats.machine()
    report["neighbours_at_start"] = await asyncio.to_thread(procstats.busy_neighbours, {os.getpid()})
    report["code"] = await _code(args.code, run_dir)
    monitor = procstats.InfraMonitor()
    watching = asyncio.create_task(monitor.run())
    baselines: list[ServerProcess] = []
    database = await _database(args.mongo, run_dir, report)
    parley = ParleyUnderTest(
        run_dir,
        log_level=args.log_level,
        code=report.data["code"].get("snapshot"),
        max_user_connections=sizes.fanout_watchers + 10,
        mongo_url=database.url if database else MONGO_URL,
    )
    if database is not None:
        parley.own_servers["ferretdb (bench's own)"] = database.pid
        parley.database = database
    try:
        if not args.no_baselines:
            baselines = await _baselines(run_dir, report)
        await parley.start()
        pids = parley.pids()
        companions = {name: pid for name, pid in pids.items() if name != "gateway"}
        target = Target("parley", parley.ws_url, pids["gateway"], "parley", process="gateway", companions=companions)
        if selected & {"idle", "storm"}:
            monitor.phase = "idle/storm"
            await _guarded(
                report, monitor.phase, _connections(parley, target, baselines, sizes, selected, report, args.no_profile)
            )
        if "fanout" in selected:
            monitor.phase = "fanout"
            await _guarded(report, monitor.phase, _fanout(parley, target, baselines, sizes, report))
        if "chat" in selected:
            monitor.phase = "chat"
            report.load_sample("before_chat")
            await _guarded(report, monitor.phase, _chat(parley, sizes, run_dir, not args.no_profile, report))
            if database is not None:
                await _guarded(report, "database requests", _database_requests(database, run_dir, report))
            # After the chat (and its request counts), on the same server and machine state.
            await _guarded(report, "database floor", _database_floor(parley.mongo_url, sizes, report))
    finally:
        report["fleet_exit_codes"] = await parley.stop()
        report["fleet_log_problems"] = parley.log_problems()
        for server in baselines:
            await server.stop()
        report["neighbours_at_end"] = await asyncio.to_thread(procstats.busy_neighbours, {os.getpid()})
        watching.cancel()
        if database is not None:
            await database.stop()
        report["shared_server_events"] = monitor.events
        for event in monitor.events:
            when = f"at {event['at']} during {event['phase']}"
            report.note(f"{event['server']} {event['what']} {when}: figures of that phase are suspect")
        path = report.write()
    sys.stdout.write(summary(report.data) + f"\n\nreport: {path}\n")
    return 0


async def _guarded(report: Report, phase: str, work: Awaitable[None]) -> None:
    """Run one phase; a failure is recorded and the next phase still runs (its figures survive)."""
    started = time.monotonic()
    progress(f"{phase}: start (load {os.getloadavg()[0]:.2f})")
    try:
        await work
    except Exception as error:  # noqa: BLE001 - reported in the JSON and the summary
        report.note(f"{phase} failed: {type(error).__name__}: {str(error)[-300:]}")
        report.section("errors")[phase] = traceback.format_exc()
    finally:
        report.section("phase_seconds")[phase] = round(time.monotonic() - started, 1)
        progress(f"{phase}: done in {time.monotonic() - started:.0f} s")
        report.load_sample(f"after {phase}")


async def _database(mode: str, run_dir: Path, report: Report) -> PrivateFerretDB | None:
    """The run's own FerretDB (``--mongo private``), or None to use the shared one."""
    binary = ferretdb_binary() if mode == "private" else None
    if mode == "private" and binary is None:
        report.note("no ferretdb binary found: the shared MongoDB-wire server was used")
    if binary is None:
        report["database"] = {"mongo": "shared", "url": MONGO_URL}
        return None
    database = PrivateFerretDB(binary, run_dir / "ferretdb.log")
    await database.start()
    report["database"] = {"mongo": "private FerretDB, SQLite on tmpfs", "binary": binary, "url": database.url}
    return database


async def _database_floor(mongo_url: str, sizes: Sizes, report: Report) -> None:
    """The database alone, doing chat_session's per-message operations: the floor under the chat figures."""
    report["database_floor"] = await run_dbfloor(mongo_url, [1, 8, 32], sizes.database_floor_seconds)


async def _database_requests(database: PrivateFerretDB, run_dir: Path, report: Report) -> None:
    """What the fleet asked of its private FerretDB over the whole run, by command."""
    text = await database.command_metrics()
    (run_dir / "ferretdb-metrics.txt").write_text(text + "\n")
    report.data["database"]["requests_by_command"] = requests_by_command(text)


async def _chat(parley: ParleyUnderTest, sizes: Sizes, run_dir: Path, with_profile: bool, report: Report) -> None:
    report["chat"] = await run_chat(parley, sizes, run_dir, with_profile=with_profile)


async def _connections(
    parley: ParleyUnderTest,
    target: Target,
    baselines: list[ServerProcess],
    sizes: Sizes,
    selected: set[str],
    report: Report,
    no_profile: bool,
) -> None:
    idle, pool = await run_idle(target, sizes, parley.auth_url)
    try:
        if "idle" in selected:
            report.section("idle")["parley"] = idle
        if "storm" in selected:
            watch = procstats.Watch({"gateway": target.pid, **target.companions, "load generator": pool.pids})
            profile_to = None if no_profile else parley.run_dir / "profile-gateway-storm.collapsed.txt"
            report["storm"] = await run_storm(parley, pool, sizes, watch, profile_to)
    finally:
        await pool.stop()
    if "idle" in selected:
        for server in baselines:
            result, pool = await run_idle(_baseline_target(server), sizes)
            await pool.stop()
            report.section("idle")[server.name] = result


async def _fanout(
    parley: ParleyUnderTest, target: Target, baselines: list[ServerProcess], sizes: Sizes, report: Report
) -> None:
    report.section("fanout")["parley"] = await run_fanout(target, ParleyDriver(parley), sizes)
    for server in baselines:
        driver = CentrifugoDriver(server) if isinstance(server, Centrifugo) else FloorDriver(server.ws_url)
        report.section("fanout")[server.name] = await run_fanout(_baseline_target(server), driver, sizes)


def _baseline_target(server: ServerProcess) -> Target:
    if isinstance(server, Centrifugo):
        return Target(
            server.name,
            server.ws_url,
            server.pid,
            "centrifugo",
            lambda n, tag: [server.token(f"{tag}-{i}") for i in range(n)],
        )
    return Target(server.name, server.ws_url, server.pid, "aiohttp-floor", lambda n, tag: ["floor"] * n)


async def _baselines(run_dir: Path, report: Report) -> list[ServerProcess]:
    servers: list[ServerProcess] = [floor_server(run_dir)]
    problem = await asyncio.to_thread(ensure_centrifugo)
    if problem:
        report.note(f"Centrifugo baseline skipped: {problem}")
    else:
        servers.append(Centrifugo(run_dir))
    for server in servers:
        await server.start()
    return servers


async def _code(mode: str, run_dir: Path) -> dict[str, object]:
    """Which code the fleet runs: the working tree as it is now, or a snapshot of a commit."""
    state: dict[str, object] = {"mode": mode, **working_tree_state()}
    if mode != "worktree":
        state["snapshot"], state["snapshot_commit"] = await asyncio.to_thread(
            snapshot_head, run_dir / "code", "HEAD" if mode == "head" else mode
        )
    return state


async def _wait_for_quiet(budget: float) -> None:
    deadline = time.monotonic() + budget
    while os.getloadavg()[0] >= QUIET_LOAD and time.monotonic() < deadline:
        progress(f"waiting for a quieter machine: load {os.getloadavg()[0]:.2f}")
        await asyncio.sleep(15.0)


def main() -> None:
    raise SystemExit(asyncio.run(run()))


if __name__ == "__main__":
    main()
