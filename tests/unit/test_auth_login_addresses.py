"""The client address auth's login limits count (issue 16, finding 9): an IPv6 client's /64, so
moving through its own addresses does not buy a guesser a fresh budget."""

from __future__ import annotations

import pytest

from parley_auth.login_limits import MAX_ADDRESS_LENGTH, limited_address


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:66:1::1", "2001:db8:66:1::/64"),
        ("2001:db8:66:1:ffff:ffff:ffff:fffe", "2001:db8:66:1::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", "unknown"),
    ],
)
def test_addresses_are_counted_by_what_one_client_holds(address: str, counted_as: str) -> None:
    assert limited_address(address) == counted_as


def test_an_odd_proxy_entry_is_kept_short() -> None:
    assert len(limited_address("not-an-address" * 100)) == MAX_ADDRESS_LENGTH
