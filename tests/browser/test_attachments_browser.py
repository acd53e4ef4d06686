"""Issue 21 in the browser: a visitor on a phone pastes a screenshot into the widget; it is
uploaded, sent, shown as a thumbnail on the phone and in the operator's console, and opens the
original. Screenshots land in test-artifacts/browser/test_visitor_pastes_a_screenshot_the_operator_sees_it/."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import time

from PIL import Image
from playwright.async_api import expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, Staff, sign_in
from tests.browser.widget_steps import open_widget

PHONE = {"viewport": {"width": 390, "height": 844}}
# Fires a real paste event carrying a PNG file, as the browser does for a copied screenshot.
PASTE = """(textarea, b64) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "image.png", { type: "image/png" }));
  textarea.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""


async def wait_available(world: ConsoleWorld, channel_id: str, staff: Staff) -> None:
    deadline = time.monotonic() + 15
    while True:
        listed = await world.call("GET", f"/channels/{channel_id}/operators")
        if any(op["user_id"] == staff.uid and op["available"] for op in listed["operators"]):
            return
        assert time.monotonic() < deadline, listed
        await asyncio.sleep(0.2)


def screenshot_png() -> str:
    image = Image.new("RGB", (640, 360), (245, 245, 245))
    image.paste((220, 40, 40), (40, 40, 600, 120))  # a red "error" bar, visible in the thumbnail
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_visitor_pastes_a_screenshot_the_operator_sees_it(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    olivia = await world.operator("Olivia")
    site_channel = await world.call("GET", f"/channels/{demo.channel_id}")
    channel_id = await world.channel([olivia], allowed_origins=site_channel["allowed_origins"])  # no bot
    console = await new_page("console")
    await sign_in(console, demo.console_url, olivia)
    await wait_available(world, channel_id, olivia)

    visitor = await new_page("visitor", **PHONE)
    await open_widget(visitor, demo.site_for(channel_id))
    textarea = visitor.locator(".compose textarea")
    await textarea.fill("Hello, the checkout page breaks")
    await textarea.press("Enter")
    await expect(visitor.locator(".log .msg[data-seq]", has_text="checkout")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    await textarea.evaluate(PASTE, screenshot_png())
    sent = visitor.locator(".log .msg.mine[data-seq] .files img")
    await expect(sent).to_have_count(1, timeout=UI_TIMEOUT_MS)
    thumbnail_link = re.compile(re.escape(demo.edge_url) + r"/files/c_\w+/f_\w+/thumbnail\?")
    await expect(sent).to_have_attribute("src", thumbnail_link, timeout=UI_TIMEOUT_MS)
    await expect(visitor.locator(".log .pending")).to_have_count(0)
    await visitor.wait_for_function(
        "() => { const host = document.getElementById('parley-widget');"
        " const img = host.shadowRoot.querySelector('.files img'); return img && img.naturalWidth > 0; }",
        timeout=UI_TIMEOUT_MS,
    )
    await shot(visitor, "visitor-phone")

    row = console.locator("#conversation-list li.conversation button").first
    await expect(row).to_be_visible(timeout=UI_TIMEOUT_MS)
    await row.click()
    await expect(console.locator("#conversation-verified")).to_be_hidden()  # an anonymous visitor
    thumbnail = console.locator("#message-list li.message[data-seq] .files img.thumbnail")
    await expect(thumbnail).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await expect(thumbnail).to_have_attribute("src", thumbnail_link, timeout=UI_TIMEOUT_MS)
    await console.wait_for_function(  # loaded: a 640 px screenshot's thumbnail is 320 px wide
        "() => { const img = document.querySelector('#message-list .files img.thumbnail');"
        " return img && img.naturalWidth === 320; }",
        timeout=UI_TIMEOUT_MS,
    )
    original = await thumbnail.evaluate("img => img.closest('a').href")
    async with world.session.get(original) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    await shot(console, "console")


async def test_a_refused_file_is_said_in_plain_words_with_a_retry(demo: RunningDemo, new_page: NewPage) -> None:
    """The attach button (+): a ZIP is not among the channel's types, so the preview stays with
    the widget's words for 9107 and a Retry that asks again in the same place."""
    visitor = await new_page("visitor", **PHONE)
    await open_widget(visitor, demo.site_url)
    textarea = visitor.locator(".compose textarea")
    await textarea.fill("Here are the logs")
    await textarea.press("Enter")
    await expect(visitor.locator(".log .msg.mine[data-seq]", has_text="logs")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    zipped = b"PK\x03\x04" + bytes(60)  # a ZIP's magic: sniffed as application/zip
    async with visitor.expect_file_chooser() as chooser:
        await visitor.locator(".compose .attach").click()
    await (await chooser.value).set_files({"name": "logs.zip", "mimeType": "application/zip", "buffer": zipped})
    refused = visitor.locator(".log .msg.mine.failed")
    await expect(refused).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await expect(refused.locator(".error")).to_have_text("This chat does not accept that kind of file.")
    async with visitor.expect_request(lambda r: r.method == "POST" and "/files/" in r.url):  # uploaded again
        await refused.locator(".retry").click()
    await expect(refused.locator(".error")).to_have_count(1, timeout=UI_TIMEOUT_MS)  # said once, in place
    await expect(refused.locator(".retry")).to_have_count(1)
    await expect(visitor.locator(".log .msg.mine.pending")).to_have_count(1)


# Fires a drag of a file over an element and its drop, as the browser does for a file from the desktop.
DROP = """(target, b64) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "invoice.pdf", { type: "application/pdf" }));
  for (const type of ["dragover", "drop"]) {
    target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
  }
}"""
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").decode()


async def test_a_dropped_file_and_an_operator_s_image_in_the_lightbox(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    """The visitor drops a PDF on the chat; the operator attaches an image from the console's
    composer, which reaches the visitor, and opens it in the console's lightbox."""
    olivia = await world.operator("Olivia")
    site_channel = await world.call("GET", f"/channels/{demo.channel_id}")
    channel_id = await world.channel([olivia], allowed_origins=site_channel["allowed_origins"])  # no bot
    console = await new_page("console")
    await sign_in(console, demo.console_url, olivia)
    await wait_available(world, channel_id, olivia)

    visitor = await new_page("visitor", **PHONE)
    await open_widget(visitor, demo.site_for(channel_id))
    textarea = visitor.locator(".compose textarea")
    await textarea.fill("My invoice is wrong")
    await textarea.press("Enter")
    await expect(visitor.locator(".log .msg[data-seq]", has_text="invoice")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await visitor.locator(".panel").evaluate(DROP, PDF)
    await expect(visitor.locator(".log .msg.mine[data-seq] .files a", has_text="invoice.pdf")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )

    row = console.locator("#conversation-list li.conversation button").first
    await expect(row).to_be_visible(timeout=UI_TIMEOUT_MS)
    await row.click()
    await expect(console.locator("#message-list .files a", has_text="invoice.pdf")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    await console.locator("#attach-input").set_input_files(
        {"name": "label.png", "mimeType": "image/png", "buffer": base64.b64decode(screenshot_png())}
    )
    mine = console.locator("#message-list li.message[data-seq] .files img.thumbnail")
    await expect(mine).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await expect(visitor.locator(".log .msg[data-seq]:not(.mine) .files img")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    await expect(mine).to_have_attribute("src", re.compile("/thumbnail"), timeout=UI_TIMEOUT_MS)
    await mine.click()
    lightbox = console.locator("#lightbox")
    await expect(lightbox).to_be_visible(timeout=UI_TIMEOUT_MS)
    await console.wait_for_function(  # the original, not the thumbnail: 640 px wide
        "() => { const img = document.getElementById('lightbox-image'); return img && img.naturalWidth === 640; }",
        timeout=UI_TIMEOUT_MS,
    )
    await shot(console, "console-lightbox")
    await console.keyboard.press("Escape")
    await expect(lightbox).to_be_hidden()
    await shot(visitor, "visitor-phone")
