"""The run's JSON report (bench/results/<run>/report.json, also copied to latest.json) and the
short human-readable summary printed at the end, Parley's figures beside the baselines."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.scenarios.profile import text
from bench.settings import Sizes
from bench.stats import ratio

BASELINES = ("aiohttp-floor", "centrifugo")


def progress(text: str) -> None:
    """One line on stderr as the run goes (the summary goes to stdout at the end)."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {text}\n")
    sys.stderr.flush()


class Report:
    def __init__(self, run_dir: Path, sizes: Sizes, options: dict[str, Any]) -> None:
        self.run_dir = run_dir
        self.data: dict[str, Any] = {
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "sizes": asdict(sizes),
            "options": options,
            "loadavg": {"start": os.getloadavg()},
            "notes": [],
        }
        self._started = time.monotonic()

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value

    def section(self, name: str) -> dict[str, Any]:
        return self.data.setdefault(name, {})

    def note(self, text: str) -> None:
        self.data["notes"].append(text)

    def load_sample(self, label: str) -> None:
        self.data["loadavg"][label] = os.getloadavg()

    def write(self) -> Path:
        self.data["loadavg"]["end"] = os.getloadavg()
        self.data["duration_seconds"] = round(time.monotonic() - self._started, 1)
        for name in ("idle", "fanout"):
            if name in self.data:
                self.data[name]["ratios"] = _ratios(name, self.data[name])
        path = self.run_dir / "report.json"
        text = json.dumps(self.data, indent=2, default=str)
        path.write_text(text)
        (self.run_dir.parent / "latest.json").write_text(text)
        return path


def _ratios(name: str, section: dict[str, Any]) -> dict[str, Any]:
    """Parley's figure divided by each baseline's (2.0: Parley needs twice as much)."""
    parley = section.get("parley")
    if not parley:
        return {}
    out = {}
    for baseline in BASELINES:
        other = section.get(baseline)
        if not other:
            continue
        if name == "idle":
            out[f"rss_per_connection_vs_{baseline}"] = ratio(
                parley["rss_per_connection_kib"], other["rss_per_connection_kib"]
            )
        else:
            out[f"last_recipient_p50_vs_{baseline}"] = ratio(
                parley["last_recipient_ms"].get("p50"), other["last_recipient_ms"].get("p50")
            )
            out[f"first_to_last_p50_vs_{baseline}"] = ratio(
                parley["spread_ms"].get("p50"), other["spread_ms"].get("p50")
            )
    return out


def summary(data: dict[str, Any]) -> str:
    lines = [f"Parley bench — {data['started_at']}, {data.get('duration_seconds', '?')} s, load {_load(data)}"]
    machine = data.get("machine", {})
    lines.append(f"machine: {machine.get('nproc')} cores {machine.get('cpu_model')}, {machine.get('memory_gib')} GiB")
    if "idle" in data:
        lines.append("\n1. idle connections (one server process, ping every 25 s)")
        for name, r in data["idle"].items():
            if name == "ratios":
                continue
            cpu = r["cpu_percent_at_rest"].get(r.get("process", name), next(iter(r["cpu_percent_at_rest"].values()), 0))
            lines.append(
                f"   {name:14s} {r['connections']:>6} conns  {r['rss_per_connection_kib']:6.1f} KiB/conn  "
                f"CPU at rest {cpu:5.2f} %  connect {r['connect']['per_second']}/s"
            )
            if r["connect"]["failed"] or r["closed_during_hold"]:
                lines.append(
                    f"   {'':14s} failed to connect: {r['connect']['errors']}; "
                    f"closed while held: {r['closed_during_hold']}"
                )
        lines.append(f"   ratios: {data['idle'].get('ratios')}")
    if "storm" in data:
        s = data["storm"]
        resume = "resume available" if s["resume_available"] else f"resume NOT available ({s['resume_outcomes']})"
        lines.append("\n4. reconnect storm")
        lines.append(
            f"   {s['dropped']} dropped, {s['recovered']} back; all back after {s['recovery_seconds'].get('all')} s "
            f"(p50 {s['recovery_seconds'].get('p50')} s); handshake p99 {s['handshake_ms_during_storm'].get('p99')} ms"
        )
        lines.append(f"   messages posted {s['messages_posted']}, missed {s['messages_missed']}, {resume}")
        if (s.get("gateway_profile") or {}).get("summary"):
            storm_profile = text(s["gateway_profile"]["summary"], "the gateway during the storm", lines=5)
            lines.append("   " + storm_profile.replace("\n", "\n   "))
    if "fanout" in data:
        lines.append("\n3. fan-out (one message, time until the last recipient has it)")
        for name, r in data["fanout"].items():
            if name == "ratios":
                continue
            last = r["last_recipient_ms"]
            lines.append(
                f"   {name:14s} {r['watchers']:>6} watchers  last p50 {last.get('p50')} ms  max {last.get('max')} ms  "
                f"(first->last p50 {r['spread_ms'].get('p50')} ms)  "
                f"delivered {r['deliveries']}/{r['deliveries_expected']}"
            )
            if r["connect_errors"]:
                lines.append(f"   {'':14s} {r['requested'] - r['watchers']} failed to connect: {r['connect_errors']}")
        lines.append(f"   ratios: {data['fanout'].get('ratios')}")
    if "database" in data:
        lines.append(
            f"\n   database: {data['database'].get('mongo')}; requests: {data['database'].get('requests_by_command')}"
        )
    lines += [
        f"   the database alone, chat_session's per-message reads and writes, "
        f"{entry.get('writers', entry.get('concurrency'))} writers: {entry['messages_per_second']} messages/s, "
        f"p50 {entry['message_ms'].get('p50')} p99 {entry['message_ms'].get('p99')} ms"
        for entry in data.get("database_floor", [])
    ]
    if "chat" in data:
        lines += _chat(data["chat"])
    lines += [f"note: {note}" for note in data.get("notes", [])]
    lost = {
        name: n
        for name, p in data.get("fleet_log_problems", {}).items()
        if (n := p.get("warning: bus.connection_lost"))
    }
    if lost:
        lines.append(
            f"note: the fleet lost its RabbitMQ connection during the run (restarted by someone else?): {lost}"
        )
    return "\n".join(lines)


def _chat(chat: dict[str, Any]) -> list[str]:
    lines = ["\n2. chat traffic (end-to-end latency, send -> other member's message.new)"]
    for step in [*chat["steps"], chat["sustained"]]:
        lat = step["latency_ms"]
        lines.append(
            f"   {step['label']:16s} offered {step['rate']:>6g}/s delivered {step['delivered_per_second']:>7}/s  "
            f"p50 {lat.get('p50')} p95 {lat.get('p95')} p99 {lat.get('p99')} max {lat.get('max')} ms  "
            f"lost {step['lost']} errors {sum(step['errors'].values())}"
            f"{'' if step['meets_target'] else '  p99/target missed'}{'  SATURATED' if step['saturated'] else ''}"
        )
    sustained = chat["sustained"]
    cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in sustained["cpu_ms_per_message"].items())
    lines.append(f"   CPU ms per message at {sustained['rate']:g}/s: {cpu}")
    if "cpu_percent_at_rest" in chat:
        lines.append(f"   CPU % with no traffic (before the steps): {chat['cpu_percent_at_rest']}")
    if sustained.get("database_requests_per_message"):
        lines.append(f"   database requests per message: {sustained['database_requests_per_message']}")
    for service, timings in sustained.get("time_inside", {}).items():
        inside = ", ".join(f"{what} {f['per_message']}x {f['mean_ms']} ms" for what, f in timings.items())
        lines.append(f"   inside {service} (calls per message x mean): {inside}")
    lines.append(
        f"   highest rate meeting the target: {chat['highest_rate_meeting_target']}/s; "
        f"highest rate kept up with: {chat['highest_rate_keeping_up']}/s; target {chat['target']}"
    )
    if "profile" in chat and "summary" in chat["profile"]:
        lines.append("\n6. " + text(chat["profile"]["summary"], chat["profile"]["service"]))
    return lines


def _load(data: dict[str, Any]) -> str:
    return ", ".join(f"{label} {values[0]:.2f}" for label, values in data.get("loadavg", {}).items())
