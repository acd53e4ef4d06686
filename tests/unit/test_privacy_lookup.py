"""Naming the person of an erase or export (parley_auth.privacy_schemas.PersonLookup): exactly one
way, each bounded, no value a store could read as an operator."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from parley_auth.privacy_schemas import PersonLookup


@pytest.mark.parametrize(
    ("given", "way"),
    [
        ({"user_id": "v_0123456789abcdef01234567"}, "user_id"),
        ({"email": "ann@example.com"}, "email"),
        ({"external_id": "customer-42"}, "external_id"),
        ({"external_id": "customer-42", "channel_id": "ch_1"}, "external_id"),
    ],
)
def test_one_way_of_naming_is_taken(given: dict[str, Any], way: str) -> None:
    assert PersonLookup.model_validate(given).way == way


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"user_id": "v_1", "email": "ann@example.com"},
        {"user_id": "v_1", "channel_id": "ch_1"},
        {"user_id": "$where"},
        {"user_id": "v_1.x"},
        {"user_id": {"$ne": None}},
        {"email": {"$gt": ""}},
        {"email": "not-an-address"},
        {"external_id": "$gt"},
        {"external_id": "has space"},
        {"external_id": "x" * 201},
        {"user_id": "v_" + "x" * 100},
        {"external_id": "customer-42", "channel_id": "ch.1"},
        {"user_id": "v_1", "role": "admin"},
    ],
)
def test_anything_else_is_refused(given: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PersonLookup.model_validate(given)
