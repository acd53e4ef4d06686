"""Toxiproxy between the services and the chaos suite's brokers: one proxy per broker, with
latency added or connections cut through its HTTP API (https://github.com/Shopify/toxiproxy).
The binary is installed by deploy/tools/toxiproxy.sh (`make tools`)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

from parley_fleet import free_port

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "deploy" / "tools" / "toxiproxy.sh"


def toxiproxy_binary() -> str:
    """The pinned toxiproxy-server, built first if missing (the script prints its path)."""
    done = subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True, capture_output=True, text=True, timeout=600)
    return done.stdout.strip().splitlines()[-1]


class Toxiproxy:
    def __init__(self, log_path: Path) -> None:
        self.api_port = free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.log_path = log_path
        self.listen_ports: dict[str, int] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            toxiproxy_binary(), "-host", "127.0.0.1", "-port", str(self.api_port), stdout=log, stderr=log
        )
        log.close()
        self._http = aiohttp.ClientSession(base_url=self.api, timeout=aiohttp.ClientTimeout(total=10))
        for _ in range(100):
            try:
                await self._call("GET", "/version")
                return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        raise RuntimeError(f"toxiproxy-server did not answer on {self.api}; see {self.log_path}")

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()

    async def add_proxy(self, name: str, upstream_port: int) -> int:
        """A proxy to 127.0.0.1:``upstream_port``; returns the port services connect to instead."""
        port = free_port()
        body = {"name": name, "listen": f"127.0.0.1:{port}", "upstream": f"127.0.0.1:{upstream_port}", "enabled": True}
        await self._call("POST", "/proxies", body)
        self.listen_ports[name] = port
        return port

    async def add_latency(self, proxy: str, milliseconds: int, jitter: int) -> None:
        """Delay every byte both ways (a slow network), until :meth:`clear`."""
        for stream in ("upstream", "downstream"):
            body = {
                "name": f"latency_{stream}",
                "type": "latency",
                "stream": stream,
                "attributes": {"latency": milliseconds, "jitter": jitter},
            }
            await self._call("POST", f"/proxies/{proxy}/toxics", body)

    async def clear(self, proxy: str) -> None:
        for toxic in await self._call("GET", f"/proxies/{proxy}/toxics"):
            await self._call("DELETE", f"/proxies/{proxy}/toxics/{toxic['name']}")

    async def set_enabled(self, proxy: str, enabled: bool) -> None:
        """Disabled: every open connection is cut and new ones are refused."""
        await self._call("POST", f"/proxies/{proxy}", {"enabled": enabled})

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        assert self._http is not None, "start() first"
        async with self._http.request(method, path, json=body) as response:
            if response.status >= 300:
                raise aiohttp.ClientResponseError(
                    response.request_info, (), status=response.status, message=await response.text()
                )
            return await response.json() if response.content_type == "application/json" else None
