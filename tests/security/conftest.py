"""The security tier: each test plays an attacker against a real fleet (or a real server) and
asserts the documented refusal. The fleet fixture is the e2e tier's (one fleet per module)."""

from __future__ import annotations

# The fixture, shared with the e2e tier (the redundant alias marks a deliberate re-export).
from tests.e2e.conftest import fleet as fleet
