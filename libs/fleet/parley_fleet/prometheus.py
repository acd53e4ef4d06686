"""A local Prometheus (Debian's package) scraping the fleet with the project's own rules.

The scrape config is deploy/prometheus/prometheus.yml with its static targets pointed at the
ports this fleet really uses, so the rules and alerts that run locally are the committed ones.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
BASE_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"


def local_config(ports: dict[str, int], rabbitmq_metrics_port: int = 15692) -> dict[str, Any]:
    """The committed config, with the parley job's targets set to ``ports`` and rule paths absolute."""
    config: dict[str, Any] = yaml.safe_load(BASE_CONFIG.read_text())
    config["rule_files"] = [str((BASE_CONFIG.parent / path).resolve()) for path in config.get("rule_files", [])]
    for job in config["scrape_configs"]:
        if job["job_name"] == "parley":
            job["static_configs"] = [
                {"targets": [f"127.0.0.1:{port}"], "labels": {"service": name}} for name, port in ports.items()
            ]
        elif job["job_name"] == "rabbitmq":
            job["static_configs"][0]["targets"] = [f"127.0.0.1:{rabbitmq_metrics_port}"]
    return config


class LocalPrometheus:
    def __init__(self, ports: dict[str, int], data_dir: Path, listen_port: int = 9090) -> None:
        self.ports = ports
        self.data_dir = data_dir
        self.listen_port = listen_port
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen_port}"

    @staticmethod
    def available() -> bool:
        return shutil.which("prometheus") is not None

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config_path = self.data_dir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(local_config(self.ports), sort_keys=False))
        log = (self.data_dir / "prometheus.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            "prometheus",
            f"--config.file={config_path}",
            f"--storage.tsdb.path={self.data_dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.listen_port}",
            "--storage.tsdb.retention.time=1d",
            stdout=log,
            stderr=log,
        )
        log.close()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
