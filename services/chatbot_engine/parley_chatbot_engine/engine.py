"""The engine: loads a conversation's bot state, lets a reaction change it, stores it, carries
out its outbox. The bus handlers, the timer loop and the outbox sweeper all come through here.

The triggers of one conversation take turns, in this process and across replicas
(:mod:`parley_chatbot_engine.conversation_locks`); the state's version is checked on every write
as well (:mod:`parley_chatbot_engine.states`).
Effects are carried out only after the state that asks for them is stored, so a crash at any
point is recovered by carrying out the stored outbox again (each effect is idempotent).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from parley.bus import Bus
from parley.contracts.commands import RequestOperator
from parley.contracts.errors import ParleyError
from parley.logs import get_logger
from parley_chatbot_engine import metrics, reactions
from parley_chatbot_engine.conversation_locks import ConversationLocks
from parley_chatbot_engine.faq import FaqStore
from parley_chatbot_engine.outbox import Outbox
from parley_chatbot_engine.reactions import Context
from parley_chatbot_engine.script import Script
from parley_chatbot_engine.script_store import ScriptStore
from parley_chatbot_engine.settings import ChatbotEngineSettings
from parley_chatbot_engine.states import BotState, BotStates, OperatorItem
from parley_chatbot_engine.timer_rules import Durations
from parley_chatbot_engine.timer_store import DueTimer, TimerStore

log = get_logger("parley.chatbot_engine")
Reaction = Callable[[BotState, Context], BotState | None]
# Rounds of carrying out an outbox per trigger: each operator answer may add one more round.
MAX_SETTLE_ROUNDS = 10
# Timers claimed per round trip: a burst of due timers drains quickly without one huge script run.
TIMER_BATCH = 100
# How often the engine checks that Redis still holds the timer index: a lost index is rebuilt
# this late at most, and the timers it held fire late rather than never.
TIMER_INDEX_CHECK_SECONDS = 5.0
# An outbox older than this is presumed abandoned (its handler finishes within milliseconds
# normally) and is carried out by the sweeper; also how often the sweeper looks.
OUTBOX_SWEEP_SECONDS = 5.0


@dataclass(frozen=True)
class Stores:
    states: BotStates
    scripts: ScriptStore
    faq: FaqStore


class Engine:
    def __init__(
        self, settings: ChatbotEngineSettings, bus: Bus, stores: Stores, outbox: Outbox, locks: ConversationLocks
    ) -> None:
        self.settings = settings
        self.locks = locks
        self.timer_store: TimerStore = outbox.timers
        self.bus = bus
        self.states = stores.states
        self.scripts = stores.scripts
        self.faq = stores.faq
        self.outbox = outbox
        self.clock: Callable[[], float] = time.time

    def conversation(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the conversation: its triggers run one at a time, in order, on every replica."""
        return self.locks.hold(conversation_id)

    def context(self, script: Script) -> Context:
        return Context(
            script=script,
            durations=self.durations(script),
            now=self.clock(),
            faq_confident=self.settings.chatbot_faq_confident_score,
            faq_suggest=self.settings.chatbot_faq_suggest_score,
        )

    def durations(self, script: Script) -> Durations:
        timers, settings = script.timers, self.settings
        return Durations(
            both_silent=timers.both_silent_seconds or settings.chatbot_both_silent_seconds,
            user_silent=timers.user_silent_seconds or settings.chatbot_user_silent_seconds,
            unresponsive=timers.unresponsive_seconds or settings.chatbot_unresponsive_seconds,
            debounce=settings.chatbot_debounce_seconds,
            greeting_hold=settings.chatbot_greeting_hold_seconds,
            typing_hold=settings.chatbot_typing_hold_seconds,
        )

    async def script_of(self, state: BotState) -> Script:
        """The conversation's script; a deleted one leaves an empty script (texts still work)."""
        script = await self.scripts.get(state.script_id)
        return script or Script(id=state.script_id, name=state.script_id)

    async def react(self, conversation_id: str, reaction: Reaction) -> BotState | None:
        """Change the conversation's state with ``reaction``, then carry out its outbox.

        The caller holds the conversation's lock (:meth:`conversation`).
        """
        state = await self.states.get(conversation_id)
        if state is None:
            return None
        ctx = self.context(await self.script_of(state))
        stored = await self.states.update(conversation_id, lambda current: reaction(current, ctx))
        try:
            await self.settle(conversation_id)
        except ParleyError as error:
            # The change is stored with its outbox; the sweeper carries it out once the bus is back.
            log.warning("chatbot.settle_deferred", conversation_id=conversation_id, reason=error.message)
        return stored

    async def settle(self, conversation_id: str) -> None:
        """Carry out the conversation's outbox, in order, until it is empty."""
        for _ in range(MAX_SETTLE_ROUNDS):
            state = await self.states.get(conversation_id)
            if state is None or not state.outbox:
                return
            done: set[str] = set()
            operator: OperatorItem | None = None
            for item in state.outbox:
                if isinstance(item, OperatorItem):
                    operator = item
                    break
                await self.outbox.carry_out(state, item)
                done.add(item.id)
            await self.states.update(conversation_id, functools.partial(_without, done=done))
            if operator is not None:
                await self._forward(state, operator)
        log.warning("chatbot.settle_unfinished", conversation_id=conversation_id)

    async def _forward(self, state: BotState, item: OperatorItem) -> None:
        """Ask chat_session for an operator; with none (or no answer) the script goes on."""
        try:
            reply = await self.bus.request(
                RequestOperator(conversation_id=state.conversation_id, requested_by=state.bot_id)
            )
            status = reply.status
        except ParleyError as error:
            log.warning("chatbot.operator_request_failed", conversation_id=state.conversation_id, reason=error.message)
            status = "unavailable"
        metrics.OPERATOR_REQUESTS.labels(status).inc()
        ctx = self.context(await self.script_of(state))

        def answered(current: BotState) -> BotState | None:
            if not any(pending.id == item.id for pending in current.outbox):
                return None  # another replica carried this request out already
            rest = _dropped(current, {item.id})
            return reactions.operator_answered(rest, ctx, status=status, key=f"o{item.id[:12]}")

        await self.states.update(state.conversation_id, answered)

    # ---- background work -----------------------------------------------------------------------

    async def run_timers(self) -> None:
        """Claim and fire due timers until cancelled; any replica may claim, each timer fires once."""
        while True:
            due = await self.timer_store.claim_due(self.clock(), self.settings.chatbot_timer_lease_seconds, TIMER_BATCH)
            await asyncio.gather(*(self._fire(timer) for timer in due))
            if len(due) < TIMER_BATCH:
                await asyncio.sleep(self.settings.chatbot_timer_poll_seconds)

    async def keep_timers_indexed(self) -> None:
        """Rebuild the Redis timer index from the bot states whenever it is missing: at first
        start, and after Redis lost its data (otherwise every pending timer would be lost)."""
        while True:
            if not await self.timer_store.indexed():
                restored = 0
                async for page in self.states.pending_deadlines():
                    await self.timer_store.restore(page)
                    restored += sum(len(kinds) for kinds in page.values())
                await self.timer_store.mark_indexed()
                log.info("chatbot.timers_reindexed", deadlines=restored)
            await asyncio.sleep(TIMER_INDEX_CHECK_SECONDS)

    async def _fire(self, timer: DueTimer) -> None:
        fired: list[bool] = []

        def react(state: BotState, ctx: Context) -> BotState | None:
            changed = reactions.timer_fired(state, ctx, timer.kind, timer.deadline)
            fired.append(changed is not None)
            return changed

        try:
            async with self.conversation(timer.conversation_id):
                await self.react(timer.conversation_id, react)
            await self.timer_store.release(timer)
        except Exception:  # the lease runs out and the timer is claimed again
            log.exception("chatbot.timer_failed", conversation_id=timer.conversation_id, kind=timer.kind)
            return
        if fired and fired[-1]:
            metrics.TIMERS_FIRED.labels(timer.kind).inc()

    async def sweep_outboxes(self) -> None:
        """Carry out outboxes left behind (an engine died, or the bus was away) until cancelled."""
        while True:
            await asyncio.sleep(OUTBOX_SWEEP_SECONDS)
            stale = await self.states.with_stale_outbox(self.clock() - OUTBOX_SWEEP_SECONDS)
            for conversation_id in stale:
                try:
                    async with self.conversation(conversation_id):
                        await self.settle(conversation_id)
                except Exception:  # one broken conversation must not stop the sweep
                    log.exception("chatbot.sweep_failed", conversation_id=conversation_id)


def _without(state: BotState, done: set[str]) -> BotState | None:
    """The state without the outbox items carried out; None (nothing to write) when there are none."""
    return _dropped(state, done) if done else None


def _dropped(state: BotState, done: set[str]) -> BotState:
    outbox = [item for item in state.outbox if item.id not in done]
    return state.model_copy(update={"outbox": outbox, "outbox_since": state.outbox_since if outbox else None})
