"""The security tier: each test plays an attacker against a real fleet (or a real server) and
asserts the documented refusal. The fleet fixture is the e2e tier's (one fleet per module)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import fleet  # noqa: F401 - the fixture, shared with the e2e tier


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security/" in str(item.fspath):
            item.add_marker(pytest.mark.security)
