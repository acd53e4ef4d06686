"""An automated accessibility check (issue 22): axe-core (frontend/node_modules, pinned by
frontend/package-lock.json) runs in the page on the opened widget (with a conversation, on a
phone and a laptop) and on the console (signed in, a conversation open); no serious or critical
violation is allowed. axe cannot judge everything WCAG 2.1 AA asks (focus order, meaningful
labels): those are looked at by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, set_available, sign_in, wait_busy
from tests.browser.widget_steps import DESKTOP, PHONE, WAIT_MS, open_widget, say

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


async def blocking_violations(page: Page, context: str) -> list[dict]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make frontend-deps` (npm ci in frontend/)")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async (context) => await axe.run(context, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})",
        context,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("device", ["desktop", "phone"])
async def test_the_opened_widget_has_no_serious_accessibility_violation(
    demo: RunningDemo, new_page: NewPage, shot: Shot, device: str
) -> None:
    page = await new_page("visitor", **(PHONE if device == "phone" else DESKTOP))
    await open_widget(page, demo.site_url)
    await say(page, "hi")
    await expect(page.locator(".answer").first).to_be_visible(timeout=WAIT_MS)
    violations = await blocking_violations(page, "#parley-widget")
    await shot(page, f"widget-{device}")
    assert not violations, json.dumps(violations, indent=1)


async def test_the_console_has_no_serious_accessibility_violation(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia])
    page = await new_page("console", **DESKTOP)
    await page.goto(demo.console_url)
    await expect(page.locator("#login-username")).to_be_visible(timeout=UI_TIMEOUT_MS)
    login_violations = await blocking_violations(page, "body")
    await sign_in(page, demo.console_url, olivia)
    await set_available(page, False)
    await wait_busy(world, channel_id, olivia)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "My plant is wilting")
    waiting = page.locator(f"#queues li.waiting[data-conversation-id='{conversation_id}']")
    await expect(waiting).to_be_visible(timeout=UI_TIMEOUT_MS)
    queue_violations = await blocking_violations(page, "body")
    await waiting.get_by_role("button", name="Accept").click()
    await expect(page.locator("#message-list li[data-seq]").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    violations = await blocking_violations(page, "body")
    await shot(page, "console")
    assert not (login_violations or queue_violations or violations), json.dumps(
        {"sign-in": login_violations, "console": violations}, indent=1
    )
