"""Sizes of every scenario: small by default (``make bench`` finishes in about ten minutes on a
2-core machine), full with ``--full``; any single size can be set with an environment variable
``BENCH_<NAME>`` (e.g. ``BENCH_IDLE_CONNECTIONS=5000``) or a CLI option ``--<name>``."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, fields, replace

SCENARIOS = ("idle", "storm", "fanout", "chat")


@dataclass(frozen=True)
class Sizes:
    workers: int = field(
        default=4, metadata={"help": "load-generator processes (each its own 127.0.0.x source address)"}
    )
    login_concurrency: int = field(
        default=4,
        metadata={
            "help": "visitor logins in flight over all workers: auth on FerretDB/SQLite logs in fewer visitors per "
            "second the more run at once (56/s with 2, 31/s with 32 here)"
        },
    )
    idle_connections: int = field(
        default=2000, metadata={"help": "authenticated connections held on one gateway process"}
    )
    idle_visitors: int = field(
        default=2000,
        metadata={
            "help": "distinct visitors logged in for the idle crowd; each holds connections / visitors of them "
            "(at most 10, the gateway's per-user cap): auth on the shared FerretDB logs in a few to 50 visitors/s"
        },
    )
    idle_hold_seconds: float = field(
        default=30.0, metadata={"help": "how long they are held while CPU and RSS are measured"}
    )
    ping_interval_seconds: float = field(
        default=25.0, metadata={"help": "client heartbeat (bm-aichat: 25 s under the 60 s timeout)"}
    )
    storm_conversations: int = field(
        default=20, metadata={"help": "dropped visitors with a live conversation (resume checked)"}
    )
    storm_publish_rate: float = field(
        default=20.0, metadata={"help": "operator messages/s into those conversations during the storm"}
    )
    reconnect_delay_seconds: float = field(
        default=2.0, metadata={"help": "client reconnect delay after an abnormal close"}
    )
    reconnect_jitter_seconds: float = field(default=2.0, metadata={"help": "uniform random jitter added to the delay"})
    storm_deadline_seconds: float = field(default=120.0, metadata={"help": "give up on links not back by then"})
    fanout_watchers: int = field(default=1000, metadata={"help": "connections watching the one conversation/channel"})
    fanout_probes: int = field(default=5, metadata={"help": "messages sent to them, one per second"})
    chat_conversations: int = field(default=100, metadata={"help": "concurrent visitor+operator conversations"})
    chat_conversations_per_operator: int = field(
        default=4,
        metadata={
            "help": "operators are created as conversations / this: at most a channel's default operator capacity (4); "
            "each operator costs two argon2 hashes and sends rate / 2 / operators frames/s (the gateway allows 10/s)"
        },
    )
    chat_steps: str = field(
        default="25,50,100,150,200,300,400,600,800,1000",
        metadata={"help": "step-load rates (messages/s), comma-separated"},
    )
    chat_step_seconds: float = field(default=10.0, metadata={"help": "duration of each step"})
    chat_sustain_seconds: float = field(default=20.0, metadata={"help": "duration of the sustained run(s)"})
    chat_target_rate: float = field(default=1000.0, metadata={"help": "the target rate (messages/s)"})
    chat_target_p99_ms: float = field(default=50.0, metadata={"help": "the target p99 end-to-end latency"})
    profile_seconds: float = field(
        default=20.0, metadata={"help": "py-spy recording of the hottest service under chat load"}
    )
    profile_service: str = field(
        default="",
        metadata={
            "help": "the service to record under chat load (default: the one that spent the most CPU per message)"
        },
    )
    body_chars: int = field(default=80, metadata={"help": "length of each chat message body"})
    database_floor_seconds: float = field(
        default=5.0, metadata={"help": "per concurrency (1, 8, 32): the database alone doing chat_session's writes"}
    )

    def steps(self) -> list[float]:
        return [float(rate) for rate in self.chat_steps.split(",") if rate.strip()]


# The hard RLIMIT_NOFILE of this sandbox is 20000 and cannot be raised (no CAP_SYS_RESOURCE),
# so one gateway process can hold 20000 sockets minus its own others: up to 100 to Redis (the
# pool's maximum), ~40 more (bus, MongoDB, listeners, logs) and the 16 warm-up connections.
FULL = Sizes(
    workers=5,
    idle_connections=19_800,
    idle_hold_seconds=120.0,
    storm_conversations=100,
    storm_deadline_seconds=300.0,
    fanout_watchers=5000,
    fanout_probes=10,
    chat_conversations=400,
    chat_conversations_per_operator=4,
    chat_steps="25,50,100,150,200,300,400,500,600,800,1000,1200",
    chat_step_seconds=20.0,
    chat_sustain_seconds=60.0,
    profile_seconds=30.0,
)


def parse(argv: list[str] | None = None) -> tuple[Sizes, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Parley benchmarks (bench/README.md).")
    parser.add_argument("--full", action="store_true", help="full sizes (20k connections, 60 s sustained, ...)")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated subset of {','.join(SCENARIOS)}"
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the aiohttp floor and Centrifugo")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    parser.add_argument(
        "--mongo",
        choices=("private", "shared"),
        default=os.environ.get("BENCH_MONGO", "private"),
        help="the fleet's MongoDB-wire server: a FerretDB of the run's own on tmpfs (default; the shared one "
        "is slowed by every other session's writes and the disk), or the shared one of `make infra`",
    )
    parser.add_argument(
        "--wait-for-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for the 1-minute load average to drop below 1.5 first",
    )
    parser.add_argument(
        "--code",
        default=os.environ.get("BENCH_CODE", "worktree"),
        metavar="worktree|head|REV",
        help="run the fleet from the working tree (default), or from a snapshot of git HEAD or of any commit "
        "(an A/B of two commits on the same machine state)",
    )
    parser.add_argument("--log-level", default="info", help="PARLEY_LOG_LEVEL of the fleet under test")
    for spec in fields(Sizes):
        parser.add_argument(
            f"--{spec.name.replace('_', '-')}", type=type(spec.default), default=None, help=spec.metadata["help"]
        )
    args = parser.parse_args(argv)
    sizes = FULL if args.full else Sizes()
    overrides = {}
    for spec in fields(Sizes):
        value = getattr(args, spec.name)
        env = os.environ.get(f"BENCH_{spec.name.upper()}")
        if value is None and env is not None:
            value = type(spec.default)(env)
        if value is not None:
            overrides[spec.name] = value
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return replace(sizes, **overrides), args
