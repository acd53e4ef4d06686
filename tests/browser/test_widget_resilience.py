"""The widget keeps the conversation: across a reload, across a network drop (no gap, no
duplicate on screen), with reconnecting paused while the page is hidden; a second window takes
the chat over (kickoff); closing asks for a rating and offers the transcript.

Network drops: Chromium's offline emulation (``context.set_offline``) fails new connections but
leaves an open WebSocket alive, so a drop is ``Edge.cut_websockets`` (no close frame: the page
sees 1006) while the page is offline, so it cannot reconnect until the network is back.
"""

from __future__ import annotations

import asyncio
import uuid

from playwright.async_api import Page, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import ConsoleWorld, Staff
from tests.browser.widget_steps import WAIT_MS, open_widget, say, seqs, start_bot
from tests.kit.client import WsClient, login

RECONNECTING = "Connection lost. Reconnecting…"


async def operator_desk(world: ConsoleWorld, demo: RunningDemo) -> tuple[Staff, str, WsClient]:
    """An operator of a channel of their own (no bot), online on the gateway itself, so cutting
    the edge's sockets drops the visitor only."""
    staff = await world.operator("Otto")
    channel_id = await world.channel([staff], allowed_origins=[demo.site_url])
    signed_in = await login(
        world.session, demo.fleet.url("auth"), username=staff.username, password=staff.password, client_kind="console"
    )
    ws, _ = await WsClient.connect(
        world.session, demo.fleet.url("gateway").replace("http://", "ws://") + "/ws", signed_in["token"]
    )
    world.sockets.append(ws)
    await asyncio.sleep(0.5)  # presence learns of the operator's connection from a bus event
    return staff, channel_id, ws


async def operator_says(operator: WsClient, conversation_id: str, text: str) -> None:
    data = {"conversation_id": conversation_id, "client_msg_id": uuid.uuid4().hex, "kind": "text", "body": text}
    sent = await operator.request("message.send", data)
    assert sent["type"] == "message.accepted", sent


async def conversation_of(operator: WsClient) -> str:
    frame = await operator.wait_for(lambda f: f["type"] == "message.new", timeout=WAIT_MS / 1000)
    return str(frame["data"]["conversation_id"])


async def assert_whole_and_once(page: Page) -> list[int]:
    shown = await seqs(page)
    assert shown == list(range(1, len(shown) + 1)), f"seqs on screen: {shown}"
    return shown


async def test_a_reload_keeps_the_conversation(demo: RunningDemo, new_page: NewPage, shot: Shot) -> None:
    page = await new_page("visitor")
    await start_bot(page, demo.site_url)
    await page.locator(".answer", has_text="Billing").click()
    await expect(page.locator(".answer")).to_have_text(["Yes, thanks", "No"], timeout=WAIT_MS)
    before = await assert_whole_and_once(page)
    texts = await page.locator(".log [data-seq]").all_inner_texts()
    await shot(page, "1-before-reload")
    await page.reload()
    await expect(page.locator(".panel")).to_be_visible(timeout=WAIT_MS)  # it was open: it opens again
    await expect(page.locator(".log [data-seq]")).to_have_count(len(before), timeout=WAIT_MS)
    assert await page.locator(".log [data-seq]").all_inner_texts() == texts
    await say(page, "still here")
    await expect(page.locator(".msg.mine", has_text="still here")).to_have_attribute(
        "data-seq", str(len(before) + 1), timeout=WAIT_MS
    )
    await assert_whole_and_once(page)
    await shot(page, "2-after-reload")


async def test_a_network_drop_loses_and_doubles_nothing(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    _, channel_id, operator = await operator_desk(world, demo)
    page = await new_page("visitor")
    await open_widget(page, demo.site_for(channel_id))
    await say(page, "hello")
    conversation_id = await conversation_of(operator)
    await operator_says(operator, conversation_id, "hi, Otto here")
    await expect(page.locator(".msg.operator", has_text="Otto here")).to_be_visible(timeout=WAIT_MS)
    await page.context.set_offline(True)
    assert await demo.edge.cut_websockets() >= 1
    await expect(page.locator(".status")).to_have_text(RECONNECTING, timeout=WAIT_MS)
    for n in (1, 2, 3):
        await operator_says(operator, conversation_id, f"while you were away {n}")
    await shot(page, "1-dropped")
    await page.context.set_offline(False)
    await expect(page.locator(".msg.operator", has_text="while you were away 3")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".status")).to_have_text("")
    shown = await assert_whole_and_once(page)
    assert len(shown) >= 5  # hello, the greeting, and the three sent during the drop (plus any notice)
    await say(page, "back again")
    await expect(page.locator(".msg.mine", has_text="back again")).to_have_attribute(
        "data-seq", str(len(shown) + 1), timeout=WAIT_MS
    )
    await shot(page, "2-reconnected")


async def test_a_hidden_page_waits_to_reconnect_until_shown(
    demo: RunningDemo, new_page: NewPage, world: ConsoleWorld
) -> None:
    _, channel_id, operator = await operator_desk(world, demo)
    page = await new_page("visitor")
    await open_widget(page, demo.site_for(channel_id))
    await say(page, "hello")
    conversation_id = await conversation_of(operator)
    await page.evaluate("""() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                                   document.dispatchEvent(new Event('visibilitychange')); }""")
    await demo.edge.cut_websockets()
    await expect(page.locator(".status")).to_have_text(RECONNECTING, timeout=WAIT_MS)
    await operator_says(operator, conversation_id, "are you there?")
    await asyncio.sleep(5)  # two retry delays: a visible page would have reconnected by now
    assert not demo.edge.sockets, "a hidden page reconnected"
    await expect(page.locator(".msg.operator", has_text="are you there?")).to_have_count(0)
    await page.evaluate("""() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
                                   document.dispatchEvent(new Event('visibilitychange')); }""")
    await expect(page.locator(".msg.operator", has_text="are you there?")).to_be_visible(timeout=WAIT_MS)
    await assert_whole_and_once(page)


async def test_a_second_window_takes_the_chat_over(demo: RunningDemo, new_page: NewPage, shot: Shot) -> None:
    first = await new_page("first-window")
    await start_bot(first, demo.site_url)
    device = await first.evaluate("localStorage.getItem('parley.device')")
    second = await new_page("second-window")
    await second.add_init_script(f"localStorage.setItem('parley.device', {device!r})")
    await open_widget(second, demo.site_url)  # the same visitor logs in again: the first is kicked off
    banner = first.locator(".banner")
    await expect(banner).to_contain_text("You opened the chat in another window or tab", timeout=WAIT_MS)
    await shot(first, "1-kicked-off")
    await asyncio.sleep(3)
    await expect(first.locator(".status")).to_have_text("Disconnected.")  # it does not reconnect by itself
    await first.locator(".take-back").click()
    await expect(banner).to_be_hidden(timeout=WAIT_MS)
    await expect(second.locator(".banner")).to_contain_text(
        "You opened the chat in another window or tab", timeout=WAIT_MS
    )


async def test_closing_asks_for_a_rating_and_offers_the_transcript(
    demo: RunningDemo, new_page: NewPage, shot: Shot
) -> None:
    page = await new_page("visitor")
    await start_bot(page, demo.site_url)
    await page.locator(".end").click()
    closing = page.locator(".closing")
    await expect(closing.locator(".ask")).to_have_text("The chat has ended. How did we do?", timeout=WAIT_MS)
    await expect(page.locator(".compose")).to_be_hidden()
    link = closing.locator("a.transcript")
    await expect(link).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
    await shot(page, "1-rating")
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    transcript = (await download.path()).read_text()  # type: ignore[union-attr]
    assert "What is your question about?" in transcript and ">hi<" in transcript
    assert download.suggested_filename.startswith("transcript-c_")
    await closing.locator(".comment").fill("Quick and helpful")
    await closing.locator("[data-rating='4']").click()
    await closing.locator(".rate-send").click()
    await expect(closing.locator(".ask")).to_have_text("Thank you for your feedback!", timeout=WAIT_MS)
    await shot(page, "2-rated")
    await closing.locator(".again").click()
    await expect(page.locator(".compose")).to_be_visible()
    await expect(page.locator(".log [data-seq]")).to_have_count(0)
