"""Web push from the widget (issue 22): a visitor turns on "Notify me of replies", closes the
page, and the operator's reply reaches their device as a push, encrypted for it and shown by
Parley's service worker.

What is real: the sample site serves the push worker from its own origin (as an embedding site
does), Chromium registers it and asks for the notification permission (granted to the page's
context), the widget fetches the server's VAPID key and registers the subscription over HTTP,
and the notification service signs and encrypts the push to tests/e2e/push_endpoint.py's push
service, which checks the VAPID JWT and decrypts it with the device's private key. What stands
in: ``PushManager.subscribe`` answers that device's subscription, since headless Chromium has
no vendor push service to subscribe at (no network here, and none in CI).
"""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from playwright.async_api import expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, sign_in
from tests.browser.test_visitor_operator import console_writes
from tests.browser.widget_steps import PHONE, WAIT_MS, open_widget, say
from tests.e2e.push_endpoint import PushService, b64
from tests.kit.waiting import eventually

# The browser's push subscription, answered by PushManager (see the module's docstring).
STAND_IN_SUBSCRIBE = """
(subscription) => {
  const made = { endpoint: subscription.endpoint, toJSON: () => subscription };
  PushManager.prototype.getSubscription = () => Promise.resolve(null);
  PushManager.prototype.subscribe = (options) => {
    window.__parleySubscribedWith = Array.from(new Uint8Array(options.applicationServerKey));
    return Promise.resolve(made);
  };
}
"""


async def test_notify_me_of_replies_brings_the_operator_s_answer_to_a_closed_page(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    public = demo.vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    push_service = PushService(b64(public))
    await push_service.start()
    try:
        device = push_service.device()
        olivia = await world.operator("Olivia")
        channel_id = await world.channel([olivia])
        console = await new_page("console")
        await sign_in(console, demo.console_url, olivia)

        visitor = await new_page("visitor", **PHONE)
        await visitor.context.grant_permissions(["notifications"], origin=demo.site_url)
        await visitor.context.add_init_script(f"({STAND_IN_SUBSCRIBE})({json.dumps(device.subscription())})")
        await open_widget(visitor, demo.site_for(channel_id))
        notify = visitor.get_by_role("button", name="Notify me of replies")
        await expect(notify).to_be_hidden()  # nothing to be notified of before a chat exists
        await say(visitor, "Where is my parcel?")
        await expect(notify).to_be_visible(timeout=WAIT_MS)
        await shot(visitor, "1-offered")
        await notify.click()
        await expect(visitor.locator(".log", has_text="We will notify you of replies on this device.")).to_be_visible(
            timeout=WAIT_MS
        )
        await expect(notify).to_be_hidden()
        await shot(visitor, "2-on")
        # The worker came from the site's own origin, and the subscription used the server's key.
        scope = await visitor.evaluate("navigator.serviceWorker.getRegistration().then(r => r && r.scope)")
        assert scope == demo.site_url + "/", scope
        assert bytes(await visitor.evaluate("window.__parleySubscribedWith")) == public

        # The visitor leaves; the operator answers: the answer arrives as a push for that device.
        row = console.locator("#conversation-list li.conversation").first
        await expect(row).to_be_visible(timeout=UI_TIMEOUT_MS)
        await row.locator("button").click()
        await expect(console.locator("#message-list [data-seq]", has_text="Where is my parcel?")).to_have_count(
            1, timeout=UI_TIMEOUT_MS
        )
        await visitor.close()
        await expect(console.locator(".left-tag")).to_be_visible(timeout=UI_TIMEOUT_MS)  # presence saw them go
        await console_writes(console, "It left our warehouse this morning.")
        pushes = await eventually(lambda: push_service.pushes(device), timeout=30, what="the push of the reply")
        notice = pushes[-1].notice
        assert notice["body"] == "It left our warehouse this morning.", notice
        assert notice["title"] == "Olivia" and notice["tag"].startswith("parley:"), notice
        assert push_service.problems == []
    finally:
        await push_service.stop()
