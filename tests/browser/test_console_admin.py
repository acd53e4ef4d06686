"""The console's admin screens in headless Chromium against the real fleet (issue 22 item 12): an
admin creates an operator, a chatbot script and a channel from the console (refusals shown in
plain words on the way), then a visitor chats through them: the new bot greets on the sample
site and hands over to the new operator, who answers from the console, reads the visitor's
details, finds the closed chat and the channel's CSAT. A phone run shows the
admin screens in Simplified Chinese. axe-core checks every screen opened; screenshots land in
test-artifacts/browser/<test>/."""

from __future__ import annotations

import dataclasses
import json
import uuid

from playwright.async_api import Page, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, Staff, message_bodies, sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.browser.widget_steps import DESKTOP, PHONE, WAIT_MS, open_widget, say

# A bot of two lines: greets, then offers a person (the visitor's "person" hands over).
SCRIPT = """\
id: {id}
name: Front desk
bot_name: Dot
greeting: "Hi, I'm Dot from the front desk."
steps:
  - id: topic
    type: question_selection
    text: "Shall I fetch a person for you?"
    answers:
      - id: human
        label: "Talk to a person"
        aliases: [person]
        then: operator
"""


async def sign_in_admin(page: Page, demo: RunningDemo) -> None:
    await page.goto(demo.console_url)
    await page.fill("#login-username", demo.admin.username)
    await page.fill("#login-password", demo.admin.password)
    await page.click("#login-submit")
    await expect(page.locator("#connection")).to_have_attribute("data-status", "online", timeout=UI_TIMEOUT_MS)


async def open_tab(page: Page, name: str) -> None:
    if await page.locator("#admin-toggle").get_attribute("aria-pressed") != "true":
        await page.click("#admin-toggle")
    await page.get_by_role("tab", name=name).click()
    await expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


async def test_an_admin_sets_up_operator_script_and_channel_and_a_visitor_chats_through_them(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    violations: dict[str, list[dict]] = {}
    admin = await new_page("admin", **DESKTOP)
    await sign_in_admin(admin, demo)
    await expect(admin.locator("#admin-toggle")).to_be_visible()

    # Staff: a new operator.
    await open_tab(admin, "Staff")
    nora = Staff(uid="", username=f"nora-{uuid.uuid4().hex[:6]}", password="nora-password-1", name="Nora")
    form = admin.get_by_role("form", name="New staff account")
    await form.get_by_label("Username").fill(nora.username)
    await form.get_by_label("Display name").fill(nora.name)
    await form.get_by_label("Password").fill(nora.password)
    await form.get_by_role("button", name="Create account").click()
    await expect(form.locator(".outcome")).to_have_text(
        "Nora can sign in now. Add them to a channel under Channels.", timeout=UI_TIMEOUT_MS
    )
    await expect(admin.get_by_role("cell", name=nora.username, exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    await admin.get_by_role("button", name="End sessions of Nora").click()
    await expect(admin.locator("#admin-panel > .outcome")).to_have_text(
        "Nora: 0 sessions ended.", timeout=UI_TIMEOUT_MS
    )
    # The same username again: the API's refusal, in words, not a silent failure.
    await form.get_by_label("Username").fill(nora.username)
    await form.get_by_label("Display name").fill("Nora again")
    await form.get_by_label("Password").fill(nora.password)
    await form.get_by_role("button", name="Create account").click()
    await expect(form.get_by_role("alert")).to_contain_text("Refused (9105):", timeout=UI_TIMEOUT_MS)
    violations["staff"] = await blocking_violations(admin, "body")
    await shot(admin, "staff")

    # Chatbot scripts: a broken one is refused with its problems listed; the good one is stored.
    await open_tab(admin, "Chatbot scripts")
    script_id = f"desk_{uuid.uuid4().hex[:6]}"
    upload = admin.get_by_role("form", name="Upload a chatbot script")
    await upload.get_by_label("Script", exact=True).fill(SCRIPT.format(id="Not A Valid Id"))
    await upload.get_by_role("button", name="Check").click()
    await expect(upload.get_by_role("alert")).to_contain_text("Refused (9105):", timeout=UI_TIMEOUT_MS)
    await expect(upload.locator(".problems")).to_contain_text("id:")
    await upload.get_by_label("Script", exact=True).fill(SCRIPT.format(id=script_id))
    await upload.get_by_role("button", name="Check").click()
    await expect(upload.locator(".outcome")).to_have_text("The script is valid.", timeout=UI_TIMEOUT_MS)
    await upload.get_by_role("button", name="Save script").click()
    await expect(admin.get_by_role("cell", name=script_id, exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    violations["scripts"] = await blocking_violations(admin, "body")
    await shot(admin, "scripts")

    # Channels: a bad origin is refused in words; then the channel, with Nora and the script.
    origins = (await world.call("GET", f"/channels/{demo.channel_id}"))["allowed_origins"]
    await open_tab(admin, "Channels")
    await admin.click("#admin-new-channel")
    editor = admin.get_by_role("form", name="New channel")
    channel_name = f"Front desk {uuid.uuid4().hex[:4]}"
    await editor.get_by_label("Name", exact=True).fill(channel_name)
    await editor.get_by_label("Welcome message").fill("Welcome to the front desk!")
    await editor.get_by_label("Allowed origins").fill("not an origin")
    await editor.get_by_label(f"{nora.name} ({nora.username})").check()
    await editor.get_by_label("Chatbot script").select_option(script_id)
    await editor.get_by_role("button", name="Create channel").click()
    await expect(editor.get_by_role("alert")).to_contain_text("Refused (9105): allowed_origins", timeout=UI_TIMEOUT_MS)
    await editor.get_by_label("Allowed origins").fill("\n".join(origins))
    await editor.get_by_role("button", name="Create channel").click()
    saved = admin.get_by_role("form", name=f"Edit {channel_name}")
    await expect(saved).to_be_visible(timeout=UI_TIMEOUT_MS)
    channel_id = await admin.get_by_role("button", name=f"Edit {channel_name}").get_attribute("data-channel-id")
    assert channel_id
    channel = await world.call("GET", f"/channels/{channel_id}")
    assert channel["chatbot_script_id"] == script_id and channel["allowed_origins"] == origins, channel
    canned = admin.get_by_role("region", name="Canned responses")
    await canned.get_by_label("Shortcut").fill("hello")
    await canned.get_by_label("Text", exact=True).fill("Hello, Nora here. How can I help?")
    await canned.get_by_role("button", name="Save canned response").click()
    await expect(canned.get_by_role("cell", name=":hello", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    violations["channels"] = await blocking_violations(admin, "body")
    await shot(admin, "channel")

    # The audit log says who created Nora, with names for ids.
    await open_tab(admin, "Audit log")
    await expect(admin.locator("#admin-panel tbody tr").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    created = admin.locator("#admin-panel tbody tr", has_text=nora.username)
    await expect(created).to_contain_text("staff.create")
    await expect(created.locator("td").nth(3)).to_have_text("Nora")  # the target by name, not id
    violations["audit"] = await blocking_violations(admin, "body")
    await shot(admin, "audit")
    assert not any(violations.values()), json.dumps(violations, indent=1)

    # A visitor chats through what the admin made: Dot greets, hands over, Nora answers.
    staffed = await world.call("GET", f"/channels/{channel_id}/operators")
    nora = dataclasses.replace(nora, uid=next(op["user_id"] for op in staffed["operators"] if op["name"] == "Nora"))
    console = await new_page("operator", **DESKTOP)
    await sign_in(console, demo.console_url, nora)
    visitor = await new_page("visitor", **PHONE)
    await open_widget(visitor, demo.site_for(channel_id))
    await say(visitor, "hi")
    await expect(visitor.locator(".msg.bot", has_text="Shall I fetch a person for you?")).to_be_visible(timeout=WAIT_MS)
    await visitor.get_by_role("button", name="Talk to a person").first.click()
    row = console.locator("#conversation-list li.conversation").first
    await expect(row).to_be_visible(timeout=UI_TIMEOUT_MS)
    await row.locator("button").click()
    # The canned response the admin saved, through ":" (Enter picks it, Enter sends it).
    await console.locator("#composer-input").press_sequentially(":hel")
    await expect(console.locator("#suggestions [role=option][data-shortcut='hello']")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    await console.press("#composer-input", "Enter")
    await expect(console.locator("#composer-input")).to_have_value("Hello, Nora here. How can I help?")
    await console.press("#composer-input", "Enter")
    await expect(message_bodies(console).last).to_have_text("Hello, Nora here. How can I help?", timeout=UI_TIMEOUT_MS)
    await expect(visitor.locator(".msg", has_text="Hello, Nora here. How can I help?")).to_be_visible(timeout=WAIT_MS)
    await shot(visitor, "visitor")

    # What the console knows of the visitor, on demand; then closed, the chat leaves the working
    # list for the folded Closed section, where a search finds it by its text.
    await console.click("#details-button")
    facts = console.locator("#visitor-facts")
    await expect(facts).to_contain_text(channel_name)
    await expect(facts).to_contain_text("Not verified")
    # Where the visitor chats from, as the widget said at session.open.
    await expect(facts).to_contain_text(demo.site_for(channel_id))
    await expect(facts.locator("dd").filter(has_text="Chrome")).to_contain_text(" on ")
    await shot(console, "operator")
    await console.click("#close-button")
    await console.click("#close-confirm")
    await expect(console.locator("#conversation-list li")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    await expect(console.locator("#closed-count")).to_have_text("1")
    await console.locator("#closed-section summary").click()
    await console.fill("#closed-filter", "fetch a person")
    await expect(console.locator("#closed-list li")).to_have_count(1)
    await console.fill("#closed-filter", "nothing like this")
    await expect(console.locator("#closed-list li")).to_have_count(0)
    await shot(console, "closed")

    # Another visitor rates a chat with the bot 5 stars: the channel's CSAT in the operator's
    # sidebar counts it; Nora's own line has no rating yet.
    rater = await world.visitor()
    rated_id = await world.start_conversation(rater, channel_id, "Just saying thanks")
    assert (await rater.ws.request("conversation.close", {"conversation_id": rated_id}))["type"] == "ok"
    rating = {"conversation_id": rated_id, "rating": 5, "comment": "Lovely"}
    assert (await rater.ws.request("conversation.rate", rating))["type"] == "ok"
    await console.locator("#satisfaction-section summary").click()
    figures = console.locator(f"#satisfaction [data-channel-id='{channel_id}']")
    await expect(figures.get_by_role("row", name="Whole channel")).to_contain_text("100% (1)", timeout=UI_TIMEOUT_MS)
    await expect(figures.get_by_role("row", name="Nora")).to_contain_text("—")
    await shot(console, "ratings")


async def test_the_admin_screens_on_a_phone_in_chinese(demo: RunningDemo, new_page: NewPage, shot: Shot) -> None:
    page = await new_page("admin-phone", **PHONE, locale="zh-CN")
    await sign_in_admin(page, demo)
    await expect(page.locator("#admin-toggle")).to_have_text("管理")
    await page.click("#admin-toggle")
    await expect(page.get_by_role("tab", name="渠道")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#admin-panel table")).to_be_visible(timeout=UI_TIMEOUT_MS)
    await page.click("#admin-new-channel")
    await expect(page.get_by_role("form", name="新建渠道")).to_be_visible()
    channels = await blocking_violations(page, "body")
    await shot(page, "channels-zh")
    await page.get_by_role("tab", name="员工").click()
    await expect(page.get_by_role("form", name="新建员工账号")).to_be_visible()
    staff = await blocking_violations(page, "body")
    await shot(page, "staff-zh")
    await page.get_by_role("tab", name="机器人与 Webhook").click()
    await expect(page.get_by_role("form", name="注册机器人")).to_be_visible(timeout=UI_TIMEOUT_MS)
    integrations = await blocking_violations(page, "body")
    await shot(page, "integrations-zh")
    # Back to English by the language menu (kept for the next visit).
    await page.locator("#locale").select_option("en")
    await expect(page.locator("#admin-toggle")).to_have_text("Administration", timeout=UI_TIMEOUT_MS)
    assert not (channels or staff or integrations), json.dumps(
        {"channels": channels, "staff": staff, "integrations": integrations}, indent=1
    )
