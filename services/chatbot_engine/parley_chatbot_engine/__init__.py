"""chatbot_engine: chatbot scripts and their state per conversation, robot status, greetings, idle timers."""
