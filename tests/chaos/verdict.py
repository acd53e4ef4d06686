"""The verdict of one fault phase, shared by every fleet the chaos suite breaks (the fault table of
test_faults.py, and the fleet on clustered brokers of test_fleet_on_clusters.py)."""

from __future__ import annotations

import contextlib
import dataclasses

from tests.chaos.dead_letters import dead_letters
from tests.chaos.diagnosis import explain_lost_webhooks, explain_missing
from tests.chaos.faults import Scenario
from tests.chaos.ledger import check
from tests.chaos.parking import DRAINED_WITHIN_SECONDS, parked
from tests.chaos.phases import ChaosRun, run_phase, stored_messages
from tests.chaos.table import TABLE
from tests.chaos.webhooks import WEBHOOKS_WITHIN_SECONDS, WebhookRow, check_webhooks, processed_messages
from tests.kit.waiting import eventually


async def run_and_check(chaos: ChaosRun, scenario: Scenario) -> None:
    """Run one fault phase and assert its row: nothing lost, doubled or disordered, every service
    ready again by itself, nothing left parked, one webhook event per acknowledged message."""
    dead_before = sum((await dead_letters(chaos.brokers.management_url)).values())
    result = await run_phase(chaos, scenario.name, scenario.key, scenario.fault)
    row = result.row
    new_dead = sum(result.dead_lettered.values()) - dead_before
    notes = (
        [f"dead letters so far: {reason} x{count}" for reason, count in result.dead_lettered.items()]
        if new_dead
        else []
    )
    if chaos.traffic.refusals:
        notes.append(f"sends refused (not retried): {dict(chaos.traffic.refusals)}")
    if chaos.traffic.retried:
        notes.append(
            f"sends retried with the same client_msg_id (refusal code, or no answer): {dict(chaos.traffic.retried)}"
        )
    parked_most, chaos.parked_most = chaos.parked_most, {}
    if parked_most:
        notes.append(f"most parked at once during the fault: {parked_most}")
    # Work parked while a dependency was away comes back and is done by itself: nothing stays parked.
    try:
        await eventually(
            lambda: _nothing_parked(chaos), timeout=DRAINED_WITHIN_SECONDS, what="the parking queues empty"
        )
        still_parked: dict[str, int] = {}
    except AssertionError:
        still_parked = dict(await parked(chaos.brokers.amqp_url, chaos.brokers.management_url))
        notes.append(f"still parked {DRAINED_WITHIN_SECONDS:g} s after the phase: {still_parked}")
    if parked_most:  # parked copies may have run after the phase's checks: look again once all are done
        stored, members = await stored_messages(chaos)
        row = dataclasses.replace(check(scenario.name, chaos.ledger, stored, members), whole_after=row.whole_after)
        new_dead = sum((await dead_letters(chaos.brokers.management_url)).values()) - dead_before
    explanation = [] if row.clean else await explain_missing(chaos)
    notes += explanation
    hooks = await _webhooks_of(chaos, scenario.name)
    notes.append(
        f"webhooks: {hooks.received} of {hooks.expected} messages came as one signed event each"
        f" ({sum(chaos.webhooks.attempts.values())} attempts so far)"
    )
    notes += hooks.problems[:10]
    hooks_explained = await explain_lost_webhooks(chaos, hooks.lost[:10]) if hooks.lost else []
    notes += hooks_explained
    closes = result.closes
    notes.append(
        f"closes: {closes.told} of {closes.acknowledged} acknowledged closes stored and told"
        f" ({closes.asked} asked, {closes.retried} asked again after a failed attempt)"
    )
    notes += closes.problems[:10]
    TABLE.add(row, result.restarts, new_dead, notes, closes)

    assert not result.not_ready, f"not ready again by themselves: {result.not_ready}"
    expected_restarts = {scenario.killed: 1} if scenario.killed else {}
    assert dict(result.restarts) == expected_restarts, f"supervisor restarts: {dict(result.restarts)}"
    assert row.acknowledged > 0, "no message was acknowledged: the traffic did not flow"
    assert row.clean, "\n".join([*explanation, *row.problems[:20]])
    assert still_parked == {}, still_parked
    assert hooks.clean, "\n".join(
        [*hooks.problems[:20], *hooks_explained, f"dead letters: {dict(result.dead_lettered)}"]
    )
    assert closes.acknowledged > 0, "no close was acknowledged: the closes did not flow"
    assert closes.clean, "\n".join(closes.problems[:20])
    if scenario.parks:  # the dependency outlasted the retries: its work waited (parked), none was given up on
        assert new_dead == 0, dict(result.dead_lettered)


async def _webhooks_of(chaos: ChaosRun, phase: str) -> WebhookRow:
    """The phase's webhook row once every acknowledged message's event came, or after the wait."""

    def row() -> WebhookRow:
        return check_webhooks(phase, chaos.ledger, processed_messages(chaos.webhooks))

    with contextlib.suppress(AssertionError):  # not all in time: the row says which are missing
        await eventually(lambda: not row().missing, timeout=WEBHOOKS_WITHIN_SECONDS, what="the phase's webhooks")
    return row()


async def _nothing_parked(chaos: ChaosRun) -> bool:
    return not await parked(chaos.brokers.amqp_url, chaos.brokers.management_url)
