"""Staff usernames are bounded: a sane charset and length, nothing invisible, no visitor namespace."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from parley_auth.schemas import CreateStaffRequest


def _request(username: str) -> CreateStaffRequest:
    return CreateStaffRequest(username=username, password="a-good-password", role="operator")


@pytest.mark.parametrize("username", ["op-1234abcd", "olivia.operator", "ada_lovelace", "ops@example.com", "A" * 64])
def test_ordinary_usernames_are_accepted(username: str) -> None:
    assert _request(username).username == username


@pytest.mark.parametrize(
    "username",
    [
        "olivia\n",  # a control character: forges log lines
        "oli\x00via",
        "oli\u200bvia",  # zero-width space: looks like "olivia" to a reader
        "оlivia",  # Cyrillic о: a look-alike of another account
        " olivia",
        "olivia operator",
        "visitor:0123abcd",  # the namespace of visitors' internal usernames
        "-olivia",
        "",
        "a" * 65,
    ],
)
def test_other_usernames_are_refused(username: str) -> None:
    with pytest.raises(ValidationError):
        _request(username)
