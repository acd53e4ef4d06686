"""Check the monitoring files: Prometheus config, rules and their unit tests, Grafana.

promtool (Debian package `prometheus`, or any Prometheus release) checks the config and
rules and runs deploy/prometheus/tests/alerts_test.yml. The Grafana dashboard must parse,
and every PromQL expression in it - and in the rules - may only name metrics the services
expose (the contract below) or recording rules defined in rules/recording.yml, so a
misspelt metric fails here instead of drawing an empty panel.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RECORDING = PROMETHEUS_DIR / "rules" / "recording.yml"
ALERTS = PROMETHEUS_DIR / "rules" / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "tests" / "alerts_test.yml"
GRAFANA_DIR = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "parley.json"

# The metrics the code exposes (docs: the fleet's metrics contract).
COUNTERS = {
    "parley_bus_published_total",
    "parley_bus_consumed_total",
    "parley_bus_dead_lettered_total",
    "parley_bus_request_timeouts_total",
    "parley_http_requests_total",
    "parley_gateway_connects_total",
    "parley_gateway_disconnects_total",
    "parley_gateway_frames_received_total",
    "parley_gateway_frames_sent_total",
    "parley_gateway_errors_total",
    "parley_messages_stored_total",
    "parley_push_sent_total",
    "parley_push_failed_total",
    "parley_chatbot_steps_total",
    "parley_integrations_deliveries_sent_total",
    "parley_integrations_attempts_failed_total",
    "parley_integrations_deliveries_dead_total",
}
GAUGES = {
    "parley_bus_connected",
    "parley_bus_parked",
    "parley_bus_parked_oldest_age_seconds",
    "parley_dependency_up",
    "parley_ready",
    "parley_gateway_connections",
    "parley_operator_load_ratio",
    "parley_operators_available",
    "parley_integrations_backlog",
    "parley_integrations_backlog_age_seconds",
    "parley_integrations_dead_letters",
    "parley_integrations_circuits_open",
    # rabbitmq_prometheus plugin (per-object endpoint)
    "rabbitmq_queue_messages_ready",
}
HISTOGRAMS = {
    "parley_bus_handler_duration_seconds",
    "parley_http_request_duration_seconds",
    "parley_gateway_delivery_latency_seconds",
    "parley_message_delivery_latency_seconds",
    "parley_store_operation_duration_seconds",
    "parley_visitor_queue_wait_seconds",
    "parley_integrations_delivery_seconds",
}
EXPOSED = COUNTERS | GAUGES | {f"{h}{suffix}" for h in HISTOGRAMS for suffix in ("_bucket", "_sum", "_count")}
# Prometheus' own per-target series, usable in rules (dashboards use recorded service:up:*).
SYNTHETIC = {"up"}

SERVICE_PORTS = {
    "gateway": 8080,
    "auth": 8081,
    "chat_session": 8082,
    "chatbot_engine": 8083,
    "presence": 8084,
    "notification": 8085,
    "integrations": 8087,
}
REQUIRED_ALERTS = {
    "ParleyServiceDown",
    "ParleyReadinessFlapping",
    "ParleyDeliveryLatencyHigh",
    "ParleyDeadLettersGrowing",
    "ParleyConsumerLagGrowing",
    "ParleyPushFailuresHigh",
}


# --------------------------------------------------------------------------- PromQL names

_KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
}


def metric_names(expr: str) -> set[str]:
    """Metric (and recorded series) names a PromQL expression selects.

    Not a full parser: strips strings, label matchers, ranges, grouping clauses and
    numbers, then keeps identifiers that are neither keywords nor called like functions.
    """
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\boffset\s+-?\w+", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    text = re.sub(r"(?<![\w:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        if text[match.end() :].lstrip().startswith("(") or word.lower() in _KEYWORDS:
            continue
        names.add(word)
    return names


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def rules(path: Path) -> Iterator[dict[str, Any]]:
    for group in load(path)["groups"]:
        yield from group["rules"]


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules(RECORDING)}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def dashboard_panels() -> Iterator[dict[str, Any]]:
    for panel in dashboard()["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    for panel in dashboard_panels():
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


# --------------------------------------------------------------------------- promtool


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if not path:
        pytest.skip("promtool not installed (Debian: apt-get install prometheus)")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=120)


def test_promtool_check_config(promtool: str) -> None:
    done = run(promtool, "check", "config", str(CONFIG))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_check_rules(promtool: str) -> None:
    done = run(promtool, "check", "rules", str(RECORDING), str(ALERTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_rule_unit_tests(promtool: str) -> None:
    done = run(promtool, "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


# --------------------------------------------------------------------------- config & rules


def test_local_scrape_targets() -> None:
    config = load(CONFIG)
    targets = {}
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                targets[target] = (job, static.get("labels", {}))
    for service, port in SERVICE_PORTS.items():
        job, labels = targets[f"127.0.0.1:{port}"]
        assert labels.get("service") == service
        assert job.get("metrics_path", "/metrics") == "/metrics"
    rabbit_job, rabbit_labels = targets["127.0.0.1:15692"]
    assert rabbit_job["metrics_path"] == "/metrics/per-object", "per-queue series need the per-object endpoint"
    assert rabbit_labels.get("service") == "rabbitmq"
    for rule_file in config["rule_files"]:
        assert (CONFIG.parent / rule_file).is_file(), f"{rule_file} is resolved relative to the config file"


def test_alerts_are_labelled_and_explained() -> None:
    alerts = list(rules(ALERTS))
    assert {a["alert"] for a in alerts} >= REQUIRED_ALERTS
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning"}, alert["alert"]
        assert alert["annotations"].get("summary") and alert["annotations"].get("description"), alert["alert"]


def test_every_alert_has_a_firing_unit_test() -> None:
    fired = {
        case["alertname"]
        for test in load(RULE_TESTS)["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    untested = {a["alert"] for a in rules(ALERTS)} - fired
    assert not untested, f"alerts without a test that makes them fire: {sorted(untested)}"


def test_rules_use_only_known_metrics() -> None:
    allowed = EXPOSED | SYNTHETIC | recorded_names()
    unknown = {
        (rule.get("record") or rule.get("alert"), name)
        for path in (RECORDING, ALERTS)
        for rule in rules(path)
        for name in metric_names(str(rule["expr"]))
        if name not in allowed
    }
    assert not unknown, f"unknown metric names in rules: {sorted(unknown)}"


# --------------------------------------------------------------------------- Grafana


def test_dashboard_has_an_overview_and_a_row_per_service() -> None:
    board = dashboard()
    assert board["uid"] and board["title"]
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows[0] == "Overview"
    assert set(SERVICE_PORTS) <= set(rows)
    ids = [p["id"] for p in dashboard_panels()]
    assert len(ids) == len(set(ids)), "panel ids must be unique"


def test_dashboard_layout_does_not_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard_panels():
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_dashboard_queries_the_provisioned_prometheus() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in dashboard_panels():
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
    sources = load(GRAFANA_DIR / "provisioning" / "datasources.yml")["datasources"]
    assert [s["type"] for s in sources] == ["prometheus"]
    assert sources[0]["url"].endswith(":9090")


def test_dashboard_provider_loads_the_dashboards_dir() -> None:
    (provider,) = load(GRAFANA_DIR / "provisioning" / "dashboards.yml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")


def test_dashboard_uses_only_known_metrics() -> None:
    allowed = EXPOSED | recorded_names()
    unknown = {(title, name) for title, expr in dashboard_exprs() for name in metric_names(expr) if name not in allowed}
    assert not unknown, f"unknown metric names in the dashboard: {sorted(unknown)}"


def test_metric_name_check_catches_typos() -> None:
    """Guard the guard: the extractor must surface a misspelt name, and only names."""
    expr = (
        "histogram_quantile(0.99, sum by (le, service) (rate(parley_http_request_duration_secs_bucket"
        '{service=~"a|b", route!="/x"}[$__rate_interval]))) > bool 0.05 or on(service) up offset 5m'
    )
    assert metric_names(expr) == {"parley_http_request_duration_secs_bucket", "up"}
    assert "parley_http_request_duration_secs_bucket" not in EXPOSED
    assert metric_names("sum(service:up:sum) / count(parley_ready == 1e3)") == {"service:up:sum", "parley_ready"}
