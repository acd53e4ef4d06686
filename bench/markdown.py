"""Render a bench report as the Markdown tables docs/performance.md quotes.

``python -m bench.markdown [bench/results/latest.json]`` prints them; ``python -m bench.markdown
REPORT --into docs/performance.md --section NAME`` replaces the text between the document's
``<!-- bench:NAME:start -->`` and ``<!-- bench:NAME:end -->`` markers with them, so the
document's figures are copied from a report, never typed by hand.
"""

from __future__ import annotations

import argparse
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
    header = [
        "server",
        "watchers",
        "probes",
        "first p50 ms",
        "last p50 ms",
        "last max ms",
        "first→last p50 ms",
        "delivered",
    ]
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
    text = table(header, rows) + "\n\nCPU ms per message:\n\n" + table(["step", *names], cpu_rows)
    if "cpu_percent_at_rest" in section:
        text += f"\n\nCPU % of each process with no traffic, before the steps: {section['cpu_percent_at_rest']}"
    requests = section["sustained"].get("database_requests_per_message")
    if requests:
        text += f"\n\nDatabase requests per message at {section['sustained']['label']}: {requests}"
    inside = time_inside(section["sustained"])
    return text + (f"\n\nTime inside the services at {section['sustained']['label']}:\n\n{inside}" if inside else "")


def time_inside(step: dict[str, Any]) -> str:
    """Per service: bus handlers and MongoDB commands, calls per message and mean ms per call."""
    rows = [
        [service, what, figures["per_message"], figures["mean_ms"]]
        for service, timings in step.get("time_inside", {}).items()
        for what, figures in timings.items()
    ]
    return (
        table(["service", "handler queue / MongoDB command", "calls per message", "mean ms per call"], rows)
        if rows
        else ""
    )


def database(report: dict[str, Any]) -> str:
    """Which MongoDB-wire server the fleet used, what the fleet asked of it, and it alone."""
    db = report.get("database", {})
    parts = [f"server: {db.get('mongo')}"]
    if db.get("requests_by_command"):
        parts.append(
            "requests over the whole run: " + ", ".join(f"{k} {v}" for k, v in db["requests_by_command"].items())
        )
    floor = report.get("database_floor")
    if floor:
        rows = []
        for entry in floor:
            message, operations = entry["message_ms"], entry["operation_ms"]
            ops = ", ".join(f"{name} {figures.get('p50')}" for name, figures in operations.items())
            rows.append(
                [
                    entry.get("writers", entry.get("concurrency")),
                    entry["messages_per_second"],
                    message.get("p50"),
                    message.get("p99"),
                    ops,
                ]
            )
        header = ["writers", "messages/s", "p50 ms", "p99 ms", "p50 ms per operation"]
        parts.append(
            "chat_session's per-message operations, the database alone (bench/dbfloor.py):\n\n" + table(header, rows)
        )
    return "\n\n".join(parts)


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
    if "database" in report:
        parts.append("### database\n\n" + database(report))
    if "chat" in report and "profile" in report["chat"]:
        summary = report["chat"]["profile"].get("summary", {})
        for title in ("self_by_library", "self", "inclusive"):
            rows = [[entry["where"], entry["percent"]] for entry in summary.get(title, [])]
            parts.append(f"profile {title}:\n\n" + table(["where", "% of samples"], rows))
    return "\n\n".join(parts)


def into(document: Path, section: str, text: str) -> None:
    """Replace what lies between the section's markers in ``document`` with ``text``."""
    start, end = f"<!-- bench:{section}:start -->", f"<!-- bench:{section}:end -->"
    content = document.read_text()
    if start not in content or end not in content:
        raise SystemExit(f"{document} has no {start} ... {end} markers")
    before, rest = content.split(start, 1)
    _, after = rest.split(end, 1)
    document.write_text(f"{before}{start}\n\n{text}\n\n{end}{after}")


def source(report: dict[str, Any]) -> str:
    """Where a report's figures come from: the results are git-ignored, the commit is not."""
    code = report.get("code") or {}
    commit = code.get("snapshot_commit") or code.get("commit")
    where = "git-ignored: kept on the machine that ran it"
    if not commit:
        return where
    dirty = code.get("uncommitted_changes_in_libs_and_services") or 0
    return f"{where}; the fleet ran commit {commit[:7]}" + (f" with {dirty} uncommitted changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.markdown", description="A bench report as Markdown tables.")
    parser.add_argument("report", nargs="?", type=Path, default=Path(__file__).parent / "results" / "latest.json")
    parser.add_argument("--into", type=Path, help="a document to write the tables into (between its markers)")
    parser.add_argument("--section", default="figures", help="the marker name in that document")
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    text = f"From `{args.report}` ({source(report)}).\n\n" + render(report)
    if args.into:
        into(args.into, args.section, text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
