"""A gateway's link to Redis (its delivery transport) or to RabbitMQ cut (4 s, 30 s) while messages
are sent to its live sockets, and no traffic after: every message is on the open socket within 3 s
after the link returns, with the conversation's current state re-sent (tests/chaos/quiet_cut.py).
Each is a row of the fault table.

This file runs before test_faults.py on the same fleet, on purpose: the clients are still
where tests/chaos/traffic.py put them, each conversation's two members on different gateways.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.chaos.dead_letters import dead_letters
from tests.chaos.faults import GATEWAY_AMQP, GATEWAY_REDIS
from tests.chaos.phases import DELIVERY_TIMEOUT_SECONDS, READY_TIMEOUT_SECONDS, ChaosRun, wait_all_ready, wait_delivered
from tests.chaos.quiet_cut import DELIVERY_BOUND_SECONDS, MESSAGES_PER_CONVERSATION, run_quiet_cut
from tests.chaos.table import TABLE

# key -> (the link cut, its name in the table, how long)
OUTAGES = {
    "rcut4": (GATEWAY_REDIS, "Redis (delivery) link", 4.0),
    "rcut30": (GATEWAY_REDIS, "Redis (delivery) link", 30.0),
    "qcut4": (GATEWAY_AMQP, "RabbitMQ link", 4.0),
    "qcut30": (GATEWAY_AMQP, "RabbitMQ link", 30.0),
}


@pytest.mark.parametrize("key", list(OUTAGES))
async def test_messages_reach_live_sockets_after_the_gateway_s_link_returns(chaos: ChaosRun, key: str) -> None:
    link, link_name, outage = OUTAGES[key]
    name = f"proxy: one gateway's {link_name} cut ({outage:g} s), no traffic after"
    dead_before = sum((await dead_letters(chaos.brokers.management_url)).values())
    result = await run_quiet_cut(chaos, name, key, outage, link)
    row = result.row
    new_dead = sum((await dead_letters(chaos.brokers.management_url)).values()) - dead_before
    notes = [
        f"counted as delivered only when on the socket within {DELIVERY_BOUND_SECONDS:g} s after the link returned"
    ]
    notes += [f"no conversation.updated re-sent within the bound: {where}" for where in result.without_state]
    TABLE.add(row, Counter(), new_dead, notes)
    # Whatever the verdict, the next faults start from a fleet that delivered everything.
    not_ready = await wait_all_ready(chaos.fleet, READY_TIMEOUT_SECONDS)
    await wait_delivered(chaos, DELIVERY_TIMEOUT_SECONDS)

    assert not not_ready, f"not ready again by themselves: {not_ready}"
    assert row.acknowledged == len(result.pairs) * MESSAGES_PER_CONVERSATION, "not every message was acknowledged"
    assert row.clean, "\n".join(row.problems[:20])
    assert not result.without_state, f"current state not re-sent: {result.without_state}"
