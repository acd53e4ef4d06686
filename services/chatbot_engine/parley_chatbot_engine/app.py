"""Wiring of the chatbot engine.

Only the process skeleton exists so far (bus, Redis and MongoDB connections, health, metrics,
shutdown): scripts, robot status and timers are not built yet.
"""

from __future__ import annotations

from parley.runtime import Service
from parley_chatbot_engine.settings import ChatbotEngineSettings


def build_service(settings: ChatbotEngineSettings) -> Service:
    return Service("chatbot_engine", settings, uses_redis=True, uses_mongo=True)
