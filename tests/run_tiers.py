"""Run the test tiers as a few pytest processes side by side (``make test``).

The tiers are independent: each pytest process gets its own RabbitMQ vhost, MongoDB database and
Redis key prefix (tests/conftest.py), and the fleets it starts take free ports. Most of a tier's
time is spent waiting on sockets and timers, so two processes on two cores finish in a little
more than the longer one's time instead of the sum. Each process writes its own log under
``.artifacts/tiers/``; the logs are printed whole, one after another, once all are done, and the
last line adds up every process's counts.

Usage: ``python -m tests.run_tiers [pytest arguments...]`` (given to every process).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / ".artifacts" / "tiers"

# Two groups of about equal length on this 2-core machine (`python -m tests.tier_times` after a
# run): measured side by side in CI (472ddc2), chaos 436 s (+~200 s for its two 60 s outage rows
# since), browser 297 s, integration 162 s, unit and deploy 43 s; e2e 524 s, security 381 s.
# The fleet on clustered brokers (tests/chaos/test_fleet_on_clusters.py, ~150 s) runs with the
# shorter services group.
CLUSTERED = "tests/chaos/test_fleet_on_clusters.py"
GROUPS: dict[str, list[str]] = {
    "faults-browser-integration": ["tests/chaos", f"--ignore={CLUSTERED}", "tests/browser", "tests/integration"],
    "services": ["tests/e2e", "tests/security", "tests/deploy", "tests/unit", CLUSTERED],
}
# pytest's exit code when a run selected no test (e.g. a -k that matches nothing in one group).
NO_TESTS_COLLECTED = 5
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
SUMMARY_TIME = re.compile(r" in \d+(\.\d+)?s\b")  # pytest's closing line ends "in 12.34s (0:00:12)"


def main(arguments: list[str]) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    running: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for name, paths in GROUPS.items():
        log = LOGS / f"{name}.log"
        # The JUnit report keeps every test's time, so a slow module can be found after a CI run
        # (python -m tests.tier_times prints the slowest modules of each group).
        report = f"--junitxml={LOGS / name}.xml"
        command = [sys.executable, "-m", "pytest", *paths, "--durations=15", report, *arguments]
        print(f"tiers: {name}: {' '.join(command[1:])} (log: {log.relative_to(ROOT)})", flush=True)
        with log.open("wb") as output:
            running[name] = (subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT), log)
    codes: dict[str, int] = {}
    for name, (process, _) in running.items():
        codes[name] = process.wait()
        print(
            f"tiers: {name} finished with exit code {codes[name]} after {time.monotonic() - started:.0f} s", flush=True
        )
    totals: dict[str, int] = {}
    for name, (_, log) in running.items():
        text = log.read_text(errors="replace")
        print(f"\n===== {name} =====\n{text}", flush=True)
        summary = [line for line in text.splitlines() if COUNT.search(line) and SUMMARY_TIME.search(line)]
        for count, kind in COUNT.findall(summary[-1] if summary else ""):
            kind = "errors" if kind.startswith("error") else kind
            totals[kind] = totals.get(kind, 0) + int(count)
    failed = {name: code for name, code in codes.items() if code not in (0, NO_TESTS_COLLECTED)}
    if all(code == NO_TESTS_COLLECTED for code in codes.values()):
        failed = codes  # nothing ran anywhere: that is not a pass
    print(f"tiers: {time.monotonic() - started:.0f} s in all; failed groups: {sorted(failed) or 'none'}")
    others = ", ".join(f"{totals[kind]} {kind}" for kind in ("errors", "xfailed", "xpassed") if totals.get(kind))
    if others:
        print(f"tiers: of which {others} (errors are counted as failed below)")
    # The plain closing line CI reads: every group's counts added up.
    failures = totals.get("failed", 0) + totals.get("errors", 0)
    print(f"{totals.get('passed', 0)} passed, {failures} failed, {totals.get('skipped', 0)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
