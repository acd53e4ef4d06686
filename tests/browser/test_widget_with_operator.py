"""The widget with an operator on the other side (issue 22 items 7, 5, 6 and 8).

Read receipts both ways: the widget acks what arrives and marks it seen when the visitor can see
it (panel open, page shown), so the operator watches the ticks turn ✓✓, a minimised widget reads
nothing, and the visitor's own ✓✓ survive a reload. Minimised, the launcher shows how many
messages are unread and a preview of the last. "… joined" is said once; the console shows no
quick-reply noise and the closure once. A visitor who loses the network is told so, and the
console shows that the visitor left."""

from __future__ import annotations

import asyncio
import json
import re
import time

from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, set_available, sign_in, wait_busy
from tests.browser.widget_steps import DESKTOP, PHONE, say


async def visitor_member(world: ConsoleWorld, conversation_id: str, delivered: int) -> dict:
    """The visitor's member record once it has acknowledged ``delivered``."""
    deadline = time.monotonic() + 15
    while True:
        detail = await world.call("GET", f"/conversations/{conversation_id}")
        member = next(m for m in detail["members"] if m["role"] == "visitor")
        if member["last_delivered_seq"] >= delivered:
            return member
        assert time.monotonic() < deadline, f"the widget never acked {delivered}: {member}"
        await asyncio.sleep(0.2)


class SeenRefusals:
    """The widget's link as a loaded fleet may treat it: once armed, the next ``seen`` frame is
    answered 9503 (the bus did not answer in time) instead of reaching the gateway. Until the widget
    tried again, a seen lost this way was never sent again, and the operator's tick stayed "sent"
    (how the two full CI runs of the browser tier, beside the services tier, failed)."""

    def __init__(self) -> None:
        self.armed = False
        self.refused: list[dict] = []

    def route(self, page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if self.armed and frame.get("type") == "seen":
                self.armed = False
                self.refused.append(frame)
                refusal = {"code": 9503, "message": "no answer in time (refused by the test)"}
                page_side.send(json.dumps({"type": "error", "id": frame.get("id"), "data": refusal}))
                return
            server_side.send(message)

        page_side.on_message(from_page)


def console_tick(console: Page, text: str):
    return console.locator("#message-list li[data-seq]", has_text=text).locator(".tick")


def widget_tick(visitor: Page, text: str):
    return visitor.locator(".log .msg.mine[data-seq]", has_text=text).locator(".tick")


async def chatting(
    demo: RunningDemo,
    new_page: NewPage,
    world: ConsoleWorld,
    visitor_context: dict[str, object],
    *,
    bot: bool = False,
    refusals: SeenRefusals | None = None,
) -> tuple[Page, Page, str]:
    """A visitor (widget) who wrote "Hello, anyone there?" and Olivia (console) who accepted it;
    ``bot``: the demo's bot first, walked to "Talk to a person"; ``refusals``: the visitor's
    link passes through it."""
    olivia = await world.operator("Olivia")
    if bot:
        channel_id = await world.channel([olivia], like=demo.channel_id)
    else:
        origins = (await world.call("GET", f"/channels/{demo.channel_id}"))["allowed_origins"]
        channel_id = await world.channel([olivia], allowed_origins=origins)  # no bot: straight to the queue
    console = await new_page("console", **DESKTOP)
    await sign_in(console, demo.console_url, olivia)
    await set_available(console, False)
    await wait_busy(world, channel_id, olivia)

    visitor = await new_page("visitor", **visitor_context)
    if refusals is not None:
        await visitor.route_web_socket(re.compile(r"/ws$"), refusals.route)
    await visitor.goto(demo.site_for(channel_id))
    await visitor.locator(".launcher").click()
    await say(visitor, "Hello, anyone there?")
    if bot:
        talk = visitor.locator(".answers button[data-answer='human']")
        await expect(talk).to_be_visible(timeout=UI_TIMEOUT_MS)
        await talk.click()
    waiting = console.locator("#queues li.waiting")
    await expect(waiting).to_have_count(1, timeout=UI_TIMEOUT_MS)
    conversation_id = await waiting.get_attribute("data-conversation-id")
    assert conversation_id is not None
    await waiting.get_by_role("button", name="Accept").click()
    await expect(visitor.locator(".log", has_text="Olivia joined the conversation")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    return console, visitor, conversation_id


async def operator_says(console: Page, text: str) -> None:
    await console.fill("#composer-input", text)
    await console.press("#composer-input", "Enter")


async def test_the_operator_sees_the_visitor_read_and_the_visitors_ticks_survive_a_reload(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    refusals = SeenRefusals()
    console, visitor, conversation_id = await chatting(demo, new_page, world, PHONE, refusals=refusals)

    # The operator opened it and read it: the visitor's message turns ✓✓ in the widget.
    await expect(widget_tick(visitor, "Hello, anyone there?")).to_have_attribute(
        "aria-label", "seen", timeout=UI_TIMEOUT_MS
    )
    # The visitor has the chat open: the operator's reply is read at once, and the console shows
    # it, even though the widget's first seen for it is refused (it tries again a second later).
    refusals.armed = True
    await operator_says(console, "Hi, I'm Olivia.")
    await expect(console_tick(console, "Hi, I'm Olivia.")).to_have_attribute(
        "aria-label", "seen", timeout=UI_TIMEOUT_MS
    )
    assert len(refusals.refused) == 1, refusals.refused
    await shot(console, "1-console-seen")
    await shot(visitor, "1-widget-seen")

    # Minimised, the widget receives (acks) but does not read: the tick stays "sent".
    await visitor.locator(".minimize").click()
    await expect(visitor.locator(".panel")).to_be_hidden()
    await operator_says(console, "Are you still there?")
    sent = console.locator("#message-list li[data-seq]", has_text="Are you still there?")
    await expect(sent).to_have_count(1, timeout=UI_TIMEOUT_MS)
    seq = int(await sent.get_attribute("data-seq") or 0)
    member = await visitor_member(world, conversation_id, seq)
    assert member["last_seen_seq"] < seq, member
    await expect(console_tick(console, "Are you still there?")).to_have_attribute("aria-label", "sent")
    await shot(console, "2-console-delivered-not-seen")

    # The visitor opens the chat: now it is read.
    await visitor.locator(".launcher").click()
    await expect(console_tick(console, "Are you still there?")).to_have_attribute(
        "aria-label", "seen", timeout=UI_TIMEOUT_MS
    )
    await shot(console, "3-console-seen-after-opening")

    # A reload keeps the visitor's ✓✓ (read back from the conversation's members).
    await visitor.reload()
    await expect(widget_tick(visitor, "Hello, anyone there?")).to_have_attribute(
        "aria-label", "seen", timeout=UI_TIMEOUT_MS
    )
    await expect(widget_tick(visitor, "Hello, anyone there?")).to_have_text("✓✓")
    await shot(visitor, "4-widget-after-reload")


async def test_a_minimised_widget_shows_the_unread_count_and_a_preview(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    console, visitor, _ = await chatting(demo, new_page, world, DESKTOP)
    await visitor.locator(".minimize").click()
    badge, preview = visitor.locator(".badge"), visitor.locator(".preview")
    await expect(badge).to_be_hidden()
    await operator_says(console, "Your order shipped today.")
    await expect(badge).to_have_text("1", timeout=UI_TIMEOUT_MS)
    await expect(preview).to_contain_text("Olivia")
    await expect(preview).to_contain_text("Your order shipped today.")
    await operator_says(console, "It should arrive on Friday.")
    await expect(badge).to_have_text("2", timeout=UI_TIMEOUT_MS)
    await expect(preview).to_contain_text("It should arrive on Friday.")
    await expect(visitor.locator(".launcher")).to_have_attribute("aria-label", re.compile(r"\(2 unread\)$"))
    await shot(visitor, "1-minimised-with-news")
    # Unread is unread: the console's ticks stay "sent" until the visitor opens the chat.
    await expect(console_tick(console, "It should arrive on Friday.")).to_have_attribute("aria-label", "sent")

    await preview.click()  # the preview opens the chat
    await expect(visitor.locator(".panel")).to_be_visible()
    await expect(badge).to_be_hidden()
    await expect(preview).to_be_hidden()
    await expect(console_tick(console, "It should arrive on Friday.")).to_have_attribute(
        "aria-label", "seen", timeout=UI_TIMEOUT_MS
    )
    await shot(visitor, "2-opened")
    # Read, minimised again: no stale count.
    await visitor.locator(".minimize").click()
    await expect(badge).to_be_hidden()


async def test_a_bot_walk_shows_picks_once_and_joined_once_and_the_console_no_noise_or_double_closure(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    console, visitor, _ = await chatting(demo, new_page, world, DESKTOP, bot=True)
    # The pick is the visitor's message on both screens; no choice is left to click.
    await expect(visitor.locator(".log .msg.mine[data-seq]", has_text="Talk to a person")).to_have_count(1)
    await expect(console.locator("#message-list .from-visitor[data-seq]", has_text="Talk to a person")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    await expect(visitor.locator(".answer, .chip")).to_have_count(0)
    joined = visitor.locator(".log .msg.system", has_text="Olivia joined the conversation")
    await expect(joined.and_(visitor.locator("[data-seq]"))).to_have_count(1, timeout=UI_TIMEOUT_MS)  # the stored one
    await expect(joined).to_have_count(1)
    # Bot and operator look different (item 10): own colours, an avatar each, a time on every bubble.
    await operator_says(console, "Hi, I'm Olivia.")
    operator_bubble = visitor.locator(".log .msg.operator[data-seq]", has_text="Hi, I'm Olivia.")
    await expect(operator_bubble.locator(".avatar")).to_have_text("O", timeout=UI_TIMEOUT_MS)
    bot_bubble = visitor.locator(".log .msg.bot[data-seq]").first
    await expect(bot_bubble.locator(".avatar")).to_be_visible()
    background = "e => getComputedStyle(e).backgroundColor"
    assert await operator_bubble.evaluate(background) != await bot_bubble.evaluate(background)
    await expect(operator_bubble.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    tick = visitor.locator(".log .msg.mine[data-seq] .tick").first
    assert float((await tick.evaluate("e => getComputedStyle(e).fontSize")).removesuffix("px")) >= 12
    await shot(visitor, "1-widget-joined-once")
    # A reload replays the bot's quick replies: none come back into the human chat.
    await visitor.reload()
    await expect(joined).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await expect(visitor.locator(".answer, .chip")).to_have_count(0)
    log = console.locator("#message-list")
    await expect(log.locator("li.from-bot").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(log).not_to_contain_text("Quick replies")
    await expect(log).not_to_contain_text("quick replies hidden")

    await visitor.locator(".end").click()
    await expect(console.locator("#conversation-status")).to_have_text("Closed", timeout=UI_TIMEOUT_MS)
    await expect(log.locator("li", has_text="closed the conversation")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await expect(log.locator("li.note")).to_have_count(0)
    await shot(console, "2-console-closed-once")


async def test_a_visitor_who_loses_the_network_is_told_and_the_console_sees_them_leave(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    console, visitor, _ = await chatting(demo, new_page, world, PHONE)
    notice, presence = visitor.locator(".connection"), console.locator("#visitor-presence")
    await expect(notice).to_be_hidden()
    await visitor.context.set_offline(True)
    await demo.edge.cut_websockets()  # every socket: the console's reconnects at once
    await expect(notice).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(notice).to_contain_text("You are offline")
    await shot(visitor, "1-widget-offline")
    await expect(console.locator("#connection")).to_have_attribute("data-status", "online", timeout=UI_TIMEOUT_MS)

    await visitor.context.set_offline(False)
    await expect(notice).to_be_hidden(timeout=UI_TIMEOUT_MS)
    await expect(presence).to_have_text("Visitor online", timeout=UI_TIMEOUT_MS)
    await shot(visitor, "2-widget-back")

    await visitor.close()  # the visitor closes the tab
    await expect(presence).to_contain_text("Visitor left", timeout=UI_TIMEOUT_MS)
    await expect(console.locator("#conversation-list .left-tag")).to_have_count(1)
    await shot(console, "3-console-visitor-left")


async def test_rating_starts_empty_lights_on_hover_sends_with_the_comment_and_the_operator_sees_it(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    console, visitor, conversation_id = await chatting(demo, new_page, world, DESKTOP)
    await visitor.locator(".end").click()
    stars = visitor.locator(".stars button")
    await expect(stars).to_have_count(5, timeout=UI_TIMEOUT_MS)
    lit = visitor.locator(".stars button.lit")
    await expect(lit).to_have_count(0)  # nothing pre-filled
    await visitor.locator(".stars button[data-rating='4']").hover()
    await expect(lit).to_have_count(4)
    await shot(visitor, "1-hover-four")
    await visitor.locator(".comment").hover()
    await expect(lit).to_have_count(0)
    await visitor.locator(".comment").fill("Quick, but I had to wait.")
    await visitor.locator(".stars button[data-rating='3']").click()
    await expect(lit).to_have_count(3)
    await expect(visitor.locator(".stars button[aria-checked='true']")).to_have_attribute("data-rating", "3")
    await expect(visitor.locator(".comment")).to_have_value("Quick, but I had to wait.")  # a click sends nothing yet
    await shot(visitor, "2-picked-three")
    await visitor.locator(".rate-send").click()
    await expect(visitor.locator(".ask")).to_have_text("Thank you for your feedback!", timeout=UI_TIMEOUT_MS)
    # The visitor's own closure is a line of the conversation, not a bubble of theirs.
    await expect(visitor.locator(".log .msg.system[data-seq]", has_text="closed the conversation")).to_have_count(1)
    await expect(visitor.locator(".log .msg.mine", has_text="closed the conversation")).to_have_count(0)
    detail = await world.call("GET", f"/conversations/{conversation_id}")
    assert (detail["rating"]["rating"], detail["rating"]["comment"]) == (3, "Quick, but I had to wait.")

    rating = console.locator("#conversation-rating")
    await expect(rating).to_contain_text("3/5", timeout=UI_TIMEOUT_MS)
    await expect(rating).to_contain_text("Quick, but I had to wait.")
    # A closed conversation is listed under Closed (folded), with its rating.
    await expect(console.locator("#closed-list .rating-tag")).to_have_text("★3", timeout=UI_TIMEOUT_MS)
    await shot(console, "3-console-rating")
