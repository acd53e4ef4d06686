"""Channels: their settings, canned responses, widget theme, word filter, satisfaction."""
