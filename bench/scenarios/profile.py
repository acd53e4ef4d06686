"""Scenario 6, profile: py-spy samples the hottest service while chat traffic runs.

py-spy (PyPI) attaches with ptrace (root here), samples 100 times a second the thread that
holds the GIL (``--gil``: Python code on CPU, not threads parked in a wait) and writes
collapsed stacks ("frame;frame;frame count", one line per distinct stack), which speedscope
or flamegraph.pl open as a flame graph. The summary names where the samples land: the
functions that are on CPU themselves (self), those under which the time is spent
(inclusive), and the libraries the self time belongs to.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

PY_SPY = Path(sys.executable).with_name("py-spy")
SAMPLE_RATE = 100
# Frames every sample of a service's main thread passes through: they say nothing about cost.
SCAFFOLD = (
    "_run_module_as_main",
    "_run_code",
    "<module>",
    "main (__main__.py)",
    "Service.run",
    "run (runners.py)",
    "Runner.run",
    "BaseEventLoop.run_until_complete",
    "BaseEventLoop.run_forever",
    "BaseEventLoop._run_once",
    "Handle._run",
    "Thread._bootstrap",
    "Thread.run",
)
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::\d+)?\)$")


async def record(pid: int, seconds: float, output: Path, *, pause: bool = True) -> asyncio.subprocess.Process:
    """Start py-spy on ``pid`` for ``seconds``; await the returned process for the result.
    ``pause=False`` (py-spy --nonblocking) does not stop the process for each sample: less exact
    stacks, but the measurement running beside it is barely disturbed."""
    command = [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(SAMPLE_RATE)]
    command += ["--format", "raw", "--output", str(output), "--gil", *([] if pause else ["--nonblocking"])]
    return await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )


async def finish(spy: asyncio.subprocess.Process, seconds: float) -> tuple[bool, str]:
    """Wait for a recording to end (bounded: py-spy is killed if it outlives its duration by
    a minute); returns whether it ended by itself and its output."""
    try:
        log, _ = await asyncio.wait_for(spy.communicate(), seconds + 60.0)
    except TimeoutError:
        spy.kill()
        log, _ = await spy.communicate()
        return False, "py-spy did not finish and was killed: " + log.decode(errors="replace")[-300:]
    return spy.returncode == 0, log.decode(errors="replace")[-300:]


def summarise(collapsed: Path, top: int = 15) -> dict[str, Any]:
    """Self, inclusive and per-library shares of the samples in a collapsed-stack file."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1][0]] += count
        libraries[frames[-1][1]] += count
        for name in {name for name, _ in frames if not name.startswith(SCAFFOLD)}:
            inclusive[name] += count

    def shares(counter: Counter[str]) -> list[dict[str, Any]]:
        return (
            [{"where": key, "percent": round(100.0 * n / total, 1)} for key, n in counter.most_common(top)]
            if total
            else []
        )

    return {"samples": total, "self": shares(own), "inclusive": shares(inclusive), "self_by_library": shares(libraries)}


def _frame(text: str) -> tuple[str, str]:
    """("function (file)", library) of one py-spy frame "function (path/file.py:line)"."""
    match = FRAME.match(text.strip())
    if match is None:
        return text, "?"
    function, path = match["function"], match["file"]
    return f"{function} ({Path(path).name})", _library(path)


def _library(path: str) -> str:
    """The top-level package a frame's file belongs to (py-spy shortens paths to it)."""
    parts = Path(path).parts
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    top = parts[0] if len(parts) > 1 else Path(path).stem
    return f"stdlib:{top}" if top in sys.stdlib_module_names else top


def text(summary: dict[str, Any], service: str, lines: int = 8) -> str:
    """A few lines for the printed summary."""
    out = [f"profile of {service}: {summary['samples']} samples"]
    for title in ("self_by_library", "self", "inclusive"):
        entries = ", ".join(f"{e['where']} {e['percent']}%" for e in summary[title][:lines])
        out.append(f"  {title}: {entries}")
    return "\n".join(out)
