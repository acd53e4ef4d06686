"""MergedLookups: concurrent presence lookups share one request, each caller gets its own share."""

from __future__ import annotations

import asyncio

import pytest

from parley_notification.node_lookups import MergedLookups, share_of

# Where each user is connected, as presence would answer.
WHERE = {"alice": ["gw-1"], "bob": ["gw-2"], "carol": ["gw-1", "gw-2"], "dave": []}


class Presence:
    """Answers from WHERE; records every request; can be held to pile callers up."""

    def __init__(self) -> None:
        self.requests: list[tuple[list[str], str | None]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail: Exception | None = None

    async def __call__(self, user_ids: list[str], trace_id: str | None) -> dict[str, list[str]]:
        self.requests.append((user_ids, trace_id))
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        nodes: dict[str, list[str]] = {}
        for user in user_ids:
            for node in WHERE.get(user, []):
                nodes.setdefault(node, []).append(user)
        return nodes


def test_share_of_keeps_only_the_callers_users() -> None:
    assert share_of(["carol", "dave", "carol"], {"alice": ["gw-1"], "carol": ["gw-1", "gw-2"]}) == {
        "gw-1": ["carol"],
        "gw-2": ["carol"],
    }


async def test_lookups_of_one_turn_go_in_one_request_and_each_gets_its_share() -> None:
    presence = Presence()
    lookups = MergedLookups(presence)
    first, second, third = await asyncio.gather(
        lookups.nodes_of(["alice", "dave"], "t1"),
        lookups.nodes_of(["bob", "carol"], "t2"),
        lookups.nodes_of(["zed"], "t3"),
    )
    assert first == {"gw-1": ["alice"]}
    assert second == {"gw-2": ["bob", "carol"], "gw-1": ["carol"]}
    assert third == {}
    assert len(presence.requests) == 1
    users, trace_id = presence.requests[0]
    assert sorted(users) == ["alice", "bob", "carol", "dave", "zed"] and trace_id == "t1"


async def test_callers_arriving_while_lookups_are_out_wait_for_the_next_merged_one() -> None:
    presence = Presence()
    presence.release.clear()
    lookups = MergedLookups(presence, max_in_flight=1)
    early = asyncio.create_task(lookups.nodes_of(["alice"]))
    await asyncio.sleep(0.01)
    late = [asyncio.create_task(lookups.nodes_of([user])) for user in ("bob", "carol")]
    await asyncio.sleep(0.01)
    assert len(presence.requests) == 1  # the others wait for the one out
    presence.release.set()
    assert await early == {"gw-1": ["alice"]}
    assert [await task for task in late] == [{"gw-2": ["bob"]}, {"gw-1": ["carol"], "gw-2": ["carol"]}]
    assert [sorted(users) for users, _ in presence.requests] == [["alice"], ["bob", "carol"]]


async def test_a_failed_lookup_fails_every_caller_of_its_batch_and_the_next_one_works() -> None:
    presence = Presence()
    presence.fail = RuntimeError("presence away")
    lookups = MergedLookups(presence)
    results = await asyncio.gather(lookups.nodes_of(["alice"]), lookups.nodes_of(["bob"]), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)
    presence.fail = None
    assert await lookups.nodes_of(["bob"]) == {"gw-2": ["bob"]}


async def test_a_merged_request_stays_within_the_user_limit() -> None:
    presence = Presence()
    lookups = MergedLookups(presence, max_users=2)
    await asyncio.gather(*(lookups.nodes_of([user]) for user in ("alice", "bob", "carol", "dave", "zed")))
    assert all(len(users) <= 2 for users, _ in presence.requests)
    assert sorted(user for users, _ in presence.requests for user in users) == ["alice", "bob", "carol", "dave", "zed"]


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    presence = Presence()
    presence.release.clear()
    lookups = MergedLookups(presence)
    gone = asyncio.create_task(lookups.nodes_of(["alice"]))
    stays = asyncio.create_task(lookups.nodes_of(["bob"]))
    await asyncio.sleep(0.01)
    gone.cancel()
    presence.release.set()
    assert await stays == {"gw-2": ["bob"]}
    with pytest.raises(asyncio.CancelledError):
        await gone
