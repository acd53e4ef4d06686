"""chat_session against an attacker (issue 16): values built to fail in the database, another
conversation's idempotency key, a flood of temporary sessions, an operator taken off a channel,
disguised sensitive words, and bad HTTP input. Each is refused with its documented code and
changes nothing."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from parley.bus import Bus
from parley.contracts.base import Envelope
from parley.contracts.bounded import MAX_SEQ
from parley.contracts.integrations import OutboundEvent
from parley.http_api import Endpoint
from parley.settings import ServiceSettings
from parley_chat_session.conversations.sessions import MAX_RESERVATIONS_PER_VISITOR
from parley_chat_session.http.endpoints import ENDPOINTS
from tests.conftest import Infra
from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, Person, of_type, world_fixture
from tests.kit.waiting import eventually

world = world_fixture("chat-security")
HUGE = 2**63


@pytest.fixture
async def pair(world: ChatWorld) -> tuple[Person, Person, str, str]:
    """An operator and a visitor in a conversation of a fresh channel (operator, visitor, channel, conversation)."""
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator])
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "Hello")
    await operator.ws.wait_for(of_type("message.new", conversation_id=conversation_id, seq=1), WAIT_SECONDS)
    return operator, visitor, channel_id, conversation_id


def refused(frame: dict[str, Any], code: int) -> None:
    assert frame["type"] == "error" and frame["data"]["code"] == code, frame


async def bodies(mongo: Any, infra: Infra, conversation_id: str) -> list[Any]:
    cursor = mongo[infra.mongo_db]["messages"].find({"conversation_id": conversation_id}).sort("seq", 1)
    return [doc["body"] for doc in await cursor.to_list()]


async def send(
    person: Person, conversation_id: str, kind: str, body: Any, client_msg_id: str | None = None
) -> dict[str, Any]:
    data = {
        "conversation_id": conversation_id,
        "client_msg_id": client_msg_id or uuid.uuid4().hex,
        "kind": kind,
        "body": body,
    }
    return await person.ws.request("message.send", data, timeout=WAIT_SECONDS)


# ---- finding 2 and 12: values the database would refuse are refused at the door -------------


async def test_values_the_database_would_refuse_are_refused_where_they_enter(
    world: ChatWorld, infra: Infra, mongo, pair
) -> None:
    operator, visitor, _, conversation_id = pair
    for kind, body in [
        ("action", {"meaning": "open", "params": {"$where": "sleep(1000)"}}),
        ("action", {"meaning": "open", "params": {"order": {"a.b": 1}}}),
        ("action", {"meaning": "open", "params": {"n": HUGE}}),
        ("action", {"meaning": "open", "params": {"deep": {"a": {"b": {"c": {"d": 1}}}}}}),
        ("text", {"meaning": "open", "params": {}}),  # kind and body disagree
        ("action", "a string is no action"),
    ]:
        refused(await send(visitor, conversation_id, kind, body), 9001)
    for frame_type, data in [
        ("history.get", {"conversation_id": conversation_id, "after_seq": HUGE}),
        ("history.get", {"conversation_id": conversation_id, "before_seq": MAX_SEQ + 1}),
        ("resume", {"conversation_id": conversation_id, "after_seq": HUGE}),
        ("seen", {"conversation_id": conversation_id, "seq": HUGE}),
    ]:
        refused(await visitor.ws.request(frame_type, data, timeout=WAIT_SECONDS), 9001)
    assert await bodies(mongo, infra, conversation_id) == ["Hello"]

    # What the contract does accept is stored as it was sent, and the conversation goes on.
    params = {"order": "A-1001", "lines": [{"sku": "x", "qty": 2}], "note": None, "ключ": 1.5}
    accepted = await send(visitor, conversation_id, "action", {"meaning": "open", "params": params})
    assert accepted["type"] == "message.accepted", accepted
    assert (await bodies(mongo, infra, conversation_id))[-1] == {"meaning": "open", "params": params}
    page = await world.call(
        "GET", f"/conversations/{conversation_id}/messages", operator.token, params={"after_seq": MAX_SEQ}
    )
    assert page["messages"] == []
    for query in ({"after_seq": str(HUGE)}, {"before_seq": str(HUGE)}, {"after_seq": "-1"}, {"limit": "1e9"}):
        error = await world.call(
            "GET", f"/conversations/{conversation_id}/messages", operator.token, status=400, params=query
        )
        assert error["error"]["code"] == 9105, error


# ---- finding 3: an idempotency key belongs to its conversation --------------------------------


async def test_a_key_used_in_ones_own_conversation_opens_no_one_elses(
    world: ChatWorld, infra: Infra, mongo, pair
) -> None:
    operator, visitor, channel_id, conversation_id = pair
    stranger = await world.visitor()
    elsewhere = await world.channel([])  # the stranger's own conversation: one this operator is no member of
    own = await world.start_conversation(stranger, elsewhere, "my own words")
    own_message = (await world.send(stranger, own, "reused key", client_msg_id="shared-key"))["data"]["message"]

    refused(await world.send(stranger, conversation_id, "let me in", client_msg_id="shared-key"), 9101)

    # The stranger's message was not announced to the other conversation: the operator gets the
    # visitor's next message and never the stranger's.
    marker = await world.send(visitor, conversation_id, "after the attempt")
    await operator.ws.wait_for(
        of_type("message.new", conversation_id=conversation_id, seq=marker["data"]["message"]["seq"]), WAIT_SECONDS
    )
    leaked = [f for f in operator.ws.of_type("message.new") if f["data"]["message"]["id"] == own_message["id"]]
    assert not leaked, leaked
    assert await bodies(mongo, infra, conversation_id) == ["Hello", "after the attempt"]

    # A member using one key in two conversations sends two messages, not one twice.
    second = await world.start_conversation(await world.visitor(), channel_id, "another visitor")
    await operator.ws.wait_for(of_type("message.new", conversation_id=second, seq=1), WAIT_SECONDS)
    first_reply = await world.send(operator, conversation_id, "reply one", client_msg_id="r1")
    second_reply = await world.send(operator, second, "reply two", client_msg_id="r1")
    assert second_reply["type"] == "message.accepted" and second_reply["data"]["duplicate"] is False, second_reply
    assert second_reply["data"]["message"]["conversation_id"] == second
    assert second_reply["data"]["message"]["id"] != first_reply["data"]["message"]["id"]
    again = await world.send(operator, second, "reply two", client_msg_id="r1")
    assert again["data"]["duplicate"] is True and again["data"]["message"] == second_reply["data"]["message"]


# ---- finding 6: temporary sessions are reused per visitor and channel, and capped -----------


async def test_one_visitor_gets_one_reservation_per_channel_and_only_so_many(world: ChatWorld) -> None:
    operator = await world.operator("Olivia")
    channels = [await world.channel([operator]) for _ in range(MAX_RESERVATIONS_PER_VISITOR + 1)]
    visitor = await world.visitor()
    second_tab = await world.connect(visitor.token)
    tabs = await asyncio.gather(
        visitor.ws.request("session.open", {"channel_id": channels[0]}, timeout=WAIT_SECONDS),
        second_tab.request("session.open", {"channel_id": channels[0]}, timeout=WAIT_SECONDS),
    )
    assert all(tab["type"] == "session.opened" for tab in tabs), tabs
    assert tabs[0]["data"]["conversation_id"] == tabs[1]["data"]["conversation_id"]
    again = await visitor.ws.request("session.open", {"channel_id": channels[0]}, timeout=WAIT_SECONDS)
    assert again["data"]["conversation_id"] == tabs[0]["data"]["conversation_id"]

    for channel_id in channels[1:MAX_RESERVATIONS_PER_VISITOR]:
        opened = await visitor.ws.request("session.open", {"channel_id": channel_id}, timeout=WAIT_SECONDS)
        assert opened["type"] == "session.opened", opened
    over = await visitor.ws.request("session.open", {"channel_id": channels[-1]}, timeout=WAIT_SECONDS)
    refused(over, 9003)
    assert "at most" in over["data"]["message"]

    # Writing in one turns it into a conversation: its place under the cap is free again.
    sent = await world.send(visitor, tabs[0]["data"]["conversation_id"], "Hello")
    assert sent["type"] == "message.accepted", sent
    freed = await visitor.ws.request("session.open", {"channel_id": channels[-1]}, timeout=WAIT_SECONDS)
    assert freed["type"] == "session.opened", freed


# ---- finding 7: an operator taken off a channel loses its conversations ---------------------


async def assert_locked_out(world: ChatWorld, operator: Person, conversation_id: str) -> None:
    for path in ("", "/messages", "/transcript.json"):
        error = await world.call("GET", f"/conversations/{conversation_id}{path}", operator.token, status=403)
        assert error["error"]["code"] == 9101, error
    refused(await operator.ws.request("history.get", {"conversation_id": conversation_id}, timeout=WAIT_SECONDS), 9101)
    refused(await world.send(operator, conversation_id, "still here?"), 9101)
    mine = await world.call("GET", "/me/conversations", operator.token, params={"include_closed": "true"})
    assert conversation_id not in [c["id"] for c in mine["conversations"]]


async def test_an_operator_removed_from_a_channel_can_neither_read_nor_post(world: ChatWorld, pair) -> None:
    operator, _visitor, channel_id, conversation_id = pair
    await world.send(operator, conversation_id, "Hi, I am Olivia")
    await world.admin("DELETE", f"/channels/{channel_id}/operators/{operator.uid}", status=204)

    await assert_locked_out(world, operator, conversation_id)
    removal = of_type("conversation.updated", conversation_id=conversation_id, reason="operator_removed")
    dropped = await operator.ws.wait_for(removal, WAIT_SECONDS)
    assert operator.uid not in dropped["data"]["member_ids"]
    detail = await world.conversation(conversation_id)
    assert detail["status"] == "queued" and detail["operator_id"] is None, detail  # waits for another operator


async def test_an_operator_left_out_of_a_channel_patch_loses_its_closed_transcripts_too(world: ChatWorld) -> None:
    kept, removed = await world.operator("Kim"), await world.operator("Rui")
    channel_id = await world.channel([removed])
    await world.wait_available(channel_id, removed)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id)
    await removed.ws.wait_for(of_type("message.new", conversation_id=conversation_id, seq=1), WAIT_SECONDS)
    closed = await removed.ws.request("conversation.close", {"conversation_id": conversation_id}, timeout=WAIT_SECONDS)
    assert closed["type"] == "ok", closed

    await world.admin("PATCH", f"/channels/{channel_id}", json={"operator_ids": [kept.uid]})
    await assert_locked_out(world, removed, conversation_id)
    assert (await world.conversation(conversation_id))["status"] == "closed"


# ---- finding 11: the word filter sees through disguises -------------------------------------


async def test_disguised_sensitive_words_are_refused(world: ChatWorld, infra: Infra, mongo, pair) -> None:
    _, visitor, channel_id, conversation_id = pair
    await world.admin("PUT", f"/channels/{channel_id}/sensitive-words", json={"words": ["darn"]})
    for text in ("da\u200brn", "da\u00adrn", "d\u0430rn", "d\u03b1rn", "\uff44\uff41\uff52\uff4e", "DA\u2060RN"):
        refused(await send(visitor, conversation_id, "text", text), 8001)
    for params in ({"darn": True}, {"list": [{"d\u0430rn": 1}]}, {"say": "da\u200drn"}):
        refused(await send(visitor, conversation_id, "action", {"meaning": "say", "params": params}), 8001)
    assert await bodies(mongo, infra, conversation_id) == ["Hello"]


# ---- no HTTP endpoint answers 500 to bad input ------------------------------------------------


async def test_bad_http_input_is_a_400_never_a_500(world: ChatWorld, pair) -> None:
    _operator, visitor, channel_id, conversation_id = pair
    conversation = f"/conversations/{conversation_id}"
    channel = f"/channels/{channel_id}"
    long = "x" * 5000
    queries = [
        (f"{conversation}/messages", {"after_seq": str(HUGE)}),
        (f"{conversation}/messages", {"before_seq": "0"}),
        (f"{conversation}/messages", {"limit": "abc"}),
        (f"{conversation}/messages", {"after_seq": "1.5"}),
        ("/conversations", {"created_from": "0001-01-01T00:00:00+01:00"}),
        ("/conversations", {"created_to": "9999-12-31T23:59:59-14:00"}),
        ("/conversations", {"channel_id": long}),
        ("/conversations", {"operator_id": "a.b"}),
        ("/conversations", {"limit": str(HUGE)}),
        ("/conversations", {"cursor": long}),
        ("/conversations", {"cursor": "0001-01-01T00:00:00+01:00|c_1"}),  # a date BSON cannot hold in UTC
        ("/me/conversations", {"include_closed": "perhaps"}),
        (f"{channel}/canned-responses", {"prefix": long}),
    ]
    for path, query in queries:
        error = await world.admin("GET", path, status=400, params=query)
        assert error["error"]["code"] == 9105, (path, query, error)
    bodies_ = [
        ("POST", "/channels", {"name": "x", "business_hours": {"timezone": "Z" * 300}}),
        ("POST", "/channels", {"name": "x", "business_hours": {"timezone": "Europe/Paris\x00"}}),
        ("POST", "/channels", {"name": "x", "operator_capacity": HUGE}),
        ("POST", "/channels", {"name": ["x"]}),
        ("POST", "/channels", [1, 2]),
        ("PATCH", channel, {"response_target_seconds": "Infinity"}),
        ("PATCH", channel, {"retention_days": "Infinity"}),
        ("PATCH", channel, {"retention_days": -1}),
        ("POST", "/channels", {"name": "x", "retention_days": {"$gt": 0}}),
        ("PATCH", channel, {"operator_ids": ["a.b"]}),
        ("PATCH", channel, {"theme": {"accent": "#ffeb3b"}}),  # white on yellow: unreadable (issue 22)
        ("PATCH", channel, {"theme": {"avatar_url": "javascript:alert(1)"}}),
        ("POST", "/channels", {"name": "x", "theme": {"accent": {"$gt": ""}}}),
        ("POST", "/channels", {"name": "x", "theme": {"launcher_text": long}}),
        ("PATCH", channel, {"sensitive_words": [long]}),
        ("PUT", f"{channel}/operators/a.b", {"name": "x"}),
        ("PUT", f"{channel}/canned-responses/x", {"text": {"$gt": ""}}),
    ]
    for method, path, body in bodies_:
        error = await world.admin(method, path, status=400, json=body)
        assert error["error"]["code"] == 9105, (method, path, body, error)
    error = await world.call(
        "PUT", f"{conversation}/visitor-email", visitor.token, status=400, json={"email": long + "@x.y"}
    )
    assert error["error"]["code"] == 9105
    # Ids no one was given: unknown, whatever they hold; one longer than any id is a bad argument.
    for odd in ("%00", "%ED%A0%80", "$where"):
        await world.admin("GET", f"/conversations/{odd}", status=404)
        await world.admin("GET", f"/channels/{odd}", status=404)
    for kind in ("conversations", "channels"):
        error = await world.admin("GET", f"/{kind}/{'a' * 2000}", status=400)
        assert error["error"]["code"] == 9105, error


# ---- fuzz: every endpoint of the table, random queries, bodies and path ids -----------------

ODD_TEXT = ["", "true", "1e999", "NaN", "-0", "\x00", "$gt", "a.b", "x" * 3000]
# Per JSON Schema type of a query parameter: the values that broke it before (2^63 was a 500).
EDGE_VALUES = {
    "integer": [str(HUGE), str(-HUGE), str(MAX_SEQ + 1), str(MAX_SEQ), "-1", "0", "1.5"],
    "string": ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00Z", "a|b", "|"],
}
json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)


def edges_of(prop: dict[str, Any]) -> list[str]:
    types = {option.get("type") for option in prop.get("anyOf", [prop])}
    return [value for kind in sorted(types, key=str) if kind in EDGE_VALUES for value in EDGE_VALUES[kind]] + ODD_TEXT


def query_values(prop: dict[str, Any]) -> st.SearchStrategy[str]:
    edges = edges_of(prop)
    anything = st.text(max_size=40) | st.sampled_from(ODD_TEXT) | st.integers(-(2**70), 2**70).map(str)
    return st.sampled_from(edges) | anything if edges else anything


def queries(endpoint: Endpoint) -> st.SearchStrategy[dict[str, str]]:
    if endpoint.query is None:
        return st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=2)
    properties = endpoint.query.model_json_schema()["properties"]
    return st.fixed_dictionaries({}, optional={name: query_values(prop) for name, prop in properties.items()})


def bodies_of(endpoint: Endpoint) -> st.SearchStrategy[str | None]:
    if endpoint.body is None:
        return st.none()
    fields = list(endpoint.body.model_fields)
    keys = st.sampled_from(fields) | st.text(max_size=10)
    documents = st.recursive(
        json_scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
        max_leaves=20,
    )
    return documents.map(json.dumps) | st.text(max_size=100)


def path_ids(real: str) -> st.SearchStrategy[str]:
    return st.just(real) | st.text(min_size=1, max_size=80).map(lambda text: quote(text, safe=""))


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if e.handler != "openapi"], ids=lambda e: f"{e.method} {e.path}"
)
async def test_no_endpoint_answers_500_to_random_input(world: ChatWorld, pair, endpoint: Endpoint) -> None:
    operator, visitor, _, conversation_id = pair
    channel_id = await world.channel([operator])  # the fuzz's own: it may archive it
    loop = asyncio.get_running_loop()
    tokens = {"admin": world.admin_token, "operator": operator.token, "visitor": visitor.token}
    statuses: list[int] = []

    async def call(path: str, token: str, query: dict[str, str], body: str | None) -> int:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        url = URL(world.chat_url + path, encoded=True)
        async with world.session.request(endpoint.method, url, headers=headers, params=query, data=body) as response:
            await response.read()
            return response.status

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def every_request_has_a_defined_answer(data: st.DataObject) -> None:
        ids = {
            "conversation_id": data.draw(path_ids(conversation_id)),
            "channel_id": data.draw(path_ids(channel_id)),
            "user_id": data.draw(path_ids(operator.uid)),
            "shortcut": data.draw(path_ids("greeting")),
            "file_id": data.draw(path_ids("f_0123456789abcdef01234567")),
        }
        path = endpoint.path.format(**{name: ids[name] for name in re.findall(r"{(\w+)}", endpoint.path)})
        query, body = data.draw(queries(endpoint)), data.draw(bodies_of(endpoint))
        token = tokens[data.draw(st.sampled_from(sorted(tokens)))]
        status = asyncio.run_coroutine_threadsafe(call(path, token, query, body), loop).result(timeout=60)
        statuses.append(status)
        assert status < 500, (endpoint.method, path, query, body, status)

    # Every query parameter alone at each edge value, on the real ids: what a random draw may miss.
    real_path = endpoint.path.format(
        conversation_id=conversation_id,
        channel_id=channel_id,
        user_id=operator.uid,
        shortcut="greeting",
        file_id="f_0123456789abcdef01234567",
    )
    properties = endpoint.query.model_json_schema()["properties"] if endpoint.query else {}
    for name, prop in properties.items():
        for value in edges_of(prop):
            status = await call(real_path, world.admin_token, {name: value}, None)
            assert status < 500, (endpoint.method, real_path, {name: value}, status)
    # Hypothesis drives the examples from a worker thread; each request runs on this test's loop.
    await asyncio.to_thread(every_request_has_a_defined_answer)
    assert len(statuses) >= 20


# ---- issue 22: the widget's offline form --------------------------------------------------------


async def test_the_offline_form_reaches_only_its_channels_team_and_holds_off_a_flood(world: ChatWorld, mongo) -> None:
    sent: list[OutboundEvent] = []

    async def record(event: OutboundEvent, _envelope: Envelope) -> None:
        sent.append(event)

    probe = Bus(
        ServiceSettings(amqp_url=world.infra.amqp_url, node_id="offline-probe"), f"probe-{uuid.uuid4().hex[:6]}"
    )
    probe.on_event(OutboundEvent, record)
    await probe.connect()
    await probe.start_consuming()
    try:
        operator, stranger = await world.operator("Olga"), await world.operator("Sam")
        never_open = {"timezone": "UTC", "weekly": {}}
        channel_id = await world.channel(
            [operator], business_hours=never_open, allowed_origins=["https://shop.example"]
        )
        await world.channel([stranger])
        visitor = await world.visitor()
        path = f"/channels/{channel_id}/offline-requests"
        form = {
            "name": "Ada",
            "email": "ada@example.com",
            "message": "Call me back",
            "page_url": "https://shop.example/p",
        }

        await world.call("POST", path, None, status=401, json=form)
        await world.call("POST", path, operator.token, status=403, json=form)  # a visitor's form only
        async with world.session.post(
            world.chat_url + path,
            json=form,
            headers={"Authorization": f"Bearer {visitor.token}", "Origin": "https://evil.example"},
        ) as response:
            assert response.status == 403
            wrong_origin = await response.json()
        assert wrong_origin["error"]["code"] == 9114, wrong_origin
        assert (await world.call("POST", "/channels/nope/offline-requests", visitor.token, status=404, json=form))[
            "error"
        ]["code"] == 9103
        for bad in (
            {**form, "email": "not an address"},
            {**form, "email": {"$gt": ""}},
            {**form, "name": ""},
            {**form, "message": "x" * 4001},
            {**form, "page_url": "javascript:alert(1)"},
            {**form, "extra": 1},
            {k: v for k, v in form.items() if k != "email"},
        ):
            refused_body = await world.call("POST", path, visitor.token, status=400, json=bad)
            assert refused_body["error"]["code"] == 9105, (bad, refused_body)
        assert await mongo[world.infra.mongo_db]["offline_requests"].count_documents({"channel_id": channel_id}) == 0

        stored = await world.call("POST", path, visitor.token, status=201, json={**form, "name": "$where"})
        assert (stored["name"], stored["email"], stored["verified"]) == ("$where", "ada@example.com", False)
        await world.call("POST", path, visitor.token, status=201, json=form)
        await world.call("POST", path, visitor.token, status=201, json=form)
        async with world.session.post(
            world.chat_url + path, json=form, headers={"Authorization": f"Bearer {visitor.token}"}
        ) as flooded:
            assert flooded.status == 429 and int(flooded.headers["Retry-After"]) > 0, await flooded.text()

        # Its team lists it; another channel's operator and the visitor do not.
        listed = await world.call("GET", path, operator.token)
        assert stored["id"] in [r["id"] for r in listed["offline_requests"]]
        assert len(listed["offline_requests"]) == 3
        await world.call("GET", path, stranger.token, status=403)
        await world.call("GET", path, visitor.token, status=403)
        await world.call("GET", path, operator.token, status=400, params={"limit": "1000"})

        await eventually(
            lambda: [e for e in sent if e.event_id == f"ev_offline_{stored['id']}"],
            what="offline_request.created published",
        )
        event = next(e for e in sent if e.event_id == f"ev_offline_{stored['id']}")
        assert (event.event_type, event.channel_id, event.conversation_id) == (
            "offline_request.created",
            channel_id,
            None,
        )
        assert event.data["email"] == "ada@example.com"
    finally:
        await probe.close()
