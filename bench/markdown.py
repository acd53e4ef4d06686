"""Render a bench report as the Markdown tables docs/performance.md quotes.

``python -m bench.markdown [bench/results/latest.json]`` prints them, so the document's figures
are copied from a report, never typed by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SERVERS = ("parley", "aiohttp-floor", "centrifugo")


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join("" if cell is None else str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def idle(section: dict[str, Any]) -> str:
    rows = []
    for name in SERVERS:
        r = section.get(name)
        if r:
            process = r.get("process", name)
            rows.append(
                [
                    name,
                    r["connections"],
                    r["rss_per_connection_kib"],
                    r["rss_after_mib"],
                    r["cpu_percent_at_rest"].get(process),
                    r["connect"]["per_second"],
                    r["connect"]["failed"],
                    r.get("logins", {}).get("per_second", "n/a"),
                ]
            )
    header = ["server", "connections", "RSS KiB/conn", "RSS MiB", "CPU % at rest", "connects/s", "refused", "logins/s"]
    return table(header, rows) + f"\n\nratios: {section.get('ratios')}"


def fanout(section: dict[str, Any]) -> str:
    rows = []
    for name in SERVERS:
        r = section.get(name)
        if r:
            last, first, spread = r["last_recipient_ms"], r["first_recipient_ms"], r.get("spread_ms", {})
            rows.append(
                [
                    name,
                    r["watchers"],
                    r["probes"],
                    first.get("p50"),
                    last.get("p50"),
                    last.get("max"),
                    spread.get("p50"),
                    f"{r['deliveries']}/{r['deliveries_expected']}",
                ]
            )
    header = ["server", "watchers", "probes", "first p50 ms", "last p50 ms", "last max ms", "first→last p50 ms", "delivered"]
    return table(header, rows) + f"\n\nratios: {section.get('ratios')}"


def chat(section: dict[str, Any]) -> str:
    rows = []
    for step in [*section["steps"], section["sustained"]]:
        lat = step["latency_ms"]
        rows.append(
            [
                step["label"],
                step["rate"],
                step["delivered_per_second"],
                lat.get("p50"),
                lat.get("p95"),
                lat.get("p99"),
                lat.get("max"),
                step["accept_latency_ms"].get("p99"),
                step["lost"],
                step["unanswered"],
                sum(step["errors"].values()),
                step["queued_after"],
                "yes" if step["meets_target"] else "no",
                "yes" if step["saturated"] else "no",
            ]
        )
    header = [
        "step",
        "offered/s",
        "delivered/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "accept p99 ms",
        "lost",
        "unanswered",
        "errors",
        "queued after",
        "meets target",
        "saturated",
    ]
    cpu_rows = [[s["label"], *s["cpu_ms_per_message"].values()] for s in [*section["steps"], section["sustained"]]]
    names = list(section["sustained"]["cpu_ms_per_message"])
    return table(header, rows) + "\n\nCPU ms per message:\n\n" + table(["step", *names], cpu_rows)


def storm(section: dict[str, Any]) -> str:
    keys = [
        "dropped",
        "recovered",
        "not_recovered",
        "recovery_seconds",
        "handshake_ms_during_storm",
        "attempts",
        "gateway_descriptors",
        "messages_posted",
        "messages_missed",
        "duplicates",
        "replayed_by_resume",
        "resume_outcomes",
        "resume_available",
        "post_errors",
        "cpu_seconds",
    ]
    return table(["figure", "value"], [[key, f"`{section.get(key)}`"] for key in keys])


def render(report: dict[str, Any]) -> str:
    parts = [f"run {report['started_at']}, {report.get('duration_seconds')} s, load {report.get('loadavg')}"]
    for name, render_section in (("idle", idle), ("storm", storm), ("fanout", fanout), ("chat", chat)):
        if name in report:
            parts.append(f"### {name}\n\n" + render_section(report[name]))
    if "chat" in report and "profile" in report["chat"]:
        summary = report["chat"]["profile"].get("summary", {})
        for title in ("self_by_library", "self", "inclusive"):
            rows = [[entry["where"], entry["percent"]] for entry in summary.get(title, [])]
            parts.append(f"profile {title}:\n\n" + table(["where", "% of samples"], rows))
    return "\n\n".join(parts)


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results" / "latest.json")
    sys.stdout.write(render(json.loads(path.read_text())) + "\n")


if __name__ == "__main__":
    main()
