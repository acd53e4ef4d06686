"""Faults under steady chat traffic: whatever breaks, every message the server acknowledged is
stored once and delivered once, in seq order, to every member; and the fleet recovers by itself.

The faults run in order on one fleet (tests/chaos/conftest.py); each is one test, and its row of
the fault table (printed at the end of the run) must show nothing lost, doubled or disordered.
"""

from __future__ import annotations

import pytest

from tests.chaos.faults import SCENARIOS, Scenario
from tests.chaos.phases import ChaosRun
from tests.chaos.verdict import run_and_check


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.key for scenario in SCENARIOS])
async def test_fault(chaos: ChaosRun, scenario: Scenario) -> None:
    await run_and_check(chaos, scenario)
