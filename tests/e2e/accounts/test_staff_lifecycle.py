"""Staff accounts over the real fleet: a disabled operator's console closes within a second, their
token is refused by every service and routing never picks them; a deleted operator's
conversations go back to the queue with their name kept; passwords are changed and reset once;
every admin action is in the audit log; and every endpoint refuses whoever may not call it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import aiohttp

from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.accounts.conftest import new_channel, new_staff
from tests.e2e.gateway_fleet import bearer, closed, connect, login, post
from tests.kit.client import WsClient
from tests.kit.waiting import eventually


async def _get(session: aiohttp.ClientSession, url: str, token: str | None) -> tuple[int, Any]:
    async with session.get(url, headers=bearer(token) if token else {}) as response:
        return response.status, await response.json()


async def _call(
    session: aiohttp.ClientSession, method: str, url: str, token: str | None, body: Any = None
) -> tuple[int, Any]:
    async with session.request(method, url, json=body, headers=bearer(token) if token else {}) as response:
        return response.status, (await response.json() if response.content_type == "application/json" else None)


async def _visitor_message(session: aiohttp.ClientSession, fleet: Fleet, channel_id: str) -> str:
    """A new visitor's conversation on the channel (its first message posted)."""
    visitor = await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    widget, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    opened = await widget.request("session.open", {"channel_id": channel_id})
    conversation_id = opened["data"]["conversation_id"]
    body = {"conversation_id": conversation_id, "client_msg_id": "hi", "kind": "text", "body": "Hello"}
    assert (await widget.request("message.send", body))["type"] == "message.accepted"
    await widget.close()
    return str(conversation_id)


async def _assigned_chat(session: aiohttp.ClientSession, fleet: Fleet, channel_id: str, console: WsClient) -> str:
    """A visitor's conversation on the channel, once the console's operator got it."""
    conversation_id = await _visitor_message(session, fleet, channel_id)
    # Assigned at once, or from the queue when presence announces the console: either way it arrives.
    await console.wait_for(
        lambda f: f["type"] == "message.new" and f["data"]["conversation_id"] == conversation_id, timeout=30
    )
    return str(conversation_id)


async def _conversation(session: aiohttp.ClientSession, fleet: Fleet, admin: str, conversation_id: str) -> Any:
    status, detail = await _get(session, f"{fleet.url('chat_session')}/conversations/{conversation_id}", admin)
    assert status == 200, detail
    return detail


async def test_a_disabled_operator_is_closed_out_at_once_refused_everywhere_and_never_assigned(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    uid, username, password = await new_staff(session, fleet, admin)
    channel_id = await new_channel(session, fleet, admin, operator_ids=[uid])
    operator = await login(session, fleet, username=username, password=password)
    console, _ = await connect(session, fleet.url("gateway"), operator["token"])
    conversation_id = await _assigned_chat(session, fleet, channel_id, console)

    status, disabled = await post(session, f"{fleet.url('auth')}/auth/users/{uid}/disable", {}, **bearer(admin))
    answered = time.monotonic()
    assert status == 200 and disabled["disabled"] is True, disabled
    assert await closed(console, timeout=5) == 4001
    assert time.monotonic() - answered <= 1.0, "the console outlived the disable by more than a second"

    token = operator["token"]
    for url in (
        f"{fleet.url('auth')}/auth/me",
        f"{fleet.url('chat_session')}/channels",
        f"{fleet.url('chatbot_engine')}/chatbot/scripts",
        f"{fleet.url('notification')}/push/subscriptions",
    ):
        status, refused = await _get(session, url, token)
        assert (status, refused["error"]["code"]) == (401, 7001), url
    again, answer = await connect(session, fleet.url("gateway"), token)
    assert answer["type"] == "error" and answer["data"]["code"] == 7001
    assert await closed(again) == 4001
    status, refused = await post(
        session, f"{fleet.url('auth')}/auth/login", {"username": username, "password": password}
    )
    assert (status, refused["error"]["code"]) == (403, 7110)
    status, refused = await post(
        session, f"{fleet.url('auth')}/auth/refresh", {"refresh_token": operator["refresh_token"]}
    )
    assert status == 401

    # Handed back to the queue, and left there: nobody else answers this channel.
    detail = await eventually(
        lambda: _queued(session, fleet, admin, conversation_id), what="the conversation back in the queue"
    )
    assert detail["operator_id"] is None
    waiting = await _visitor_message(session, fleet, channel_id)
    assert (await _conversation(session, fleet, admin, waiting))["status"] == "queued"

    # Enabled again and online, the operator is routed to: what kept them out was the disable. (The
    # conversation they held was handed back as declined by them, so it waits for someone else.)
    status, _ = await post(session, f"{fleet.url('auth')}/auth/users/{uid}/enable", {}, **bearer(admin))
    assert status == 200
    operator = await login(session, fleet, username=username, password=password)
    console, _ = await connect(session, fleet.url("gateway"), operator["token"])
    await eventually(lambda: _held_by(session, fleet, admin, waiting, uid), what="the waiting conversation given them")
    assert (await _conversation(session, fleet, admin, conversation_id))["status"] == "queued"
    await console.close()


async def _queued(session: aiohttp.ClientSession, fleet: Fleet, admin: str, conversation_id: str) -> Any:
    detail = await _conversation(session, fleet, admin, conversation_id)
    return detail if detail["status"] == "queued" else None


async def _held_by(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str, conversation_id: str, operator_id: str
) -> bool:
    return bool((await _conversation(session, fleet, admin, conversation_id))["operator_id"] == operator_id)


async def test_a_deleted_operators_conversations_go_back_to_the_queue_with_their_name_kept(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    uid, username, password = await new_staff(session, fleet, admin)
    channel_id = await new_channel(session, fleet, admin, operator_ids=[uid])
    operator = await login(session, fleet, username=username, password=password)
    console, _ = await connect(session, fleet.url("gateway"), operator["token"])
    conversation_id = await _assigned_chat(session, fleet, channel_id, console)
    name = (await _get(session, f"{fleet.url('auth')}/auth/users/{uid}", admin))[1]["name"]
    body = {"conversation_id": conversation_id, "client_msg_id": "answer", "kind": "text", "body": "Right away"}
    assert (await console.request("message.send", body))["type"] == "message.accepted"

    status, _ = await _call(session, "DELETE", f"{fleet.url('auth')}/auth/users/{uid}", admin)
    assert status == 204
    assert await closed(console, timeout=5) == 4001
    detail = await eventually(
        lambda: _queued(session, fleet, admin, conversation_id), what="the conversation back in the queue"
    )
    assert detail["operator_id"] is None and any(entry.get("name") == name for entry in detail["history"])
    status, page = await _get(session, f"{fleet.url('chat_session')}/conversations/{conversation_id}/messages", admin)
    assert status == 200
    assert (name, "Right away") in [(m["author_name"], m["body"]) for m in page["messages"] if m["author_id"] == uid]
    status, channel = await _get(session, f"{fleet.url('chat_session')}/channels/{channel_id}", admin)
    assert uid not in channel["operator_ids"]

    status, refused = await post(
        session, f"{fleet.url('auth')}/auth/login", {"username": username, "password": password}
    )
    assert (status, refused["error"]["code"]) == (401, 7001)
    users = f"{fleet.url('auth')}/auth/users/{uid}"
    for method, url, body in (
        ("POST", f"{users}/disable", {}),
        ("POST", f"{users}/enable", {}),
        ("DELETE", users, None),
        ("PATCH", users, {"name": "Back"}),
        ("POST", f"{users}/password-reset", {}),
        ("POST", f"{users}/sessions/end", {}),
    ):
        status, refused = await _call(session, method, url, admin, body)
        assert (status, refused["error"]["code"]) == (400, 9105), (method, url)
    # The username is free again.
    body = {"username": username, "password": "another-password", "role": "operator"}
    status, _ = await post(session, f"{fleet.url('auth')}/auth/users", body, **bearer(admin))
    assert status == 201


async def test_passwords_are_changed_with_the_current_one_and_reset_once_and_sessions_end_on_demand(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str, infra: Infra, mongo: Any
) -> None:
    auth = fleet.url("auth")
    uid, username, password = await new_staff(session, fleet, admin)
    first = await login(session, fleet, username=username, password=password)
    second = await login(session, fleet, username=username, password=password)

    change = {"current_password": "not-it-at-all", "new_password": "a-newer-password"}
    status, refused = await _call(session, "POST", f"{auth}/auth/password", first["token"], change)
    assert (status, refused["error"]["code"]) == (401, 7001)
    change["current_password"] = password
    status, _ = await _call(session, "POST", f"{auth}/auth/password", first["token"], change)
    assert status == 204
    assert (await _get(session, f"{auth}/auth/me", first["token"]))[0] == 200  # the session it was changed from
    assert (await _get(session, f"{auth}/auth/me", second["token"]))[0] == 401  # the others end
    status, _ = await post(session, f"{auth}/auth/login", {"username": username, "password": password})
    assert status == 401

    status, issued = await post(session, f"{auth}/auth/users/{uid}/password-reset", {}, **bearer(admin))
    assert status == 201 and issued["code"]
    stored = await mongo[infra.mongo_db]["users"].find_one({"_id": uid})
    assert issued["code"] not in str(stored)  # only its hash
    assert (await _get(session, f"{auth}/auth/me", first["token"]))[0] == 401
    redeem = {"username": username, "code": "a-wrong-code", "new_password": "reset-password-1"}
    status, refused = await post(session, f"{auth}/auth/password/reset", redeem)
    assert (status, refused["error"]["code"]) == (401, 7001)
    redeem["code"] = issued["code"]
    status, _ = await post(session, f"{auth}/auth/password/reset", redeem)
    assert status == 204
    redeem["new_password"] = "reset-password-2"
    status, refused = await post(session, f"{auth}/auth/password/reset", redeem)
    assert (status, refused["error"]["code"]) == (401, 7001)  # single use
    third = await login(session, fleet, username=username, password="reset-password-1")

    status, ended = await post(session, f"{auth}/auth/users/{uid}/sessions/end", {}, **bearer(admin))
    assert status == 200 and ended["ended"] >= 1
    assert (await _get(session, f"{auth}/auth/me", third["token"]))[0] == 401
    await login(session, fleet, username=username, password="reset-password-1")  # not disabled: may log in again

    status, page = await _get(session, f"{auth}/auth/audit?target={uid}", admin)
    actions = [entry["action"] for entry in page["entries"]]
    assert status == 200 and actions[:5] == [
        "staff.end_sessions",
        "staff.redeem_reset",
        "staff.reset_password",
        "staff.change_password",
        "staff.create",
    ], actions
    assert issued["code"] not in str(page) and "reset-password-1" not in str(page)


async def test_staff_are_listed_page_by_page_and_only_admins_manage_them(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    auth = fleet.url("auth")
    made = {(await new_staff(session, fleet, admin))[0] for _ in range(3)}
    seen: set[str] = set()
    cursor = ""
    while True:
        status, page = await _get(session, f"{auth}/auth/users?limit=2&role=operator{cursor}", admin)
        assert status == 200 and len(page["users"]) <= 2
        seen |= {user["uid"] for user in page["users"]}
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert made <= seen

    target, op_username, op_password = await new_staff(session, fleet, admin)
    operator = (await login(session, fleet, username=op_username, password=op_password))["token"]
    visitor = (await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}"))["token"]
    _, other_admin_name, other_password = await new_staff(session, fleet, admin, role="admin")
    revoked = await login(session, fleet, username=other_admin_name, password=other_password)
    assert (await _call(session, "POST", f"{auth}/auth/logout", revoked["token"]))[0] == 204
    user = f"{auth}/auth/users/{target}"
    calls = [
        ("GET", f"{auth}/auth/users", None),
        ("GET", user, None),
        ("PATCH", user, {"name": "X"}),
        ("POST", f"{user}/disable", {}),
        ("POST", f"{user}/enable", {}),
        ("DELETE", user, None),
        ("POST", f"{user}/sessions/end", {}),
        ("POST", f"{user}/password-reset", {}),
        ("GET", f"{auth}/auth/audit", None),
    ]
    for method, url, body in calls:
        for token, expected in ((None, (401, 9004)), (revoked["token"], (401, 7001))):
            status, refused = await _call(session, method, url, token, body)
            assert (status, refused["error"]["code"]) == expected, (method, url, token is None)
        for token in (visitor, operator):
            status, refused = await _call(session, method, url, token, body)
            assert (status, refused["error"]["code"]) == (403, 9101), (method, url)
    assert (await _get(session, f"{auth}/auth/me", operator))[0] == 200  # nothing above touched the account

    for method, url, body in (
        ("PATCH", user, {"$set": {"role": "admin"}}),
        ("PATCH", user, {"role": "visitor"}),
        ("PATCH", user, {"name": "x" * 101}),
        ("GET", f"{auth}/auth/users?limit=0", None),
        ("GET", f"{auth}/auth/users?limit=100000", None),
        ("GET", f"{auth}/auth/users?cursor[$gt]=a", None),
        ("GET", f"{auth}/auth/audit?target[$ne]=x", None),
        ("GET", f"{auth}/auth/audit?limit=501", None),
        ("GET", f"{auth}/auth/users/$where", None),
        ("POST", f"{auth}/auth/password", {"current_password": {"$ne": ""}, "new_password": "whatever-1"}),
    ):
        token = operator if url.endswith("/auth/password") else admin
        status, refused = await _call(session, method, url, token, body)
        assert (status, refused["error"]["code"]) == (400, 9105), (method, url, body)

    me = (await _get(session, f"{auth}/auth/me", admin))[1]["uid"]
    for method, url, body in (
        ("POST", f"{auth}/auth/users/{me}/disable", {}),
        ("DELETE", f"{auth}/auth/users/{me}", None),
    ):
        status, refused = await _call(session, method, url, admin, body)
        assert (status, refused["error"]["code"]) == (400, 9105)
    status, page = await _get(session, f"{auth}/auth/audit?action=staff.create&limit=3", admin)
    assert status == 200 and [entry["actor"] for entry in page["entries"]] == [me] * 3
