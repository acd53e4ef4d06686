"""chatbot_engine: chatbot scripts, robot status, greetings and idle timers (domain not built yet)."""
