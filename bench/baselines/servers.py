"""Start and stop the baseline servers, each on a free loopback port, as processes of their own."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt

from parley_fleet import free_port

BENCH_DIR = Path(__file__).resolve().parents[1]
CENTRIFUGO_BIN = BENCH_DIR / ".bin" / "centrifugo"
INSTALL_SCRIPT = BENCH_DIR / "baselines" / "install_centrifugo.sh"
FANOUT_CHANNEL = "bench"


class ServerProcess:
    """One baseline server: started, waited for (its port answers), stopped with SIGTERM."""

    def __init__(self, name: str, command: list[str], port: int, log_path: Path, ws_path: str) -> None:
        self.name = name
        self.command = command
        self.port = port
        self.log_path = log_path
        self.ws_url = f"ws://127.0.0.1:{port}{ws_path}"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 20.0) -> None:
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(*self.command, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{self.name} did not listen on {self.port} within {timeout:g}s")

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def floor_server(run_dir: Path) -> ServerProcess:
    port = free_port()
    command = [sys.executable, "-m", "bench.baselines.echo_server", "--port", str(port)]
    return ServerProcess("aiohttp-floor", command, port, run_dir / "aiohttp-floor.log", "/ws")


def ensure_centrifugo() -> str | None:
    """Build the pinned Centrifugo when missing; None when it is available, else why not."""
    if CENTRIFUGO_BIN.exists():
        return None
    done = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0 or not CENTRIFUGO_BIN.exists():
        return f"centrifugo could not be built: {(done.stderr or done.stdout).strip()[-400:]}"
    return None


class Centrifugo(ServerProcess):
    """Centrifugo v5 on loopback: HMAC connection tokens, an API key, clients may subscribe."""

    def __init__(self, run_dir: Path) -> None:
        self.secret = secrets.token_hex(32)
        self.api_key = secrets.token_hex(16)
        port = free_port()
        config = {
            "address": "127.0.0.1",
            "port": str(port),
            "token_hmac_secret_key": self.secret,
            "api_key": self.api_key,
            "allow_subscribe_for_client": True,
            # The same keep-alive as Parley's clients: a ping every 25 s (here sent by the server).
            "ping_interval": "25s",
            "pong_timeout": "8s",
            "log_level": "error",
            "allowed_origins": ["*"],
        }
        config_path = run_dir / "centrifugo.json"
        config_path.write_text(json.dumps(config, indent=2))
        command = [str(CENTRIFUGO_BIN), "--config", str(config_path)]
        super().__init__("centrifugo", command, port, run_dir / "centrifugo.log", "/connection/websocket")

    def token(self, user: str) -> str:
        claims = {"sub": user, "exp": int(time.time()) + 4 * 3600}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    async def publish(self, session: aiohttp.ClientSession, data: dict[str, Any]) -> None:
        """Server API publish to the fan-out channel."""
        url = f"http://127.0.0.1:{self.port}/api/publish"
        body = {"channel": FANOUT_CHANNEL, "data": data}
        async with session.post(url, json=body, headers={"X-API-Key": self.api_key}) as response:
            answer = await response.json()
            if response.status != 200 or "error" in answer:
                raise RuntimeError(f"centrifugo publish failed: {response.status} {answer}")
