"""Wiring of the chatbot engine: stores, the engine, its bus handlers, timers, the admin API."""

from __future__ import annotations

from parley.http_api import HttpApi
from parley.revocations import RevocationList
from parley.runtime import Service
from parley.tokens import JwksVerifier
from parley_chatbot_engine.api import ENDPOINTS, ChatbotApi
from parley_chatbot_engine.conversation_locks import ConversationLocks
from parley_chatbot_engine.conversation_readers import ConversationReaders
from parley_chatbot_engine.engine import Engine, Stores
from parley_chatbot_engine.faq import FaqStore
from parley_chatbot_engine.handlers import BusHandlers
from parley_chatbot_engine.openapi import openapi_yaml
from parley_chatbot_engine.outbox import Outbox
from parley_chatbot_engine.privacy import register_privacy
from parley_chatbot_engine.script_store import ScriptStore
from parley_chatbot_engine.settings import ChatbotEngineSettings
from parley_chatbot_engine.states import BotStates
from parley_chatbot_engine.timer_store import TimerStore


def build_service(settings: ChatbotEngineSettings) -> Service:
    service = Service("chatbot_engine", settings, uses_redis=True, uses_mongo=True)
    assert service.redis is not None
    stores = Stores(states=BotStates(service.db), scripts=ScriptStore(service.db), faq=FaqStore(service.db))
    outbox = Outbox(service.bus, TimerStore(service.redis, settings.redis_key_prefix), service.db)
    locks = ConversationLocks(service.redis, settings.redis_key_prefix)
    engine = Engine(settings, service.bus, stores, outbox, locks)
    BusHandlers(engine).register(service.bus)
    register_privacy(service.bus, service.db)
    verifier = JwksVerifier(settings.auth_jwks_url, RevocationList(service.redis, settings.redis_key_prefix))
    readers = ConversationReaders(service.bus)
    api = ChatbotApi(stores.scripts, stores.faq, stores.states, openapi_yaml())
    service.http.add_routes(HttpApi(ENDPOINTS, verifier, api, readers).routes())

    @service.on_startup
    async def create_indexes() -> None:
        await stores.states.create_indexes()
        await stores.faq.create_indexes()

    service.background(engine.run_timers)
    service.background(engine.keep_timers_indexed)
    service.background(engine.sweep_outboxes)
    service.on_stop(verifier.close)
    return service
