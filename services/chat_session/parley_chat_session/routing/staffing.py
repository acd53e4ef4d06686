"""Staffing gauges for dashboards: how many operators are available and how full they are.

Each replica computes the same fleet-wide figures from MongoDB and presence, so dashboards
read them with ``max()``; the cost is one presence request and one aggregation per refresh.
"""

from __future__ import annotations

from parley_chat_session.channels.store import Channel, Channels
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.metrics import OPERATOR_LOAD_RATIO, OPERATORS_AVAILABLE
from parley_chat_session.routing.assignment import OperatorPicker


def capacities(channels: list[Channel]) -> dict[str, int]:
    """Each operator's capacity: the largest of their channels' (load counts across channels)."""
    capacity: dict[str, int] = {}
    for channel in channels:
        for operator in channel.operator_ids:
            capacity[operator] = max(capacity.get(operator, 0), channel.operator_capacity)
    return capacity


def load_ratio(available: set[str], capacity: dict[str, int], loads: dict[str, int]) -> float:
    """Open conversations of the available operators over their summed capacity; 0 when nobody
    is available (``parley_operators_available`` tells that case apart)."""
    slots = sum(capacity.get(operator, 0) for operator in available)
    return sum(loads.get(operator, 0) for operator in available) / slots if slots else 0.0


class Staffing:
    def __init__(self, channels: Channels, picker: OperatorPicker, conversations: ConversationStore) -> None:
        self._channels = channels
        self._picker = picker
        self._conversations = conversations

    async def refresh(self) -> None:
        capacity = capacities(await self._channels.active())
        available = await self._picker.available(sorted(capacity))
        loads = await self._conversations.loads(sorted(available)) if available else {}
        OPERATORS_AVAILABLE.set(len(available))
        OPERATOR_LOAD_RATIO.set(load_ratio(available, capacity, loads))
