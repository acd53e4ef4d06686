"""chat_session: channels, conversations, members, messages and their sequence numbers."""
