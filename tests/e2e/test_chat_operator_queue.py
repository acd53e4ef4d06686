"""The operators' queue as the console sees it: the waiting list of a channel, `queue.changed`
pushed to the channel's operators when it moves, and an operator taking a waiting conversation."""

from __future__ import annotations

import itertools

from parley.contracts.commands import OperatorRequestResult, RequestOperator
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


async def test_the_queue_position_is_told_while_the_team_is_at_work_never_while_it_is_away(world: ChatWorld) -> None:
    """Issue 22 item 3: "number 1 in the queue, about 5 min" only when someone of the team is at
    work (online, even toggled busy, within business hours); away, the visitor gets the offline
    form, a bot's forward hears "unavailable" (its script says when the team will write back),
    and the position is told once the team is back."""
    olivia = await busy_operator(world, "Olivia")
    channel_id = await world.channel([olivia], business_hours={"timezone": "UTC", "weekly": {}})  # never open
    await world.wait_available(channel_id, olivia, available=False)
    availability = f"/channels/{channel_id}/availability"
    assert (await world.call("GET", availability))["availability"] == "offline_form"
    visitor, conversation_id = await queued_conversation(world, channel_id)
    asked = RequestOperator(conversation_id=conversation_id, requested_by="bot_helper")
    assert OperatorRequestResult.model_validate(await world.bus.request(asked)).status == "unavailable"
    # Waiting all the same: Olivia's queue lists it, to answer when the team is back.
    await olivia.ws.wait_for(of_type("queue.changed", channel_id=channel_id, waiting=1), timeout=WAIT_SECONDS)
    told_while_away = len(visitor.ws.frames)

    await world.admin("PATCH", f"/channels/{channel_id}", json={"business_hours": None})  # open: Olivia is at work
    assert (await world.call("GET", availability))["availability"] == "operators"  # busy, yet there
    await visitor.ws.wait_for(of_type("queue.position", conversation_id=conversation_id, position=1), WAIT_SECONDS)
    assert [f for f in visitor.ws.frames[:told_while_away] if f["type"] == "queue.position"] == []
    result = OperatorRequestResult.model_validate(await world.bus.request(asked))
    assert (result.status, result.queue_position) == ("queued", 1)
