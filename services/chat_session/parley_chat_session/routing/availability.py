"""Whether a channel can answer now, as Odoo computes it, and the public endpoint's view of it.

A channel is available when it has a chatbot (the bot answers at any hour), or when it is
within business hours and at least one of its operators is online: free, or busy (toggled
busy or at capacity), when the visitor is told the queue position. Otherwise the widget shows
the offline form and what the visitor writes waits in the operators' queue: never a dead widget.
"""

from __future__ import annotations

from typing import Literal

from parley.contracts.base import Model
from parley_chat_session.channels.store import Channel
from parley_chat_session.channels.widget_theme import WidgetTheme
from parley_chat_session.clocks.business_hours import open_now
from parley_chat_session.conversations.conversation_store import now
from parley_chat_session.routing.assignment import OperatorPicker

Mode = Literal["operators", "chatbot", "offline_form"]


class AvailabilityView(Model):
    channel_id: str
    name: str
    available: bool
    availability: Mode
    within_business_hours: bool
    welcome: str
    offline_message: str
    theme: WidgetTheme | None = None


class Availability:
    def __init__(self, picker: OperatorPicker) -> None:
        self._picker = picker

    async def mode(self, channel: Channel) -> Mode:
        if channel.chatbot_script_id or channel.agent is not None:
            return "chatbot"
        if not open_now(channel.business_hours, now()):
            return "offline_form"
        if await self._picker.candidates(channel) or await self._picker.staffed(channel):
            return "operators"  # someone is free, or busy at work: the visitor waits in the queue
        return "offline_form"

    async def view(self, channel: Channel) -> AvailabilityView:
        mode = await self.mode(channel)
        return AvailabilityView(
            channel_id=channel.id,
            name=channel.name,
            available=mode != "offline_form",
            availability=mode,
            within_business_hours=open_now(channel.business_hours, now()),
            welcome=channel.welcome,
            offline_message=channel.offline_message,
            theme=channel.theme,
        )
