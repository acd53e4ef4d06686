"""The demo ``make up`` serves: the local edge (one origin, like the Ingress), a demo channel with
the example support bot and a demo operator (seeded idempotently through the public HTTP APIs),
and a sample site on another origin that embeds the widget with one script tag.

The sample site is deliberately cross-origin, as every real embedder is. What that takes is what
an embedder configures in production: auth's CORS origins (the widget's login), the gateway's
allowed WebSocket origins, and the channel's ``allowed_origins`` (its public availability check).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from parley_fleet.edge import Edge
from parley_fleet.processes import SERVICES, Fleet, free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
DEMO_SCRIPT = REPO_ROOT / "services" / "chatbot_engine" / "scripts" / "support_triage.yaml"
SITE_PAGE = Path(__file__).parent / "sample_site" / "index.html"
DEMO_CHANNEL_NAME = "Acme Plants support"
DEMO_WELCOME = "Hi! Welcome to Acme Plants. Ask us anything."
# A word the demo channel refuses (error 8001), so the widget's refusal can be tried out.
DEMO_SENSITIVE_WORD = "badword"
# The example external bot (examples/agent) and the channel it serves (docs/bots.md).
DEMO_AGENT_NAME = "Example agent"
DEMO_AGENT_CHANNEL_NAME = "Acme Plants (example agent)"


@dataclass(frozen=True)
class Account:
    username: str
    password: str


# Local demo accounts only: make up runs on a developer's machine. Override with the variables.
DEMO_ADMIN = Account(
    os.environ.get("PARLEY_DEMO_ADMIN_USERNAME", "demo-admin"),
    os.environ.get("PARLEY_DEMO_ADMIN_PASSWORD", "demo-admin-password"),
)
DEMO_OPERATOR = Account(
    os.environ.get("PARLEY_DEMO_OPERATOR_USERNAME", "demo-operator"),
    os.environ.get("PARLEY_DEMO_OPERATOR_PASSWORD", "demo-operator-password"),
)


def origins_of(url: str) -> list[str]:
    """``http://127.0.0.1:8091`` and ``http://localhost:8091``: a browser may use either name."""
    return [url, url.replace("127.0.0.1", "localhost")]


def demo_env(edge_url: str, site_url: str) -> dict[str, str]:
    """The settings the cross-origin demo needs on every service (see the module docstring)."""
    return {
        "PARLEY_AUTH_ADMIN_USERNAME": DEMO_ADMIN.username,
        "PARLEY_AUTH_ADMIN_PASSWORD": DEMO_ADMIN.password,
        "PARLEY_HTTP_CORS_ORIGINS": json.dumps(origins_of(site_url)),
        "PARLEY_GATEWAY_ALLOWED_ORIGINS": json.dumps(origins_of(site_url) + origins_of(edge_url)),
        # The edge on 127.0.0.1 forwards for the browsers: the services count their sockets per
        # browser address (X-Forwarded-For), not all of them under the edge's one address.
        "PARLEY_HTTP_TRUSTED_PROXIES": json.dumps(["127.0.0.1"]),
        # Local webhook receivers and bots (the example agent) listen on http://127.0.0.1.
        "PARLEY_INTEGRATIONS_ALLOW_INSECURE_URLS": "true",
        "PARLEY_INTEGRATIONS_ALLOWED_HOSTS": json.dumps(["127.0.0.1"]),
    }


@dataclass(frozen=True)
class Seeded:
    channel_id: str
    operator_id: str
    agent_channel_id: str = ""
    agent_secret: str = ""


class DemoSeed:
    """Creates (or brings up to date) the demo's script, operator and channel over HTTP as the admin."""

    def __init__(
        self, fleet: Fleet, session: aiohttp.ClientSession, site_url: str, agent_url: str = "http://127.0.0.1:8095"
    ) -> None:
        self.fleet = fleet
        self.session = session
        self.site_url = site_url
        self.agent_url = agent_url
        self.headers: dict[str, str] = {}

    async def run(self) -> Seeded:
        admin = await self._login(DEMO_ADMIN)
        if admin is None:
            raise RuntimeError(
                f"the demo admin {DEMO_ADMIN.username} cannot log in (was it created with another password?)"
            )
        self.headers = {"Authorization": f"Bearer {admin['token']}"}
        script_id = await self._script()
        operator_id = await self._operator()
        channel_id = await self._channel(script_id, operator_id)
        agent_channel_id = await self._agent_channel(operator_id)
        agent_secret = await self._agent(agent_channel_id)
        return Seeded(channel_id, operator_id, agent_channel_id, agent_secret)

    async def _call(self, method: str, service: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        async with self.session.request(method, self.fleet.url(service) + path, headers=headers, **kwargs) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            return response.status, body

    async def _login(self, account: Account) -> dict[str, Any] | None:
        body = {"username": account.username, "password": account.password, "client_kind": "api"}
        status, answer = await self._call("POST", "auth", "/auth/login", json=body)
        return answer if status == 200 else None

    async def _script(self) -> str:
        text = DEMO_SCRIPT.read_text()
        status, body = await self._call(
            "POST", "chatbot_engine", "/chatbot/scripts", data=text, headers={"Content-Type": "application/yaml"}
        )
        _expect(status in (200, 201), "store the example chatbot script", body)
        return str(body["id"])

    async def _operator(self) -> str:
        known = await self._login(DEMO_OPERATOR)
        if known is not None:
            return str(known["uid"])
        spec = {
            "username": DEMO_OPERATOR.username,
            "password": DEMO_OPERATOR.password,
            "role": "operator",
            "name": "Olivia (demo)",
        }
        status, body = await self._call("POST", "auth", "/auth/users", json=spec)
        _expect(status == 201, "create the demo operator", body)
        return str(body["uid"])

    async def _channel(self, script_id: str, operator_id: str) -> str:
        spec = {
            "name": DEMO_CHANNEL_NAME,
            "welcome": DEMO_WELCOME,
            "allowed_origins": origins_of(self.site_url),
            "operator_ids": [operator_id],
            "chatbot_script_id": script_id,
            "sensitive_words": [DEMO_SENSITIVE_WORD],
        }
        status, body = await self._call("GET", "chat_session", "/channels")
        _expect(status == 200, "list the channels", body)
        existing = [channel for channel in body["channels"] if channel["name"] == DEMO_CHANNEL_NAME]
        if existing:
            status, body = await self._call("PATCH", "chat_session", f"/channels/{existing[0]['id']}", json=spec)
            _expect(status == 200, "update the demo channel", body)
        else:
            status, body = await self._call("POST", "chat_session", "/channels", json=spec)
            _expect(status == 201, "create the demo channel", body)
        return str(body["id"])

    async def _agent_channel(self, operator_id: str) -> str:
        spec = {
            "name": DEMO_AGENT_CHANNEL_NAME,
            "welcome": DEMO_WELCOME,
            "allowed_origins": origins_of(self.site_url),
            "operator_ids": [operator_id],
        }
        status, body = await self._call("GET", "chat_session", "/channels")
        _expect(status == 200, "list the channels", body)
        existing = [channel for channel in body["channels"] if channel["name"] == DEMO_AGENT_CHANNEL_NAME]
        if existing:
            return str(existing[0]["id"])
        status, body = await self._call("POST", "chat_session", "/channels", json=spec)
        _expect(status == 201, "create the example agent's channel", body)
        return str(body["id"])

    async def _agent(self, channel_id: str) -> str:
        """The example agent registered for its channel; answers its signing secret (a registered
        one's is rotated: a secret is shown only when it is made)."""
        spec = {"name": DEMO_AGENT_NAME, "webhook_url": f"{self.agent_url}/parley", "channel_ids": [channel_id]}
        status, body = await self._call("GET", "integrations", "/integrations/bots")
        _expect(status == 200, "list the bots", body)
        existing = [bot for bot in body["bots"] if bot["name"] == DEMO_AGENT_NAME]
        if not existing:
            status, body = await self._call("POST", "integrations", "/integrations/bots", json=spec)
            _expect(status == 201, "register the example agent", body)
            return str(body["secret"])
        bot_id = existing[0]["id"]
        status, body = await self._call("PATCH", "integrations", f"/integrations/bots/{bot_id}", json=spec)
        _expect(status == 200, "update the example agent", body)
        status, body = await self._call("POST", "integrations", f"/integrations/bots/{bot_id}/secret")
        _expect(status == 200, "rotate the example agent's secret", body)
        return str(body["secret"])


def _expect(ok: bool, what: str, body: Any) -> None:
    if not ok:
        raise RuntimeError(f"demo seed: could not {what}: {body}")


class SampleSite:
    """A static page on its own origin that embeds the widget from the edge with one script tag."""

    def __init__(self, port: int, edge_url: str) -> None:
        self.port = port
        self.edge_url = edge_url
        self.channel_id = ""
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/favicon.ico", _no_icon)
        app.router.add_get("/parley-push-worker.js", self._push_worker)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _page(self, request: web.Request) -> web.Response:
        channel = request.query.get("channel", self.channel_id)  # tests embed other channels too
        page = SITE_PAGE.read_text()
        for name, value in (("EDGE_ORIGIN", self.edge_url), ("SITE_ORIGIN", self.url), ("CHANNEL_ID", channel)):
            page = page.replace("{{" + name + "}}", value)
        return web.Response(text=page, content_type="text/html")

    async def _push_worker(self, _request: web.Request) -> web.Response:
        """Parley's push worker from this origin, as a site serves it (a service worker must be
        same-origin with its page): a proxy to the gateway's copy, so it is always current."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.edge_url}/widget/push-worker.js") as answer:
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                content_type="text/javascript",
                headers={"Cache-Control": "no-cache"},
            )


async def _no_icon(_request: web.Request) -> web.Response:
    return web.Response(status=204)  # keeps the browser's console free of a 404


class Demo:
    """The edge, the sample site and the seed around a fleet (started and stopped by the caller)."""

    def __init__(self, fleet: Fleet, edge_port: int, site_port: int, agent_port: int | None = None) -> None:
        self.fleet = fleet
        self.agent_port = agent_port or free_port()
        self.agent: asyncio.subprocess.Process | None = None
        self.edge = Edge({name: fleet.url(name) for name in SERVICES}, port=edge_port)
        self.site = SampleSite(site_port, f"http://127.0.0.1:{edge_port}")
        self.seeded: Seeded | None = None

    @staticmethod
    def env(edge_port: int, site_port: int) -> dict[str, str]:
        return demo_env(f"http://127.0.0.1:{edge_port}", f"http://127.0.0.1:{site_port}")

    async def start(self) -> None:
        """Once the fleet is ready: the edge, the seed, then the page that needs the channel id."""
        await self.edge.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            self.seeded = await DemoSeed(self.fleet, session, self.site.url, self.agent_url).run()
        self.site.channel_id = self.seeded.channel_id
        await self.site.start()
        await self._start_agent(self.seeded.agent_secret)

    @property
    def agent_url(self) -> str:
        return f"http://127.0.0.1:{self.agent_port}"

    async def _start_agent(self, secret: str) -> None:
        """The example external bot (examples/agent), a process of its own as a customer's would be."""
        env = {
            **os.environ,
            "AGENT_SECRET": secret,
            "AGENT_PORT": str(self.agent_port),
            "PARLEY_BOT_API": self.fleet.url("integrations"),
        }
        log = (self.fleet.log_dir / "example-agent.log").open("ab")
        self.agent = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "examples.agent", env=env, stdout=log, stderr=log, cwd=REPO_ROOT
        )
        log.close()

    async def stop(self) -> None:
        if self.agent is not None and self.agent.returncode is None:
            self.agent.terminate()
            await self.agent.wait()
        await self.site.stop()
        await self.edge.stop()

    def summary(self) -> list[str]:
        return [
            f"  demo site:         {self.site.url}/   (embeds the widget from the edge: one script tag)",
            f"  edge (ingress):    {self.edge.url}   (/ws /widget.js /auth /channels /conversations /push)",
            f"  operator console:  {self.edge.url}/console",
            f"  demo operator:     {DEMO_OPERATOR.username} / {DEMO_OPERATOR.password}",
            f"  demo admin:        {DEMO_ADMIN.username} / {DEMO_ADMIN.password}",
            f"  demo channel:      {self.seeded.channel_id if self.seeded else '?'} "
            f"({DEMO_CHANNEL_NAME}, bot: support_triage)",
            f"  agent channel:     {self.seeded.agent_channel_id if self.seeded else '?'} "
            f"({DEMO_AGENT_CHANNEL_NAME}, the example agent at {self.agent_url}; ?channel=<id> on the demo site)",
        ]
