"""Browser tests: the demo (fleet, edge, seed, sample site) on free ports and headless Chromium.

Fixtures for every browser test (the widget's and the console's):
- ``demo``: the running demo: ``edge_url``, ``site_url``, ``console_url``, ``channel_id``, the
  ``operator`` and ``admin`` accounts, and ``edge`` (``await demo.edge.cut_websockets()``).
- ``new_page(name)``: a page in a fresh browser context (its own localStorage: a new visitor);
  ``new_page(name, context=page.context)`` opens another tab of the same browser profile.
- ``shot(page, name)``: a screenshot under ``test-artifacts/browser/<test>/<name>.png``.
Chromium is Debian's (/usr/bin/chromium, installed by ``make tools``); Playwright downloads nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from py_vapid import Vapid

from parley_fleet.demo import DEMO_ADMIN, DEMO_OPERATOR, Account, Demo
from parley_fleet.edge import Edge
from parley_fleet.processes import Fleet, free_port
from tests.browser.console_steps import ConsoleWorld
from tests.conftest import Infra
from tests.e2e.push_endpoint import SUBJECT
from tests.kit.client import login
from tests.kit.fleet import fleet_for

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
FLEET_LOGS = Path(__file__).resolve().parents[2] / ".artifacts"
# Six services importing at once on a shared 2-core machine: a loaded machine has been measured
# taking just over the fleet's default 60 s, so the browser tier waits longer before giving up.
FLEET_READY_SECONDS = 180.0

NewPage = Callable[..., Awaitable[Page]]
Shot = Callable[[Page, str], Awaitable[Path]]


@dataclass
class RunningDemo:
    fleet: Fleet
    edge: Edge
    edge_url: str
    site_url: str
    channel_id: str
    operator: Account
    admin: Account
    # The fleet's VAPID key (web push on; pushes may go to a local push service on 127.0.0.1).
    vapid: Vapid

    @property
    def console_url(self) -> str:
        return f"{self.edge_url}/console"

    def site_for(self, channel_id: str) -> str:
        """The sample site embedding another channel's widget."""
        return f"{self.site_url}/?channel={channel_id}"


@pytest.fixture(scope="session")
async def demo(infra: Infra) -> AsyncIterator[RunningDemo]:
    edge_port, site_port = free_port(), free_port()
    vapid = Vapid()
    vapid.generate_keys()
    settings = {
        **Demo.env(edge_port, site_port),
        # Every page of the suite signs the demo's operator and admin in from one address
        # (127.0.0.1): dozens of logins of one account a minute, which the limit (10 in a row,
        # 6 more a minute) exists to stop. CI refused them (9003) once the suite ran faster; the
        # limit itself is tested in tests/security.
        "PARLEY_AUTH_LOGIN_ACCOUNT_BURST": "1000",
        "PARLEY_AUTH_LOGIN_ADDRESS_BURST": "5000",
        # Web push on, as a deployment has it, so the widget offers "Notify me of replies"; the
        # push test's push service is local (tests/browser/test_widget_push.py).
        "PARLEY_NOTIFICATION_VAPID_PRIVATE_KEY": vapid.private_pem().decode(),
        "PARLEY_NOTIFICATION_VAPID_SUBJECT": SUBJECT,
        "PARLEY_NOTIFICATION_PUSH_ALLOW_INSECURE_ENDPOINTS": "true",
        "PARLEY_NOTIFICATION_PUSH_ALLOWED_HOSTS": '["127.0.0.1"]',
    }
    async with fleet_for(
        infra, "fleet-browser", ready_timeout=FLEET_READY_SECONDS, log_root=FLEET_LOGS, **settings
    ) as fleet:
        running = Demo(fleet, edge_port, site_port)
        try:
            await running.start()
            assert running.seeded is not None
            yield RunningDemo(
                fleet,
                running.edge,
                running.edge.url,
                running.site.url,
                running.seeded.channel_id,
                DEMO_OPERATOR,
                DEMO_ADMIN,
                vapid,
            )
        finally:
            await running.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make tools` (installs Debian's chromium)")
    async with async_playwright() as playwright:
        # --no-sandbox: the tests may run as root (CI containers), where Chromium's sandbox refuses.
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield launched
        await launched.close()


def _test_dir(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path = ARTIFACTS / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
async def new_page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[NewPage]:
    contexts: list[BrowserContext] = []
    logs: dict[str, list[str]] = {}

    async def open_page(name: str, context: BrowserContext | None = None, **context_options: object) -> Page:
        if context is None:
            context = await browser.new_context(**context_options)  # type: ignore[arg-type]
            contexts.append(context)
        page = await context.new_page()
        lines = logs.setdefault(name, [])
        page.on("console", lambda message: lines.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: lines.append(f"pageerror: {error}"))
        return page

    yield open_page
    folder = _test_dir(request)
    for name, lines in logs.items():
        (folder / f"{name}.console.log").write_text("\n".join(lines) + "\n")
    for context in contexts:
        await context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    async def take(page: Page, name: str) -> Path:
        path = _test_dir(request) / f"{name}.png"
        await page.screenshot(path=str(path), full_page=False)
        return path

    return take


@pytest.fixture
async def world(demo: RunningDemo) -> AsyncIterator[ConsoleWorld]:
    """The demo fleet driven over HTTP as its admin: staff, channels and checks beside the pages."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        admin = await login(session, demo.edge_url, username=demo.admin.username, password=demo.admin.password)
        running = ConsoleWorld(demo.edge_url, session, admin["token"])
        yield running
        await running.close()
