"""``make up``: start the seven services on their default ports, print where they are, stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from parley_fleet.demo import Demo
from parley_fleet.processes import SERVICES, Fleet
from parley_fleet.prometheus import LocalPrometheus


async def run() -> int:
    log_dir = Path(os.environ.get("PARLEY_FLEET_LOG_DIR", ".infra/logs/fleet"))
    # The edge (one origin, like the Ingress) and the demo site (another origin, like an embedder).
    edge_port = int(os.environ.get("PARLEY_FLEET_EDGE_PORT", "8090"))
    site_port = int(os.environ.get("PARLEY_FLEET_DEMO_PORT", "8091"))
    env = {**Demo.env(edge_port, site_port), **_web_push(Path(".infra/demo-vapid.pem"))}
    fleet = Fleet(env=env, log_dir=log_dir)
    agent_port = int(os.environ.get("PARLEY_FLEET_AGENT_PORT", "8095"))
    demo = Demo(fleet, edge_port, site_port, agent_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await fleet.start()
        await demo.start()
    except (RuntimeError, TimeoutError, OSError) as error:
        sys.stderr.write(f"fleet did not start: {error}\n")
        await demo.stop()
        await fleet.stop()
        return 1
    prometheus = await _start_prometheus(fleet, log_dir)
    gateway = fleet.url("gateway").replace("http://", "ws://")
    lines = [
        "Parley is up.",
        *demo.summary(),
        f"  gateway WebSocket: {gateway}/ws",
        f"  auth API:          {fleet.url('auth')}/auth/login",
        "  metrics:",
        *(f"    {name:15s} {fleet.url(name)}/metrics" for name in SERVICES),
        f"  prometheus:        {prometheus.url}"
        if prometheus
        else "  prometheus:        not started (install Debian's prometheus: make tools)",
        f"  logs: {log_dir}/",
        "Ctrl-C (or `make down`) stops everything.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    pid_file = log_dir / "fleet.pid"
    pid_file.write_text(str(os.getpid()))
    watch = asyncio.create_task(_watch(fleet, stop))
    await stop.wait()
    watch.cancel()
    sys.stdout.write("stopping the fleet...\n")
    await demo.stop()
    codes = await fleet.stop()
    if prometheus:
        await prometheus.stop()
    pid_file.unlink(missing_ok=True)
    sys.stdout.write("stopped: " + ", ".join(f"{name}={code}" for name, code in codes.items()) + "\n")
    return 0


def _web_push(key_file: Path) -> dict[str, str]:
    """Web push on for the demo, with a VAPID key made once and kept, so a browser's subscription
    outlives a restart (the widget offers "Notify me of replies"; docs/client.md)."""
    if not key_file.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
    return {
        "PARLEY_NOTIFICATION_VAPID_PRIVATE_KEY": key_file.read_text(),
        "PARLEY_NOTIFICATION_VAPID_SUBJECT": "mailto:demo@parley.example",
    }


async def _start_prometheus(fleet: Fleet, log_dir: Path) -> LocalPrometheus | None:
    """A local Prometheus scraping the fleet, unless disabled or not installed."""
    if os.environ.get("PARLEY_FLEET_PROMETHEUS", "1") == "0" or not LocalPrometheus.available():
        return None
    prometheus = LocalPrometheus({name: s.port for name, s in fleet.services.items()}, log_dir.parent / "prometheus")
    await prometheus.start()
    return prometheus


async def _watch(fleet: Fleet, stop: asyncio.Event) -> None:
    """A service that dies takes the local fleet down with a message, rather than limping on."""
    while not stop.is_set():
        for name, service in fleet.services.items():
            if service.process is not None and service.process.returncode is not None:
                sys.stderr.write(f"{name} exited with {service.process.returncode}; see {service.log_path}\n")
                stop.set()
        await asyncio.sleep(1.0)


def main() -> None:
    raise SystemExit(asyncio.run(run()))


if __name__ == "__main__":
    main()
