"""The walking skeleton: one message from a visitor to an operator through every hop.

auth (HTTP login) -> gateway (WebSocket) -> chat_session (stores with seq in MongoDB) ->
notification (routes via presence) -> parley.deliver -> gateway node -> both members' sockets.
"""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.flows import staff_and_channel
from tests.kit.client import WsClient, login


async def test_visitor_message_reaches_operator_and_sender(fleet: Fleet, infra: Infra, mongo) -> None:
    ws_url = fleet.url("gateway").replace("http://", "ws://") + "/ws"
    async with aiohttp.ClientSession() as session:
        username, password, channel_id = await staff_and_channel(session, fleet)

        operator_login = await login(session, fleet.url("auth"), username=username, password=password)
        operator, operator_ok = await WsClient.connect(session, ws_url, operator_login["token"])
        assert operator_ok["data"]["role"] == "operator"

        visitor_login = await login(session, fleet.url("auth"), device_id=f"device-{uuid.uuid4().hex}")
        assert {"uid", "uname", "token", "sessionCode"} <= visitor_login.keys()
        visitor, _ = await WsClient.connect(session, ws_url, visitor_login["token"])

        opened = await visitor.request("session.open", {"channel_id": channel_id})
        assert opened["type"] == "session.opened", opened
        assert opened["data"]["temporary"] is True
        assert opened["data"]["welcome"] == "Hi! How can we help?"
        conversation_id = opened["data"]["conversation_id"]
        # Persisted only on the first message (Odoo's persist=false).
        assert await mongo[infra.mongo_db]["conversations"].find_one({"_id": conversation_id}) is None

        # presence learns of the operator's connection from a bus event; give it a moment so the
        # operator counts as online when the conversation is created.
        await asyncio.sleep(0.5)
        accepted = await visitor.request(
            "message.send",
            {
                "conversation_id": conversation_id,
                "client_msg_id": "hello-1",
                "kind": "text",
                "body": "Hello, anyone there?",
            },
        )
        assert accepted["type"] == "message.accepted", accepted
        assert accepted["data"]["message"]["seq"] == 1

        def is_hello(frame: dict) -> bool:
            return frame["type"] == "message.new" and frame["data"]["conversation_id"] == conversation_id

        at_operator = await operator.wait_for(is_hello)
        at_visitor = await visitor.wait_for(is_hello)
        for frame in (at_operator, at_visitor):
            assert frame["data"]["seq"] == 1
            assert frame["data"]["message"]["body"] == "Hello, anyone there?"
            assert frame["data"]["message"]["author_id"] == visitor_login["uid"]
        assert at_visitor["data"]["message"]["client_msg_id"] == "hello-1"

        stored = await mongo[infra.mongo_db]["messages"].find({"conversation_id": conversation_id}).to_list()
        assert [(m["seq"], m["body"], m["client_msg_id"]) for m in stored] == [(1, "Hello, anyone there?", "hello-1")]
        conversation = await mongo[infra.mongo_db]["conversations"].find_one({"_id": conversation_id})
        assert conversation is not None
        assert set(conversation["member_ids"]) == {visitor_login["uid"], operator_login["uid"]}

        # The operator answers on the same conversation; the visitor gets seq 2.
        reply = await operator.request(
            "message.send",
            {"conversation_id": conversation_id, "client_msg_id": "reply-1", "kind": "text", "body": "Yes, I'm here."},
        )
        assert reply["data"]["message"]["seq"] == 2
        answer = await visitor.wait_for(lambda f: f["type"] == "message.new" and f["data"]["seq"] == 2)
        assert answer["data"]["message"]["author_id"] == operator_login["uid"]

        # A retried send (same client_msg_id) returns the original and stores nothing new.
        again = await visitor.request(
            "message.send",
            {
                "conversation_id": conversation_id,
                "client_msg_id": "hello-1",
                "kind": "text",
                "body": "Hello, anyone there?",
            },
        )
        assert again["data"]["duplicate"] is True and again["data"]["message"]["seq"] == 1
        assert await mongo[infra.mongo_db]["messages"].count_documents({"conversation_id": conversation_id}) == 2
        # ...and the gateway does not hand the redelivered message.new to a socket that has it.
        await asyncio.sleep(0.3)
        assert len([f for f in visitor.of_type("message.new") if f["data"]["seq"] == 1]) == 1

        await visitor.close()
        await operator.close()
