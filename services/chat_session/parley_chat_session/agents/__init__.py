"""External bots (docs/bots.md): who controls a conversation, the agents' commands, streamed
drafts, and what a visitor's client sends for the bot."""
