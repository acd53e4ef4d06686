"""The operators' queue as the console sees it: the waiting list of a channel, `queue.changed`
pushed to the channel's operators when it moves, and an operator taking a waiting conversation."""

from __future__ import annotations

import itertools

from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, Person, of_type, world_fixture

world = world_fixture("chat-queue")


async def busy_operator(world: ChatWorld, name: str) -> Person:
    """An operator online but toggled busy: nothing is given to them automatically."""
    operator = await world.operator(name)
    answer = await operator.ws.request("operator.availability", {"available": False}, timeout=WAIT_SECONDS)
    assert answer["type"] == "ok", answer
    return operator


async def queued_conversation(world: ChatWorld, channel_id: str) -> tuple[Person, str]:
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "Is anyone there?")
    await world.until(conversation_id, lambda doc: doc["status"] == "queued", "queued")
    return visitor, conversation_id


def after(mark: int, predicate):
    """``predicate``, for frames that came after the first ``mark`` (WsClient.wait_for reads each once, in order)."""
    index = itertools.count()
    return lambda frame: next(index) >= mark and predicate(frame)


async def test_operator_sees_the_queue_and_takes_a_waiting_conversation(world: ChatWorld) -> None:
    olivia, stranger = await busy_operator(world, "Olivia"), await world.operator("Stranger")
    channel_id = await world.channel([olivia])
    await world.wait_available(channel_id, olivia, available=False)
    visitor, conversation_id = await queued_conversation(world, channel_id)

    await olivia.ws.wait_for(of_type("queue.changed", channel_id=channel_id, waiting=1), timeout=WAIT_SECONDS)
    listed = await world.call("GET", f"/channels/{channel_id}/queue", olivia.token)
    assert [(c["id"], c["status"], c["queue_position"]) for c in listed["conversations"]] == [
        (conversation_id, "queued", 1)
    ]
    refused = await world.call("GET", f"/channels/{channel_id}/queue", stranger.token, status=403)
    assert refused["error"]["code"] == 9101
    await world.call("POST", f"/conversations/{conversation_id}/take", stranger.token, status=403)

    taken = await world.call("POST", f"/conversations/{conversation_id}/take", olivia.token)
    assert (taken["status"], taken["operator_id"], taken["unread"]) == ("open", olivia.uid, 1)
    await olivia.ws.wait_for(of_type("queue.changed", channel_id=channel_id, waiting=0), timeout=WAIT_SECONDS)
    await olivia.ws.wait_for(of_type("conversation.updated", conversation_id=conversation_id, status="open"))
    joined = await visitor.ws.wait_for(of_type("notice", text="Olivia joined the conversation"), timeout=WAIT_SECONDS)
    assert joined["data"]["level"] == "info"
    assert (await world.call("GET", f"/channels/{channel_id}/queue", olivia.token))["conversations"] == []

    again = await world.call("POST", f"/conversations/{conversation_id}/take", olivia.token, status=400)
    assert "not waiting" in again["error"]["message"]


async def test_a_waiting_conversation_closed_leaves_the_queue_lists(world: ChatWorld) -> None:
    olivia = await busy_operator(world, "Olivia")
    channel_id = await world.channel([olivia])
    await world.wait_available(channel_id, olivia, available=False)
    first, first_id = await queued_conversation(world, channel_id)
    await olivia.ws.wait_for(of_type("queue.changed", channel_id=channel_id, waiting=1), timeout=WAIT_SECONDS)
    _, second_id = await queued_conversation(world, channel_id)
    await olivia.ws.wait_for(of_type("queue.changed", channel_id=channel_id, waiting=2), timeout=WAIT_SECONDS)

    mark = len(olivia.ws.frames)
    closed = await first.ws.request("conversation.close", {"conversation_id": first_id}, timeout=WAIT_SECONDS)
    assert closed["type"] == "ok", closed
    changed = after(mark, of_type("queue.changed", channel_id=channel_id, waiting=1))
    await olivia.ws.wait_for(changed, timeout=WAIT_SECONDS)
    listed = await world.call("GET", f"/channels/{channel_id}/queue", olivia.token)
    assert [(c["id"], c["queue_position"]) for c in listed["conversations"]] == [(second_id, 1)]
    gone = await world.call("POST", f"/conversations/{first_id}/take", olivia.token, status=409)
    assert gone["error"]["code"] == 9104
