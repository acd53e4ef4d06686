"""Which external bot serves which channel, learnt from the integrations service's ``BotChanged``.

The channel document carries its bot (``agent``: id, member id, name, avatar, failure policy),
so the path that starts a conversation reads it with the channel it reads anyway. ``BotChanged``
is published after every registry write and again for every bot when the integrations service
starts: applying one is idempotent, and a missed one converges at the next start.
"""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from parley.contracts.agents import BotId, agent_user_id
from parley.contracts.integrations import BotChanged
from parley.logs import get_logger
from parley_chat_session.channels.store import ChannelAgent, Channels

log = get_logger("parley.chat_session")
BOT_ID: TypeAdapter[str] = TypeAdapter(BotId)


class AgentRegistry:
    def __init__(self, channels: Channels) -> None:
        self._channels = channels

    async def apply(self, event: BotChanged) -> None:
        try:
            bot_id = BOT_ID.validate_python(event.bot_id)
        except ValidationError:
            # Its member id would not be a user id (docs/bots.md): the registry must not make it.
            log.error("chat_session.agent_id_refused", bot_id=event.bot_id[:80])
            return
        agent = ChannelAgent(
            bot_id=bot_id,
            user_id=agent_user_id(bot_id),
            name=event.name,
            avatar_url=event.avatar_url,
            failure_policy=event.failure_policy,
        )
        await self._channels.serve_by_agent(bot_id, agent if event.active else None, event.channel_ids)
        log.info("chat_session.agent_changed", bot_id=bot_id, channels=len(event.channel_ids), active=event.active)
