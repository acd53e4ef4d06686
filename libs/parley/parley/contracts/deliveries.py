"""Deliveries (exchange ``parley.deliver``, routing key = gateway node id)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from parley.contracts.base import Contract, contract


@contract("delivery.frame")
class DeliverFrame(Contract):
    """Send ``frame`` to every live connection of ``user_ids`` held by the receiving node."""

    user_ids: list[str] = Field(min_length=1)
    frame: dict[str, Any]
