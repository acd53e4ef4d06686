from pydantic import Field

from parley.settings import ServiceSettings


class ChatbotEngineSettings(ServiceSettings):
    http_port: int = Field(
        8083, ge=0, le=65535, description="Port of chatbot_engine's admin API (scripts, FAQ) and health/metrics."
    )
    chatbot_both_silent_seconds: float = Field(
        30.0,
        gt=0,
        description="Traffic-light T1: nobody spoke for this long, the bot speaks first (bm-aichat: 30 s). "
        "A script's timers override it.",
    )
    chatbot_user_silent_seconds: float = Field(
        60.0,
        gt=0,
        description="Traffic-light T2: the user said nothing for this long and is marked away; the bot goes "
        "offline (bm-aichat: 60 s).",
    )
    chatbot_unresponsive_seconds: float = Field(
        45.0,
        gt=0,
        description="Traffic-light T3: the bot asked a question or gave an instruction and the user has not "
        "answered for this long; the bot nudges once.",
    )
    chatbot_greeting_hold_seconds: float = Field(
        10.0,
        ge=0,
        description="A 'user online' this soon after the bot went offline is held until the time is up "
        "(bm-aichat: 10 s), so a flapping connection does not greet twice.",
    )
    chatbot_debounce_seconds: float = Field(
        3.0,
        gt=0,
        description="free_input_multi: lines typed within this long of each other count as one answer.",
    )
    chatbot_typing_hold_seconds: float = Field(
        6.0,
        gt=0,
        le=60,
        description="free_input_multi: while the visitor types (their client repeats a typing frame every 3 s), "
        "the lines so far wait this long after each frame before they count as one answer.",
    )
    chatbot_timer_poll_seconds: float = Field(
        0.25,
        gt=0,
        le=5,
        description="How often the engine looks for due timers; a timer fires at most this late.",
    )
    chatbot_timer_lease_seconds: float = Field(
        30.0,
        gt=0,
        description="A claimed timer whose engine died before firing it is claimed again after this long.",
    )
    chatbot_faq_confident_score: float = Field(
        0.6,
        gt=0,
        le=1,
        description="FAQ matches at or above this confidence (0-1) are answered with the entry.",
    )
    chatbot_faq_suggest_score: float = Field(
        0.25,
        gt=0,
        le=1,
        description="FAQ matches at or above this confidence (but below the confident one) are offered as "
        "suggestions, three at most.",
    )
