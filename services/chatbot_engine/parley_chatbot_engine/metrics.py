"""chatbot_engine's own metrics (the shared ones live in parley.metrics)."""

from __future__ import annotations

from prometheus_client import Counter

BOT_MESSAGES = Counter(
    "parley_chatbot_messages_total", "Bot messages posted, by content kind and class.", ["kind", "message_class"]
)
STEPS = Counter("parley_chatbot_steps_total", "Script steps run, by step type.", ["step_type"])
SCRIPTS_STARTED = Counter("parley_chatbot_scripts_started_total", "Conversations whose chatbot script started.")
TIMERS_FIRED = Counter(
    "parley_chatbot_timers_fired_total",
    "Timers fired, by kind; stale ones (re-armed or paused) are not counted.",
    ["kind"],
)
FAQ_OUTCOMES = Counter(
    "parley_chatbot_faq_outcomes_total", "Free-text questions matched against a FAQ, by outcome.", ["outcome"]
)
OPERATOR_REQUESTS = Counter(
    "parley_chatbot_operator_requests_total", "Operators asked for by the bot, by chat_session's answer.", ["status"]
)
