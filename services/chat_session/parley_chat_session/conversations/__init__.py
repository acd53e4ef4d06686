"""Conversations and their messages: sessions, posting, closing, history, what members see, and
the events and frames that report each change."""
